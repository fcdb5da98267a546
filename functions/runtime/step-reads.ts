/**
 * The items a manager invocation may read, each read at most once and
 * started as early as the caller knows it will (or may) be needed: HEADER
 * and FEES with the PEER item, WALLET with them when the message is an
 * `accept_channel` (the wallet funds the channel in the same invocation).
 * A read started but never used costs one parallel GetItem and nothing else.
 */
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import type { NodeContext } from './node-context.js';
import type { WalletShutdownScripts } from './wallet-shutdown-scripts.js';

export class StepReads {
  readonly #reads = new Map<string, Promise<Uint8Array | undefined>>();
  /** The manager's SignerProvider of this invocation (set by `loadManager`): the wallet addresses it reserved are written with the changes. */
  shutdownScripts: WalletShutdownScripts | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: NodeStore,
  ) {}

  #get(sk: string): Promise<Uint8Array | undefined> {
    let read = this.#reads.get(sk);
    if (read === undefined) {
      read = this.store.get(this.ctx.nodeKey, sk);
      // Started early, maybe never awaited: its failure must not go unhandled (an awaiting caller still sees it).
      read.catch(() => undefined);
      this.#reads.set(sk, read);
    }
    return read;
  }

  /** The manager header (absent before the node's first channel input). */
  header(): Promise<Uint8Array | undefined> {
    return this.#get(SortKey.header);
  }

  /** The fee estimates the chain handler keeps (absent before its first run). */
  fees(): Promise<Uint8Array | undefined> {
    return this.#get(SortKey.fees);
  }

  /** The registered webhooks (functions/webhooks/webhook-records.ts): a commit with events writes their deliveries. */
  webhooks(): Promise<Uint8Array | undefined> {
    return this.#get(SortKey.webhooks);
  }

  /** The on-chain wallet. */
  wallet(): Promise<Uint8Array | undefined> {
    return this.#get(SortKey.wallet);
  }
}
