// fast-check arbitraries for the BOLT 2 channel establishment and close
// messages, one per message, covering every field. Points and channel types
// signatures and channel types are parameters: the codec-level properties use
// any 02/03-prefixed bytes and any 64 bytes, the LDK cross-check needs points
// on the curve and signatures whose r and s are below the curve order.
import fc from 'fast-check';
import type { UnknownTlvRecord } from '../../shared/codec/index.js';
import type {
  AcceptChannelMessage,
  ChannelReadyMessage,
  ChannelReestablishMessage,
  ClosingSignedMessage,
  FundingCreatedMessage,
  FundingSignedMessage,
  OpenChannelMessage,
  ShutdownMessage,
  WireMessage,
} from '../../shared/wire/index.js';

export const bytesArb = (maxLength: number, minLength = 0): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength, maxLength });
export const bytes32Arb = bytesArb(32, 32);
export const signatureArb = bytesArb(64, 64);
export const u8Arb = fc.integer({ min: 0, max: 0xff });
export const u16Arb = fc.integer({ min: 0, max: 0xffff });
export const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
/** Any u64, biased to small and boundary values by fast-check. */
export const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** 33 bytes with an 02/03 prefix: what the codec accepts as a `point`. */
export const prefixedPointArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.constantFrom(0x02, 0x03), bytesArb(32, 32))
  .map(([prefix, x]) => Uint8Array.of(prefix, ...x));

/** Unknown odd TLV records (types not in `known`), increasing, as decode returns them. */
export function unknownTlvsArb(known: readonly bigint[]): fc.Arbitrary<UnknownTlvRecord[]> {
  return fc
    .uniqueArray(
      fc.record({
        type: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((t) => t | 1n).filter((t) => !known.includes(t)),
        value: bytesArb(40),
      }),
      { selector: (r) => r.type, maxLength: 3 },
    )
    .map((rs) => [...rs].sort((a, b) => (a.type < b.type ? -1 : 1)));
}

function withUnknown<T extends object>(msg: T, unknown: UnknownTlvRecord[]): T {
  return unknown.length > 0 ? { ...msg, unknownTlvs: unknown } : msg;
}

export interface Bolt02ArbOptions {
  /** Every point field. */
  readonly point: fc.Arbitrary<Uint8Array>;
  /** Every signature field. */
  readonly signature: fc.Arbitrary<Uint8Array>;
  /** The `channel_type` TLV value. */
  readonly channelType: fc.Arbitrary<Uint8Array>;
  /** Whether to add unknown odd extension records. */
  readonly unknownTlvs: boolean;
  /** Whether `channel_reestablish` may carry the interactive-funding/splice TLVs (1, 5), which LDK 0.1 does not know. */
  readonly spliceTlvs?: boolean;
}

const CODEC_LEVEL: Bolt02ArbOptions = { point: prefixedPointArb, signature: signatureArb, channelType: bytesArb(8), unknownTlvs: true };

function extension(known: readonly bigint[], options: Bolt02ArbOptions): fc.Arbitrary<UnknownTlvRecord[]> {
  return options.unknownTlvs ? unknownTlvsArb(known) : fc.constant([]);
}

export function openChannelArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<OpenChannelMessage> {
  const p = options.point;
  return fc
    .tuple(
      fc.record(
        {
          chainHash: bytes32Arb,
          temporaryChannelId: bytes32Arb,
          fundingSatoshis: u64Arb,
          pushMsat: u64Arb,
          dustLimitSatoshis: u64Arb,
          maxHtlcValueInFlightMsat: u64Arb,
          channelReserveSatoshis: u64Arb,
          htlcMinimumMsat: u64Arb,
          feeratePerKw: u32Arb,
          toSelfDelay: u16Arb,
          maxAcceptedHtlcs: u16Arb,
          fundingPubkey: p,
          revocationBasepoint: p,
          paymentBasepoint: p,
          delayedPaymentBasepoint: p,
          htlcBasepoint: p,
          firstPerCommitmentPoint: p,
          channelFlags: u8Arb,
          upfrontShutdownScript: bytesArb(80),
          channelType: options.channelType,
        },
        { requiredKeys: [
          'chainHash', 'temporaryChannelId', 'fundingSatoshis', 'pushMsat', 'dustLimitSatoshis',
          'maxHtlcValueInFlightMsat', 'channelReserveSatoshis', 'htlcMinimumMsat', 'feeratePerKw', 'toSelfDelay',
          'maxAcceptedHtlcs', 'fundingPubkey', 'revocationBasepoint', 'paymentBasepoint', 'delayedPaymentBasepoint',
          'htlcBasepoint', 'firstPerCommitmentPoint', 'channelFlags',
        ] },
      ),
      extension([0n, 1n], options),
    )
    .map(([m, u]) => withUnknown({ type: 32 as const, ...m }, u));
}

export function acceptChannelArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<AcceptChannelMessage> {
  const p = options.point;
  return fc
    .tuple(
      fc.record(
        {
          temporaryChannelId: bytes32Arb,
          dustLimitSatoshis: u64Arb,
          maxHtlcValueInFlightMsat: u64Arb,
          channelReserveSatoshis: u64Arb,
          htlcMinimumMsat: u64Arb,
          minimumDepth: u32Arb,
          toSelfDelay: u16Arb,
          maxAcceptedHtlcs: u16Arb,
          fundingPubkey: p,
          revocationBasepoint: p,
          paymentBasepoint: p,
          delayedPaymentBasepoint: p,
          htlcBasepoint: p,
          firstPerCommitmentPoint: p,
          upfrontShutdownScript: bytesArb(80),
          channelType: options.channelType,
        },
        { requiredKeys: [
          'temporaryChannelId', 'dustLimitSatoshis', 'maxHtlcValueInFlightMsat', 'channelReserveSatoshis',
          'htlcMinimumMsat', 'minimumDepth', 'toSelfDelay', 'maxAcceptedHtlcs', 'fundingPubkey', 'revocationBasepoint',
          'paymentBasepoint', 'delayedPaymentBasepoint', 'htlcBasepoint', 'firstPerCommitmentPoint',
        ] },
      ),
      extension([0n, 1n], options),
    )
    .map(([m, u]) => withUnknown({ type: 33 as const, ...m }, u));
}

export function fundingCreatedArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<FundingCreatedMessage> {
  return fc
    .tuple(
      fc.record({ temporaryChannelId: bytes32Arb, fundingTxid: bytes32Arb, fundingOutputIndex: u16Arb, signature: options.signature }),
      extension([], options),
    )
    .map(([m, u]) => withUnknown({ type: 34 as const, ...m }, u));
}

export function fundingSignedArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<FundingSignedMessage> {
  return fc
    .tuple(fc.record({ channelId: bytes32Arb, signature: options.signature }), extension([], options))
    .map(([m, u]) => withUnknown({ type: 35 as const, ...m }, u));
}

export function channelReadyArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<ChannelReadyMessage> {
  return fc
    .tuple(
      fc.record(
        { channelId: bytes32Arb, secondPerCommitmentPoint: options.point, shortChannelId: u64Arb },
        { requiredKeys: ['channelId', 'secondPerCommitmentPoint'] },
      ),
      extension([1n], options),
    )
    .map(([m, u]) => withUnknown({ type: 36 as const, ...m }, u));
}

export function shutdownArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<ShutdownMessage> {
  return fc
    .tuple(fc.record({ channelId: bytes32Arb, scriptpubkey: bytesArb(100) }), extension([], options))
    .map(([m, u]) => withUnknown({ type: 38 as const, ...m }, u));
}

export function closingSignedArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<ClosingSignedMessage> {
  return fc
    .tuple(
      fc.record(
        {
          channelId: bytes32Arb,
          feeSatoshis: u64Arb,
          signature: options.signature,
          feeRange: fc.record({ minFeeSatoshis: u64Arb, maxFeeSatoshis: u64Arb }),
        },
        { requiredKeys: ['channelId', 'feeSatoshis', 'signature'] },
      ),
      extension([1n], options),
    )
    .map(([m, u]) => withUnknown({ type: 39 as const, ...m }, u));
}

export function channelReestablishArb(options: Bolt02ArbOptions = CODEC_LEVEL): fc.Arbitrary<ChannelReestablishMessage> {
  const funding = fc.record({ txid: bytes32Arb, retransmitFlags: u8Arb });
  const splice = options.spliceTlvs ?? true;
  return fc
    .tuple(
      fc.record(
        {
          channelId: bytes32Arb,
          nextCommitmentNumber: u64Arb,
          nextRevocationNumber: u64Arb,
          yourLastPerCommitmentSecret: bytes32Arb,
          myCurrentPerCommitmentPoint: options.point,
          ...(splice ? { nextFunding: funding, myCurrentFundingLocked: funding } : {}),
        },
        { requiredKeys: ['channelId', 'nextCommitmentNumber', 'nextRevocationNumber', 'yourLastPerCommitmentSecret', 'myCurrentPerCommitmentPoint'] },
      ),
      extension([1n, 5n], options),
    )
    .map(([m, u]) => withUnknown({ type: 136 as const, ...m } as ChannelReestablishMessage, u));
}

/** Every BOLT 2 establishment/close message arbitrary, by BOLT name. */
export function bolt02Arbs(options: Bolt02ArbOptions = CODEC_LEVEL): readonly (readonly [string, fc.Arbitrary<WireMessage>])[] {
  return [
    ['open_channel', openChannelArb(options)],
    ['accept_channel', acceptChannelArb(options)],
    ['funding_created', fundingCreatedArb(options)],
    ['funding_signed', fundingSignedArb(options)],
    ['channel_ready', channelReadyArb(options)],
    ['shutdown', shutdownArb(options)],
    ['closing_signed', closingSignedArb(options)],
    ['channel_reestablish', channelReestablishArb(options)],
  ];
}

/** The names of each message's known TLV records (to strip them and keep the fixed fields). */
export const KNOWN_TLV_NAMES = ['upfrontShutdownScript', 'channelType', 'shortChannelId', 'feeRange', 'nextFunding', 'myCurrentFundingLocked', 'unknownTlvs'] as const;
