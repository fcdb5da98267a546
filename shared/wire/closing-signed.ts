/**
 * The `closing_signed` message (BOLT 2, "Channel Close", "Legacy
 * Closing Negotiation: `closing_signed`"), type 39. BOLT 2 calls it legacy:
 * with `option_simple_close` peers use `closing_complete` / `closing_sig`
 * instead; LDK 0.1 closes with `closing_signed`.
 */
import { struct, tlvRecord, u64 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, signature } from './wire-types.js';

/** The value of the `fee_range` TLV: the fees the sender accepts, in satoshis. */
export interface ClosingFeeRange {
  readonly minFeeSatoshis: bigint;
  readonly maxFeeSatoshis: bigint;
}

/**
 * `closing_signed`: a proposed closing fee and the sender's signature of the
 * closing transaction paying it.
 */
export interface ClosingSignedMessage {
  readonly type: 39;
  readonly channelId: Uint8Array;
  readonly feeSatoshis: bigint;
  /** 64-byte compact signature of the closing transaction. */
  readonly signature: Uint8Array;
  /** TLV 1 `fee_range`: `min_fee_satoshis` then `max_fee_satoshis`, two u64s. */
  readonly feeRange?: ClosingFeeRange;
  /** Unknown odd TLV records of `closing_signed_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `closing_signed`, declared as its BOLT 2 field table. */
export const closingSignedCodec: MessageCodec<ClosingSignedMessage> = defineMessage({
  type: 39,
  name: 'closing_signed',
  fields: [
    ['channelId', channelId],
    ['feeSatoshis', u64],
    ['signature', signature],
  ],
  tlvs: {
    feeRange: tlvRecord(
      1,
      struct([
        ['minFeeSatoshis', u64],
        ['maxFeeSatoshis', u64],
      ]),
    ),
  },
});
