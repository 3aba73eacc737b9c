import { describe, expect, it } from 'vitest';
import { MOTO_INSTALL, motoEnv, startMotoServer } from '../support/moto-server.js';

describe('the moto_server harness', () => {
  it('fails with the install command when moto_server is missing', async () => {
    await expect(startMotoServer({ command: 'moto_server-not-installed' })).rejects.toThrow(
      `moto_server-not-installed is not installed: the tests run every AWS API but DynamoDB against moto_server, the AWS emulator. Install it with: ${MOTO_INSTALL}`,
    );
    expect(MOTO_INSTALL).toBe("pip install 'moto[server]'");
  });

  it("points the SDK at it through the standard per-service variables only (DynamoDB's stays DynamoDB Local's)", () => {
    const env = motoEnv('http://127.0.0.1:1');
    expect(env.AWS_ENDPOINT_URL_CLOUDWATCH).toBe('http://127.0.0.1:1');
    expect(env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe('http://127.0.0.1:1');
    expect(Object.keys(env).every((k) => k.startsWith('AWS_ENDPOINT_URL_'))).toBe(true);
    expect(env).not.toHaveProperty('AWS_ENDPOINT_URL');
    expect(env).not.toHaveProperty('AWS_ENDPOINT_URL_DYNAMODB');
  });
});
