/**
 * The readiness refresh's logic over its ports, and its composition (the Lambda entry is
 * readiness-refresh-handler.ts; local mode, infra/local/stack.ts, runs the same from its
 * stream poller and an hourly timer). Two kinds of event:
 *
 * - a batch of the table's stream (deployment records only, by the event source's filter; local
 *   mode sees every record and skips the others here): each environment the batch changed is
 *   refreshed once, however many of its records the batch holds;
 * - the hourly schedule (anything that is not a stream batch): every environment is refreshed.
 *
 * A refresh that fails (the table unavailable) fails the invocation after the others ran: the
 * stream retries the batch, the schedule runs again within the hour.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { readinessRefreshApp } from '../adapters/readiness.js';
import { type RefreshPorts, refreshReadiness } from '../core/use-cases/refresh-readiness.js';
import { logger } from '../lib/logger.js';

/** The environment of a stream record of a deployment item, or undefined for any other record. */
export function environmentOf(record: DynamoDBRecord): string | undefined {
  const image = record.dynamodb?.NewImage ?? record.dynamodb?.OldImage;
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  return item.entity === 'deployment' && typeof item.environment === 'string' ? item.environment : undefined;
}

/** Environments refreshed at once. */
const CONCURRENCY = 4;

export interface RefreshSummary {
  refreshed: string[];
  published: { environment: string; transition: 'lost' | 'restored' }[];
  failed: string[];
}

/** The handler over given ports (composeReadinessRefresh gives this process's; tests give theirs). */
export function createReadinessRefresh(ports: RefreshPorts) {
  return async (event: unknown): Promise<RefreshSummary> => {
    const records = (event as { Records?: DynamoDBRecord[] } | null)?.Records;
    const environments = Array.isArray(records)
      ? [...new Set(records.map(environmentOf).filter((e): e is string => e !== undefined))].sort()
      : (await ports.deployments.environments()).map((e) => e.environment);
    const summary: RefreshSummary = { refreshed: [], published: [], failed: [] };
    let failure: unknown;
    const refreshOne = async (environment: string) => {
      try {
        const outcome = await refreshReadiness(ports, environment);
        if (outcome.kind !== 'stored') return;
        summary.refreshed.push(environment);
        if (outcome.published) summary.published.push({ environment, transition: outcome.published });
        logger.info('readiness refreshed', {
          environment,
          ready: outcome.readiness.ready,
          failing: outcome.readiness.checks.filter((c) => c.status === 'FAILED').map((c) => c.name),
          ...(outcome.published ? { published: outcome.published } : {}),
        });
      } catch (error) {
        summary.failed.push(environment);
        failure ??= error;
        logger.error('readiness not refreshed', { environment, error: error as Error });
      }
    };
    // A few environments at a time: the hourly run of many environments stays well inside the
    // function's timeout, and no AWS API is asked more than a few things at once.
    const queue = [...environments];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await refreshOne(next);
      }),
    );
    summary.refreshed.sort();
    summary.published.sort((a, b) => (a.environment < b.environment ? -1 : 1));
    summary.failed.sort();
    if (failure) throw failure;
    return summary;
  };
}

/** THE readiness refresh function: this process's table, targets and AWS lookups. */
export function composeReadinessRefresh() {
  return createReadinessRefresh(readinessRefreshApp().ports);
}
