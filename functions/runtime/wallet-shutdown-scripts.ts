/**
 * The manager's SignerProvider in the deployment (docs/close.md): channel
 * keys from the node's KeysManager, and shutdown scripts from the node's
 * wallet, so a cooperative close pays an address the wallet scans. Nothing
 * is committed upfront in `open_channel` / `accept_channel`: the address is
 * reserved (shared/wallet `reserveCloseScript`) only when a close needs it,
 * so open channels do not widen the wallet's scan window.
 *
 * One per invocation: armed with the WALLET item when the input may need a
 * script (our `closeChannel`, the peer's `shutdown`), and the invocation
 * writes back the wallet with the reserved indexes in the same commit
 * (`takeChangesFunded`).
 */
import type { ChannelSigner, SignerProvider } from '../../shared/keys/index.js';
import type { ManagerInput } from '../../shared/manager/index.js';
import { reserveCloseScript, type Bip84Account, type WalletState } from '../../shared/wallet/index.js';

/** Whether `input` may make the manager ask for our shutdown script: the user's close, or the peer's `shutdown` answered with ours. */
export function mayNeedShutdownScript(input: ManagerInput): boolean {
  return input.kind === 'close-channel' || (input.kind === 'peer-message' && input.message.type === 38);
}

export class WalletShutdownScripts implements SignerProvider {
  readonly commitUpfrontShutdownScript = false;
  readonly #keys: SignerProvider;
  readonly #account: Bip84Account;
  #wallet: WalletState | undefined;
  #reserved = false;

  /** `wallet`: the WALLET item as read in this invocation; undefined when the input cannot need a script (asking then is a bug). */
  constructor(keys: SignerProvider, account: Bip84Account, wallet: WalletState | undefined) {
    this.#keys = keys;
    this.#account = account;
    this.#wallet = wallet;
  }

  generateChannelKeysId(inbound: boolean, channelValueSatoshis: bigint, userChannelId: bigint): Uint8Array {
    return this.#keys.generateChannelKeysId(inbound, channelValueSatoshis, userChannelId);
  }

  deriveChannelSigner(channelValueSatoshis: bigint, channelKeysId: Uint8Array): ChannelSigner {
    return this.#keys.deriveChannelSigner(channelValueSatoshis, channelKeysId);
  }

  /** A fresh change address of the wallet, reserved for this close. */
  getShutdownScriptpubkey(): Uint8Array {
    if (this.#wallet === undefined) throw new Error('a shutdown script was asked for by an input that did not load the wallet (mayNeedShutdownScript)');
    const reserved = reserveCloseScript(this.#account, this.#wallet);
    this.#wallet = reserved.state;
    this.#reserved = true;
    return reserved.script;
  }

  /** The wallet with the indexes reserved in this invocation, to commit with its changes; undefined when none was. */
  reservedWallet(): WalletState | undefined {
    return this.#reserved ? this.#wallet : undefined;
  }
}
