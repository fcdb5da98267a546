/**
 * The OUTBOX#<input id> item's bytes (shared/store/outbox-record.ts): a
 * hand-worked vector, a round-trip property, and truncated / garbage input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeOutboxRecord, encodeOutboxRecord, type OutboxMessage } from '../../shared/store/index.js';

const one: OutboxMessage = { id: 'in#000', destination: 'outbound', group: '02ab', body: Uint8Array.of(0x00, 0x12) };
// version 01 | TLV type 00, length 0x18 | id (len 6) | destination (len 8) | group (len 4) | body (len 2)
const ONE_HEX = '01' + '0018' + '06' + '696e23303030' + '08' + '6f7574626f756e64' + '04' + '30326162' + '02' + '0012';

describe('outbox record', () => {
  it('encodes one message as the hand-worked bytes, and decodes them back', () => {
    expect(toHex(encodeOutboxRecord([one]))).toBe(ONE_HEX);
    expect(decodeOutboxRecord(fromHex(ONE_HEX))).toEqual({ ok: true, value: [one] });
  });

  it('keeps the order of messages, and bodies longer than a u16 length', () => {
    const long = { ...one, id: 'in#001', body: new Uint8Array(70_000).fill(7) };
    const decoded = decodeOutboxRecord(encodeOutboxRecord([one, long, { ...one, id: 'in#002' }]));
    expect(decoded.ok && decoded.value.map((m) => m.id)).toEqual(['in#000', 'in#001', 'in#002']);
    expect(decoded.ok && decoded.value[1]?.body).toEqual(long.body);
  });

  it('round-trips any list of messages', () => {
    const message = fc.record({
      id: fc.string({ unit: 'grapheme', maxLength: 40 }),
      destination: fc.string({ unit: 'grapheme', maxLength: 12 }),
      group: fc.string({ unit: 'grapheme', maxLength: 70 }),
      body: fc.uint8Array({ maxLength: 600 }),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), (messages) => {
        expect(decodeOutboxRecord(encodeOutboxRecord(messages))).toEqual({ ok: true, value: messages });
      }),
    );
  });

  it('refuses every truncation, a newer or zero version, an unknown even record and non-UTF-8 text', () => {
    const bytes = fromHex(ONE_HEX);
    expect(decodeOutboxRecord(new Uint8Array(0)).ok).toBe(false);
    // `01` alone is a valid record with no messages; every longer prefix cuts the messages record.
    expect(decodeOutboxRecord(bytes.subarray(0, 1))).toEqual({ ok: true, value: [] });
    for (let n = 2; n < bytes.length; n++) expect(decodeOutboxRecord(bytes.subarray(0, n)).ok, `prefix of ${n}`).toBe(false);
    for (const version of ['00', '02', 'ff']) expect(decodeOutboxRecord(fromHex(version + ONE_HEX.slice(2))).ok).toBe(false);
    expect(decodeOutboxRecord(fromHex(ONE_HEX + '0200')).ok).toBe(false);
    // An unknown odd record is skipped (a newer writer's optional field).
    expect(decodeOutboxRecord(fromHex(ONE_HEX + '0100'))).toEqual({ ok: true, value: [one] });
    const badUtf8 = fromHex('01' + '0007' + '01' + 'ff' + '00' + '00' + '00' + '00' + '00');
    expect(decodeOutboxRecord(badUtf8)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    // A field length past the end of the record (5 bytes announced, 1 there).
    expect(decodeOutboxRecord(fromHex('01' + '0002' + '05' + '61')).ok).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        const result = decodeOutboxRecord(garbage);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
