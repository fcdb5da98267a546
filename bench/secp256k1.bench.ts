/**
 * Cost of each secp256k1 operation on both backends (issue 7), and on
 * tiny-secp256k1's WASM build of libsecp256k1 (the hot path until session
 * 12, the regtest chain's script checks still): our own build
 * (native/libsecp256k1, docs/crypto.md) against a packaged one.
 */
import * as tiny from 'tiny-secp256k1';
import { fromHex, nobleSecp256k1, sha256, wasmSecp256k1 } from '../shared/crypto/index.js';
import { measure, ms, printTable } from './measure.js';

const secret = sha256(new TextEncoder().encode('bench secret'));
const tweak = sha256(new TextEncoder().encode('bench tweak'));
const digest = sha256(new TextEncoder().encode('bench digest'));
const other = fromHex('028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7');
const tinySig = tiny.sign(digest, secret);
const tinyPub = tiny.pointFromScalar(secret, true)!;

const rows: string[][] = [['operation', 'noble (ms)', 'wasm (ms)', 'noble / wasm', 'tiny-secp256k1 (ms)', 'tiny / wasm']];
const ops: [string, (b: typeof nobleSecp256k1) => () => unknown, () => unknown][] = [
  ['public key from secret', (b) => () => b.publicKeyFromSecret(secret), () => tiny.pointFromScalar(secret, true)],
  ['sign', (b) => () => b.sign(digest, secret), () => tiny.sign(digest, secret)],
  ['verify', (b) => { const sig = b.sign(digest, secret); const pub = b.publicKeyFromSecret(secret); return () => b.verify(sig, digest, pub); }, () => tiny.verify(digest, tinyPub, tinySig, true)],
  ['ECDH', (b) => () => b.ecdh(secret, other), () => sha256(tiny.pointMultiply(other, secret, true)!)],
  ['public key tweak add', (b) => () => b.publicKeyTweakAdd(other, tweak), () => tiny.pointAddScalar(other, tweak, true)],
  ['public key tweak mul', (b) => () => b.publicKeyTweakMul(other, tweak), () => tiny.pointMultiply(other, tweak, true)],
  ['point check (33 bytes)', (b) => () => b.isValidPublicKey(other), () => tiny.isPoint(other)],
  ['add two points', (b) => () => b.publicKeyAdd(other, tinyPub), () => tiny.pointAdd(other, tinyPub, true)],
];
for (const [name, make, tinyOp] of ops) {
  const noble = measure(name, make(nobleSecp256k1), { runs: 31, batch: 5 });
  const wasm = measure(name, make(wasmSecp256k1), { runs: 31, batch: 20 });
  const old = measure(name, tinyOp, { runs: 31, batch: 20 });
  rows.push([name, ms(noble.medianMs), ms(wasm.medianMs), (noble.medianMs / wasm.medianMs).toFixed(1) + '×', ms(old.medianMs), (old.medianMs / wasm.medianMs).toFixed(2) + '×']);
}
printTable('secp256k1 per operation (median)', rows);
