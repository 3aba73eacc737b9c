/**
 * The reads of the deployment records, as the DeploymentReader port: every one a GetItem or a
 * Query (see table-schema.ts for the items). A function that only reads builds this alone
 * (aws.ts, `readRouteApp`), and its bundle then holds none of the writes.
 */
import { type Deployment, newestFirst, type Status } from '../../core/deployment.js';
import type { Hold } from '../../core/guards.js';
import type { DeploymentReader, EnvironmentState, HistoryPage, Position, TimeRange } from '../../core/ports.js';
import { TABLE_SCHEMA } from '../table-schema.js';
import { ENVIRONMENTS_PK, environmentKey, envKey, fromItem, idKey, readinessOfItem, sortKey } from './items.js';
import { getItem, query, type Table } from './table.js';

/** How many of an environment's newest records a fresh tag lookup reads from the table. */
const RECENT_WRITES = 10;
/** Items evaluated per request when a status filter is applied (matches may be sparse). */
const FILTERED_READ = 100;

/** Records of a tag per page when walking them (a guard decision mostly needs the first one or two). */
const TAG_RECORDS_PAGE = 5;

/** An environment item as the port has it; `hold` and `readiness` as stored, null when absent. */
function environmentState(item: Record<string, unknown>): EnvironmentState {
  const current = item.current ? fromItem(item.current as Record<string, unknown>) : null;
  return {
    environment: String(item.SK).slice('ENV#'.length),
    current,
    lastDeployedAt: current?.deployedAt ?? null,
    activeRun: typeof item.activeRun === 'string' ? item.activeRun : null,
    hold: (item.hold as Hold | undefined) ?? null,
    readiness: readinessOfItem(item.readiness),
    rollbacks: typeof item.rollbacks === 'number' ? item.rollbacks : 0,
  };
}

/** The DeploymentReader port over `table`. */
export function deploymentReader(table: Table): DeploymentReader {
  return {
    async get(id: string): Promise<Deployment | undefined> {
      const pointer = await getItem(table, 'get.id', idKey(id));
      if (!pointer) return undefined;
      const item = await getItem(table, 'get', { PK: envKey(String(pointer.environment)), SK: pointer.recordSK });
      return item ? fromItem(item) : undefined;
    },

    async page(
      environment: string,
      options: { limit: number; status?: Status | undefined; after?: Position | undefined },
    ): Promise<HistoryPage> {
      const items: Deployment[] = [];
      let start: Record<string, unknown> | undefined = options.after
        ? { PK: envKey(environment), SK: sortKey(options.after) }
        : undefined;
      // Unfiltered, read exactly `limit` items: DynamoDB's LastEvaluatedKey then says whether
      // more may follow (a page that ends on the last record still gets a cursor, to an empty
      // page; reading one extra item to rule that out would cost every page more). With a
      // filter, DynamoDB applies Limit before filtering, so read in larger steps until the page
      // is full, and cut it at `limit`: the cursor is the last item served, not DynamoDB's key.
      do {
        const result = await query(table, 'history', {
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: {
            ':pk': envKey(environment),
            ...(options.status ? { ':status': options.status } : {}),
          },
          ...(options.status
            ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          ScanIndexForward: false,
          Limit: options.status ? FILTERED_READ : options.limit - items.length,
          ExclusiveStartKey: start,
        });
        items.push(...(result.Items ?? []).map(fromItem));
        start = result.LastEvaluatedKey;
      } while (start && items.length < options.limit);
      return {
        items: items.slice(0, options.limit),
        hasMore: items.length > options.limit || start !== undefined,
      };
    },

    async *iterate(environment: string): AsyncIterable<Deployment> {
      let start: Record<string, unknown> | undefined;
      do {
        const result = await query(table, 'walk', {
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': envKey(environment) },
          ScanIndexForward: false,
          Limit: table.walkPageSize ?? 25,
          ExclusiveStartKey: start,
        });
        for (const item of result.Items ?? []) yield fromItem(item);
        start = result.LastEvaluatedKey;
      } while (start);
    },

    async latestOfTag(
      imageTag: string,
      environment: string,
      options: { fresh?: boolean | undefined } = {},
    ): Promise<Deployment | undefined> {
      const result = await query(table, 'tag.latest', {
        IndexName: TABLE_SCHEMA.tagIndex.name,
        KeyConditionExpression: 'GSI1PK = :tag AND begins_with(GSI1SK, :env)',
        ExpressionAttributeValues: { ':tag': `TAG#${imageTag}`, ':env': `${environment}#` },
        ScanIndexForward: false,
        Limit: 1,
      });
      const indexed = result.Items?.[0] ? fromItem(result.Items[0]) : undefined;
      if (!options.fresh) return indexed;
      // The index is eventually consistent (typically well under a second behind). A record
      // written that recently is among the environment's newest, so read those from the table
      // itself, consistently, and take the newer of the two answers.
      const recent = await query(table, 'tag.recent', {
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'imageTag = :tag',
        ExpressionAttributeValues: { ':pk': envKey(environment), ':tag': imageTag },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: RECENT_WRITES,
      });
      const newest = recent.Items?.[0] ? fromItem(recent.Items[0]) : undefined;
      if (!newest) return indexed;
      return !indexed || newestFirst(newest, indexed) < 0 ? newest : indexed;
    },

    /**
     * Lists a tag's environments by skipping from one environment to the next (one Query of
     * Limit 1 per environment), so the cost follows the number of environments, not the
     * number of times the tag was deployed. `#` sorts below every character an environment
     * name may hold, so all keys of a smaller environment sort below `<env>#`.
     */
    async environmentsOfTag(imageTag: string): Promise<string[]> {
      const environments: string[] = [];
      for (;;) {
        const below = environments.at(-1);
        const result = await query(table, 'tag.environments', {
          IndexName: TABLE_SCHEMA.tagIndex.name,
          KeyConditionExpression: below ? 'GSI1PK = :tag AND GSI1SK < :below' : 'GSI1PK = :tag',
          ExpressionAttributeValues: { ':tag': `TAG#${imageTag}`, ...(below ? { ':below': `${below}#` } : {}) },
          ProjectionExpression: 'environment',
          ScanIndexForward: false,
          Limit: 1,
        });
        const env = result.Items?.[0]?.environment;
        if (typeof env !== 'string') return environments.reverse();
        environments.push(env);
      }
    },

    async environments(): Promise<EnvironmentState[]> {
      const states: EnvironmentState[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const result = await query(table, 'environments', {
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': ENVIRONMENTS_PK },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        });
        for (const item of result.Items ?? []) states.push(environmentState(item));
        start = result.LastEvaluatedKey;
      } while (start);
      // Sort keys are `ENV#<name>`, so the Query already returns them by name; sorting again
      // costs nothing and does not lean on that.
      return states.sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
    },

    async environment(environment: string): Promise<EnvironmentState | undefined> {
      const item = await getItem(table, 'environment', environmentKey(environment));
      return item ? environmentState(item) : undefined;
    },

    async *tagRecords(imageTag: string, environment: string): AsyncIterable<Deployment> {
      let start: Record<string, unknown> | undefined;
      do {
        const result = await query(table, 'tag.records', {
          IndexName: TABLE_SCHEMA.tagIndex.name,
          KeyConditionExpression: 'GSI1PK = :tag AND begins_with(GSI1SK, :env)',
          ExpressionAttributeValues: { ':tag': `TAG#${imageTag}`, ':env': `${environment}#` },
          ScanIndexForward: false,
          Limit: TAG_RECORDS_PAGE,
          ExclusiveStartKey: start,
        });
        for (const indexed of result.Items ?? []) {
          // The index lags the table: a status it shows may be stale (a rollback just now), so
          // each record is read again, consistently, from the table.
          const item = await getItem(table, 'tag.record', { PK: indexed.PK, SK: indexed.SK });
          if (item) yield fromItem(item);
        }
        start = result.LastEvaluatedKey;
      } while (start);
    },

    async *range(
      environment: string,
      range: TimeRange,
      options: { pageSize?: number | undefined } = {},
    ): AsyncIterable<Deployment[]> {
      // `~` sorts above every character of a timestamp, so `DEP#<to>~` is above every key whose
      // deployedAt starts with `to`: the bound is inclusive of a whole day given as a date.
      const upper = range.to === undefined ? 'DEP$' : `DEP#${range.to}~`;
      let start: Record<string, unknown> | undefined;
      do {
        const result = await query(table, 'range', {
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': envKey(environment), ':from': `DEP#${range.from}`, ':to': upper },
          ScanIndexForward: true,
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ExclusiveStartKey: start,
        });
        yield (result.Items ?? []).map(fromItem);
        start = result.LastEvaluatedKey;
      } while (start);
    },
  };
}
