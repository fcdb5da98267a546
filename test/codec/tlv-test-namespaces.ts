// The two TLV namespaces of BOLT 1 Appendix B, exactly as the spec defines them.
import { point, shortChannelId, struct, tlvRecord, tlvStream, tu32, tu64, u16, u64 } from '../../shared/codec/index.js';

/** n1: tlv1 (1) amount_msat tu64; tlv2 (2) scid; tlv3 (3) node_id, amount_msat_1, amount_msat_2; tlv4 (254) cltv_delta u16. */
export const n1Schema = {
  tlv1: tlvRecord(1, struct([['amountMsat', tu64]])),
  tlv2: tlvRecord(2, struct([['scid', shortChannelId]])),
  tlv3: tlvRecord(3, struct([['nodeId', point], ['amountMsat1', u64], ['amountMsat2', u64]])),
  tlv4: tlvRecord(254, struct([['cltvDelta', u16]])),
} as const;

/** n2: tlv1 (0) amount_msat tu64; tlv2 (11) cltv_expiry tu32. */
export const n2Schema = {
  tlv1: tlvRecord(0, struct([['amountMsat', tu64]])),
  tlv2: tlvRecord(11, struct([['cltvExpiry', tu32]])),
} as const;

export const n1 = tlvStream(n1Schema);
export const n2 = tlvStream(n2Schema);

