// BOLT 9 feature bits: numbering, required/optional, dependencies, the peer
// check, and interop with LDK 0.1's init features.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import {
  KNOWN_FEATURES,
  OUR_INIT_FEATURES,
  checkPeerFeatures,
  featureBit,
  featureBitsOf,
  featuresCompatible,
  featuresFromBits,
  hasFeatureBit,
  isFeatureRequired,
  isFeatureSupported,
  minimalFeatures,
  missingDependencies,
  orFeatures,
  setFeatureBits,
  unsupportedRequiredBits,
} from '../../shared/wire/index.js';

/** LDK 0.1's init features. */
const LDK = hexToBytes('08a0000a0a5121');

describe('bit numbering (bit 0 = least significant bit of the last byte)', () => {
  it('places bits right-aligned, big-endian', () => {
    expect(bytesToHex(featuresFromBits([0]))).toBe('01');
    expect(bytesToHex(featuresFromBits([7]))).toBe('80');
    expect(bytesToHex(featuresFromBits([8]))).toBe('0100');
    expect(bytesToHex(featuresFromBits([1, 15]))).toBe('8002');
    expect(hasFeatureBit(hexToBytes('0100'), 8)).toBe(true);
    expect(hasFeatureBit(hexToBytes('0100'), 0)).toBe(false);
    expect(hasFeatureBit(hexToBytes('0100'), 16)).toBe(false);
  });

  it('setFeatureBits grows on the left and never mutates its input', () => {
    const base = hexToBytes('01');
    expect(bytesToHex(setFeatureBits(base, 9))).toBe('0201');
    expect(bytesToHex(base)).toBe('01');
  });

  it('featureBitsOf inverts featuresFromBits (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }), (bits) => {
        const features = featuresFromBits(bits);
        expect(featureBitsOf(features)).toEqual([...bits].sort((a, b) => a - b));
        expect(features.length).toBe(bits.length === 0 ? 0 : (Math.max(...bits) >> 3) + 1);
        expect(bytesToHex(minimalFeatures(orFeatures(new Uint8Array(5), features)))).toBe(bytesToHex(features));
      }),
    );
  });

  it('orFeatures is the union of bits (property)', () => {
    const bitsArb = fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { maxLength: 10 });
    fc.assert(
      fc.property(bitsArb, bitsArb, (a, b) => {
        const union = [...new Set([...a, ...b])].sort((x, y) => x - y);
        expect(featureBitsOf(orFeatures(featuresFromBits(a), featuresFromBits(b)))).toEqual(union);
      }),
    );
  });
});

describe('known features', () => {
  it('pairs: even required, odd optional, either means supported', () => {
    for (const f of KNOWN_FEATURES) {
      expect(f.optionalBit % 2).toBe(1);
      if (f.requiredBit !== null) expect(f.optionalBit).toBe(f.requiredBit + 1);
    }
    const optional = featuresFromBits([featureBit('basic_mpp', 'optional')]);
    expect(isFeatureSupported(optional, 'basic_mpp')).toBe(true);
    expect(isFeatureRequired(optional, 'basic_mpp')).toBe(false);
    const both = featuresFromBits([16, 17]);
    expect(isFeatureRequired(both, 'basic_mpp')).toBe(true);
  });

  it('the BOLT 9 bit assignments this node relies on', () => {
    const expected: [string, number, number][] = [
      ['option_data_loss_protect', 0, 1],
      ['option_upfront_shutdown_script', 4, 5],
      ['gossip_queries', 6, 7],
      ['var_onion_optin', 8, 9],
      ['gossip_queries_ex', 10, 11],
      ['option_static_remotekey', 12, 13],
      ['payment_secret', 14, 15],
      ['basic_mpp', 16, 17],
      ['option_support_large_channel', 18, 19],
      ['option_anchors_zero_fee_htlc_tx', 22, 23],
      ['option_route_blinding', 24, 25],
      ['option_shutdown_anysegwit', 26, 27],
      ['option_dual_fund', 28, 29],
      ['option_quiesce', 34, 35],
      ['option_onion_messages', 38, 39],
      ['option_channel_type', 44, 45],
      ['option_scid_alias', 46, 47],
      ['option_payment_metadata', 48, 49],
      ['option_zeroconf', 50, 51],
    ];
    for (const [name, required, optional] of expected) {
      const f = KNOWN_FEATURES.find((k) => k.name === name);
      expect(f, name).toBeDefined();
      expect([f!.requiredBit, f!.optionalBit], name).toEqual([required, optional]);
    }
    expect(KNOWN_FEATURES.find((k) => k.name === 'initial_routing_sync')).toMatchObject({
      requiredBit: null,
      optionalBit: 3,
    });
  });
});

describe('dependencies (BOLT 9 Dependencies column)', () => {
  it('flags a feature set without its dependency', () => {
    expect(missingDependencies(featuresFromBits([15]))).toEqual([
      { feature: 'payment_secret', dependency: 'var_onion_optin' },
    ]);
    expect(missingDependencies(featuresFromBits([8, 17]))).toEqual([
      { feature: 'basic_mpp', dependency: 'payment_secret' },
    ]);
    expect(missingDependencies(featuresFromBits([23]))).toEqual([
      { feature: 'option_anchors_zero_fee_htlc_tx', dependency: 'option_static_remotekey' },
    ]);
    expect(missingDependencies(featuresFromBits([51]))).toEqual([
      { feature: 'option_zeroconf', dependency: 'option_scid_alias' },
    ]);
    expect(missingDependencies(featuresFromBits([11]))).toEqual([
      { feature: 'gossip_queries_ex', dependency: 'gossip_queries' },
    ]);
  });

  it('a required dependency satisfies an optional feature, and vice versa', () => {
    expect(missingDependencies(featuresFromBits([8, 15, 16]))).toEqual([]);
  });

  it('closes the connection for missing dependencies', () => {
    const check = checkPeerFeatures(featuresFromBits([8, 17]));
    expect(check.ok).toBe(false);
    expect(check.unsupportedRequiredBits).toEqual([]);
  });
});

describe('the peer check (BOLT 1 init receiver rules)', () => {
  it('unknown even bits: close; unknown odd bits: ignore', () => {
    expect(checkPeerFeatures(setFeatureBits(LDK, 101))).toMatchObject({ ok: true });
    const check = checkPeerFeatures(setFeatureBits(LDK, 100));
    expect(check.ok).toBe(false);
    expect(check.unsupportedRequiredBits).toEqual([100]);
  });

  it('a known feature we do not implement, required by the peer: close', () => {
    expect(unsupportedRequiredBits(featuresFromBits([6]), OUR_INIT_FEATURES)).toEqual([6]);
    expect(unsupportedRequiredBits(featuresFromBits([7]), OUR_INIT_FEATURES)).toEqual([]);
    expect(unsupportedRequiredBits(featuresFromBits([28]), OUR_INIT_FEATURES)).toEqual([28]);
  });

  it('an even bit we support only as optional is fine', () => {
    // basic_mpp: we set 17, the peer requires 16.
    expect(unsupportedRequiredBits(featuresFromBits([8, 14, 16]), OUR_INIT_FEATURES)).toEqual([]);
  });

  it('compatibility is symmetric', () => {
    const a = featuresFromBits([0, 9]);
    const b = featuresFromBits([1, 8]);
    expect(featuresCompatible(a, b)).toBe(true);
    const c = featuresFromBits([4]);
    expect(featuresCompatible(a, c)).toBe(false);
    expect(featuresCompatible(c, a)).toBe(false);
  });
});

describe('our init features and LDK 0.1', () => {
  it('OUR_INIT_FEATURES is a000088a5121 (hand-derived)', () => {
    // bits 0,5 -> 21; bits 8,12,14 -> 51; bits 17,19,23 -> 8a; bit 27 -> 08; bits 32..39 -> 00; bits 45,47 -> a0.
    expect(bytesToHex(OUR_INIT_FEATURES)).toBe('a000088a5121');
    expect(featureBitsOf(OUR_INIT_FEATURES)).toEqual([0, 5, 8, 12, 14, 17, 19, 23, 27, 45, 47]);
    expect(missingDependencies(OUR_INIT_FEATURES)).toEqual([]);
  });

  it("LDK's feature bits are the ones it documents", () => {
    expect(featureBitsOf(LDK)).toEqual([0, 5, 8, 12, 14, 17, 19, 25, 27, 45, 47, 51]);
  });

  it('we accept LDK: no unsupported required bit, dependencies hold', () => {
    expect(checkPeerFeatures(LDK)).toEqual({ unsupportedRequiredBits: [], missingDependencies: [], ok: true });
  });

  it("LDK's required set is satisfied by ours, and ours by LDK", () => {
    const ldkRequired = featureBitsOf(LDK).filter((b) => b % 2 === 0);
    expect(ldkRequired).toEqual([0, 8, 12, 14]);
    for (const bit of ldkRequired) expect(hasFeatureBit(OUR_INIT_FEATURES, bit) || hasFeatureBit(OUR_INIT_FEATURES, bit + 1)).toBe(true);
    expect(checkPeerFeatures(OUR_INIT_FEATURES, LDK).ok).toBe(true);
    expect(featuresCompatible(OUR_INIT_FEATURES, LDK)).toBe(true);
    // LDK disconnects a peer without static_remotekey.
    expect(isFeatureSupported(OUR_INIT_FEATURES, 'option_static_remotekey')).toBe(true);
  });
});
