/**
 * The sync routine against the embedded regtest chain over HTTP, with a
 * recording Confirm: confirmations of watched txids and of spends of watched
 * outputs, a reorg that drops a watched transaction, and a reorg that moves
 * it to another height — each in scan mode (recent blocks read whole) and in
 * lookup mode (each item looked up), with the calls checked one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { EMPTY_SYNC_VIEW, EsploraClient, syncChain, syncViewFromJson, syncViewToJson, type SyncView, type WatchSet } from '../../shared/chain/index.js';
import { outputTo, spend, testKey } from '../support/regtest-wallet.js';
import { RecordingConfirm } from './recording-confirm.js';

const alice = testKey('sync alice');
const bob = testKey('sync bob');

function internal(displayHex: string): Uint8Array {
  return Buffer.from(displayHex, 'hex').reverse();
}

for (const mode of ['scan', 'lookup'] as const) {
  describe(`chain sync (${mode} mode)`, () => {
    let chain: RunningRegtestChain;
    let client: EsploraClient;
    const confirm = new RecordingConfirm();
    const watch: { txids: Uint8Array[]; outputs: WatchSet['outputs'][number][] } = { txids: [], outputs: [] };
    let view: SyncView = EMPTY_SYNC_VIEW;
    const options = mode === 'scan' ? {} : { maxScanBlocks: 0 };

    const sync = async () => {
      const result = await syncChain(client, [confirm], () => watch, view, options);
      // The view survives a round trip through its persisted form.
      view = syncViewFromJson(syncViewToJson(result.view))!;
      expect(view).toEqual(result.view);
      return confirm.take();
    };
    const tip = async () => ({ height: await client.tipHeight(), blockHash: await client.tipHash() });

    beforeAll(async () => {
      chain = await startRegtestChain({ port: 0, dataDir: undefined });
      client = new EsploraClient(chain.url);
    });
    afterAll(() => chain.stop());

    it('first sync: only the best block', async () => {
      expect(await sync()).toEqual([{ kind: 'best', ...(await tip()) }]);
      expect(await sync()).toEqual([]);
    });

    it('confirms a watched transaction in its block, at its position, then updates the best block', async () => {
      const other = chain.chain.faucet(bob.script, 7_000n);
      const txid = chain.chain.faucet(alice.script, 50_000n);
      watch.txids.push(internal(txid));
      expect(await sync()).toEqual([]);
      const [hash] = chain.chain.mine(1);
      const block = chain.chain.blockByHash(hash!)!;
      expect(block.txids).toEqual([block.txids[0], other, txid]);
      expect(await sync()).toEqual([
        { kind: 'confirmed', height: block.height, blockHash: hash, txs: [{ txid, position: 2 }] },
        { kind: 'best', height: block.height, blockHash: hash },
      ]);
      chain.chain.mine(2);
      expect(await sync()).toEqual([{ kind: 'best', ...(await tip()) }]);
    });

    it('confirms the spend of a watched output, and a watched txid already deep in the chain', async () => {
      const coin = outputTo(chain.chain.transaction(chain.chain.faucet(alice.script, 30_000n))!.tx, alice.script);
      const old = chain.chain.faucet(bob.script, 9_000n);
      chain.chain.mine(3);
      const oldHeight = chain.chain.transaction(old)!.block!.height;
      watch.outputs.push({ outpoint: { txid: internal(coin.txid), index: coin.vout }, scriptPubKey: alice.script });
      watch.txids.push(internal(old));
      const calls = await sync();
      expect(calls).toEqual([
        { kind: 'confirmed', height: oldHeight, blockHash: chain.chain.blockAt(oldHeight)!.hash, txs: [{ txid: old, position: 2 }] },
        { kind: 'best', ...(await tip()) },
      ]);
      const spender = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 29_000n }] });
      expect(await client.broadcast(spender.toBuffer())).toBe(spender.getId());
      expect(await sync()).toEqual([]);
      const [hash] = chain.chain.mine(1);
      const height = chain.chain.tip().height;
      expect(await sync()).toEqual([
        { kind: 'confirmed', height, blockHash: hash, txs: [{ txid: spender.getId(), position: 1 }] },
        { kind: 'best', height, blockHash: hash },
      ]);
    });

    it('a reorg that drops a watched transaction: unconfirmed, then the new best block', async () => {
      const txid = chain.chain.faucet(alice.script, 20_000n);
      watch.txids.push(internal(txid));
      const [hash] = chain.chain.mine(1);
      const height = chain.chain.tip().height;
      expect(await sync()).toEqual([
        { kind: 'confirmed', height, blockHash: hash, txs: [{ txid, position: 1 }] },
        { kind: 'best', height, blockHash: hash },
      ]);
      const reorg = chain.chain.reorg(1, 2, new Set([txid]));
      expect(reorg.disconnected).toEqual([hash]);
      expect(await sync()).toEqual([
        { kind: 'unconfirmed', txid },
        { kind: 'best', height: height + 1, blockHash: reorg.connected[1] },
      ]);
      expect(confirm.confirmed.has(txid)).toBe(false);
      expect(await client.txStatus(txid)).toEqual({ confirmed: false });
      // It confirms again later: at another height than before.
      const [again] = chain.chain.mine(1);
      expect(await sync()).toEqual([
        { kind: 'confirmed', height: height + 2, blockHash: again, txs: [{ txid, position: 1 }] },
        { kind: 'best', height: height + 2, blockHash: again },
      ]);
    });

    it('a reorg that moves a watched transaction to another height in one sync: unconfirm, confirm, best block', async () => {
      const moved = chain.chain.faucet(alice.script, 21_000n);
      const stays = chain.chain.faucet(bob.script, 22_000n);
      watch.txids.push(internal(moved), internal(stays));
      const [first] = chain.chain.mine(1);
      chain.chain.mine(1);
      const height = chain.chain.tip().height - 1;
      const before = await sync();
      expect(before[0]).toEqual({ kind: 'confirmed', height, blockHash: first, txs: [{ txid: moved, position: 1 }, { txid: stays, position: 2 }] });
      // Replace the last two blocks by three; `moved` is left out of them, then mined on top.
      const reorg = chain.chain.reorg(2, 3, new Set([moved]));
      const [top] = chain.chain.mine(1);
      const calls = await sync();
      const staysHeight = chain.chain.transaction(stays)!.block!.height;
      expect(staysHeight).toBe(height);
      const unconfirmed = calls.filter((c) => c.kind === 'unconfirmed').map((c) => (c.kind === 'unconfirmed' ? c.txid : ''));
      expect(new Set(unconfirmed)).toEqual(new Set([moved, stays]));
      expect(calls.slice(2)).toEqual([
        { kind: 'confirmed', height, blockHash: reorg.connected[0], txs: [{ txid: stays, position: 1 }] },
        { kind: 'confirmed', height: height + 3, blockHash: top, txs: [{ txid: moved, position: 1 }] },
        { kind: 'best', height: height + 3, blockHash: top },
      ]);
      expect(confirm.confirmed.get(moved)?.height).toBe(height + 3);
    });

    it('agrees with the chain for every watched txid after all of it', async () => {
      for (const t of watch.txids) {
        const txid = Buffer.from(t).reverse().toString('hex');
        const status = await client.txStatus(txid);
        expect(confirm.confirmed.get(txid)?.height, txid).toBe(status.blockHeight);
      }
      expect(confirm.best).toEqual(await tip());
    });
  });
}

describe('chain sync: a reorg deeper than the recent window falls back to lookups', () => {
  it('unconfirms and reconfirms across a 14-block reorg', async () => {
    const chain = await startRegtestChain({ port: 0, dataDir: undefined });
    try {
      const client = new EsploraClient(chain.url);
      const confirm = new RecordingConfirm();
      const txid = chain.chain.faucet(alice.script, 40_000n);
      const [hash] = chain.chain.mine(1);
      chain.chain.mine(13);
      const watch = { txids: [internal(txid)], outputs: [] };
      let view = (await syncChain(client, [confirm], () => watch, EMPTY_SYNC_VIEW)).view;
      expect(confirm.take()[0]).toMatchObject({ kind: 'confirmed', blockHash: hash, height: 102 });
      const reorg = chain.chain.reorg(14, 15, new Set([txid]));
      const [later] = chain.chain.mine(1);
      view = (await syncChain(client, [confirm], () => watch, view)).view;
      expect(confirm.take()).toEqual([
        { kind: 'unconfirmed', txid },
        { kind: 'confirmed', height: 117, blockHash: later, txs: [{ txid, position: 1 }] },
        { kind: 'best', height: 117, blockHash: later },
      ]);
      expect(reorg.connected).toHaveLength(15);
      expect(view.tip).toEqual({ height: 117, hash: later });
    } finally {
      await chain.stop();
    }
  });
});
