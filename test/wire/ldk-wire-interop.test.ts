// Cross-check against real LDK 0.1 (the `lightningdevkit` WASM build): LDK's
// own encodings of init/ping/pong/error decode with our codecs, and ours
// decode with LDK's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { OUR_INIT_FEATURES, checkPeerFeatures, decodeMessage, encodeMessage, initFeatures } from '../../shared/wire/index.js';
import type { WireMessage } from '../../shared/wire/index.js';

const REGTEST = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f';

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('lightningdevkit/package.json');
  await ldk.initializeWasmFromBinary(readFileSync(join(dirname(pkg), 'liblightningjs.wasm')));
});

/** Our decode of an LDK-written payload of message `type`. */
function ours(type: number, payload: Uint8Array): WireMessage {
  const result = decodeMessage(Uint8Array.of(type >> 8, type & 0xff, ...payload));
  if (result.kind !== 'message') throw new Error(`not decoded: ${JSON.stringify(result)}`);
  return result.message;
}

/** The payload of one of our messages (the type stripped), for LDK's readers. */
function payloadOf(msg: WireMessage): Uint8Array {
  return encodeMessage(msg).subarray(2);
}

describe('LDK 0.1 wire interop', () => {
  it("LDK's init (default config, regtest network) decodes and passes our feature check", () => {
    const features = ldk.UtilMethods.constructor_provided_init_features(ldk.UserConfig.constructor_default());
    const init = ldk.Init.constructor_new(
      features,
      ldk.Option_CVec_ThirtyTwoBytesZZ.constructor_some([hexToBytes(REGTEST)]),
      ldk.Option_SocketAddressZ.constructor_none(),
    );
    const msg = ours(16, init.write());
    expect(msg.type).toBe(16);
    if (msg.type !== 16) return;
    expect(bytesToHex(initFeatures(msg))).toBe('08a0000a0a5121');
    expect(msg.networks?.map(bytesToHex)).toEqual([REGTEST]);
    expect(checkPeerFeatures(initFeatures(msg)).ok).toBe(true);
    expect(bytesToHex(payloadOf(msg))).toBe(bytesToHex(init.write()));
  });

  it('LDK reads our init: no unknown required bit, static_remotekey and anchors seen', () => {
    const read = ldk.Init.constructor_read(
      payloadOf({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [hexToBytes(REGTEST)] }),
    );
    expect(read).toBeInstanceOf(ldk.Result_InitDecodeErrorZ_OK);
    if (!(read instanceof ldk.Result_InitDecodeErrorZ_OK)) return;
    const features = read.res.get_features();
    // The WASM bindings return booleans as 0/1.
    expect(Boolean(features.requires_unknown_bits())).toBe(false);
    expect(Boolean(features.supports_static_remote_key())).toBe(true);
    expect(Boolean(features.supports_anchors_zero_fee_htlc_tx())).toBe(true);
    expect(Boolean(features.supports_upfront_shutdown_script())).toBe(true);
    expect(bytesToHex(features.write())).toBe('0006a000088a5121');
  });

  it('ping and pong agree byte for byte', () => {
    expect(bytesToHex(ldk.Ping.constructor_new(4, 2).write())).toBe('000400020000');
    expect(ours(18, ldk.Ping.constructor_new(4, 2).write())).toEqual({ type: 18, numPongBytes: 4, ignored: new Uint8Array(2) });
    expect(ours(19, ldk.Pong.constructor_new(4).write())).toEqual({ type: 19, ignored: new Uint8Array(4) });
    const read = ldk.Ping.constructor_read(payloadOf({ type: 18, numPongBytes: 65532, ignored: new Uint8Array(3) }));
    expect(read).toBeInstanceOf(ldk.Result_PingDecodeErrorZ_OK);
    if (read instanceof ldk.Result_PingDecodeErrorZ_OK) expect(read.res.get_ponglen() & 0xffff).toBe(65532); // the bindings return u16 as i16
  });

  it('error agrees byte for byte', () => {
    const channelId = new Uint8Array(32).fill(7);
    const ldkError = ldk.ErrorMessage.constructor_new(ldk.ChannelId.constructor_new(channelId), 'bad');
    expect(ours(17, ldkError.write())).toEqual({ type: 17, channelId, data: new TextEncoder().encode('bad') });
    expect(bytesToHex(payloadOf({ type: 17, channelId, data: new TextEncoder().encode('bad') }))).toBe(
      bytesToHex(ldkError.write()),
    );
  });
});
