import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LazyLogger } from '../../functions/lib/logger.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** Every JSON line Powertools writes, whichever stream it picks. */
function captured(): () => Record<string, unknown>[] {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  return () =>
    lines
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the logger, loaded on first use', () => {
  it('logs with the invocation context and correlation id it was given before it existed; resetKeys drops the id', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const read = captured();
    const logger = new LazyLogger();
    logger.addContext({ awsRequestId: 'req-1', functionName: 'fn' } as Context);
    logger.setCorrelationId('corr-1');
    logger.error('unhandled error', { extra: 42 });
    // Powertools is still loading: the line waits, with the keys it was logged under.
    expect(read()).toEqual([]);
    logger.resetKeys();
    logger.addContext({ awsRequestId: 'req-2', functionName: 'fn' } as Context);
    logger.info('later');
    await logger.flushed();
    const [first, second] = read();
    expect(first).toMatchObject({
      level: 'ERROR',
      message: 'unhandled error',
      service: 'platform-rollback',
      function_request_id: 'req-1',
      correlation_id: 'corr-1',
      extra: 42,
    });
    expect(second).toMatchObject({ level: 'INFO', message: 'later', function_request_id: 'req-2' });
    expect(second).not.toHaveProperty('correlation_id');
  });

  it('writes at once after ready(), as the functions that always log load it at init', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const read = captured();
    const logger = new LazyLogger();
    await logger.ready();
    logger.setCorrelationId('corr-3');
    logger.warn('now');
    expect(read()).toEqual([expect.objectContaining({ level: 'WARN', message: 'now', correlation_id: 'corr-3' })]);
  });
});
