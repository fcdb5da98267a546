/** Cost of each secp256k1 operation on both backends (issue 7). */
import { fromHex, nobleSecp256k1, sha256, wasmSecp256k1 } from '../shared/crypto/index.js';
import { measure, ms, printTable } from './measure.js';

const secret = sha256(new TextEncoder().encode('bench secret'));
const tweak = sha256(new TextEncoder().encode('bench tweak'));
const digest = sha256(new TextEncoder().encode('bench digest'));
const other = fromHex('028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7');

const rows: string[][] = [['operation', 'noble (ms)', 'wasm (ms)', 'noble / wasm']];
const ops: [string, (b: typeof nobleSecp256k1) => () => unknown][] = [
  ['public key from secret', (b) => () => b.publicKeyFromSecret(secret)],
  ['sign', (b) => () => b.sign(digest, secret)],
  ['verify', (b) => { const sig = b.sign(digest, secret); const pub = b.publicKeyFromSecret(secret); return () => b.verify(sig, digest, pub); }],
  ['ECDH', (b) => () => b.ecdh(secret, other)],
  ['public key tweak add', (b) => () => b.publicKeyTweakAdd(other, tweak)],
  ['public key tweak mul', (b) => () => b.publicKeyTweakMul(other, tweak)],
];
for (const [name, make] of ops) {
  const noble = measure(name, make(nobleSecp256k1), { runs: 31, batch: 5 });
  const wasm = measure(name, make(wasmSecp256k1), { runs: 31, batch: 20 });
  rows.push([name, ms(noble.medianMs), ms(wasm.medianMs), (noble.medianMs / wasm.medianMs).toFixed(1) + '×']);
}
printTable('secp256k1 per operation (median)', rows);
