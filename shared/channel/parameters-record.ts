/**
 * The persisted form of a channel's negotiated parameters, shared by the
 * channel item and the channel monitor (one codec, one mapping).
 */
import { point, struct, u16, u64, type CodecValue } from '../codec/index.js';
import type { ChannelParameters, CounterpartyParameters } from './channel-state.js';

const parameterFields = [
  ['dustLimitSatoshis', u64],
  ['maxHtlcValueInFlightMsat', u64],
  ['channelReserveSatoshis', u64],
  ['htlcMinimumMsat', u64],
  ['toSelfDelay', u16],
  ['maxAcceptedHtlcs', u16],
] as const;

/** Our side's parameters (BOLT 2 `open_channel`/`accept_channel` limits). */
export const channelParametersCodec = struct(parameterFields);

/** The counterparty's parameters, basepoints and first per-commitment point, flattened. */
export const counterpartyParametersCodec = struct([
  ...parameterFields,
  ['fundingPubkey', point],
  ['revocationBasepoint', point],
  ['paymentBasepoint', point],
  ['delayedPaymentBasepoint', point],
  ['htlcBasepoint', point],
  ['firstPerCommitmentPoint', point],
] as const);

export type CounterpartyParametersRecord = CodecValue<typeof counterpartyParametersCodec>;

export function counterpartyToRecord(cp: CounterpartyParameters): CounterpartyParametersRecord {
  return { ...cp, ...cp.pubkeys };
}

/** Rebuilds the counterparty's parameters; its upfront shutdown script is stored beside them. */
export function counterpartyFromRecord(x: CounterpartyParametersRecord, upfrontShutdownScript: Uint8Array | undefined): CounterpartyParameters {
  const params: ChannelParameters = {
    dustLimitSatoshis: x.dustLimitSatoshis,
    maxHtlcValueInFlightMsat: x.maxHtlcValueInFlightMsat,
    channelReserveSatoshis: x.channelReserveSatoshis,
    htlcMinimumMsat: x.htlcMinimumMsat,
    toSelfDelay: x.toSelfDelay,
    maxAcceptedHtlcs: x.maxAcceptedHtlcs,
  };
  return {
    ...params,
    pubkeys: {
      fundingPubkey: x.fundingPubkey,
      revocationBasepoint: x.revocationBasepoint,
      paymentBasepoint: x.paymentBasepoint,
      delayedPaymentBasepoint: x.delayedPaymentBasepoint,
      htlcBasepoint: x.htlcBasepoint,
    },
    firstPerCommitmentPoint: x.firstPerCommitmentPoint,
    ...(upfrontShutdownScript !== undefined ? { upfrontShutdownScript } : {}),
  };
}
