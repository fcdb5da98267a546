/**
 * Justice, the most important test (issue 17), for both channel types,
 * through the real handlers on the embedded regtest chain (it validates
 * every script): A and B are our nodes; A funds a channel and pushes
 * {@link PUSH_SAT} to B; at once A pays B {@link A_TO_B_SAT} and B pays A
 * {@link B_TO_A_SAT}, so that one commitment of the cheater (B, the fundee;
 * or A, the funder, whose balance paid the commitment fee) holds balance on
 * both sides and an HTLC each way, with the victim's signatures on their
 * HTLC transactions; both payments settle, which revokes it. The cheater
 * broadcasts it, then the second-stage transactions its old state lets it
 * build: at once its HTLC-success of the HTLC the victim offered (it has
 * the preimage: it was paid), and, past that HTLC's `cltv_expiry`, its
 * HTLC-timeout of the one it offered, each confirming before the victim's
 * justice does (a miner that ignores the victim's transactions; the
 * victim's chain handler does not run while the blocks to the expiry are
 * mined, so its justice is not bumped at each of them). The victim's chain
 * handler queues its justice at its run for the commitment's block,
 * rebuilds it when each HTLC transaction takes an HTLC output, and the last
 * one takes every output left: the cheater's `to_local`, the victim's
 * `to_remote` and the outputs of both HTLC transactions (they pay the
 * revoked `to_local` script). The victim's wallet gains exactly the channel
 * value minus the fees of the transactions on chain (each the sum of its
 * inputs minus its outputs, read from the chain), and under anchors minus
 * the two 330 sat anchors, which nobody sweeps (spending one costs more
 * than it holds). The cheater gets nothing of the channel: its wallet keeps
 * only its own coins less the fees its zero-fee HTLC transactions took from
 * them (anchors). Events `channel-closed` (reason
 * `revoked-commitment-punished`, the cheater's commitment as closing txid)
 * and `funds-swept` (the last justice transaction, its amount).
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { loadWallet, newReceiveAddress, walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import type { NodeChannelSettings } from '../../shared/manager/index.js';
import { anchorHtlcClaims, buildAnchorHtlcTx, holderHtlcTransactions, type ChannelMonitor } from '../../shared/monitor/index.js';
import { Keychain } from '../../shared/wallet/index.js';
import { CAPACITY, PUSH_SAT, expectWatchEnds, revokedWithHtlcsBothWays, spentBy } from '../support/force-close-nodes.js';
import { verifyScripts, type Prevout } from '../support/interpreter.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const A_TO_B_SAT = 7_000n;
const B_TO_A_SAT = 9_000n;
const ANCHOR_SAT = 330n;
/** The cheater's zero-fee HTLC transactions (anchors) pay 10 sat/vB from its own coins. */
const B_HTLC_FEERATE_PER_KW = 2_500n;

const STATIC_REMOTEKEY: NodeChannelSettings = { anchors: false, acceptInboundChannels: 'all' };
const ANCHORS: NodeChannelSettings = { anchors: true, acceptInboundChannels: 'all' };

const txidOfInput = (x: Transaction['ins'][number]) => Buffer.from(x.hash).reverse().toString('hex');

/** The outputs `tx` spends, read from the chain. */
async function prevoutsOf(esplora: EsploraClient, tx: Transaction): Promise<Prevout[]> {
  const out: Prevout[] = [];
  for (const x of tx.ins) {
    const o = Transaction.fromBuffer(Buffer.from(await esplora.txRaw(txidOfInput(x)))).outs[x.index]!;
    out.push({ scriptPubKey: Uint8Array.from(o.script), amountSat: BigInt(o.value) });
  }
  return out;
}

/** What `tx` paid in fees: the sum of the outputs it spends (read from the chain) minus its outputs. */
async function feeOf(esplora: EsploraClient, tx: Transaction): Promise<bigint> {
  const inputs = (await prevoutsOf(esplora, tx)).reduce((sum, p) => sum + p.amountSat, 0n);
  return inputs - tx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
}

/** A justice transaction the cheater's HTLC transactions beat to the chain (never mined): every input passes the script check the chain runs. */
async function expectScriptsValid(esplora: EsploraClient, tx: Transaction): Promise<void> {
  expect(verifyScripts(tx, await prevoutsOf(esplora, tx)), tx.getId()).toBeUndefined();
}

/** Submits `tx` to the chain, mines a block, and checks that block confirmed it (the chain validated every input's script). */
async function confirm(net: PipelineNet, esplora: EsploraClient, tx: Transaction): Promise<void> {
  await esplora.broadcast(tx.toBuffer());
  await net.mine(1);
  expect((await esplora.txStatus(tx.getId())).confirmed, `${tx.getId()} confirmed`).toBe(true);
}

/**
 * The cheater's second-stage transaction of the HTLC it offered
 * (`offered`: its HTLC-timeout) or received (its HTLC-success), built from
 * its monitor as it was at the revoked commitment (`then`): pre-signed as
 * the commitment's feerate set (static_remotekey), or zero-fee with a coin
 * of the cheater's wallet paying the fee and its change to the cheater
 * (anchors).
 */
async function cheaterHtlcTx(cheater: PipelineNode, then: ChannelMonitor, revoked: Transaction, offered: boolean, changeIndex: number, earlier: readonly Transaction[] = []): Promise<Transaction> {
  const { secp, signerProvider } = cheater.ctx.managerPorts;
  const signer = signerProvider.deriveChannelSigner(then.channelValueSatoshis, then.channelKeysId);
  if (!then.channelType.anchors) {
    const built = holderHtlcTransactions(secp, signer, then, revoked).find((t) => t.offered === offered);
    if (built === undefined) throw new Error(`the cheater has no HTLC transaction (offered: ${offered})`);
    return Transaction.fromBuffer(Buffer.from(built.tx));
  }
  const claim = anchorHtlcClaims(secp, signer, then, revoked).find((c) => c.offered === offered);
  if (claim === undefined) throw new Error(`the cheater has no anchors HTLC claim (offered: ${offered})`);
  // One confirmed coin of the cheater's that no earlier transaction of this test spent (its chain handler has not run since).
  const used = new Set(earlier.flatMap(spentBy));
  const coins = (await loadWallet(cheater.ctx.store, cheater.ctx.nodeKey)).utxos.filter((u) => u.height > 0 && u.spentBy === undefined && !used.has(`${u.txid}:${u.vout}`)).slice(0, 1);
  const built = buildAnchorHtlcTx(secp, signer, [claim], { account: cheater.ctx.wallet, coins, changeScript: cheater.ctx.wallet.key(Keychain.change, changeIndex).script }, B_HTLC_FEERATE_PER_KW);
  if (built.kind !== 'signed') throw new Error(`the cheater's anchors HTLC transaction: ${built.kind}`);
  return Transaction.fromBuffer(Buffer.from(built.tx));
}

async function justiceBothWays(label: string, settings: NodeChannelSettings, cheaterName: 'a' | 'b'): Promise<void> {
  const net = new PipelineNet(local);
  const esplora = new EsploraClient(local.chain.url);
  const { victim, cheater, channelId, revoked, cheaterThen, offeredByVictimVout, offeredByCheaterVout } = await revokedWithHtlcsBothWays(local, net, label, settings, A_TO_B_SAT, B_TO_A_SAT, cheaterName);
  const anchors = settings.anchors;
  const txid = revoked.getId();
  // Balance on both sides: the cheater's to_local and the victim's to_remote, besides the two HTLCs (and the anchors).
  const anchorVouts = revoked.outs.flatMap((o, i) => (anchors && BigInt(o.value) === ANCHOR_SAT ? [i] : []));
  expect(anchorVouts).toHaveLength(anchors ? 2 : 0);
  const mainVouts = revoked.outs.map((_, i) => i).filter((i) => !anchorVouts.includes(i) && i !== offeredByVictimVout && i !== offeredByCheaterVout);
  expect(mainVouts).toHaveLength(2);
  // B's balance: what was pushed to it less the HTLC it offered (B is not the funder: no fee); A's the rest less the
  // HTLC A offered, the commitment fee and the anchors.
  const commitmentFee = CAPACITY - revoked.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
  const balances = mainVouts.map((i) => BigInt(revoked.outs[i]!.value)).sort((x, y) => (x < y ? -1 : 1));
  expect(balances).toEqual([PUSH_SAT - B_TO_A_SAT, CAPACITY - PUSH_SAT - A_TO_B_SAT - commitmentFee - BigInt(anchorVouts.length) * ANCHOR_SAT]);

  // The cheater, under anchors, pays its zero-fee HTLC transactions with confirmed coins of its own.
  if (anchors) {
    for (let i = 0; i < 2; i++) await net.faucet((await newReceiveAddress(cheater.ctx)).address, 20_000);
    await net.mine(1);
    await net.sync(cheater);
  }
  const cheaterBefore = await walletBalanceOf(cheater.ctx);

  // The cheater broadcasts its revoked commitment.
  await confirm(net, esplora, revoked);
  const victimBefore = await walletBalanceOf(victim.ctx);

  // The victim's justice, at once (the run for the block that confirmed the commitment): every output of the commitment but
  // the anchors, in one transaction (under anchors its to_remote input's CSV of 1 lets it into the next block, as the cheater's HTLC transactions).
  await net.sync(victim);
  const first = (await net.broadcasts(victim)).map((h) => Transaction.fromHex(h)).find((t) => spentBy(t).some((o) => o.startsWith(`${txid}:`)));
  if (first === undefined) throw new Error('no justice transaction at the first run after the commitment confirmed');
  expect(spentBy(first).sort()).toEqual(revoked.outs.map((_, i) => `${txid}:${i}`).filter((_, i) => !anchorVouts.includes(i)).sort());
  await expectScriptsValid(esplora, first);

  // The cheater's HTLC-success of the HTLC the victim offered confirms first (it was paid: it has the preimage).
  const success = await cheaterHtlcTx(cheater, cheaterThen, revoked, false, 0);
  expect(spentBy(success)[0]).toBe(`${txid}:${offeredByVictimVout}`);
  await confirm(net, esplora, success);

  // The victim rebuilds its justice without that HTLC output, with the HTLC-success's output instead.
  await net.sync(victim);
  const second = (await net.broadcasts(victim)).map((h) => Transaction.fromHex(h)).find((t) => spentBy(t).includes(`${success.getId()}:0`));
  expect(second, 'justice spending the HTLC-success').toBeDefined();
  expect(spentBy(second!).sort()).toEqual([...mainVouts, offeredByCheaterVout].map((i) => `${txid}:${i}`).concat(`${success.getId()}:0`).sort());
  await expectScriptsValid(esplora, second!);

  // Past the expiry of the HTLC the cheater offered, its HTLC-timeout takes it (the victim's justice still unconfirmed, its handler not run meanwhile).
  const timeout = await cheaterHtlcTx(cheater, cheaterThen, revoked, true, 1, [success]);
  expect(spentBy(timeout)[0]).toBe(`${txid}:${offeredByCheaterVout}`);
  expect(timeout.locktime).toBeGreaterThan(await esplora.tipHeight());
  expect(timeout.locktime - (await esplora.tipHeight())).toBeLessThan(Number(cheaterThen.holder.toSelfDelay));
  await net.mine(timeout.locktime - (await esplora.tipHeight()));
  await confirm(net, esplora, timeout);

  // The victim's last justice: the cheater's to_local, its own to_remote and both HTLC transactions' outputs, in one transaction the chain accepts.
  await net.sync(victim);
  const last = (await net.broadcasts(victim)).map((h) => Transaction.fromHex(h)).find((t) => spentBy(t).includes(`${timeout.getId()}:0`));
  expect(last, 'justice spending the HTLC-timeout').toBeDefined();
  expect(spentBy(last!).sort()).toEqual([...mainVouts.map((i) => `${txid}:${i}`), `${success.getId()}:0`, `${timeout.getId()}:0`].sort());
  expect(last!.outs).toHaveLength(1);
  await confirm(net, esplora, last!);

  // Every output of the revoked commitment and of the cheater's HTLC transactions that held channel funds is spent by the
  // chain's confirmed transactions: the HTLC outputs by the cheater's HTLC transactions, all the rest by the victim's justice; the anchors stay.
  for (const [i] of revoked.outs.entries()) {
    const spender = (await esplora.outspend(txid, i)).txid;
    if (anchorVouts.includes(i)) expect((await esplora.outspend(txid, i)).spent).toBe(false);
    else expect(spender).toBe(i === offeredByVictimVout ? success.getId() : i === offeredByCheaterVout ? timeout.getId() : last!.getId());
  }
  for (const htlcTx of [success, timeout]) expect((await esplora.outspend(htlcTx.getId(), 0)).txid).toBe(last!.getId());

  // The victim's wallet: the channel value minus the fees of the transactions on chain (the funding's was paid before), minus the anchors.
  await net.sync(victim);
  const victimAfter = await walletBalanceOf(victim.ctx);
  expect(victimAfter.unconfirmedSat).toBe(victimBefore.unconfirmedSat);
  const gained = victimAfter.confirmedSat - victimBefore.confirmedSat;
  const justiceSat = BigInt(last!.outs[0]!.value);
  expect(gained).toBe(justiceSat);
  expect(await feeOf(esplora, revoked)).toBe(commitmentFee);
  const justiceFee = await feeOf(esplora, last!);
  // The part of each HTLC transaction's fee taken from the HTLC (static_remotekey: all of it; anchors: none, the cheater's coin pays).
  const htlcTxFees = [success, timeout].map((t) => BigInt(revoked.outs[t.ins[0]!.index]!.value) - BigInt(t.outs[0]!.value));
  if (anchors) expect(htlcTxFees).toEqual([0n, 0n]);
  else for (const [i, t] of [success, timeout].entries()) expect(htlcTxFees[i]).toBe(await feeOf(esplora, t));
  const anchorsLeft = anchors ? 2n * ANCHOR_SAT : 0n;
  expect(gained).toBe(CAPACITY - commitmentFee - htlcTxFees[0]! - htlcTxFees[1]! - justiceFee - anchorsLeft);
  // The justice fee: the chain's estimate for the next block (its deadline), no more than a tenth above it (the expected
  // witness sizes of BOLT 5 round up); the other fees are the commitment's and, without anchors, the pre-signed HTLC transactions'.
  const nextBlockSatPerVb = BigInt(Math.ceil((await esplora.feeEstimates()).get(1)!));
  expect(justiceFee).toBeGreaterThanOrEqual(nextBlockSatPerVb * BigInt(last!.virtualSize()) - BigInt(last!.ins.length));
  expect(justiceFee * 10n).toBeLessThanOrEqual(11n * nextBlockSatPerVb * BigInt(last!.virtualSize()));

  // The cheater gets nothing of the channel: its wallet has its own coins less what its HTLC transactions paid from them.
  await net.sync(cheater);
  const cheaterFromCoins = anchors ? (await feeOf(esplora, success)) + (await feeOf(esplora, timeout)) : 0n;
  expect(await walletBalanceOf(cheater.ctx)).toEqual({ confirmedSat: cheaterBefore.confirmedSat + cheaterBefore.unconfirmedSat - cheaterFromCoins, unconfirmedSat: 0n });

  // The victim's watch ends; its manager learns the close and the sweep.
  await expectWatchEnds(net, victim);
  await net.relay(victim, cheater);
  expect(await storeNodeApi(victim.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'revoked-commitment-punished', txid } });
  const events = await storeNodeApi(victim.ctx).listEvents();
  expect(events.filter((e) => e.kind === 'channel-closed')).toEqual([expect.objectContaining({ channelId, reason: 'revoked-commitment-punished', closingTxid: txid })]);
  expect(events.filter((e) => e.kind === 'funds-swept')).toEqual([expect.objectContaining({ channelId, txid: last!.getId(), amountSat: justiceSat.toString() })]);
}

describe('justice through the handlers, on the regtest chain: a revoked commitment with balance on both sides and HTLCs both ways', () => {
  it('static_remotekey, the fundee cheats: the funder takes its to_local, its own to_remote and the outputs of its HTLC-success and HTLC-timeout; its wallet gains the channel value minus the fees on chain', async () => {
    await justiceBothWays('justice-static', STATIC_REMOTEKEY, 'b');
  }, 240_000);

  it('static_remotekey, the funder cheats (its to_local paid the commitment fee): the fundee takes everything the same way', async () => {
    await justiceBothWays('justice-static-funder', STATIC_REMOTEKEY, 'a');
  }, 240_000);

  it('anchors (option_anchors_zero_fee_htlc_tx), the fundee cheats: the same, its zero-fee HTLC transactions paid by its own coins; only the two anchors are left', async () => {
    await justiceBothWays('justice-anchors', ANCHORS, 'b');
  }, 240_000);

  it('anchors, the funder cheats: the same', async () => {
    await justiceBothWays('justice-anchors-funder', ANCHORS, 'a');
  }, 240_000);
});
