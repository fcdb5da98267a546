/**
 * The first commitment transactions (BOLT 2 `funding_created` /
 * `funding_signed`; BOLT 3 "Commitment Transaction"): each side's
 * commitment number 0, its keys derived for that side's first
 * per-commitment point, signed with our funding key through the signer.
 */
import type { Secp256k1 } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, type ChannelSigner } from '../keys/index.js';
import {
  SighashType,
  buildCommitmentTransaction,
  commitmentObscuringFactor,
  finalizeCommitment,
  verifyCommitmentSignature,
  witnessDigest,
  type CommitmentTransaction,
} from '../tx/index.js';
import type { ChannelBase, CounterpartyParameters, FundingInfo } from './channel-state.js';
import { commitmentFormat } from './channel-type.js';
import { commitmentKeys } from './commitment-keys.js';
import { signedLatestHolderCommitment } from './latest-holder-commitment.js';

/** A channel that knows both sides and its funding output. */
export type FundedChannel = ChannelBase & { readonly counterparty: CounterpartyParameters; readonly funding: FundingInfo };

/** BOLT 3 obscuring factor of the channel (opener's payment basepoint first). */
export function obscuringFactorOf(channel: FundedChannel, signer: ChannelSigner): bigint {
  const ours = signer.publicKeys.paymentBasepoint;
  const theirs = channel.counterparty.pubkeys.paymentBasepoint;
  return channel.isOutbound ? commitmentObscuringFactor(ours, theirs) : commitmentObscuringFactor(theirs, ours);
}

/**
 * Commitment number 0 of one side: `holder` (ours, with our first
 * per-commitment point) or the counterparty's (with theirs).
 */
export function initialCommitment(
  secp: Secp256k1,
  channel: FundedChannel,
  signer: ChannelSigner,
  owner: 'holder' | 'counterparty',
): CommitmentTransaction {
  const holderOwns = owner === 'holder';
  const point = holderOwns ? signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX) : channel.counterparty.firstPerCommitmentPoint;
  const funderMsat = channel.fundingSatoshis * 1000n - channel.pushMsat;
  const localIsOpener = holderOwns ? channel.isOutbound : !channel.isOutbound;
  return buildCommitmentTransaction({
    channelType: commitmentFormat(channel.channelType),
    fundingOutpoint: channel.funding.outpoint,
    fundingSat: channel.fundingSatoshis,
    obscuringFactor: obscuringFactorOf(channel, signer),
    commitmentNumber: 0n,
    localIsOpener,
    toLocalMsat: localIsOpener ? funderMsat : channel.pushMsat,
    toRemoteMsat: localIsOpener ? channel.pushMsat : funderMsat,
    feeratePerKw: BigInt(channel.feeratePerKw),
    dustLimitSat: holderOwns ? channel.holder.dustLimitSatoshis : channel.counterparty.dustLimitSatoshis,
    toSelfDelay: holderOwns ? channel.counterparty.toSelfDelay : channel.holder.toSelfDelay,
    keys: commitmentKeys(secp, signer, channel.counterparty.pubkeys, owner, point, INITIAL_COMMITMENT_INDEX),
    htlcs: [],
  });
}

/** Our signature (64-byte compact) on a commitment's funding input. */
export function signCommitmentWith(signer: ChannelSigner, commitment: CommitmentTransaction): Uint8Array {
  const digest = witnessDigest(commitment.tx, 0, commitment.fundingScript, commitment.params.fundingSat, SighashType.All);
  return signer.signWithFundingKey(digest);
}

/** True when `signature` by the counterparty's funding key signs our commitment. */
export function verifyCounterpartySignature(secp: Secp256k1, channel: FundedChannel, commitment: CommitmentTransaction, signature: Uint8Array): boolean {
  return verifyCommitmentSignature(secp, commitment, signature, channel.counterparty.pubkeys.fundingPubkey);
}

/** Our commitment with both signatures, as a force close would broadcast it. */
export function finalizedHolderCommitment(signer: ChannelSigner, commitment: CommitmentTransaction, counterpartySignature: Uint8Array): Uint8Array {
  return finalizeCommitment(commitment, signCommitmentWith(signer, commitment), counterpartySignature).toBuffer();
}

/**
 * Our commitment number 0 of a funded channel, with both signatures (what a
 * force close broadcasts until payments move it on), or null before the
 * counterparty's signature is known.
 */
export function holderCommitmentTransaction(
  secp: Secp256k1,
  signerProvider: { deriveChannelSigner(value: bigint, keysId: Uint8Array): ChannelSigner },
  channel: ChannelBase & { readonly counterparty?: CounterpartyParameters; readonly funding?: FundingInfo; readonly counterpartySignature?: Uint8Array },
): Uint8Array | null {
  // After the commitment dance, the latest one (commitment 0 is revoked: broadcasting it would hand the peer our funds).
  if (channel.latestHolderCommitmentTx !== undefined) return channel.latestHolderCommitmentTx;
  const { counterparty, funding, counterpartySignature } = channel;
  if (channel.latestHolderCommitment !== undefined && counterparty !== undefined) {
    const signer = signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
    return signedLatestHolderCommitment(signer, counterparty.pubkeys.fundingPubkey, channel.fundingSatoshis, channel.latestHolderCommitment);
  }
  if (counterparty === undefined || funding === undefined || counterpartySignature === undefined) return null;
  const funded: FundedChannel = { ...channel, counterparty, funding };
  const signer = signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  return finalizedHolderCommitment(signer, initialCommitment(secp, funded, signer, 'holder'), counterpartySignature);
}
