// BOLT 1 messages: Appendix C extension vectors, hand-derived hex for each
// message, LDK's init, and the framing rules for unknown types.
import { describe, expect, it } from 'vitest';
import { EncodeError, bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import {
  MESSAGE_TYPE,
  OUR_INIT_FEATURES,
  decodeMessage,
  encodeMessage,
  initFeatures,
  pongFor,
  printableData,
} from '../../shared/wire/index.js';
import type { MessageDecodeResult, WireMessage } from '../../shared/wire/index.js';
import vectors from '../vectors/bolt01-messaging.json' with { type: 'json' };

const ZERO_ID = '00'.repeat(32);
const REGTEST = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f';

function decoded(hex: string): WireMessage {
  const result = decodeMessage(hexToBytes(hex));
  if (result.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(result)}`);
  return result.message;
}

function errorReason(result: MessageDecodeResult): string | undefined {
  return result.kind === 'decode-error' ? result.error.reason : undefined;
}

describe('BOLT 1 Appendix C: message extension (init)', () => {
  const ext = vectors.message_extension;
  it('has 2 valid and 3 invalid vectors', () => {
    expect(ext.valid).toHaveLength(2);
    expect(ext.invalid).toHaveLength(3);
  });

  it(`valid: ${ext.valid[0]!.note}`, () => {
    expect(decoded(ext.valid[0]!.init_msg_hex)).toEqual({
      type: 16,
      globalfeatures: new Uint8Array(0),
      features: new Uint8Array(0),
    });
    expect(ext.valid[0]!.init_msg_hex).toBe(ext.base_init_hex);
  });

  it(`valid: ${ext.valid[1]!.note}`, () => {
    const msg = decoded(ext.valid[1]!.init_msg_hex);
    expect(msg).toEqual({
      type: 16,
      globalfeatures: new Uint8Array(0),
      features: new Uint8Array(0),
      unknownTlvs: [
        { type: 0xc9n, value: hexToBytes('2a') },
        { type: 0xcbn, value: hexToBytes('04') },
      ],
    });
    // Kept extension bytes are re-emitted unchanged (they may be signed over).
    expect(bytesToHex(encodeMessage(msg))).toBe(ext.valid[1]!.init_msg_hex);
  });

  const expected = ['short-read', 'unknown-even-type', 'tlv-out-of-order'];
  ext.invalid.forEach((v, i) => {
    it(`invalid: ${v.note}`, () => {
      const result = decodeMessage(hexToBytes(v.init_msg_hex));
      expect(result.kind).toBe('decode-error');
      expect(result.kind === 'decode-error' && result.type).toBe(16);
      expect(errorReason(result)).toBe(expected[i]);
    });
  });
});

describe('hand-derived encodings (BOLT 1 field tables)', () => {
  const cases: { name: string; msg: WireMessage; hex: string }[] = [
    {
      name: 'ping: num_pong_bytes=4, 2 ignored zero bytes',
      msg: { type: 18, numPongBytes: 4, ignored: new Uint8Array(2) },
      hex: '0012' + '0004' + '0002' + '0000',
    },
    {
      name: 'pong: 4 ignored zero bytes',
      msg: { type: 19, ignored: new Uint8Array(4) },
      hex: '0013' + '0004' + '00000000',
    },
    {
      name: 'error: all channels, data "bad"',
      msg: { type: 17, channelId: new Uint8Array(32), data: hexToBytes('626164') },
      hex: '0011' + ZERO_ID + '0003' + '626164',
    },
    {
      name: 'warning: channel 0x11..11, empty data',
      msg: { type: 1, channelId: new Uint8Array(32).fill(0x11), data: new Uint8Array(0) },
      hex: '0001' + '11'.repeat(32) + '0000',
    },
    {
      name: 'init: our features, networks = [regtest]',
      msg: { type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [hexToBytes(REGTEST)] },
      hex: '0010' + '0000' + '0006' + 'a000088a5121' + '01' + '20' + REGTEST,
    },
    {
      name: 'init: remote_addr 127.0.0.1:9735 after networks (types increasing)',
      msg: {
        type: 16,
        globalfeatures: hexToBytes('02'),
        features: new Uint8Array(0),
        networks: [],
        remoteAddr: hexToBytes('017f0000012607'),
      },
      hex: '0010' + '0001' + '02' + '0000' + '01' + '00' + '03' + '07' + '017f0000012607',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(bytesToHex(encodeMessage(c.msg))).toBe(c.hex);
      expect(decoded(c.hex)).toEqual(c.msg);
    });
  }
});

describe("LDK's init", () => {
  // LDK 0.1: no globalfeatures, 7 bytes of features, networks TLV with the regtest chain hash.
  const ldkInit = '0010' + '0000' + '0007' + '08a0000a0a5121' + '0120' + REGTEST;

  it('decodes, with one network: regtest', () => {
    const msg = decoded(ldkInit);
    expect(msg.type).toBe(MESSAGE_TYPE.init);
    if (msg.type !== 16) return;
    expect(bytesToHex(msg.globalfeatures)).toBe('');
    expect(bytesToHex(msg.features)).toBe('08a0000a0a5121');
    expect(msg.networks?.map(bytesToHex)).toEqual([REGTEST]);
    expect(msg.remoteAddr).toBeUndefined();
    expect(bytesToHex(initFeatures(msg))).toBe('08a0000a0a5121');
    expect(bytesToHex(encodeMessage(msg))).toBe(ldkInit);
  });

  it('decodes with a remote_addr TLV too', () => {
    const msg = decoded(ldkInit + '03' + '07' + '017f0000012607');
    expect(msg.type === 16 && bytesToHex(msg.remoteAddr ?? new Uint8Array(0))).toBe('017f0000012607');
  });

  it('rejects a networks TLV that is not whole chain hashes', () => {
    const result = decodeMessage(hexToBytes('0010' + '0000' + '0000' + '0121' + REGTEST + '00'));
    expect(errorReason(result)).toBe('invalid-value');
  });
});

describe('init features: globalfeatures OR features (BOLT 1)', () => {
  it('combines both bitmaps, right-aligned', () => {
    const features = initFeatures({ globalfeatures: hexToBytes('2200'), features: hexToBytes('01') });
    expect(bytesToHex(features)).toBe('2201');
  });
});

describe('framing: type then payload', () => {
  it('unknown odd type: ignore, payload passed on', () => {
    const result = decodeMessage(hexToBytes('8001abcd'));
    expect(result).toEqual({ kind: 'unknown-odd', type: 0x8001, payload: hexToBytes('abcd') });
  });

  it('unknown even type: close the connection', () => {
    expect(decodeMessage(hexToBytes('8000abcd'))).toEqual({ kind: 'unknown-even', type: 0x8000 });
    // closing_complete (40): a BOLT 2 message this module does not decode.
    expect(decodeMessage(hexToBytes('0028'))).toEqual({ kind: 'unknown-even', type: 40 });
  });

  it('fewer than 2 bytes: short-read, no type', () => {
    for (const hex of ['', '00']) {
      const result = decodeMessage(hexToBytes(hex));
      expect(result.kind === 'decode-error' && result.type).toBe(null);
      expect(errorReason(result)).toBe('short-read');
    }
  });

  it('known type with insufficient length: short-read', () => {
    expect(errorReason(decodeMessage(hexToBytes('0012' + '0004' + '0002' + '00')))).toBe('short-read');
    expect(errorReason(decodeMessage(hexToBytes('0011' + '00'.repeat(31))))).toBe('short-read');
    expect(errorReason(decodeMessage(hexToBytes('0013')))).toBe('short-read');
  });

  it('every message keeps unknown odd extension records and rejects unknown even ones', () => {
    const withOdd = '0012' + '0000' + '0000' + '01' + '01' + 'ff';
    expect(decoded(withOdd)).toEqual({
      type: 18,
      numPongBytes: 0,
      ignored: new Uint8Array(0),
      unknownTlvs: [{ type: 1n, value: hexToBytes('ff') }],
    });
    expect(bytesToHex(encodeMessage(decoded(withOdd)))).toBe(withOdd);
    expect(errorReason(decodeMessage(hexToBytes('0013' + '0000' + '0200')))).toBe('unknown-even-type');
  });
});

describe('ping and pong rules (BOLT 1)', () => {
  it('a ping with non-zero ignored bytes is not an error, nor are non-zero pong bytes', () => {
    expect(decoded('0012' + '0001' + '0003' + 'deadbe')).toEqual({
      type: 18,
      numPongBytes: 1,
      ignored: hexToBytes('deadbe'),
    });
    expect(decoded('0013' + '0002' + 'ffff')).toEqual({ type: 19, ignored: hexToBytes('ffff') });
  });

  it('pongFor: num_pong_bytes zero bytes, or null from 65532 up', () => {
    expect(pongFor({ numPongBytes: 0 })).toEqual({ type: 19, ignored: new Uint8Array(0) });
    expect(pongFor({ numPongBytes: 4 })).toEqual({ type: 19, ignored: new Uint8Array(4) });
    expect(pongFor({ numPongBytes: 65532 })).toBeNull();
    expect(pongFor({ numPongBytes: 65535 })).toBeNull();
    const largest = pongFor({ numPongBytes: 65531 });
    expect(largest).not.toBeNull();
    // 2 (type) + 2 (byteslen) + 65531 = 65535: the largest message the transport carries.
    expect(encodeMessage(largest!).length).toBe(65535);
  });

  it('refuses to encode a message above 65535 bytes', () => {
    expect(() => encodeMessage({ type: 19, ignored: new Uint8Array(65532) })).toThrow(EncodeError);
  });
});

describe('error data', () => {
  it('is printable only when every byte is printable ASCII', () => {
    expect(printableData(hexToBytes('626164'))).toBe('bad');
    expect(printableData(hexToBytes('62000a'))).toBeNull();
  });
});
