/**
 * A stand-in for Secrets Manager's GetSecretValue on 127.0.0.1 (JSON 1.1
 * protocol, as the SDK speaks it), so bundles can be invoked without AWS.
 * Counts requests per secret id.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsStub {
  readonly endpoint: string;
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

export async function startSecretsStub(secrets: ReadonlyMap<string, string>): Promise<SecretsStub> {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'InvalidRequestException', message: `unsupported ${String(target)}` });
        return;
      }
      const id = (JSON.parse(body) as { SecretId: string }).SecretId;
      requests.set(id, (requests.get(id) ?? 0) + 1);
      const value = secrets.get(id);
      if (value === undefined) {
        reply(400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager can’t find the specified secret.' });
        return;
      }
      reply(200, { ARN: id, Name: id.split(':').pop(), SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
