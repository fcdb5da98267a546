/**
 * Force close through the real handlers on the embedded regtest chain
 * (docs/force-close.md): two of our nodes open a channel funded by A's
 * wallet, A pushing {@link PUSH_SAT} to B. With the peer offline, B's
 * cooperative close is refused with `peer-not-connected`; with `force` B's
 * latest commitment is committed for broadcast, the channel shows `closed`
 * (`holder-force-closed`, the commitment's txid), and the chain's script
 * validation accepts the commitment. Then the chain handlers' watch of the
 * funding output: A (whose peer force-closed) closes the channel with
 * `counterparty-force-closed` and sweeps its `to_remote` to its wallet at
 * once; B sweeps its `to_local` once `to_self_delay` blocks have passed.
 * Each wallet ends with its channel balance minus the commitment fee (the
 * funder's) and its sweep's fee; event `funds-swept` on each side.
 * Justice: after a payment A → B, B's commitment that held the payment's
 * HTLC is revoked; B broadcasts it anyway, and A's chain handler takes B's
 * `to_local` and the HTLC output with the revocation key (the HTLC from the
 * commitment's justice record) and its own `to_remote` in one transaction,
 * at once; the channel closes with `revoked-commitment-punished`. Raced: when B's HTLC transaction takes the HTLC output first, A
 * rebuilds the justice transaction without that input and with the HTLC
 * transaction's output (second-stage justice). Without the commitment's
 * justice record (older channels), justice still takes `to_local` and
 * `to_remote`.
 * HTLC claim: B pays A; A claims the payment (its monitor learns the
 * preimage) but the connection breaks before the fulfill reaches B, and B
 * force-closes with the HTLC still on its commitment; A's chain handler
 * takes its `to_remote` and the HTLC output with the preimage in one
 * transaction.
 */
import { Transaction } from 'bitcoinjs-lib';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectedPeers } from '../../functions/chain/channel-consumer.js';
import { listChannels } from '../../functions/channels/channel-service.js';
import { pendingEvents } from '../../functions/events/event-service.js';
import { requestFingerprint } from '../../functions/http/idempotency.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import { walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { classifyFundingSpend, ourOutputs, sweepOutput } from '../../shared/monitor/index.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, SortKey, monitorFromItems } from '../../shared/store/index.js';
import { p2wsh } from '../../shared/tx/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { useLocalServices } from '../support/local-services.js';
import { CAPACITY, PUSH_SAT, expectWatchEnds, readyChannel, revokedWithHtlc as revokedWithHtlcOf, spendOf } from '../support/force-close-nodes.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const revokedWithHtlc = (net: PipelineNet, label: string) => revokedWithHtlcOf(local, net, label);

/**
 * B broadcasts its revoked commitment; A's justice transaction is built
 * (`first`) but left unconfirmed (a miner that ignores it): at the next
 * block A rebuilds it at a higher feerate (`second`).
 */
async function bumpedJustice(label: string) {
  const net = new PipelineNet(local);
  const { a, b, channelId, revoked } = await revokedWithHtlc(net, label);
  const esplora = new EsploraClient(local.chain.url);
  await esplora.broadcast(revoked.toBuffer());
  await net.mine(1);
  const aBefore = await walletBalanceOf(a.ctx);
  const first = await sweepOf(net, a, revoked.getId());
  await net.mine(1);
  await net.sync(a);
  const queued = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h));
  const second = queued.find((t) => t.getId() !== first.getId() && t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === revoked.getId()));
  expect(second, 'a bumped justice transaction').toBeDefined();
  return { net, esplora, a, b, channelId, revoked, aBefore, first, second: second! };
}

/** A's first broadcast spending `txid`, syncing A (and mining) until it comes. */
const sweepOf = (net: PipelineNet, a: PipelineNode, txid: string) => spendOf(net, a, txid);

describe('force close through the handlers, on the regtest chain', () => {
  it('peer offline: cooperative close is 409; force broadcasts our commitment; their to_remote and our to_local (after to_self_delay) reach the wallets, funds-swept', async () => {
    const net = new PipelineNet(local);
    const [a, b] = await Promise.all([net.node('a'), net.node('b')]);
    const { channelId, funding } = await readyChannel(local, net, a, b);
    await net.disconnect(a, b);
    await expect(storeNodeApi(b.ctx).closeChannel(channelId)).rejects.toMatchObject({ code: 'peer-not-connected' });

    const closed = await storeNodeApi(b.ctx).closeChannel(channelId, { force: true });
    expect(closed).toMatchObject({ channelId, state: 'closed', closure: { reason: 'holder-force-closed' } });
    const txid = closed.closure?.txid;
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    expect(await listChannels(b.ctx)).toEqual([]);
    const events = (await pendingEvents(b.ctx)).map((r) => r.event).filter((e) => e.kind === 'channel-closed');
    expect(events).toEqual([expect.objectContaining({ reason: 'holder-force-closed' })]);
    expect((await storeNodeApi(b.ctx).listEvents()).filter((e) => e.kind === 'channel-closed')).toEqual([expect.objectContaining({ reason: 'holder-force-closed', closingTxid: txid })]);
    // A second close of a closed channel is refused.
    await expect(storeNodeApi(b.ctx).closeChannel(channelId, { force: true })).rejects.toMatchObject({ code: 'channel-not-closable' });

    // The commitment queued for broadcast: B's latest, spending the funding output, B's to_local P2WSH and A's to_remote.
    const commitment = Transaction.fromHex((await net.broadcasts(b)).at(-1)!);
    expect(commitment.getId()).toBe(txid);
    expect(commitment.ins).toHaveLength(1);
    expect(Buffer.from(commitment.ins[0]!.hash).reverse().toString('hex')).toBe(funding.getId());
    const values = commitment.outs.map((o) => BigInt(o.value)).sort((x, y) => (x < y ? -1 : 1));
    expect(values).toHaveLength(2);
    expect(values[0]).toBe(PUSH_SAT); // B is not the funder: its to_local carries no fee
    expect(values[1]! < CAPACITY - PUSH_SAT && values[1]! > CAPACITY - PUSH_SAT - 5_000n).toBe(true);
    // The chain validates its scripts (2-of-2 witness) and confirms it.
    const esplora = new EsploraClient(local.chain.url);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(txid!)).confirmed).toBe(true);

    // A sees B's commitment spend the funding output: its to_remote is swept to a fresh wallet address at once (one block under anchors).
    const aBefore = await walletBalanceOf(a.ctx);
    let sweepA: Transaction | undefined;
    for (let i = 0; i < 3 && sweepA === undefined; i++) {
      await net.sync(a);
      sweepA = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h)).find((t) => t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid));
      if (sweepA === undefined) await net.mine(1);
    }
    expect(sweepA).toBeDefined();
    // The manager learns it (a follow-up in the peer's group): A's channel closes with counterparty-force-closed and B's commitment txid.
    await net.relay(a, b);
    expect(await listChannels(a.ctx)).toEqual([]);
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'counterparty-force-closed', txid } });
    const toRemote = commitment.outs[sweepA!.ins[0]!.index]!;
    expect(BigInt(toRemote.value)).toBe(values[1]);
    const sweptA = BigInt(sweepA!.outs[0]!.value);
    expect(sweptA).toBeLessThan(values[1]!);
    expect(sweptA).toBeGreaterThan(values[1]! - 2_000n);
    await esplora.broadcast(sweepA!.toBuffer());
    await net.mine(1);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + sweptA);
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: sweepA!.getId(), amountSat: sweptA.toString() }),
    ]);

    // B's to_local waits for to_self_delay blocks after its commitment, then goes to B's wallet (minus the sweep fee).
    await net.sync(b);
    expect(await net.broadcasts(b)).toEqual([]);
    let sweepB: Transaction | undefined;
    for (let i = 0; i < 40 && sweepB === undefined; i++) {
      await net.mine(10);
      await net.sync(b);
      sweepB = (await net.broadcasts(b)).map((h) => Transaction.fromHex(h)).at(-1);
    }
    expect(sweepB).toBeDefined();
    expect(sweepB!.ins[0]!.sequence).toBeGreaterThan(0);
    expect(BigInt(commitment.outs[sweepB!.ins[0]!.index]!.value)).toBe(PUSH_SAT);
    const sweptB = BigInt(sweepB!.outs[0]!.value);
    expect(sweptB > PUSH_SAT - 2_000n && sweptB < PUSH_SAT).toBe(true);
    await esplora.broadcast(sweepB!.toBuffer());
    // Re-broadcast at the next block while unconfirmed.
    await net.mine(1);
    await net.sync(b);
    expect(await walletBalanceOf(b.ctx)).toEqual({ confirmedSat: sweptB, unconfirmedSat: 0n });
    await expectWatchEnds(net, b);
    await net.relay(a, b);
    expect((await storeNodeApi(b.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: sweepB!.getId(), amountSat: sweptB.toString() }),
    ]);



    // Nothing is left open to close.
    expect(await storeNodeApi(a.ctx).closeAllChannels({ force: true })).toEqual([]);
  });

  it('justice: B broadcasts its revoked commitment that held a payment\'s HTLC; A takes B\'s to_local, the HTLC output and its own to_remote in one transaction at once', async () => {
    const net = new PipelineNet(local);
    const { a, b, channelId, revoked, htlcVout } = await revokedWithHtlc(net, 'justice');

    // B (the cheater) broadcasts the revoked commitment: B's to_local = PUSH_SAT, the HTLC 7,000 sat, A's to_remote = the rest minus the commitment fee.
    const esplora = new EsploraClient(local.chain.url);
    await esplora.broadcast(revoked.toBuffer());
    await net.mine(1);
    const txid = revoked.getId();
    const aBefore = await walletBalanceOf(a.ctx);
    const justice: Transaction | undefined = await sweepOf(net, a, txid);
    // The three outputs of the commitment (anchors aside), in one transaction; the justice inputs without a CSV.
    expect(justice!.ins).toHaveLength(3);
    expect(justice!.ins.map((x) => Buffer.from(x.hash).reverse().toString('hex'))).toEqual([txid, txid, txid]);
    expect(new Set(justice!.ins.map((x) => x.index))).toEqual(new Set(revoked.outs.map((_, i) => i).filter((i) => revoked.outs[i]!.value > 330n)));
    const justiceInput = justice!.ins[0]!;
    expect(BigInt(revoked.outs[justiceInput.index]!.value)).toBe(PUSH_SAT);
    expect(justiceInput.sequence).toBe(0xfffffffd);
    expect(Uint8Array.from(justiceInput.witness[1]!)).toEqual(Uint8Array.of(1));
    // The HTLC input, last: <revocation_sig> <revocationpubkey> <received HTLC script>, at once.
    const htlcInput = justice!.ins[2]!;
    expect(htlcInput.index).toBe(htlcVout);
    expect(htlcInput.sequence).toBe(0xfffffffd);
    expect(htlcInput.witness.map((w) => w.length).slice(1, 2)).toEqual([33]);
    const taken = justice!.ins.reduce((sum, x) => sum + BigInt(revoked.outs[x.index]!.value), 0n);
    const swept = BigInt(justice!.outs[0]!.value);
    expect(swept).toBeLessThan(taken);
    expect(swept).toBeGreaterThan(taken - 10_000n);  // justice targets the next block (its deadline): a higher feerate than a sweep's
    // The chain validates the revocation-key spend and confirms it, long before B's to_self_delay.
    await esplora.broadcast(justice!.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(justice!.getId())).confirmed).toBe(true);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + swept);
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'revoked-commitment-punished', txid } });
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: justice!.getId(), amountSat: swept.toString() }),
    ]);
  });

  it('justice bumped: left unconfirmed, the justice transaction is rebuilt at a higher feerate at each block (same inputs and address); the chain replaces the first by it (full RBF); funds-swept reports the one that confirmed', async () => {
    const { net, esplora, a, b, channelId, revoked, aBefore, first, second } = await bumpedJustice('bumped');
    const key = (t: Transaction) => t.ins.map((x) => `${Buffer.from(x.hash).toString('hex')}:${x.index}`).sort();
    expect(key(second)).toEqual(key(first));
    expect(second.outs.map((o) => Buffer.from(o.script).toString('hex'))).toEqual(first.outs.map((o) => Buffer.from(o.script).toString('hex')));
    const fee = (t: Transaction) => t.ins.reduce((sum, x) => sum + BigInt(revoked.outs[x.index]!.value), 0n) - BigInt(t.outs[0]!.value);
    // At least the incremental relay fee more (Bitcoin Core's rule 4), a quarter more per weight unit.
    expect(fee(second) - fee(first)).toBeGreaterThanOrEqual(BigInt(second.virtualSize()));
    expect(fee(second) * 4n).toBeGreaterThanOrEqual(fee(first) * 5n - 4n);
    // Both reach the mempool in order: the second replaces the first.
    await esplora.broadcast(first.toBuffer());
    await esplora.broadcast(second.toBuffer());
    expect(local.chain.chain.transaction(first.getId())?.inMempool).not.toBe(true);
    await net.mine(1);
    expect((await esplora.txStatus(second.getId())).confirmed).toBe(true);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + BigInt(second.outs[0]!.value));
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: second.getId(), amountSat: BigInt(second.outs[0]!.value).toString() }),
    ]);
  });

  it('justice bumped, the first version confirms instead: it is the claim that confirmed (funds-swept with its amount, once)', async () => {
    const { net, esplora, a, b, channelId, aBefore, first } = await bumpedJustice('bumped-first');
    await esplora.broadcast(first.toBuffer());
    await net.mine(1);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + BigInt(first.outs[0]!.value));
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: first.getId(), amountSat: BigInt(first.outs[0]!.value).toString() }),
    ]);
  });

  it('justice raced: B\'s HTLC transaction takes the HTLC output first; A rebuilds its justice transaction without it, with that transaction\'s output instead (second stage)', async () => {
    const net = new PipelineNet(local);
    const { a, b, channelId, revoked, htlcVout } = await revokedWithHtlc(net, 'raced');
    const esplora = new EsploraClient(local.chain.url);
    await esplora.broadcast(revoked.toBuffer());
    await net.mine(1);
    const txid = revoked.getId();
    const aBefore = await walletBalanceOf(a.ctx);
    const first = await sweepOf(net, a, txid);
    expect(first.ins.map((x) => x.index)).toContain(htlcVout);

    // The HTLC output is taken first by a transaction standing in for B's HTLC-success: it pays what BOLT 3 has an HTLC
    // transaction pay, the revoked commitment's to_local script (here signed with the revocation key: B's needs the preimage and A's signature).
    const monitorItems = await a.ctx.store.query(a.ctx.nodeKey, SortKey.monitorPrefix(channelId), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const monitor = monitorFromItems(channelId, monitorItems)!.monitor;
    const signer = a.ctx.managerPorts.signerProvider.deriveChannelSigner(monitor.channelValueSatoshis, monitor.channelKeysId);
    const spend = classifyFundingSpend(monitor, revoked);
    if (spend.kind !== 'revoked-counterparty-commitment') throw new Error(`expected a revoked commitment, got ${spend.kind}`);
    const record = await a.ctx.store.counterpartyHtlcs(a.ctx.nodeKey, channelId, spend.commitmentNumber);
    const htlc = ourOutputs(a.ctx.managerPorts.secp, signer, monitor, revoked, record).find((o) => o.kind === 'revoked-htlc')!;
    expect(htlc.outpoint.index).toBe(htlcVout);
    const toLocalScript = ourOutputs(a.ctx.managerPorts.secp, signer, monitor, revoked, record).find((o) => o.kind === 'revoked-to-local')!.scriptCode;
    const thief = sweepOutput(signer, htlc, p2wsh(toLocalScript), 1_000n);
    if (thief.kind !== 'sweep') throw new Error('expected a sweep');
    await esplora.broadcast(thief.tx);
    await net.mine(1);

    // A sees it confirm: the justice transaction can never confirm now; it is rebuilt at once without the HTLC input,
    // with the output of B's HTLC transaction instead (the revoked to_local script: ours at once).
    await net.sync(a);
    const rebuilt = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h)).at(-1)!;
    expect(rebuilt.getId()).not.toBe(first.getId());
    const thiefId = Transaction.fromBuffer(thief.tx).getId();
    const spent = rebuilt.ins.map((x) => `${Buffer.from(x.hash).reverse().toString('hex')}:${x.index}`).sort();
    expect(spent).toEqual([...first.ins.map((x) => x.index).filter((i) => i !== htlcVout).map((i) => `${txid}:${i}`), `${thiefId}:0`].sort());
    const swept = BigInt(rebuilt.outs[0]!.value);
    const taken = rebuilt.ins.reduce((sum, x) => sum + BigInt(x.index === 0 && Buffer.from(x.hash).reverse().toString('hex') === thiefId ? thief.amountSat : revoked.outs[x.index]!.value), 0n);
    expect(swept).toBeLessThan(taken);
    expect(swept).toBeGreaterThan(taken - 10_000n);  // justice targets the next block (its deadline): a higher feerate than a sweep's
    await esplora.broadcast(rebuilt.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(rebuilt.getId())).confirmed).toBe(true);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + swept);
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: rebuilt.getId(), amountSat: swept.toString() }),
    ]);
  });

  it('justice without the commitment\'s justice record (a channel older than the records): A still takes to_local and to_remote at once', async () => {
    const net = new PipelineNet(local);
    const { a, channelId, revoked, htlcVout } = await revokedWithHtlc(net, 'norecord');
    const monitorItems = await a.ctx.store.query(a.ctx.nodeKey, SortKey.monitorPrefix(channelId), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const spend = classifyFundingSpend(monitorFromItems(channelId, monitorItems)!.monitor, revoked);
    if (spend.kind !== 'revoked-counterparty-commitment') throw new Error(`expected a revoked commitment, got ${spend.kind}`);
    expect(await a.ctx.store.counterpartyHtlcs(a.ctx.nodeKey, channelId, spend.commitmentNumber)).toBeDefined();
    await a.ctx.store.deleteItems(a.ctx.nodeKey, [SortKey.monitorHtlcs(channelId, spend.commitmentNumber)]);

    const esplora = new EsploraClient(local.chain.url);
    await esplora.broadcast(revoked.toBuffer());
    await net.mine(1);
    const txid = revoked.getId();
    const justice = await sweepOf(net, a, txid);
    expect(justice.ins.map((x) => x.index).sort()).toEqual(revoked.outs.map((_, i) => i).filter((i) => i !== htlcVout && revoked.outs[i]!.value > 330n));
    await esplora.broadcast(justice.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(justice.getId())).confirmed).toBe(true);
  });

  it('HTLC claim: B pays A, A claims it but the fulfill never reaches B, B force-closes with the HTLC on its commitment; A takes to_remote and the HTLC output with the preimage in one transaction', async () => {
    const net = new PipelineNet(local);
    const [a, b] = await Promise.all([net.node('claim-a'), net.node('claim-b')]);
    const { channelId } = await readyChannel(local, net, a, b);
    let bolt11 = '';
    await applyInput(a.ctx, `invoice-${randomUUID()}`, async (store) => {
      const manager = await loadManager(a.ctx, store, { kind: 'create-invoice' }, await connectedPeers(a.ctx, store));
      const created = manager.createBolt11Invoice({ description: 'claim', amountMsat: 7_000_000n, expirySecs: 3600 });
      if (!created.ok) throw new Error(created.error.message);
      bolt11 = created.value.invoice;
      return takeChangesFunded(a.ctx, store, manager);
    });
    const { paymentId } = await storeNodeApi(b.ctx).payInvoice({ bolt11 }, { idempotencyKey: 'claim', fingerprint: requestFingerprint('POST', '/v1/payments', { bolt11 }) });
    // The connection breaks as A's update_fulfill_htlc (130) goes out: it and all after it are lost.
    let broken = false;
    await net.relay(a, b, (type) => (broken ||= type === 130));
    await net.relay(a, b, (type) => (broken ||= type === 130));
    expect(broken).toBe(true);
    await net.disconnect(a, b);
    const received = (await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'payment-received');
    expect(received).toHaveLength(1);
    const paymentHash = (received[0] as { paymentHash: string }).paymentHash;

    // B force-closes: its latest commitment holds the HTLC it offered A (7,000 sat).
    const closed = await storeNodeApi(b.ctx).closeChannel(channelId, { force: true });
    const txid = closed.closure!.txid!;
    expect(await storeNodeApi(b.ctx).getPayment(paymentId)).toMatchObject({ state: 'pending' });
    const commitment = Transaction.fromHex((await net.broadcasts(b)).at(-1)!);
    expect(commitment.getId()).toBe(txid);
    const htlcVout = commitment.outs.findIndex((o) => BigInt(o.value) === 7_000n);
    expect(htlcVout).toBeGreaterThanOrEqual(0);
    const esplora = new EsploraClient(local.chain.url);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);

    const aBefore = await walletBalanceOf(a.ctx);
    const sweep = await sweepOf(net, a, txid);
    // to_remote and the HTLC output, in one transaction; the HTLC input's witness <htlcsig> <preimage> <script>.
    expect(sweep.ins.map((x) => Buffer.from(x.hash).reverse().toString('hex'))).toEqual([txid, txid]);
    const htlcInput = sweep.ins.find((x) => x.index === htlcVout)!;
    expect(htlcInput).toBeDefined();
    expect(htlcInput.witness).toHaveLength(3);
    expect(Buffer.from(sha256(Uint8Array.from(htlcInput.witness[1]!))).toString('hex')).toBe(paymentHash);
    const taken = sweep.ins.reduce((sum, x) => sum + BigInt(commitment.outs[x.index]!.value), 0n);
    const toRemote = taken - 7_000n;
    expect(toRemote).toBeGreaterThan(CAPACITY - PUSH_SAT - 5_000n);
    const swept = BigInt(sweep.outs[0]!.value);
    expect(swept).toBeLessThan(taken);
    expect(swept).toBeGreaterThan(taken - 3_000n);
    // The chain validates the preimage spend and confirms it; A's wallet gains both outputs minus the fee.
    await esplora.broadcast(sweep.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(sweep.getId())).confirmed).toBe(true);
    await net.sync(a);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + swept);
    await expectWatchEnds(net, a);
    await net.relay(a, b);
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'counterparty-force-closed', txid } });
    expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept')).toEqual([
      expect.objectContaining({ channelId, txid: sweep.getId(), amountSat: swept.toString() }),
    ]);

    // B's payment stayed pending through its force close; A's claim on chain shows B the preimage: succeeded, once.
    const preimage = Buffer.from(htlcInput.witness[1]!).toString('hex');
    await net.sync(b);
    // (B's first run sees its commitment and plans its claims; the next sees A's claim spending the HTLC output it watches.)
    await net.sync(b);
    await net.relay(a, b);
    expect(await storeNodeApi(b.ctx).getPayment(paymentId)).toMatchObject({ state: 'succeeded', preimage });
    expect((await storeNodeApi(b.ctx).listEvents()).filter((e) => e.kind === 'payment-sent' || e.kind === 'payment-failed')).toEqual([expect.objectContaining({ kind: 'payment-sent', preimage })]);
  });
});
