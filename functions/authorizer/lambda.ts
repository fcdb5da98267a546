/**
 * The HTTP API's Lambda authorizer (payload format 2.0, simple responses):
 * allows a request whose `authorization: Bearer <key>` carries the API key.
 * The key lives in its own Secrets Manager secret (generated at deploy,
 * docs/deploy-aws.md); the authorizer reads it once per container, keeps
 * only its SHA-256, and compares the SHA-256 of the presented key with it in
 * constant time. It needs neither the node seed nor the table.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { EnvVar, fetchSecretString, once, requireEnv } from '../runtime/aws-env.js';
import { apiKeySha256, isAuthorized } from '../http/api-key.js';

const expectedSha256 = once(async () => {
  const secrets = new SecretsManagerClient({});
  try {
    return apiKeySha256((await fetchSecretString(secrets, requireEnv(process.env, EnvVar.apiKeySecretArn))).trim());
  } finally {
    secrets.destroy();
  }
});

/** Whether the request may reach the API; identity source `$request.header.authorization`. */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> {
  const header = event.headers?.['authorization'] ?? event.identitySource?.[0];
  return { isAuthorized: isAuthorized(header, await expectedSha256()) };
}
