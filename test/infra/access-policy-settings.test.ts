import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../infra/stacks/settings.js';

const settingsOf = (context: Record<string, unknown>) => readSettings(new App({ context }).node);
const ONCALL = 'arn:aws:iam::123456789012:role/ops/oncall';

describe('the accessPolicy setting', () => {
  it('is absent by default: nobody is confined', () => {
    expect(settingsOf({}).accessPolicy).toBeUndefined();
  });

  it('takes JSON from -c and an object from cdk.json', () => {
    const policy = { prod: { rollback: [ONCALL] }, '*': { read: [ONCALL] } };
    expect(settingsOf({ accessPolicy: JSON.stringify(policy) }).accessPolicy).toEqual(policy);
    expect(settingsOf({ accessPolicy: policy }).accessPolicy).toEqual(policy);
  });

  it.each([
    ['{prod', /must be a JSON object/],
    [{ prod: { rollback: ['oncall'] } }, /prod\.rollback\.0: must be an IAM role ARN/],
    [{ prod: { rollback: ['arn:aws:sts::123456789012:assumed-role/oncall/alice'] } }, /prod\.rollback\.0/],
    [{ 'eu prod': { read: [ONCALL] } }, /eu prod: must be an environment name/],
    [{ prod: { deploy: [ONCALL] } }, /deploy/],
    [{ prod: { read: Array.from({ length: 80 }, (_, i) => `${ONCALL}-${i}`) } }, /at most 3072 fit/],
  ])('refuses %o at synth', (accessPolicy, message) => {
    expect(() => settingsOf({ accessPolicy })).toThrow(message);
  });
});
