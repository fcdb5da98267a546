/**
 * The `init` message (BOLT 1, "The `init` Message"), type 16.
 */
import { repeated, restBytes, tlvRecord, u16PrefixedBytes } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { orFeatures } from './features.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { chainHash } from './wire-types.js';

/**
 * `init`: the first message on every connection, with the sender's feature
 * bits (BOLT 9). Length prefixes `gflen` / `flen` are implicit in the byte
 * arrays.
 */
export interface InitMessage {
  readonly type: 16;
  /** Legacy feature bits (BOLT 1: receivers OR them into `features`). */
  readonly globalfeatures: Uint8Array;
  /** Feature bits, BOLT 9 bit numbering (bit 0 = least significant bit of the last byte). */
  readonly features: Uint8Array;
  /** TLV 1 `networks`: the chains the sender is interested in, each a 32-byte `chain_hash`. */
  readonly networks?: readonly Uint8Array[];
  /**
   * TLV 3 `remote_addr`: the address the sender sees us at, kept as the raw
   * BOLT 7 address descriptor (1 type byte, then data). Raw so an address
   * type we do not know never fails the `init`; read it with
   * `decodeAddressDescriptor`.
   */
  readonly remoteAddr?: Uint8Array;
  /** Unknown odd TLV records of the `init_tlvs` stream, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `init`, declared as its BOLT 1 field table. */
export const initCodec: MessageCodec<InitMessage> = defineMessage({
  type: 16,
  name: 'init',
  fields: [
    ['globalfeatures', u16PrefixedBytes],
    ['features', u16PrefixedBytes],
  ],
  tlvs: {
    networks: tlvRecord(1, repeated(chainHash)),
    remoteAddr: tlvRecord(3, restBytes),
  },
});

/**
 * The peer's logical feature vector: BOLT 1 says the receiver combines
 * (bitwise OR) `globalfeatures` and `features`.
 */
export function initFeatures(init: Pick<InitMessage, 'globalfeatures' | 'features'>): Uint8Array {
  return orFeatures(init.globalfeatures, init.features);
}
