/**
 * A commitment's keys (shared/channel/commitment-keys.ts): the same keys as
 * BOLT 3's derivation from the basepoints, for either owner, with the two
 * HTLC keys derived only when read, so a commitment without an HTLC output
 * costs no EC work for them.
 */
import { describe, expect, it } from 'vitest';
import { commitmentKeys } from '../../shared/channel/commitment-keys.js';
import { fromHex, sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, KeysManager, derivePublicKey, deriveRevocationPublicKey, perCommitmentPoint, perCommitmentSecret } from '../../shared/keys/index.js';
import { counting } from '../support/counting-secp.js';

const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(7) };

describe('commitment keys', () => {
  const index = INITIAL_COMMITMENT_INDEX - 5n;
  const ours = new KeysManager(wasmSecp256k1, sha256(new TextEncoder().encode('ours')), entropy).deriveChannelSigner(1_000_000n, fromHex('01'.repeat(32)));
  const theirKeys = new KeysManager(wasmSecp256k1, sha256(new TextEncoder().encode('theirs')), entropy).deriveChannelSigner(1_000_000n, fromHex('02'.repeat(32)));
  const theirs = theirKeys.publicKeys;
  const theirPoint = perCommitmentPoint(wasmSecp256k1, perCommitmentSecret(sha256(new TextEncoder().encode('their seed')), index));

  it('are BOLT 3 derivations from the basepoints, for our commitment and for theirs', () => {
    const ourPoint = ours.perCommitmentPoint(index);
    const holder = commitmentKeys(wasmSecp256k1, ours, theirs, 'holder', ourPoint, index);
    expect(toHex(holder.revocationPubkey)).toBe(toHex(deriveRevocationPublicKey(wasmSecp256k1, theirs.revocationBasepoint, ourPoint)));
    expect(toHex(holder.localDelayedPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, ours.publicKeys.delayedPaymentBasepoint, ourPoint)));
    expect(toHex(holder.localHtlcPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, ours.publicKeys.htlcBasepoint, ourPoint)));
    expect(toHex(holder.remoteHtlcPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, theirs.htlcBasepoint, ourPoint)));
    expect(holder.remotePaymentPubkey).toEqual(theirs.paymentBasepoint);

    const counterparty = commitmentKeys(wasmSecp256k1, ours, theirs, 'counterparty', theirPoint, index);
    expect(toHex(counterparty.revocationPubkey)).toBe(toHex(deriveRevocationPublicKey(wasmSecp256k1, ours.publicKeys.revocationBasepoint, theirPoint)));
    expect(toHex(counterparty.localDelayedPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, theirs.delayedPaymentBasepoint, theirPoint)));
    expect(toHex(counterparty.localHtlcPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, theirs.htlcBasepoint, theirPoint)));
    expect(toHex(counterparty.remoteHtlcPubkey)).toBe(toHex(derivePublicKey(wasmSecp256k1, ours.publicKeys.htlcBasepoint, theirPoint)));
    expect(counterparty.remotePaymentPubkey).toEqual(ours.publicKeys.paymentBasepoint);
    // A copy made by spreading them keeps the HTLC keys (as values).
    expect(toHex({ ...counterparty }.localHtlcPubkey)).toBe(toHex(counterparty.localHtlcPubkey));
  });

  it('derive the HTLC keys only when they are read', () => {
    const { backend, calls } = counting(wasmSecp256k1);
    const keys = commitmentKeys(backend, ours, theirs, 'counterparty', theirPoint, index);
    const made = calls();
    expect(made).toBeGreaterThan(0); // the revocation and delayed keys
    expect(calls()).toBe(made);
    expect(keys.localHtlcPubkey).toHaveLength(33);
    expect(calls()).toBeGreaterThan(made);
  });
});
