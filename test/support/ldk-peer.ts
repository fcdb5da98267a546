/**
 * A real LDK node (npm `lightningdevkit`, LDK 0.1) beside a running
 * `npm start`, to try payments by hand: `npm run peer` (scripts/ldk-peer.ts;
 * README, "Try a payment"). It follows the embedded chain over its Esplora
 * API, connects to our node over TCP (BOLT 8), funds the channels it opens
 * from the chain's faucet, claims what it is paid, and runs one command per
 * line. It keeps nothing: its channels end with it (docs/ldk-peer.md).
 */
import { randomBytes } from 'node:crypto';
import { Block, Transaction, networks, payments } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { EsploraClient, EsploraError, EsploraErrorCode } from '../../shared/chain/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { startLdkNode, type LdkNode } from './ldk-node.js';
import { payFromCoin, testKey } from './regtest-wallet.js';

export interface LdkPeerOptions {
  /** Our node's HTTP API (`http://127.0.0.1:8080`) and its key. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** The embedded chain's Esplora API (`http://127.0.0.1:3002`). */
  readonly chainUrl: string;
  /** Our node's peer port on 127.0.0.1 (`PEER_PORT`, 9735). */
  readonly peerPort: number;
  /** Where the LDK node listens on 127.0.0.1 (0: any free port). */
  readonly listenPort: number;
  /** Each line the peer reports (events, answers, errors). */
  readonly print: (line: string) => void;
}

export const PEER_HELP = [
  'commands:',
  '  open <sat> [push_msat]    open a channel to the node, funded from the faucet, and mine 6 blocks',
  '  invoice <msat> [text]     a BOLT 11 invoice of this peer, for the node to pay (POST /v1/invoices makes one of the node\'s)',
  '  pay <bolt11>              pay an invoice (the node\'s, from POST /v1/invoices)',
  '  keysend <msat>            pay the node without an invoice (its payment-received event says spontaneous)',
  '  channels                  this peer\'s channels and balances',
  '  close <channel id>        close a channel cooperatively (then mine 1: the node counts its share in its wallet)',
  '  mine [blocks]             mine blocks on the embedded chain (default 1)',
  '  info                      this peer\'s node id, address and chain height',
  '  quit                      disconnect and exit (the channels stay open on the node\'s side)',
].join('\n');

const msat = (o: ldk.Option_u64Z) => (o instanceof ldk.Option_u64Z_Some ? o.some : 0n);

export class LdkPeer {
  #height = -1;
  #cursor = 0;
  #following: Promise<void> | undefined;
  #timer: NodeJS.Timeout;
  #redial: NodeJS.Timeout;
  #dialing = false;
  #chainDown = false;
  #funded = 0;
  readonly #pending = new Map<string, string>();
  /** The embedded chain's Esplora API; its regtest routes (mine, faucet) are posted to directly ({@link #regtest}). */
  readonly #chain: EsploraClient;
  /** Channels LDK reported closed, by id (a temporary id for one that never got funded). */
  readonly #closed = new Set<string>();

  private constructor(
    readonly node: LdkNode,
    readonly nodeId: string,
    readonly listenPort: number,
    readonly ourNodeId: string,
    private readonly options: LdkPeerOptions,
  ) {
    this.#chain = new EsploraClient(options.chainUrl);
    node.onBroadcast = (tx) => {
      void this.#chain.broadcast(tx).catch((e: unknown) => options.print(`error: broadcast refused: ${(e as Error).message}`));
    };
    this.#timer = setInterval(() => {
      this.#scanEvents();
      this.#following ??= this.#follow()
        .then(() => {
          if (this.#chainDown) options.print('chain reachable again');
          this.#chainDown = false;
        })
        .catch((e: unknown) => {
          // Once per outage (npm start stopped or restarting), not every 50 ms.
          if (!this.#chainDown) options.print(`error: chain unreachable (${(e as Error).message}); trying again`);
          this.#chainDown = true;
        })
        .finally(() => (this.#following = undefined));
    }, 50);
    // As a node keeps its channel peers connected: our node restarted (npm start stopped and started again) is dialled again.
    this.#redial = setInterval(() => void this.#reconnect(), 2_000);
  }

  async #reconnect(): Promise<void> {
    if (this.#dialing || this.node.peers().some((p) => toHex(p.nodeId) === this.ourNodeId)) return;
    this.#dialing = true;
    try {
      await this.node.connect(fromHex(this.ourNodeId), '127.0.0.1', this.options.peerPort);
      await this.node.waitFor(() => this.node.peers().some((p) => toHex(p.nodeId) === this.ourNodeId), 'the handshake with the node');
      this.options.print(`reconnected to ${this.ourNodeId}`);
    } catch {
      // Not up yet: the next round tries again.
    } finally {
      this.#dialing = false;
    }
  }

  /** Starts the LDK node (a fresh random seed), syncs it to the chain's tip and connects it to our node. */
  static async start(options: LdkPeerOptions): Promise<LdkPeer> {
    const info = await fetchJson(`${options.apiUrl}/v1/node`, { headers: { authorization: `Bearer ${options.apiKey}` } });
    const ourNodeId = String(info['nodeId']);
    const node = await startLdkNode(Uint8Array.from(randomBytes(32)));
    const listenPort = await node.listen(options.listenPort);
    const peer = new LdkPeer(node, toHex(node.nodeId), listenPort, ourNodeId, options);
    await peer.#follow();
    await node.connect(fromHex(ourNodeId), '127.0.0.1', options.peerPort);
    await node.waitFor(() => node.peers().some((p) => toHex(p.nodeId) === ourNodeId), 'the handshake with the node');
    options.print(`ready: LDK node ${peer.nodeId} on 127.0.0.1:${listenPort}, connected to ${ourNodeId}@127.0.0.1:${options.peerPort}, chain height ${peer.#height}`);
    return peer;
  }

  /** Runs one command line; problems are reported as `error: …` lines. */
  async run(line: string): Promise<'quit' | undefined> {
    const [command, ...args] = line.trim().split(/\s+/);
    try {
      switch (command) {
        case undefined:
        case '':
          return undefined;
        case 'help':
          this.options.print(PEER_HELP);
          return undefined;
        case 'quit':
        case 'exit':
          return 'quit';
        case 'info':
          this.options.print(`info: ${this.nodeId} on 127.0.0.1:${this.listenPort}, chain height ${this.#height}, ${this.node.channelManager.list_channels().length} channels`);
          return undefined;
        case 'open':
          await this.#open(wholeArg(args[0], 'sat'), args[1] === undefined ? 0n : wholeArg(args[1], 'push_msat'));
          return undefined;
        case 'invoice':
          this.#invoice(wholeArg(args[0], 'msat'), args.slice(1).join(' ') || 'stormcell peer');
          return undefined;
        case 'pay':
          await this.#pay(args[0] ?? '');
          return undefined;
        case 'keysend':
          await this.#keysend(wholeArg(args[0], 'msat'));
          return undefined;
        case 'channels':
          this.#channels();
          return undefined;
        case 'close':
          this.#close(args[0] ?? '');
          return undefined;
        case 'mine':
          await this.mine(args[0] === undefined ? 1 : Number(wholeArg(args[0], 'blocks')));
          return undefined;
        default:
          this.options.print(`error: unknown command ${command} (help lists them)`);
          return undefined;
      }
    } catch (e) {
      this.options.print(`error: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Mines `blocks` on the embedded chain and waits until this node has seen them. */
  async mine(blocks: number): Promise<void> {
    await this.#regtest('mine', JSON.stringify({ blocks }));
    await this.#settleChain();
    this.options.print(`mined ${blocks}: chain height ${this.#height}`);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#redial);
    await this.#following;
    await this.node.stop();
  }

  async #open(sat: bigint, pushMsat: bigint): Promise<void> {
    const opened = this.node.channelManager.create_channel(fromHex(this.ourNodeId), sat, pushMsat, BigInt(++this.#funded), null, null);
    if (!(opened instanceof ldk.Result_ChannelIdAPIErrorZ_OK)) throw new Error(`LDK refused to open the channel: ${apiError(opened)}`);
    const temporary = toHex(opened.res.get_a());
    this.options.print(`channel-opening ${temporary} ${sat} sat`);
    // The funding transaction: made on FundingGenerationReady (#scanEvents) once the node accepted, broadcast by LDK once it signed.
    const confirmed = this.#confirmOpen(temporary);
    if (await this.#within(10_000, () => Promise.resolve(this.#pending.has(temporary)))) {
      await confirmed;
      return;
    }
    // INBOUND_CHANNELS=manual holds it for POST /v1/channels/{id}/accept; the rest happens then. A refusal prints channel-closed and an error.
    this.options.print(`channel-waiting ${temporary}: the node has not accepted it yet (INBOUND_CHANNELS=manual: POST /v1/channels/${temporary}/accept); it goes on once accepted`);
    void confirmed.catch((e: unknown) => this.options.print(`error: ${(e as Error).message}`));
  }

  /** Once the funding transaction of `temporary` is in the mempool (LDK broadcast it: the node signed), mines 6 blocks. */
  async #confirmOpen(temporary: string): Promise<void> {
    await this.#until(() => Promise.resolve(this.#pending.has(temporary) || this.#closed.has(temporary)), `channel ${temporary} to be accepted`, 600_000);
    if (!this.#pending.has(temporary)) throw new Error(`the node refused channel ${temporary}`);
    const txid = this.#pending.get(temporary)!;
    await this.#until(() => this.#chainKnows(txid), `funding transaction ${txid} in the mempool`);
    await this.mine(6);
  }

  #invoice(amountMsat: bigint, description: string): void {
    const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(this.node.channelManager, ldk.Option_u64Z.constructor_some(amountMsat), description, 3600, ldk.Option_u16Z.constructor_none());
    if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice (is a channel ready?)');
    this.options.print(`invoice ${created.res.to_str()}`);
  }

  async #pay(bolt11: string): Promise<void> {
    const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
    if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('not a BOLT 11 invoice');
    const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
    if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('an invoice without an amount (LDK pays those with an amount of its own, not offered here)');
    const paymentId = Uint8Array.from(randomBytes(32));
    await this.#sending(() => {
      const sent = this.node.channelManager.send_payment(params.res.get_a(), params.res.get_b(), paymentId, params.res.get_c(), ldk.Retry.constructor_attempts(3));
      return sent instanceof ldk.Result_NoneRetryableSendFailureZ_Err ? sent.err : undefined;
    });
    this.options.print(`paying ${toHex(params.res.get_a())}`);
  }

  async #keysend(amountMsat: bigint): Promise<void> {
    const params = ldk.PaymentParameters.constructor_for_keysend(fromHex(this.ourNodeId), 40, false);
    const paymentId = Uint8Array.from(randomBytes(32));
    let hash: Uint8Array = new Uint8Array(0);
    await this.#sending(() => {
      const sent = this.node.channelManager.send_spontaneous_payment(
        ldk.Option_ThirtyTwoBytesZ.constructor_none(),
        ldk.RecipientOnionFields.constructor_spontaneous_empty(),
        paymentId,
        ldk.RouteParameters.constructor_from_payment_params_and_value(params, amountMsat),
        ldk.Retry.constructor_attempts(3),
      );
      if (sent instanceof ldk.Result_ThirtyTwoBytesRetryableSendFailureZ_OK) hash = sent.res;
      return sent instanceof ldk.Result_ThirtyTwoBytesRetryableSendFailureZ_Err ? sent.err : undefined;
    });
    this.options.print(`paying ${toHex(hash)}`);
  }

  /**
   * Runs `send` until LDK takes the payment. For 10 s a missing route is tried again: right after a
   * reconnection (the channel reestablishing) or a payment (its commitment dance still under way) LDK
   * has none for a moment. Any other refusal throws.
   */
  async #sending(send: () => ldk.RetryableSendFailure | undefined): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const refused = send();
      if (refused === undefined) return;
      if (refused !== ldk.RetryableSendFailure.LDKRetryableSendFailure_RouteNotFound || Date.now() > deadline) throw new Error(`LDK refused to send: ${ldk.RetryableSendFailure[refused]}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #channels(): void {
    const channels = this.node.channelManager.list_channels();
    if (channels.length === 0) this.options.print('channels: none');
    for (const c of channels) {
      this.options.print(
        `channel ${toHex(c.get_channel_id().get_a())} ${c.get_channel_value_satoshis()} sat, ` +
          `${c.get_is_usable() ? 'usable' : c.get_is_channel_ready() ? 'ready, peer offline' : 'pending'}, ` +
          `can send ${c.get_outbound_capacity_msat()} msat, can receive ${c.get_inbound_capacity_msat()} msat`,
      );
    }
  }

  #close(channelIdHex: string): void {
    if (!/^[0-9a-f]{64}$/.test(channelIdHex)) throw new Error('close takes a channel id (64 hex digits; channels lists them)');
    const closing = this.node.channelManager.close_channel(ldk.ChannelId.constructor_new(fromHex(channelIdHex)), fromHex(this.ourNodeId));
    if (!closing.is_ok()) throw new Error(`LDK refused to close it: ${closing instanceof ldk.Result_NoneAPIErrorZ_Err ? closing.err.constructor.name.replace(/^APIError_/, '') : 'unknown'}`);
    this.options.print(`closing ${channelIdHex}`);
  }

  /** Answers LDK's events: funds its channels, claims what it is paid, and reports each outcome. */
  #scanEvents(): void {
    this.node.processEvents();
    const events = this.node.events;
    for (; this.#cursor < events.length; this.#cursor++) {
      const e = events[this.#cursor]!;
      if (e instanceof ldk.Event_FundingGenerationReady) void this.#fund(e).catch((err: unknown) => this.options.print(`error: funding: ${(err as Error).message}`));
      else if (e instanceof ldk.Event_ChannelReady) this.options.print(`channel-ready ${toHex(e.channel_id.get_a())}`);
      else if (e instanceof ldk.Event_ChannelClosed) {
        this.#closed.add(toHex(e.channel_id.get_a()));
        this.options.print(`channel-closed ${toHex(e.channel_id.get_a())} ${e.reason.constructor.name.replace(/^ClosureReason_/, '')}`);
      }
      else if (e instanceof ldk.Event_PaymentClaimable) {
        const preimage = e.purpose.preimage();
        if (preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some) this.node.channelManager.claim_funds(preimage.some);
      } else if (e instanceof ldk.Event_PaymentClaimed) this.options.print(`payment-claimed ${toHex(e.payment_hash)} ${e.amount_msat} msat`);
      else if (e instanceof ldk.Event_PaymentSent) this.options.print(`payment-sent ${toHex(e.payment_hash)} fee ${msat(e.fee_paid_msat)} msat`);
      else if (e instanceof ldk.Event_PaymentFailed) {
        const hash = e.payment_hash instanceof ldk.Option_ThirtyTwoBytesZ_Some ? toHex(e.payment_hash.some) : '?';
        const reason = e.reason instanceof ldk.Option_PaymentFailureReasonZ_Some ? ldk.PaymentFailureReason[e.reason.some] : 'unknown';
        this.options.print(`payment-failed ${hash} ${reason}`);
      }
    }
  }

  /** LDK's funding transaction, paid from a faucet coin of a key of this peer's, handed to LDK (which broadcasts it once the node signed). */
  async #fund(ready: ldk.Event_FundingGenerationReady): Promise<void> {
    const key = testKey(`ldk peer ${this.nodeId} ${this.#funded}`);
    const address = payments.p2wpkh({ pubkey: Buffer.from(key.pubkey), network: networks.regtest }).address!;
    const txid = await this.#regtest('faucet', JSON.stringify({ address, sats: Number(ready.channel_value_satoshis + 10_000n) }));
    const funding = payFromCoin(Transaction.fromBuffer(Buffer.from(await this.#chain.txRaw(txid))), key, ready.output_script, ready.channel_value_satoshis);
    if (!this.node.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, funding.toBuffer()).is_ok()) throw new Error('LDK refused the funding transaction');
    this.#pending.set(toHex(ready.temporary_channel_id.get_a()), funding.getId());
  }

  /** Feeds LDK each block past the last one it saw (every transaction of it; LDK keeps what concerns it). */
  async #follow(): Promise<void> {
    const tip = await this.#chain.tipHeight();
    if (this.#height < 0) this.#height = tip - 1;
    for (let h = this.#height + 1; h <= tip; h++) {
      const block = Block.fromBuffer(Buffer.from(await this.#chain.blockRaw(await this.#chain.blockHashAt(h))));
      const header = Uint8Array.from(block.toBuffer(true));
      const txs = (block.transactions ?? []).map((tx, i) => [i, Uint8Array.from(tx.toBuffer())] as const);
      this.node.transactionsConfirmed(header, txs, h);
      this.node.bestBlockUpdated(header, h);
      this.#height = h;
    }
  }

  async #settleChain(): Promise<void> {
    const tip = await this.#chain.tipHeight();
    await this.#until(() => Promise.resolve(this.#height >= tip), `block ${tip}`);
  }

  async #until(predicate: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    if (!(await this.#within(timeoutMs, predicate))) throw new Error(`timed out waiting for ${what}`);
  }

  /** Whether `predicate` came to hold within `timeoutMs` (polled every 100 ms). */
  async #within(timeoutMs: number, predicate: () => Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  /** Whether the chain has `txid`, in a block or the mempool. */
  async #chainKnows(txid: string): Promise<boolean> {
    try {
      await this.#chain.tx(txid);
      return true;
    } catch (e) {
      if (e instanceof EsploraError && e.code === EsploraErrorCode.NotFound) return false;
      throw e;
    }
  }

  /** POSTs to the embedded chain's `/regtest/<route>` (not Esplora's: mine, faucet); answers the response text. */
  async #regtest(route: 'mine' | 'faucet', body: string): Promise<string> {
    const response = await fetch(`${this.options.chainUrl}/regtest/${route}`, { method: 'POST', body });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST /regtest/${route}: ${response.status} ${text}`);
    return text;
  }
}

function wholeArg(value: string | undefined, name: string): bigint {
  if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${name} must be a whole number`);
  return BigInt(value);
}

function apiError(result: ldk.Result_ChannelIdAPIErrorZ): string {
  return result instanceof ldk.Result_ChannelIdAPIErrorZ_Err ? result.err.constructor.name.replace(/^APIError_/, '') : 'unknown';
}

async function fetchJson(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
