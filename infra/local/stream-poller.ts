/**
 * Local mode's stand-in for Lambda's DynamoDB stream event source: reads DynamoDB Local's
 * stream of the deployments table and hands the records, shaped as Lambda's
 * DynamoDBStreamEvent, to the same notifier code the deployed function runs. Like the
 * event source, it honours batchItemFailures: a batch is retried from its first failed
 * record (with a growing pause) before the shard moves on.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClient } from './dynamodb-local.js';

export interface StreamPoller {
  /** Ends the loop after the batch in hand, and closes the clients. */
  stop(): Promise<void>;
}

interface ShardState {
  iterator: string | undefined;
  pending: DynamoDBRecord[];
  failures: number;
  retryAt: number;
}

/** Lambda's record shape from the Streams API's (epoch seconds instead of a Date). */
function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(rest as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
    },
  };
}

/**
 * Starts polling `tableName`'s stream every `intervalMs` from the oldest record kept
 * (TRIM_HORIZON): records written before the poller started are not missed, and the
 * notifier's ledger keeps already-published ones from going out again.
 */
export async function startStreamPoller(options: {
  endpoint: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): Promise<StreamPoller> {
  const interval = options.intervalMs ?? 250;
  const onError = options.onError ?? ((error) => console.error('stream poller:', error));
  const tables = localClient(options.endpoint);
  const table = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
  tables.destroy();
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });

  const open = new Map<string, ShardState>();
  const started = new Set<string>();

  /** Starts reading new shards; a child shard waits until its parent is read to the end. */
  const discover = async () => {
    let after: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: after }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        const id = shard.ShardId;
        if (!id || started.has(id) || (shard.ParentShardId && open.has(shard.ParentShardId))) continue;
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        started.add(id);
        open.set(id, { iterator: ShardIterator, pending: [], failures: 0, retryAt: 0 });
      }
      after = StreamDescription?.LastEvaluatedShardId;
    } while (after);
  };

  const poll = async (id: string, shard: ShardState) => {
    if (shard.pending.length === 0) {
      if (!shard.iterator) {
        open.delete(id); // closed and read to the end
        return;
      }
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 100 }));
      shard.iterator = out.NextShardIterator;
      shard.pending = (out.Records ?? []).map((r) => toLambdaRecord(r, streamArn));
    }
    if (shard.pending.length === 0 || Date.now() < shard.retryAt) return;
    let failed: Set<string>;
    try {
      const { batchItemFailures } = await options.handler({ Records: shard.pending });
      failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      onError(error);
      failed = new Set([shard.pending[0]?.dynamodb?.SequenceNumber ?? '']);
    }
    const first = shard.pending.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
    if (first === -1) {
      shard.pending = [];
      shard.failures = 0;
    } else {
      shard.pending = shard.pending.slice(first);
      shard.failures += 1;
      shard.retryAt = Date.now() + Math.min(interval * 2 ** shard.failures, 10_000);
    }
  };

  let stopped = false;
  let wake: () => void = () => {};
  const loop = (async () => {
    for (let tick = 0; !stopped; tick++) {
      try {
        if (tick % 4 === 0) await discover();
        for (const [id, shard] of open) await poll(id, shard);
      } catch (error) {
        if (!stopped) onError(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      streams.destroy();
    },
  };
}
