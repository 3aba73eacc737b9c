import { defineConfig } from 'vitest/config';

/**
 * Five test projects with their own commands (npm run test:<name>); `npm test` runs all.
 * integration and e2e share one DynamoDB Local per run (test/support/global-setup.ts);
 * each test file makes its own table, so files stay independent.
 */
// The AWS SDK warns that Node.js 20 nears its end of support; Lambda runs a newer Node.js.
// Older SDK releases read the first variable, current ones the second. globalSetup loads the
// SDK in this process too, so set them here as well as in the workers' env.
const QUIET_SDK = {
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
Object.assign(process.env, QUIET_SDK);

const dynamodb = {
  globalSetup: ['test/support/global-setup.ts'],
  setupFiles: ['test/support/dynamodb-env.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    env: { ...QUIET_SDK, POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // integration also runs the AWS emulator for everything but DynamoDB (moto_server).
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          ...dynamodb,
          globalSetup: [...dynamodb.globalSetup, 'test/support/moto-global-setup.ts'],
          setupFiles: [...dynamodb.setupFiles, 'test/support/moto-env.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...dynamodb } },
      // The web console in Debian's Chromium (playwright-core), against local mode.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...dynamodb } },
      {
        extends: true,
        // infra puts the synthesized EventBridge rules into moto_server.
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ['test/support/moto-global-setup.ts'],
          setupFiles: ['test/support/moto-env.ts'],
        },
      },
    ],
  },
});
