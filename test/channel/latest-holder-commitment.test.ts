/**
 * Our latest commitment as the channel record keeps it since session 12
 * (shared/channel/latest-holder-commitment.ts, TLV 64): no witness, the
 * counterparty's signature; ours made again at the broadcast, into the
 * very transaction the channel signed before (checked by bitcore-lib's
 * interpreter). TLV 48 (the signed transaction) of before is read and
 * broadcast as it is; a record with both is refused.
 */
import { readFileSync } from 'node:fs';
import { Transaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChannel, encodeChannel, holderCommitmentTransaction, latestHolderCommitmentCodec, type Channel } from '../../shared/channel/index.js';
import { decode, encode } from '../../shared/codec/index.js';
import { fromHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry, type ChannelPartName } from '../../shared/manager/index.js';
import { compactFromDer, fundingScript, p2wsh } from '../../shared/tx/index.js';
import { verifyInput } from '../support/interpreter.js';
import { recordBytes, recordTlvs } from '../support/record-tlvs.js';
import { connectedPair, fund, openChannel } from '../manager/manager-fixture.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';

interface PartsVectorItem {
  readonly node: string;
  readonly key: string;
  readonly item: string;
  readonly parts: Readonly<Record<string, string>>;
}
const session11 = JSON.parse(readFileSync(new URL('../vectors/channel-entry-v1-parts-session11.json', import.meta.url), 'utf8')) as { items: PartsVectorItem[] };

/** A channel of the session-11 vector, as read (its latest commitment signed, TLV 48). */
function legacyChannel(i: number): Channel {
  const old = session11.items[i]!;
  const parts = new Map(Object.entries(old.parts).map(([name, hex]) => [name as ChannelPartName, fromHex(hex)]));
  const read = decodeChannelEntry(fromHex(old.item), parts);
  if (!read.ok || read.value.kind !== 'channel') throw new Error('vector');
  return read.value.channel;
}

/** Alice paid bob once (unclaimed): both channels past commitment 0, each node with its signer. */
function paidPair() {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))], 8);
  const invoice = createInvoiceOn(net, bob, { description: 'tea', expirySecs: 3600, amountMsat: 10_000_000n }).decoded;
  expect(payInvoice(net, alice, invoice, { paymentId: new Uint8Array(32).fill(1), amountMsat: 10_000_000n }).ok).toBe(true);
  net.run();
  return { alice, bob };
}

describe('the stored form (TLV 64)', () => {
  const legacy = legacyChannel(0);
  const signed = Transaction.fromBuffer(Buffer.from(legacy.latestHolderCommitmentTx!));
  const unsigned = signed.clone();
  unsigned.setWitness(0, []);
  const unsignedTx = new Uint8Array(unsigned.toBuffer());
  const counterpartySignature = new Uint8Array(64).fill(3);

  it('round-trips, 64 bytes + the transaction without witness', () => {
    const bytes = encode(latestHolderCommitmentCodec, { unsignedTx, counterpartySignature });
    expect(bytes).toHaveLength(64 + unsignedTx.length);
    expect(decode(latestHolderCommitmentCodec, bytes)).toEqual({ ok: true, value: { unsignedTx, counterpartySignature } });
    // One HTLC output: 232 bytes against the 390 of the signed transaction.
    expect(bytes.length).toBeLessThanOrEqual(legacy.latestHolderCommitmentTx!.length - 150);
  });

  it('refuses a short signature, a transaction that does not parse, with a witness, trailing bytes or two inputs', () => {
    const twoInputs = unsigned.clone();
    twoInputs.addInput(Buffer.alloc(32, 1), 0);
    for (const bad of [
      counterpartySignature.subarray(0, 63),
      Uint8Array.of(...counterpartySignature, ...unsignedTx.subarray(0, unsignedTx.length - 1)),
      Uint8Array.of(...counterpartySignature, ...unsignedTx, 0),
      Uint8Array.of(...counterpartySignature, ...legacy.latestHolderCommitmentTx!),
      Uint8Array.of(...counterpartySignature, ...twoInputs.toBuffer()),
    ]) {
      expect(decode(latestHolderCommitmentCodec, bad)).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/invalid-value|short-read/) } });
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = decode(latestHolderCommitmentCodec, bytes);
        if (read.ok) expect(encode(latestHolderCommitmentCodec, read.value)).toEqual(bytes);
      }),
    );
  });

  it('a record with TLV 48 and TLV 64 is refused; TLV 48 alone reads and broadcasts as it was stored', () => {
    const whole = encodeChannel(legacy);
    expect(recordTlvs(whole).records.map(([t]) => t)).toContain(48n);
    const both = recordTlvs(whole)
      .records.concat([[64n, encode(latestHolderCommitmentCodec, { unsignedTx, counterpartySignature })]])
      .sort(([a], [b]) => (a < b ? -1 : 1));
    expect(decodeChannel(recordBytes({ version: 1, records: both }))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    // Reading needs no signer: the stored bytes are what a force close broadcasts.
    const noSigner = { deriveChannelSigner: () => { throw new Error('not needed'); } };
    expect(holderCommitmentTransaction({} as never, noSigner, legacy)).toEqual(legacy.latestHolderCommitmentTx);
  });
});

describe('a channel past commitment 0', () => {
  it('keeps TLV 64 and broadcasts its latest commitment with both signatures, valid by the interpreter', () => {
    const { alice, bob } = paidPair();
    for (const node of [alice, bob]) {
      const [key] = [...node.store.storedChannels().keys()];
      const stored = node.store.storedChannel(key!);
      if (!stored?.ok || stored.value.kind !== 'channel') throw new Error('no channel');
      const ch = stored.value.channel;
      expect(ch.latestHolderCommitmentTx).toBeUndefined();
      expect(ch.latestHolderCommitment).toBeDefined();
      expect(recordTlvs(encodeChannel(ch)).records.map(([t]) => t)).not.toContain(48n);
      const bytes = holderCommitmentTransaction(node.ports.secp, node.ports.signerProvider, ch)!;
      const tx = Transaction.fromBuffer(Buffer.from(bytes));
      expect(tx.getId()).toBe(Transaction.fromBuffer(Buffer.from(ch.latestHolderCommitment!.unsignedTx)).getId());
      const ours = node.ports.signerProvider.deriveChannelSigner(ch.fundingSatoshis, ch.channelKeysId).publicKeys.fundingPubkey;
      const script = fundingScript(ours, ch.counterparty!.pubkeys.fundingPubkey);
      expect(verifyInput(tx, 0, { scriptPubKey: p2wsh(script), amountSat: ch.fundingSatoshis })).toBe('');
      // The counterparty's signature is one of the witness's two.
      // Each DER with its sighash byte (SIGHASH_ALL) last.
      const sigs = tx.ins[0]!.witness.slice(1, 3).map((s) => compactFromDer(new Uint8Array(s.subarray(0, s.length - 1))));
      expect(sigs.some((s) => Buffer.from(s).equals(Buffer.from(ch.latestHolderCommitment!.counterpartySignature)))).toBe(true);
      // A wrong counterparty signature does not spend the funding output.
      const forged = holderCommitmentTransaction(node.ports.secp, node.ports.signerProvider, { ...ch, latestHolderCommitment: { ...ch.latestHolderCommitment!, counterpartySignature: sigs.find((s) => !Buffer.from(s).equals(Buffer.from(ch.latestHolderCommitment!.counterpartySignature)))! } })!;
      expect(verifyInput(Transaction.fromBuffer(Buffer.from(forged)), 0, { scriptPubKey: p2wsh(script), amountSat: ch.fundingSatoshis })).not.toBe('');
    }
  });
});
