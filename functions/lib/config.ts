/**
 * The service's configuration, read from the environment once per cold start. A missing
 * or malformed setting throws here, at init, rather than on the first request.
 */

export interface Config {
  tableName: string;
  /** DynamoDB endpoint override: set in local mode and tests (DynamoDB Local), unset in AWS. */
  dynamodbEndpoint: string | undefined;
  region: string;
  /** The rollback topic; only the notifier needs it. */
  topicArn: string | undefined;
}

export class ConfigError extends Error {}

function optionalUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!URL.canParse(value)) throw new ConfigError(`${name} must be a URL, got "${value}"`);
  return value;
}

/** Reads and checks the environment. Throws ConfigError naming every missing setting. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new ConfigError('TABLE_NAME is required: the name of the deployments table');
  return {
    tableName,
    dynamodbEndpoint: optionalUrl('DYNAMODB_ENDPOINT', env.DYNAMODB_ENDPOINT),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    topicArn: env.TOPIC_ARN || undefined,
  };
}
