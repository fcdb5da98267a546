/**
 * BOLT 4 onion cost (issue 15): create a 5-hop and a 20-hop payment onion,
 * peel one hop, build a failure and read it back at the origin, on the WASM
 * secp256k1 backend (noble for comparison). Medians, no pass/fail timing.
 */
import { nobleSecp256k1, sha256, wasmSecp256k1, type Secp256k1 } from '../shared/crypto/index.js';
import {
  createFailurePacket,
  createOnion,
  decodeFailure,
  encodeHopPayload,
  failureMessage,
  onionSharedSecrets,
  peelOnion,
  wrapFailurePacket,
  type OnionHop,
} from '../shared/onion/index.js';
import { measure, ms, printTable } from './measure.js';

const key = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));
const sessionKey = key('bench session');
const paymentHash = key('bench payment hash');

/** A route of `n` hops with realistic payloads (forwards: amount, cltv, scid; final: amount, cltv, payment_data). */
function route(secp: Secp256k1, n: number): { secrets: Uint8Array[]; hops: OnionHop[] } {
  const secrets = Array.from({ length: n }, (_, i) => key(`bench node ${i}`));
  const hops = secrets.map((s, i) => ({
    pubkey: secp.publicKeyFromSecret(s),
    payload: encodeHopPayload(
      i < n - 1
        ? { kind: 'forward', amtToForward: 100_000_000n - BigInt(i) * 1000n, outgoingCltvValue: 800_000 + 40 * (n - i), shortChannelId: BigInt(i + 1) << 40n }
        : { kind: 'final', amtToForward: 100_000_000n, outgoingCltvValue: 800_040, paymentData: { paymentSecret: key('secret'), totalMsat: 100_000_000n } },
    ),
  }));
  return { secrets, hops };
}

const rows: string[][] = [['operation', 'wasm (ms)', 'noble (ms)', 'secp256k1 calls']];
for (const n of [5, 20]) {
  const cost = (secp: Secp256k1) => {
    const { hops } = route(secp, n);
    return measure(`create ${n}`, () => createOnion(secp, sessionKey, hops, paymentHash), { runs: 31, batch: n === 5 ? 20 : 5 }).medianMs;
  };
  rows.push([`createOnion, ${n} hops`, ms(cost(wasmSecp256k1)), ms(cost(nobleSecp256k1)), `${n} publicKeyFromSecret + ${n} ECDH`]);
}
{
  const cost = (secp: Secp256k1) => {
    const { secrets, hops } = route(secp, 5);
    const packet = createOnion(secp, sessionKey, hops, paymentHash);
    return measure('peel', () => peelOnion(secp, secrets[0]!, packet, paymentHash), { runs: 31, batch: 50 }).medianMs;
  };
  rows.push(['peelOnion, one forwarding hop', ms(cost(wasmSecp256k1)), ms(cost(nobleSecp256k1)), 'key check + ECDH + publicKeyTweakMul']);
}
{
  const cost = (secp: Secp256k1) => {
    const { hops } = route(secp, 5);
    const shared = onionSharedSecrets(secp, sessionKey, hops.map((h) => h.pubkey));
    const failure = failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat: 100_000_000n, height: 800_000 });
    let returned = createFailurePacket(shared[4]!, failure);
    for (let i = 3; i >= 0; i--) returned = wrapFailurePacket(shared[i]!, returned);
    return [
      measure('create failure', () => createFailurePacket(shared[4]!, failure), { runs: 31, batch: 200 }).medianMs,
      measure('decode failure', () => decodeFailure(shared, returned), { runs: 31, batch: 50 }).medianMs,
    ] as const;
  };
  const [wasm, noble] = [cost(wasmSecp256k1), cost(nobleSecp256k1)];
  rows.push(['createFailurePacket (erring node)', ms(wasm[0]), ms(noble[0]), '0']);
  rows.push(['decodeFailure at the origin (27 rounds)', ms(wasm[1]), ms(noble[1]), '0 (shared secrets kept)']);
}
printTable('BOLT 4 onion (median per call)', rows);
