import { describe, expect, it } from 'vitest';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../../functions/adapters/aws.js';
import { DependencyUnavailableError } from '../../functions/core/errors.js';
import { toProblem } from '../../functions/lib/http.js';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('x'), { name, ...extra });

describe('a DynamoDB outage', () => {
  it('is told apart from answers the store maps itself', () => {
    expect(isUnavailable(named('TimeoutError'))).toBe(true);
    expect(isUnavailable(named('ProvisionedThroughputExceededException'))).toBe(true);
    expect(isUnavailable(named('Error', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isUnavailable(named('UnknownError', { $metadata: { httpStatusCode: 502 } }))).toBe(true);
    expect(isUnavailable(named('ConditionalCheckFailedException', { $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isUnavailable(named('TransactionCanceledException', { $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isUnavailable(named('ValidationException'))).toBe(false);
    expect(isUnavailable('TimeoutError')).toBe(false);
  });

  it('is a 503 problem with Retry-After that echoes nothing of the cause', () => {
    const cause = named('TimeoutError', { message: 'socket hang up at 10.0.0.1' });
    const result = toProblem(new DependencyUnavailableError('DynamoDB', RETRY_AFTER_SECONDS, { cause }), '/x');
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
    const body = JSON.parse(String(result.body));
    expect(body).toMatchObject({ status: 503, title: 'Service temporarily unavailable', instance: '/x' });
    expect(result.body).not.toMatch(/socket|10\.0\.0\.1|TimeoutError/);
  });
});
