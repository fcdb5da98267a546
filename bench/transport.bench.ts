/**
 * BOLT 8 costs: encrypt + decrypt of one message next to the raw
 * ChaCha20-Poly1305 it calls (targets: framing ≤ 1.3× the raw cipher at
 * 1 KB), and a full handshake, both sides, on each backend (target ≤ 5 ms on
 * WASM). Figures only; nothing here gates a test.
 */
import { aeadDecrypt, aeadEncrypt, nobleSecp256k1, sha256, wasmSecp256k1 } from '../shared/crypto/index.js';
import { NoiseTransport, initiatorHandshake, responderHandshake } from '../shared/transport/index.js';
import { measure, measureInterleaved, ms, printTable, type Measurement } from './measure.js';

const label = (s: string) => sha256(new TextEncoder().encode(s));
const ck = label('bench ck');
const sender = new NoiseTransport({ sendingKey: label('a->b'), receivingKey: label('b->a'), chainingKey: ck });
const receiver = new NoiseTransport({ sendingKey: label('b->a'), receivingKey: label('a->b'), chainingKey: ck });
const rawKey = label('raw key');
const rawNonce = new Uint8Array(12);
const noAd = new Uint8Array(0);

const us = (m: number) => (m * 1000).toFixed(2);
const rows: string[][] = [['message', 'BOLT 8 encrypt + decrypt (µs)', 'raw AEAD encrypt + decrypt (µs)', 'BOLT 8 / raw']];
for (const [name, size] of [['32 B', 32], ['1 KB', 1024], ['65 KB (65535 B)', 65535]] as const) {
  const message = new Uint8Array(size).fill(0x5a);
  const batch = size > 10_000 ? 4 : 200;
  const runs = size > 10_000 ? 41 : 101;
  const [bolt8, raw] = measureInterleaved(
    [
      [`bolt8 ${name}`, () => {
        const { messages } = receiver.receive(sender.encryptMessage(message));
        if (messages.length !== 1) throw new Error('lost a message');
      }],
      [`raw ${name}`, () => {
        if (aeadDecrypt(rawKey, rawNonce, noAd, aeadEncrypt(rawKey, rawNonce, noAd, message)) === null) throw new Error('bad tag');
      }],
    ],
    { runs, batch, warmup: 20 },
  ) as [Measurement, Measurement];
  rows.push([name, us(bolt8.medianMs), us(raw.medianMs), (bolt8.medianMs / raw.medianMs).toFixed(2) + '×']);
}
printTable('BOLT 8 message: encrypt + decrypt per message (median)', rows);
console.log('\nTarget: BOLT 8 / raw ≤ 1.3× at 1 KB (each message adds a sealed 2-byte length header: a second AEAD call each way).');

const initiatorSecret = label('initiator');
const responderSecret = label('responder');
const hsRows: string[][] = [['backend', 'full handshake, both sides (ms)']];
for (const secp of [nobleSecp256k1, wasmSecp256k1]) {
  const responderStatic = secp.publicKeyFromSecret(responderSecret);
  let counter = 0;
  const result = measure(`handshake ${secp.name}`, () => {
    counter++;
    const initiator = initiatorHandshake({
      secp,
      localSecret: initiatorSecret,
      ephemeralSecret: label(`ie ${counter}`),
      remoteStatic: responderStatic,
    });
    const responder = responderHandshake({ secp, localSecret: responderSecret, ephemeralSecret: label(`re ${counter}`) });
    const act2 = responder.receive(initiator.start().send).send!;
    const { send: act3, done } = initiator.receive(act2);
    if (done === undefined || responder.receive(act3!).done === undefined) throw new Error('handshake failed');
  }, { runs: 21, batch: secp === wasmSecp256k1 ? 10 : 3, warmup: 3 });
  hsRows.push([secp.name, ms(result.medianMs)]);
}
printTable('BOLT 8 handshake (initiator + responder, all three acts; median)', hsRows);
console.log('\nTarget: ≤ 5 ms on the WASM backend.');
