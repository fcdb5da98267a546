/**
 * Test support for end-to-end channel tests: an embedded deployment (the
 * code behind `npm start`) on its own data dir and free ports, real LDK
 * nodes next to it, and the steps the tests share: the authenticated HTTP
 * API, funding our wallet, feeding the embedded chain's blocks to our chain
 * handler and to LDK.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../infra/local/embedded.js';
import { freePort } from '../../infra/local/free-port.js';
import type { RegtestChain } from '../../infra/local/regtest-chain/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { startLdkNode, type LdkNode, type LdkNodeOptions } from './ldk-node.js';
import { payFromCoin, testKey } from './regtest-wallet.js';

/** A channel as `GET /v1/channels` lists it. */
export interface ChannelJson {
  channelId: string;
  temporaryChannelId: string;
  state: string;
  channelType?: string;
  shortChannelId?: string;
  capacitySat: number;
  isUsable: boolean;
  isOutbound: boolean;
  fundingTxid?: string;
  /** HTLCs in flight (docs/balances.md). */
  pendingHtlcs: unknown[];
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

/** BOLT 7 short channel id as the API writes it. */
export function formatScid(scid: bigint): string {
  return `${scid >> 40n}x${(scid >> 16n) & 0xffffffn}x${scid & 0xffffn}`;
}

/** LDK's short channel id of `channel`, as the API writes it ('none' when unknown). */
export function ldkScid(channel: ldk.ChannelDetails): string {
  const scid = channel.get_short_channel_id();
  return scid instanceof ldk.Option_u64Z_Some ? formatScid(scid.some) : 'none';
}

/** Options for a test deployment on `dataDir`: free ports, schedulers idle (tests run the chain handler and ticks themselves). */
export async function embeddedTestOptions(dataDir: string, overrides: Partial<EmbeddedOptions> = {}): Promise<EmbeddedOptions> {
  return {
    dataDir,
    port: await freePort(),
    peerPort: await freePort(),
    dynamoPort: await freePort(),
    sqsPort: await freePort(),
    chainPort: await freePort(),
    chainPollMs: 3_600_000,
    timerIntervalMs: 3_600_000,
    ...overrides,
  };
}

/** One embedded deployment and the LDK nodes the test starts next to it. */
export class EmbeddedWithLdk {
  readonly ldkNodes: LdkNode[] = [];
  #fedHeight = 0;

  #node: Embedded;
  #chain: RegtestChain;

  private constructor(
    node: Embedded,
    readonly dataDir: string,
    readonly options: EmbeddedOptions,
  ) {
    this.#node = node;
    this.#chain = node.chain!.chain;
    this.#fedHeight = this.#chain.tip().height;
  }

  /** The running deployment (a new one after {@link restart}). */
  get node(): Embedded {
    return this.#node;
  }

  /** Its embedded regtest chain. */
  get chain(): RegtestChain {
    return this.#chain;
  }

  /**
   * Stops the whole deployment (gateway, handlers, DynamoDB Local, queues,
   * chain), runs `whileStopped`, and starts it again on the same data and ports.
   */
  async restart(whileStopped: () => Promise<void> = async () => {}): Promise<void> {
    await this.#node.stop();
    await whileStopped();
    this.#node = await startEmbedded(this.options);
    this.#chain = this.#node.chain!.chain;
  }

  /** Starts a deployment on a fresh data dir and free ports; the schedulers are left idle (tests run the chain handler themselves). */
  static async start(label: string, options: Partial<EmbeddedOptions> = {}): Promise<EmbeddedWithLdk> {
    const dataDir = mkdtempSync(join(tmpdir(), `stormcell-e2e-${label}-`));
    const all = await embeddedTestOptions(dataDir, options);
    return new EmbeddedWithLdk(await startEmbedded(all), dataDir, all);
  }

  /** Starts an LDK node at our chain's tip; its broadcasts go to our chain. */
  async startLdk(seedByte: number, options: LdkNodeOptions): Promise<LdkNode> {
    const ldkNode = await startLdkNode(new Uint8Array(32).fill(seedByte), options);
    const tip = this.chain.tip();
    ldkNode.bestBlockUpdated(tip.header, tip.height);
    ldkNode.onBroadcast = (tx) => {
      void fetch(`${this.node.chainUrl}/tx`, { method: 'POST', body: toHex(tx) });
    };
    this.ldkNodes.push(ldkNode);
    return ldkNode;
  }

  /** LDK dials our peer port; resolves once our node lists it. */
  async connectLdk(ldkNode: LdkNode): Promise<void> {
    const before = await this.peerCount();
    await ldkNode.connect(fromHex(this.node.nodeId), '127.0.0.1', Number(this.node.peerAddress.split(':')[1]));
    await this.until(async () => (await this.peerCount()) === before + 1, 'our node to list LDK');
  }

  async peerCount(): Promise<number> {
    return ((await this.api('/v1/peers')).body['peers'] as unknown[]).length;
  }

  async stop(): Promise<void> {
    for (const n of this.ldkNodes) await n.stop();
    await this.node.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Polls `predicate` (running LDK's event processing) until it holds; the error carries LDK's log tail. */
  async until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; LDK log tail:\n${this.ldkNodes.flatMap((n) => n.log.slice(-15)).join('\n')}`);
      for (const n of this.ldkNodes) n.processEvents();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Waits until transaction `txid` (display hex) is in our chain's mempool:
   * mine only then. LDK broadcasts the funding transaction of a channel it
   * opens once our funding_signed reached it, after our node lists the channel.
   */
  async inMempool(txid: string, what = 'the transaction in the mempool'): Promise<void> {
    await this.until(() => this.chain.transaction(txid)?.inMempool === true, what);
  }

  async api(path: string, init: RequestInit = {}): Promise<ApiResponse> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.node.apiKey}`);
    const response = await fetch(`${this.node.apiUrl}${path}`, { ...init, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async post(path: string, body: unknown): Promise<ApiResponse> {
    return this.api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  async channels(): Promise<ChannelJson[]> {
    return (await this.api('/v1/channels')).body['channels'] as ChannelJson[];
  }

  /**
   * `ldkNode` parses `bolt11` and pays it under a fresh payment id (returned).
   * Right after a payment settles LDK may find no route for a moment (the
   * channel's commitment update still under way): it tries again until it sends.
   */
  async ldkPays(ldkNode: LdkNode, bolt11: string): Promise<Uint8Array> {
    const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
    if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse the invoice');
    const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
    if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
    const paymentId = Uint8Array.from(randomBytes(32));
    await this.until(() => {
      const sent = ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), paymentId, params.res.get_c(), ldk.Retry.constructor_attempts(0));
      if (sent.is_ok()) return true;
      const refusal = sent instanceof ldk.Result_NoneRetryableSendFailureZ_Err ? ldk.RetryableSendFailure[sent.err] : 'unknown';
      if (refusal !== 'LDKRetryableSendFailure_RouteNotFound') throw new Error(`LDK refused to send: ${refusal}`);
      return false;
    }, 'LDK to send the payment');
    return paymentId;
  }

  /** What became of `ldkNode`'s payment `paymentId`: its `PaymentSent` or `PaymentFailed`, once there. */
  async ldkPaymentOutcome(ldkNode: LdkNode, paymentId: Uint8Array): Promise<ldk.Event_PaymentSent | ldk.Event_PaymentFailed> {
    const same = (a: Uint8Array | ldk.Option_ThirtyTwoBytesZ) => toHex(a instanceof ldk.Option_ThirtyTwoBytesZ_Some ? a.some : (a as Uint8Array)) === toHex(paymentId);
    const outcome = () =>
      ldkNode.events.find((e): e is ldk.Event_PaymentSent => e instanceof ldk.Event_PaymentSent && same(e.payment_id)) ??
      ldkNode.events.find((e): e is ldk.Event_PaymentFailed => e instanceof ldk.Event_PaymentFailed && same(e.payment_id));
    await this.until(() => outcome() !== undefined, 'LDK PaymentSent or PaymentFailed', 30_000);
    return outcome()!;
  }

  /** Pays `sats` from the chain's faucet to a fresh wallet address, mines it and syncs. */
  async fundWallet(sats: number): Promise<void> {
    const { body } = await this.post('/v1/wallet/address', {});
    const faucet = await fetch(`${this.node.chainUrl}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address: body['address'], sats }) });
    if (faucet.status !== 200) throw new Error(`faucet: ${faucet.status}`);
    await this.mineAndFeed(1, '');
  }

  /** Mines `blocks`, runs our chain handler, and feeds every LDK node each new block (confirming `txid`, display hex, where it is). */
  async mineAndFeed(blocks: number, txid: string): Promise<void> {
    await this.#mineAndFeedWhere(blocks, (id) => id === txid);
  }

  /** As {@link mineAndFeed}, every transaction of each new block but its coinbase fed to LDK (its claims, ours, what it must learn a preimage from). */
  async mineAndFeedAll(blocks: number): Promise<void> {
    await this.#mineAndFeedWhere(blocks, (_, position) => position > 0);
  }

  async #mineAndFeedWhere(blocks: number, fed: (txid: string, position: number) => boolean): Promise<void> {
    this.chain.mine(blocks);
    await this.node.syncChain();
    for (let h = this.#fedHeight + 1; h <= this.chain.tip().height; h++) {
      const block = this.chain.blockAt(h)!;
      const txs = block.txids.flatMap((id, position) => (fed(id, position) ? [[position, block.transactions[position]!.toBuffer()] as const] : []));
      for (const n of this.ldkNodes) {
        if (txs.length > 0) n.transactionsConfirmed(block.header, txs, h);
        n.bestBlockUpdated(block.header, h);
      }
      this.#fedHeight = h;
    }
  }

  /** LDK's funding transaction for its FundingGenerationReady, paid from the chain's faucet and handed to LDK; returns its txid. */
  fundLdkChannel(ldkNode: LdkNode, ready: ldk.Event_FundingGenerationReady, label: string): string {
    const key = testKey(label);
    const tx = payFromCoin(this.chain.transaction(this.chain.faucet(key.script, ready.channel_value_satoshis + 50_000n))!.tx, key, ready.output_script, ready.channel_value_satoshis);
    if (!ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx.toBuffer()).is_ok()) {
      throw new Error('LDK refused the funding transaction');
    }
    return tx.getId();
  }
}
