/**
 * BOLT 4 "Failure Messages": the `failure_code` flags, every defined code
 * with its data fields, and the `failuremsg` codec (code, fields, then an
 * optional TLV stream).
 */
import {
  ByteReader,
  ByteWriter,
  bigSize,
  catchDecodeError,
  fixedBytes,
  struct,
  tlvStream,
  u16,
  u16PrefixedBytes,
  u32,
  u64,
  type Codec,
  type CodecValue,
  type DecodeResult,
  type TlvStreamValue,
} from '../codec/index.js';

/** The flags of a `failure_code`'s top byte. */
export const FailureFlag = {
  /** Unparsable onion encrypted by the sending peer. */
  BADONION: 0x8000,
  /** Permanent failure (otherwise transient). */
  PERM: 0x4000,
  /** Node failure (otherwise channel). */
  NODE: 0x2000,
  /** A channel forwarding parameter was violated. */
  UPDATE: 0x1000,
} as const;

const { BADONION, PERM, NODE, UPDATE } = FailureFlag;

const none = struct([]);
const sha256OfOnion = struct([['sha256OfOnion', fixedBytes(32)]]);
const channelUpdate = ['channelUpdate', u16PrefixedBytes] as const;

/**
 * Every `failure_code` of BOLT 4 "Failure Messages": its value and the codec
 * of its data (BOLT field names camelCased; `[u16:len][len*byte:channel_update]`
 * is one `channelUpdate` field of raw bytes).
 */
export const FAILURE_MESSAGES = {
  temporaryNodeFailure: { code: NODE | 2, data: none },
  permanentNodeFailure: { code: PERM | NODE | 2, data: none },
  requiredNodeFeatureMissing: { code: PERM | NODE | 3, data: none },
  invalidOnionVersion: { code: BADONION | PERM | 4, data: sha256OfOnion },
  invalidOnionHmac: { code: BADONION | PERM | 5, data: sha256OfOnion },
  invalidOnionKey: { code: BADONION | PERM | 6, data: sha256OfOnion },
  temporaryChannelFailure: { code: UPDATE | 7, data: struct([channelUpdate]) },
  permanentChannelFailure: { code: PERM | 8, data: none },
  requiredChannelFeatureMissing: { code: PERM | 9, data: none },
  unknownNextPeer: { code: PERM | 10, data: none },
  amountBelowMinimum: { code: UPDATE | 11, data: struct([['htlcMsat', u64], channelUpdate]) },
  feeInsufficient: { code: UPDATE | 12, data: struct([['htlcMsat', u64], channelUpdate]) },
  incorrectCltvExpiry: { code: UPDATE | 13, data: struct([['cltvExpiry', u32], channelUpdate]) },
  expiryTooSoon: { code: UPDATE | 14, data: struct([channelUpdate]) },
  incorrectOrUnknownPaymentDetails: { code: PERM | 15, data: struct([['htlcMsat', u64], ['height', u32]]) },
  finalIncorrectCltvExpiry: { code: 18, data: struct([['cltvExpiry', u32]]) },
  finalIncorrectHtlcAmount: { code: 19, data: struct([['incomingHtlcAmt', u64]]) },
  channelDisabled: { code: UPDATE | 20, data: struct([['disabledFlags', u16], channelUpdate]) },
  expiryTooFar: { code: 21, data: none },
  invalidOnionPayload: { code: PERM | 22, data: struct([['type', bigSize], ['offset', u16]]) },
  mppTimeout: { code: 23, data: none },
  invalidOnionBlinding: { code: BADONION | PERM | 24, data: sha256OfOnion },
} as const;

type FailureTable = typeof FAILURE_MESSAGES;
export type FailureName = keyof FailureTable;

/** `failure_code` by name, e.g. `FAILURE_CODES.incorrectOrUnknownPaymentDetails === 0x400f`. */
export const FAILURE_CODES = Object.fromEntries(
  Object.entries(FAILURE_MESSAGES).map(([name, m]) => [name, m.code]),
) as { readonly [N in FailureName]: FailureTable[N]['code'] };

const NAME_BY_CODE: ReadonlyMap<number, FailureName> = new Map(
  (Object.keys(FAILURE_MESSAGES) as FailureName[]).map((name) => [FAILURE_MESSAGES[name].code, name]),
);

/** The name of a defined `failure_code`, or undefined. */
export function failureName(code: number): FailureName | undefined {
  return NAME_BY_CODE.get(code);
}

/** The optional TLV stream after a failure message's data (no TLV is defined yet: all are kept as unknown odd). */
const failureTlvs = tlvStream({});
export type FailureTlvs = TlvStreamValue<Record<never, never>>;

/** A known failure message: its name, code, data fields and trailing TLVs. */
export type KnownFailureMessage = {
  [N in FailureName]: {
    readonly name: N;
    readonly failureCode: FailureTable[N]['code'];
    readonly data: CodecValue<FailureTable[N]['data']>;
    readonly tlvs?: FailureTlvs;
  };
}[FailureName];

/** A `failure_code` this table does not define: its bytes after the code are kept. */
export interface UnknownFailureMessage {
  readonly name: undefined;
  readonly failureCode: number;
  readonly rest: Uint8Array;
}

export type FailureMessage = KnownFailureMessage | UnknownFailureMessage;

/** Checks the flags of a code: `hasFlag(code, FailureFlag.PERM)`. */
export function hasFlag(code: number, flag: number): boolean {
  return (code & flag) !== 0;
}

/**
 * Builds a known failure message from its name and data, e.g.
 * `failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat, height })`.
 */
export function failureMessage<N extends FailureName>(
  name: N,
  data: CodecValue<FailureTable[N]['data']>,
  tlvs?: FailureTlvs,
): KnownFailureMessage {
  const m = { name, failureCode: FAILURE_MESSAGES[name].code, data };
  return (tlvs === undefined ? m : { ...m, tlvs }) as KnownFailureMessage;
}

/** Encodes a `failuremsg`: `failure_code`, its data, then the TLV stream if any. */
export function encodeFailureMessage(message: FailureMessage): Uint8Array {
  const w = new ByteWriter().u16(message.failureCode);
  if (message.name === undefined) return w.bytes(message.rest).finish();
  (FAILURE_MESSAGES[message.name].data as Codec<unknown>).write(w, message.data);
  if (message.tlvs !== undefined) failureTlvs.write(w, message.tlvs);
  return w.finish();
}

/**
 * Decodes a `failuremsg`. A known code's data must be complete; after it,
 * a valid TLV stream is kept and anything else is ignored (BOLT 4: the origin
 * "MUST ignore any extra bytes in `failuremsg`"). An unknown code keeps its bytes.
 */
export function decodeFailureMessage(bytes: Uint8Array): DecodeResult<FailureMessage> {
  return catchDecodeError((): FailureMessage => {
    const r = new ByteReader(bytes);
    const failureCode = r.u16();
    const name = failureName(failureCode);
    if (name === undefined) return { name: undefined, failureCode, rest: r.rest() };
    const data = (FAILURE_MESSAGES[name].data as Codec<unknown>).read(r);
    const message = { name, failureCode, data } as KnownFailureMessage;
    if (r.isAtEnd()) return message;
    const rest = r.rest();
    const tlvs = catchDecodeError(() => {
      const tr = new ByteReader(rest);
      return failureTlvs.read(tr);
    });
    return tlvs.ok ? { ...message, tlvs: tlvs.value } : message;
  });
}
