/** What the LDK interop tests share around the embedded regtest chain. */
import type { RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { payFromCoin, testKey } from './regtest-wallet.js';

/** Polls `predicate` every 10 ms until it holds, or fails naming `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POSTs `body` to the chain's REST API and returns the response text; a non-2xx status throws. */
export async function postToChain(chain: RunningRegtestChain, path: string, body: string): Promise<string> {
  const response = await fetch(`${chain.url}${path}`, { method: 'POST', body });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return text;
}

/** A signed segwit funding transaction paying `script` exactly `valueSat`, from a faucet coin of the key named `label`. */
export function fundingFromFaucet(chain: RunningRegtestChain, label: string, script: Uint8Array, valueSat: bigint): Uint8Array {
  const key = testKey(label);
  return payFromCoin(chain.chain.transaction(chain.chain.faucet(key.script, valueSat + 20_000n))!.tx, key, script, valueSat).toBuffer();
}
