/**
 * Two of our channel machines in one process (test support): deterministic
 * keys and entropy, a fixed fee estimator, messages passed through the wire
 * codec both ways, and a test funding transaction.
 */
import type { Transaction } from 'bitcoinjs-lib';
import { concatBytes, fromHex, sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { KeysManager, deriveNodeSecret, type EntropySource } from '../../shared/keys/index.js';
import {
  DEFAULT_CHANNEL_CONFIG,
  type ChannelConfig,
  type ChannelContext,
  type ChannelEffect,
  type ChannelEvent,
} from '../../shared/channel/index.js';
import { OUR_INIT_FEATURES, decodeMessage, encodeMessage, type WireMessage } from '../../shared/wire/index.js';
import { spend, testKey } from './regtest-wallet.js';

/** Bitcoin Core's regtest genesis hash in internal byte order (the BOLT chain_hash). */
export const REGTEST_CHAIN_HASH = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');

/** Entropy from a counter: reproducible "random" bytes. */
export function counterEntropy(label: string): EntropySource {
  let n = 0;
  return { getSecureRandomBytes: () => sha256(concatBytes(new TextEncoder().encode(label), Uint8Array.of(n >> 8, n++ & 0xff))) };
}

export interface TestNode {
  readonly ctx: ChannelContext;
  readonly nodeId: Uint8Array;
  readonly keys: KeysManager;
  /** The node's static secret (BOLT 8). */
  readonly nodeSecret: Uint8Array;
  /** Estimates that differ from the node's one feerate, by confirmation target (set by a test). */
  readonly estimates: Map<number, bigint>;
}

/** One of our nodes: its keys from `label`, feerate `feerate` sat/kW at every target. */
export function testNode(label: string, config: Partial<{ handshake: Partial<ChannelConfig['handshake']>; limits: Partial<ChannelConfig['limits']> }> = {}, feerate = 253n): TestNode {
  const secp = wasmSecp256k1;
  const entropy = counterEntropy(`${label}/entropy`);
  const seed = sha256(new TextEncoder().encode(`${label}/seed`));
  const keys = new KeysManager(secp, seed, counterEntropy(`${label}/keys`));
  const estimates = new Map<number, bigint>();
  return {
    keys,
    estimates,
    nodeSecret: deriveNodeSecret(secp, seed),
    nodeId: keys.getNodeId(),
    ctx: {
      secp,
      signerProvider: keys,
      entropy,
      feeEstimator: { feeRatePerKw: (target) => estimates.get(target) ?? feerate },
      chainHash: REGTEST_CHAIN_HASH,
      config: {
        handshake: { ...DEFAULT_CHANNEL_CONFIG.handshake, ...config.handshake },
        limits: { ...DEFAULT_CHANNEL_CONFIG.limits, ...config.limits },
      },
    },
  };
}

/** Our init features with anchors (bit 23 optional) as LDK would see them. */
export const PEER_FEATURES = OUR_INIT_FEATURES;

/** The messages of `effects`, each encoded and decoded again (what the peer would read). */
export function sentMessages(effects: readonly ChannelEffect[]): WireMessage[] {
  return effects.flatMap((e) => {
    if (e.kind !== 'send-message') return [];
    const decoded = decodeMessage(encodeMessage(e.message));
    if (decoded.kind !== 'message') throw new Error(`our message does not decode: ${decoded.kind}`);
    return [decoded.message];
  });
}

/** The one message of `effects` of type `T`. */
export function onlyMessage<T extends WireMessage['type']>(effects: readonly ChannelEffect[], type: T): Extract<WireMessage, { type: T }> {
  const found = sentMessages(effects).filter((m) => m.type === type);
  if (found.length !== 1) throw new Error(`expected one message of type ${type}, got ${found.length}`);
  return found[0] as Extract<WireMessage, { type: T }>;
}

export function eventsOf(effects: readonly ChannelEffect[]): ChannelEvent[] {
  return effects.flatMap((e) => (e.kind === 'event' ? [e.event] : []));
}

/** A signed segwit transaction paying `script` `valueSat` (output index `index`), from a made-up coin. */
export function fundingTransaction(script: Uint8Array, valueSat: bigint, options: { index?: number; segwit?: boolean } = {}): Transaction {
  const key = testKey('funding wallet');
  const change = { script: key.script, valueSat: 50_000n };
  const funding = { script, valueSat };
  const outputs = options.index === 1 ? [change, funding] : [funding, change];
  const tx = spend({ inputs: [{ txid: '11'.repeat(32), vout: 0, valueSat: valueSat + 60_000n, key }], outputs });
  if (options.segwit === false) tx.setWitness(0, []);
  return tx;
}
