// Hand-built BOLT 2 channel establishment and close messages, one per
// message, written field by field from the spec's field tables
// (02-peer-protocol.md at lightning/bolts a3772650, the same commit as
// test/vectors). Shared by the vector test and the LDK cross-check.
//
// BOLT 2 has no byte vectors of its own for these messages. The keys,
// signatures, funding txid and script below are real values from BOLT 3
// Appendices C and E (test/vectors; bolt02-establishment.test.ts checks
// them against those files), so every point is on the curve and every
// signature parses; they do not form one consistent channel.
import { hexToBytes } from '../../shared/codec/index.js';
import type { WireMessage } from '../../shared/wire/index.js';

const h = hexToBytes;

// --- Values taken from BOLT 3 (checked against test/vectors below) ---------
/** Appendix C `local_funding_pubkey`. */
export const LOCAL_FUNDING_PUBKEY = '023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb';
/** Appendix C `remote_funding_pubkey`. */
export const REMOTE_FUNDING_PUBKEY = '030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c1';
/** Appendix C `local_payment_basepoint` (= `local_htlc_basepoint`). */
export const LOCAL_PAYMENT_BASEPOINT = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa';
/** Appendix C `remote_payment_basepoint` (= `remote_htlc_basepoint`). */
export const REMOTE_PAYMENT_BASEPOINT = '032c0b7cf95324a07d05398b240174dc0c2be444d96b159aa6c7f7b1e668680991';
/** Appendix C `local_delayed_payment_basepoint`. */
export const LOCAL_DELAYED_BASEPOINT = '023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b1';
/** Appendix C `remote_revocation_basepoint`. */
export const REMOTE_REVOCATION_BASEPOINT = '02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27';
/** Appendix E `base_point`. */
export const E_BASE_POINT = '036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2';
/** Appendix E `per_commitment_point` (= Appendix C `local_per_commitment_point`). */
export const E_PER_COMMITMENT_POINT = '025f7117a78150fe2ef97db7cfc83bd57b2e2c0d0dd25eaf467a4a1c2a45ce1486';
/** Appendix E `localpubkey`. */
export const E_LOCALPUBKEY = '0235f2dbfaa89b57ec7b055afe29849ef7ddfeb1cefdb9ebdc43f5494984db29e5';
/** Appendix E `revocationpubkey`. */
export const E_REVOCATIONPUBKEY = '02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0';
/**
 * Appendix C `funding_tx_id` 8984484a...7ef6be as displayed; on the wire it is
 * Bitcoin's internal byte order, the reverse (as in the commitment tx input).
 */
export const FUNDING_TXID_WIRE = 'bef67e4e2fb9ddeeb3461973cd4c62abb35050b1add772995b820b584a488489';
/** Appendix C case 0 `remote_signature` (DER) as compact r || s. */
export const SIG_A =
  'c3127b33dcc741dd6b05b1e63cbd1a9a7d816f37af9b6756fa2376b056f03237' +
  '408b96279808fe57eb7e463710804cdf4f108388bc5cf722d8c848d2c7f9f3b0';
/** Appendix C case 0 `local_signature` (DER) as compact r || s. */
export const SIG_B =
  '616210b2cc4d3afb601013c373bbd8aac54febd9f15400379a8cb65ce7deca60' +
  '34236c010991beb7ff770510561ae8dc885b8d38d1947248c38f2ae055647142';
/** The P2WPKH `to_remote` output script of Appendix C case 0: OP_0, push 20. */
export const P2WPKH = '0014cc1b07838e387deacd0e5232e1e8b49f4c29e484';

// --- Our own values ----------------------------------------------------------
/** `chain_hash` of regtest, as sent (LDK's `Network::Regtest`). */
export const REGTEST = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f';
export const TEMP_ID = 'a0'.repeat(32);
/** `channel_id` = funding txid XOR output index 0, i.e. the txid itself. */
export const CHANNEL_ID = FUNDING_TXID_WIRE;
/** `channel_type` `option_anchors`: bits 22 and 12 -> 0x40 0x10 0x00. */
export const ANCHORS_TYPE = '401000';

export function typeHex(type: number): string {
  return type.toString(16).padStart(4, '0');
}

export interface Vector {
  readonly name: string;
  readonly hex: string;
  /** Bytes of `type` + fixed fields; the extension TLV stream follows. */
  readonly fixedLength: number;
  /** Lengths (from the start) where a TLV record of the extension ends. */
  readonly recordEnds: readonly number[];
  readonly message: WireMessage;
}

/** Joins field parts; returns the hex and the byte offsets where the extension's records end. */
function build(fixed: readonly string[], records: readonly string[]): { hex: string; fixedLength: number; recordEnds: number[] } {
  const fixedHex = fixed.join('');
  const recordEnds: number[] = [];
  let hex = fixedHex;
  for (const r of records) {
    hex += r;
    recordEnds.push(hex.length / 2);
  }
  return { hex, fixedLength: fixedHex.length / 2, recordEnds };
}

export const openChannel: Vector = {
  name: 'open_channel',
  ...build(
    [
      '0020', //                       type 32
      REGTEST, //                      chain_hash
      TEMP_ID, //                      temporary_channel_id
      '0000000000989680', //           funding_satoshis 10_000_000 (Appendix C funding amount)
      '00000000b2d05e00', //           push_msat 3_000_000_000
      '0000000000000222', //           dust_limit_satoshis 546
      '000000012a05f200', //           max_htlc_value_in_flight_msat 5_000_000_000
      '00000000000186a0', //           channel_reserve_satoshis 100_000
      '00000000000003e8', //           htlc_minimum_msat 1000
      '00003a98', //                   feerate_per_kw 15000
      '0090', //                       to_self_delay 144
      '01e3', //                       max_accepted_htlcs 483
      LOCAL_FUNDING_PUBKEY, //         funding_pubkey
      E_BASE_POINT, //                 revocation_basepoint
      LOCAL_PAYMENT_BASEPOINT, //      payment_basepoint
      LOCAL_DELAYED_BASEPOINT, //      delayed_payment_basepoint
      LOCAL_PAYMENT_BASEPOINT, //      htlc_basepoint
      E_PER_COMMITMENT_POINT, //       first_per_commitment_point
      '01', //                         channel_flags: announce_channel
    ],
    [
      '00' + '16' + P2WPKH, //         tlv type 0 upfront_shutdown_script, length 22, script
      '01' + '03' + ANCHORS_TYPE, //   tlv type 1 channel_type, length 3, bits 22 and 12
    ],
  ),
  message: {
    type: 32,
    chainHash: h(REGTEST),
    temporaryChannelId: h(TEMP_ID),
    fundingSatoshis: 10_000_000n,
    pushMsat: 3_000_000_000n,
    dustLimitSatoshis: 546n,
    maxHtlcValueInFlightMsat: 5_000_000_000n,
    channelReserveSatoshis: 100_000n,
    htlcMinimumMsat: 1000n,
    feeratePerKw: 15000,
    toSelfDelay: 144,
    maxAcceptedHtlcs: 483,
    fundingPubkey: h(LOCAL_FUNDING_PUBKEY),
    revocationBasepoint: h(E_BASE_POINT),
    paymentBasepoint: h(LOCAL_PAYMENT_BASEPOINT),
    delayedPaymentBasepoint: h(LOCAL_DELAYED_BASEPOINT),
    htlcBasepoint: h(LOCAL_PAYMENT_BASEPOINT),
    firstPerCommitmentPoint: h(E_PER_COMMITMENT_POINT),
    channelFlags: 1,
    upfrontShutdownScript: h(P2WPKH),
    channelType: h(ANCHORS_TYPE),
  },
};

export const acceptChannel: Vector = {
  name: 'accept_channel',
  ...build(
    [
      '0021', //                       type 33
      TEMP_ID, //                      temporary_channel_id
      '0000000000000162', //           dust_limit_satoshis 354
      '00000002540be400', //           max_htlc_value_in_flight_msat 10_000_000_000
      '0000000000002710', //           channel_reserve_satoshis 10_000
      '0000000000000001', //           htlc_minimum_msat 1
      '00000003', //                   minimum_depth 3
      '02d0', //                       to_self_delay 720
      '001e', //                       max_accepted_htlcs 30
      REMOTE_FUNDING_PUBKEY, //        funding_pubkey
      REMOTE_REVOCATION_BASEPOINT, //  revocation_basepoint
      REMOTE_PAYMENT_BASEPOINT, //     payment_basepoint
      E_LOCALPUBKEY, //                delayed_payment_basepoint
      REMOTE_PAYMENT_BASEPOINT, //     htlc_basepoint
      E_REVOCATIONPUBKEY, //           first_per_commitment_point
    ],
    [
      '00' + '00', //                  tlv type 0 upfront_shutdown_script, length 0 (no script committed)
      '01' + '03' + ANCHORS_TYPE, //   tlv type 1 channel_type, length 3
    ],
  ),
  message: {
    type: 33,
    temporaryChannelId: h(TEMP_ID),
    dustLimitSatoshis: 354n,
    maxHtlcValueInFlightMsat: 10_000_000_000n,
    channelReserveSatoshis: 10_000n,
    htlcMinimumMsat: 1n,
    minimumDepth: 3,
    toSelfDelay: 720,
    maxAcceptedHtlcs: 30,
    fundingPubkey: h(REMOTE_FUNDING_PUBKEY),
    revocationBasepoint: h(REMOTE_REVOCATION_BASEPOINT),
    paymentBasepoint: h(REMOTE_PAYMENT_BASEPOINT),
    delayedPaymentBasepoint: h(E_LOCALPUBKEY),
    htlcBasepoint: h(REMOTE_PAYMENT_BASEPOINT),
    firstPerCommitmentPoint: h(E_REVOCATIONPUBKEY),
    upfrontShutdownScript: new Uint8Array(0),
    channelType: h(ANCHORS_TYPE),
  },
};

export const fundingCreated: Vector = {
  name: 'funding_created',
  ...build(
    [
      '0022', //                       type 34
      TEMP_ID, //                      temporary_channel_id
      FUNDING_TXID_WIRE, //            funding_txid (internal byte order)
      '0000', //                       funding_output_index 0
      SIG_A, //                        signature (64-byte compact)
    ],
    [],
  ),
  message: {
    type: 34,
    temporaryChannelId: h(TEMP_ID),
    fundingTxid: h(FUNDING_TXID_WIRE),
    fundingOutputIndex: 0,
    signature: h(SIG_A),
  },
};

export const fundingSigned: Vector = {
  name: 'funding_signed',
  ...build(
    [
      '0023', //                       type 35
      CHANNEL_ID, //                   channel_id
      SIG_B, //                        signature
    ],
    [],
  ),
  message: { type: 35, channelId: h(CHANNEL_ID), signature: h(SIG_B) },
};

export const channelReady: Vector = {
  name: 'channel_ready',
  ...build(
    [
      '0024', //                       type 36
      CHANNEL_ID, //                   channel_id
      E_PER_COMMITMENT_POINT, //       second_per_commitment_point
    ],
    [
      '01' + '08' + '0aae600004d20001', // tlv type 1 short_channel_id, length 8, alias 700000x1234x1
    ],
  ),
  message: {
    type: 36,
    channelId: h(CHANNEL_ID),
    secondPerCommitmentPoint: h(E_PER_COMMITMENT_POINT),
    shortChannelId: (700000n << 40n) | (1234n << 16n) | 1n,
  },
};

export const shutdown: Vector = {
  name: 'shutdown',
  ...build(
    [
      '0026', //                       type 38
      CHANNEL_ID, //                   channel_id
      '0016', //                       len 22
      P2WPKH, //                       scriptpubkey
    ],
    [],
  ),
  message: { type: 38, channelId: h(CHANNEL_ID), scriptpubkey: h(P2WPKH) },
};

export const closingSigned: Vector = {
  name: 'closing_signed',
  ...build(
    [
      '0027', //                       type 39
      CHANNEL_ID, //                   channel_id
      '0000000000002a6c', //           fee_satoshis 10860
      SIG_B, //                        signature
    ],
    [
      '01' + '10' + '0000000000000fa0' + '0000000000005208', // tlv type 1 fee_range, length 16, min 4000, max 21000
    ],
  ),
  message: {
    type: 39,
    channelId: h(CHANNEL_ID),
    feeSatoshis: 10860n,
    signature: h(SIG_B),
    feeRange: { minFeeSatoshis: 4000n, maxFeeSatoshis: 21000n },
  },
};

export const channelReestablish: Vector = {
  name: 'channel_reestablish',
  ...build(
    [
      '0088', //                       type 136
      CHANNEL_ID, //                   channel_id
      '0000000000000001', //           next_commitment_number 1
      '0000000000000000', //           next_revocation_number 0
      '00'.repeat(32), //              your_last_per_commitment_secret (zeros while next_revocation_number is 0)
      E_PER_COMMITMENT_POINT, //       my_current_per_commitment_point
    ],
    [],
  ),
  message: {
    type: 136,
    channelId: h(CHANNEL_ID),
    nextCommitmentNumber: 1n,
    nextRevocationNumber: 0n,
    yourLastPerCommitmentSecret: new Uint8Array(32),
    myCurrentPerCommitmentPoint: h(E_PER_COMMITMENT_POINT),
  },
};

export const VECTORS: readonly Vector[] = [openChannel, acceptChannel, fundingCreated, fundingSigned, channelReady, shutdown, closingSigned, channelReestablish];

