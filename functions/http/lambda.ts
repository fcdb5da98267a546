/**
 * AWS Lambda entry of the HTTP API function (API Gateway HTTP API, payload
 * format 2.0). API Gateway's Lambda authorizer checks the key first
 * (functions/authorizer/lambda.ts); the handler checks it again against the
 * same secret. The API key and the node context are fetched at the first
 * invocation and reused by the container.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { awsNodeContext, EnvVar, fetchSecretString, once, requireEnv } from '../runtime/aws-context.js';
import { apiKeySha256 } from './api-key.js';
import { createHttpHandler } from './handler.js';
import { storeNodeApi } from './store-node-api.js';

const httpHandler = once(async () => {
  const secrets = new SecretsManagerClient({});
  try {
    const [ctx, apiKey] = await Promise.all([awsNodeContext(), fetchSecretString(secrets, requireEnv(process.env, EnvVar.apiKeySecretArn))]);
    return createHttpHandler({ api: storeNodeApi(ctx), apiKeySha256: apiKeySha256(apiKey.trim()), logger: ctx.logger });
  } finally {
    secrets.destroy();
  }
});

export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  return (await httpHandler())(event, context);
}
