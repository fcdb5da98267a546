/**
 * One stored form of a channel's negotiated type (shared/channel/channel-type.ts,
 * docs/items.md): the BOLT 9 `channel_type` feature bytes in TLV 46 of the
 * channel record, the monitor record and the manager event. Records written
 * before it (test/vectors/channel-type-legacy-bits.json, each type as its
 * record's own flag bits) still read, and are written back with the legacy
 * bits cleared and TLV 46 added, nothing else changed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_TYPE_RECORD_TLV,
  channelTypeBytes,
  decodeChannel,
  decodeChannelTypeRecord,
  encodeChannel,
  encodeChannelTypeRecord,
  parseChannelType,
  type NegotiatedChannelType,
} from '../../shared/channel/index.js';
import { DecodeError } from '../../shared/codec/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeEventRecord, encodeEventRecord } from '../../shared/manager/index.js';
import { decodeMonitor, encodeMonitor } from '../../shared/monitor/index.js';
import { featuresFromBits } from '../../shared/wire/index.js';
import legacy from '../vectors/channel-type-legacy-bits.json' with { type: 'json' };
import { recordTlvs, recordValue, withRecord, withoutRecord } from '../support/record-tlvs.js';

const TLV = BigInt(CHANNEL_TYPE_RECORD_TLV);
const ALL_TYPES: NegotiatedChannelType[] = legacy.items.map((i) => i.channelType);

describe('the channel_type record', () => {
  it('is TLV 46, even (an older reader refuses rather than misreads), the same in every record', () => {
    expect(CHANNEL_TYPE_RECORD_TLV).toBe(46);
    expect(CHANNEL_TYPE_RECORD_TLV % 2).toBe(0);
  });

  it('holds the feature bytes open_channel carries: bit 12, plus 22 for anchors, plus 46 for scid_alias', () => {
    expect(toHex(encodeChannelTypeRecord({ anchors: false, scidAlias: false }))).toBe('1000');
    expect(toHex(encodeChannelTypeRecord({ anchors: true, scidAlias: false }))).toBe('401000');
    expect(toHex(encodeChannelTypeRecord({ anchors: false, scidAlias: true }))).toBe('400000001000');
    expect(toHex(encodeChannelTypeRecord({ anchors: true, scidAlias: true }))).toBe('400000401000');
    for (const type of ALL_TYPES) {
      expect(encodeChannelTypeRecord(type)).toEqual(channelTypeBytes(type));
      expect(decodeChannelTypeRecord(encodeChannelTypeRecord(type))).toEqual({ ok: true, value: type });
    }
  });

  it('refuses, with a typed error, bytes naming a type we do not build', () => {
    const refused = [
      new Uint8Array(0), // no static_remotekey
      featuresFromBits([22]), // anchors without static_remotekey
      featuresFromBits([12, 50]), // zero-conf
      featuresFromBits([13]), // the odd (optional) bit: channel_type names required bits only
      featuresFromBits([12, 20]), // an unknown bit
    ];
    for (const bytes of refused) {
      const r = decodeChannelTypeRecord(bytes);
      expect(r.ok, toHex(bytes)).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
    }
  });

  it('never throws on any bytes, and reads exactly what parseChannelType accepts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), (bytes) => {
        const r = decodeChannelTypeRecord(bytes);
        const parsed = parseChannelType(bytes);
        expect(r).toEqual(parsed === null ? { ok: false, error: expect.any(DecodeError) } : { ok: true, value: parsed });
      }),
    );
  });
});

/** Each record's legacy bits and where they sat. */
const RECORDS = [
  {
    name: 'channel record (flags TLV 2: anchors 4, scid_alias 8)',
    hexOf: (i: (typeof legacy.items)[number]) => i.channel,
    flagsTlv: 2n,
    bits: { anchors: 4, scidAlias: 8 },
    typeOf: (bytes: Uint8Array) => {
      const r = decodeChannel(bytes);
      return r.ok ? { ok: true as const, type: r.value.channelType, reencoded: encodeChannel(r.value) } : r;
    },
  },
  {
    name: 'monitor record (flags TLV 10: anchors 2, scid_alias 4)',
    hexOf: (i: (typeof legacy.items)[number]) => i.monitor,
    flagsTlv: 10n,
    bits: { anchors: 2, scidAlias: 4 },
    typeOf: (bytes: Uint8Array) => {
      const r = decodeMonitor(bytes);
      return r.ok ? { ok: true as const, type: r.value.channelType, reencoded: encodeMonitor(r.value) } : r;
    },
  },
] as const;

function legacyFlags(type: NegotiatedChannelType, bits: { anchors: number; scidAlias: number }): number {
  return (type.anchors ? bits.anchors : 0) | (type.scidAlias ? bits.scidAlias : 0);
}

for (const record of RECORDS) {
  describe(record.name, () => {
    it('reads each type written before TLV 46, and writes it back as TLV 46 with the legacy bits cleared, every other byte as before', () => {
      for (const item of legacy.items) {
        const old = fromHex(record.hexOf(item));
        const read = record.typeOf(old);
        if (!read.ok) throw read.error;
        expect(read.type).toEqual(item.channelType);
        const oldFlags = recordValue(old, record.flagsTlv)!;
        expect(oldFlags[0]! & legacyFlags(item.channelType, record.bits)).toBe(legacyFlags(item.channelType, record.bits));
        const cleared = Uint8Array.of(oldFlags[0]! & ~(record.bits.anchors | record.bits.scidAlias));
        const expected = withRecord(withRecord(old, record.flagsTlv, cleared), TLV, encodeChannelTypeRecord(item.channelType));
        expect(toHex(read.reencoded)).toBe(toHex(expected));
        const again = record.typeOf(read.reencoded);
        expect(again.ok && again.type).toEqual(item.channelType);
      }
    });

    it('refuses a record with its type both in TLV 46 and in the legacy bits, and one whose TLV 46 is not a type we build', () => {
      const item = legacy.items[3]!; // anchors + scid_alias
      const old = fromHex(record.hexOf(item));
      const both = withRecord(old, TLV, encodeChannelTypeRecord(item.channelType));
      const r = record.typeOf(both);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
      const read = record.typeOf(old);
      if (!read.ok) throw read.error;
      const zeroconf = record.typeOf(withRecord(read.reencoded, TLV, featuresFromBits([12, 50])));
      expect(zeroconf.ok).toBe(false);
    });
  });
}

describe('manager event (open-channel-request; TLV 22: anchors 1, scid_alias 2)', () => {
  it('reads each type written before TLV 46, and writes it back as TLV 46 instead of TLV 22, every other byte as before', () => {
    for (const item of legacy.items) {
      const old = fromHex(item.event);
      const read = decodeEventRecord(old);
      if (!read.ok) throw read.error;
      if (read.value.event.kind !== 'open-channel-request') throw new Error('not the vector event');
      expect(read.value.event.channelType).toEqual(item.channelType);
      expect(recordValue(old, 22n)).toEqual(Uint8Array.of((item.channelType.anchors ? 1 : 0) | (item.channelType.scidAlias ? 2 : 0)));
      const reencoded = encodeEventRecord(read.value);
      expect(toHex(reencoded)).toBe(toHex(withRecord(withoutRecord(old, 22n), TLV, encodeChannelTypeRecord(item.channelType))));
      expect(decodeEventRecord(reencoded)).toEqual(read);
    }
  });

  it('refuses an event with both TLV 22 and TLV 46, with neither, or with unknown TLV 22 bits', () => {
    const old = fromHex(legacy.items[1]!.event);
    const both = withRecord(old, TLV, encodeChannelTypeRecord({ anchors: true, scidAlias: false }));
    const neither = withoutRecord(old, 22n);
    const unknownBits = withRecord(old, 22n, Uint8Array.of(4));
    for (const bytes of [both, neither, unknownBits]) {
      const r = decodeEventRecord(bytes);
      expect(r.ok, toHex(bytes)).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
    }
    expect(recordTlvs(neither).records.some(([t]) => t === 22n)).toBe(false);
  });
});
