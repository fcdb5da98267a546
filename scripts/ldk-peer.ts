/**
 * `npm run peer`: a real LDK node (npm `lightningdevkit`, LDK 0.1) beside a
 * running `npm start`, to try payments by hand (README, "Try a payment";
 * docs/ldk-peer.md): it connects to the node, follows the embedded chain,
 * and reads one command per line (`help` lists them). The same settings as
 * `npm start`: `PORT` (8080), `PEER_PORT` (9735), `CHAIN_PORT` (3002), and
 * the API key from `STORMCELL_API_KEY` or the data dir's `api-key`
 * (`STORMCELL_DATA_DIR`, `./.stormcell`); `LDK_PEER_PORT` (9736) is where the
 * LDK node listens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LdkPeer, PEER_HELP } from '../test/support/ldk-peer.js';

const env = process.env;
const port = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`${name} must be a port number`);
    process.exit(2);
  }
  return value;
};

function apiKey(): string {
  const given = env['STORMCELL_API_KEY'];
  if (given !== undefined && given !== '') return given;
  const file = join(env['STORMCELL_DATA_DIR'] ?? '.stormcell', 'api-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    console.error(`no API key: set STORMCELL_API_KEY, or start the node first (npm start writes ${file})`);
    process.exit(2);
  }
}

let peer: LdkPeer;
try {
  peer = await LdkPeer.start({
    apiUrl: `http://127.0.0.1:${port('PORT', 8080)}`,
    apiKey: apiKey(),
    chainUrl: `http://127.0.0.1:${port('CHAIN_PORT', 3002)}`,
    peerPort: port('PEER_PORT', 9735),
    listenPort: port('LDK_PEER_PORT', 9736),
    print: (line) => console.log(line),
  });
} catch (e) {
  console.error(`could not start the peer (is npm start running?): ${(e as Error).message}`);
  process.exit(1);
}
console.log(PEER_HELP);
for await (const line of createInterface({ input: process.stdin, terminal: false })) {
  if ((await peer.run(line)) === 'quit') break;
}
await peer.stop();
process.exit(0);
