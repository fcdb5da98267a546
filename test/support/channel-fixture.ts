/**
 * A deterministic channel state for tests and benchmarks: both peers'
 * basepoint secrets, one per-commitment secret, keys derived with
 * shared/keys (BOLT 3 Key Derivation), and a set of HTLCs in both
 * directions with amounts around the dust limit.
 */
import type { Secp256k1 } from '../../shared/crypto/index.js';
import { concatBytes, sha256 } from '../../shared/crypto/index.js';
import { derivePrivateKey, derivePublicKey, deriveRevocationPrivateKey, deriveRevocationPublicKey } from '../../shared/keys/index.js';
import type { ChannelType, CommitmentHtlc, CommitmentParams } from '../../shared/tx/index.js';
import { commitmentObscuringFactor } from '../../shared/tx/index.js';

export interface FixtureOptions {
  readonly channelType: ChannelType;
  readonly offered: number;
  readonly received: number;
  readonly feeratePerKw: bigint;
  readonly dustLimitSat: bigint;
  readonly toSelfDelay: number;
  readonly localIsOpener: boolean;
  readonly seed: number;
  readonly fundingSat?: bigint;
  /** Smallest HTLC amount (default 200 sat, dust at every feerate); amounts spread over the next 20 000 sat. */
  readonly minHtlcMsat?: bigint;
}

/** Secrets of the commitment's keys, for signing every spend path. */
export interface FixtureSecrets {
  readonly localFunding: Uint8Array;
  readonly remoteFunding: Uint8Array;
  readonly localHtlc: Uint8Array;
  readonly remoteHtlc: Uint8Array;
  readonly localDelayed: Uint8Array;
  readonly revocation: Uint8Array;
  readonly remotePayment: Uint8Array;
}

export interface Fixture {
  readonly params: CommitmentParams;
  readonly secrets: FixtureSecrets;
  /** Preimage of each HTLC of `params.htlcs`. */
  readonly preimages: readonly Uint8Array[];
}

function bytes(seed: number, label: string, i = 0): Uint8Array {
  return sha256(concatBytes(new TextEncoder().encode(`${label}/${seed}/${i}`)));
}

function u32(seed: number, label: string, i: number): bigint {
  const b = bytes(seed, label, i);
  return BigInt(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
}

export function makeFixture(secp: Secp256k1, o: FixtureOptions): Fixture {
  const s = (label: string) => bytes(o.seed, label);
  const base = {
    localFunding: s('local funding'),
    remoteFunding: s('remote funding'),
    localPayment: s('local payment'),
    remotePayment: s('remote payment'),
    localDelayed: s('local delayed'),
    localHtlc: s('local htlc'),
    remoteHtlc: s('remote htlc'),
    remoteRevocation: s('remote revocation'),
  };
  const pub = (secret: Uint8Array) => secp.publicKeyFromSecret(secret);
  const perCommitmentSecret = s('per-commitment secret');
  const point = pub(perCommitmentSecret);

  const htlcs: CommitmentHtlc[] = [];
  const preimages: Uint8Array[] = [];
  let htlcTotal = 0n;
  for (let i = 0; i < o.offered + o.received; i++) {
    const preimage = bytes(o.seed, 'preimage', i);
    // From 200 sat (dust at every feerate) to about 20 200 sat, with a msat remainder.
    const amountMsat = (o.minHtlcMsat ?? 200_000n) + (u32(o.seed, 'amount', i) % 20_000_000n);
    htlcs.push({ offered: i < o.offered, amountMsat, paymentHash: sha256(preimage), cltvExpiry: 800_000 + Number(u32(o.seed, 'cltv', i) % 2000n) });
    preimages.push(preimage);
    htlcTotal += amountMsat;
  }
  const fundingSat = o.fundingSat ?? 10_000_000n;
  const rest = fundingSat * 1000n - htlcTotal;
  // The opener keeps about 70% of the rest, enough to pay fees at any tested feerate.
  const openerMsat = (rest * 7n) / 10n;
  const toLocalMsat = o.localIsOpener ? openerMsat : rest - openerMsat;
  const toRemoteMsat = rest - toLocalMsat;

  const params: CommitmentParams = {
    channelType: o.channelType,
    fundingOutpoint: { txid: bytes(o.seed, 'funding txid'), index: Number(u32(o.seed, 'funding index', 0) % 4n) },
    fundingSat,
    obscuringFactor: o.localIsOpener
      ? commitmentObscuringFactor(pub(base.localPayment), pub(base.remotePayment))
      : commitmentObscuringFactor(pub(base.remotePayment), pub(base.localPayment)),
    commitmentNumber: u32(o.seed, 'commitment number', 0),
    localIsOpener: o.localIsOpener,
    toLocalMsat,
    toRemoteMsat,
    feeratePerKw: o.feeratePerKw,
    dustLimitSat: o.dustLimitSat,
    toSelfDelay: o.toSelfDelay,
    keys: {
      localFundingPubkey: pub(base.localFunding),
      remoteFundingPubkey: pub(base.remoteFunding),
      revocationPubkey: deriveRevocationPublicKey(secp, pub(base.remoteRevocation), point),
      localDelayedPubkey: derivePublicKey(secp, pub(base.localDelayed), point),
      localHtlcPubkey: derivePublicKey(secp, pub(base.localHtlc), point),
      remoteHtlcPubkey: derivePublicKey(secp, pub(base.remoteHtlc), point),
      remotePaymentPubkey: pub(base.remotePayment),
    },
    htlcs,
  };
  return {
    params,
    preimages,
    secrets: {
      localFunding: base.localFunding,
      remoteFunding: base.remoteFunding,
      localHtlc: derivePrivateKey(secp, base.localHtlc, point),
      remoteHtlc: derivePrivateKey(secp, base.remoteHtlc, point),
      localDelayed: derivePrivateKey(secp, base.localDelayed, point),
      revocation: deriveRevocationPrivateKey(secp, base.remoteRevocation, perCommitmentSecret),
      remotePayment: base.remotePayment,
    },
  };
}
