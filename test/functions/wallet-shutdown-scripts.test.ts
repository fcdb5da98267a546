/**
 * The deployment's SignerProvider (functions/runtime/wallet-shutdown-scripts.ts,
 * docs/close.md): channel keys from the KeysManager, shutdown scripts from
 * the wallet's change chain, nothing committed upfront, and a script asked
 * for by an input that did not load the wallet is refused loudly.
 */
import { describe, expect, it } from 'vitest';
import { createChannel } from '../../shared/channel/index.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import { Bip84Account, EMPTY_WALLET_STATE, Keychain } from '../../shared/wallet/index.js';
import { OUR_INIT_FEATURES } from '../../shared/wire/index.js';
import { WalletShutdownScripts, mayNeedShutdownScript } from '../../functions/runtime/wallet-shutdown-scripts.js';
import { counterEntropy, onlyMessage, testNode } from '../support/channel-harness.js';

const keys = new KeysManager(wasmSecp256k1, fromHex('4c'.repeat(32)), counterEntropy('wss'));
const account = Bip84Account.fromSeed(wasmSecp256k1, keys.walletSeed(), 'regtest');

describe('WalletShutdownScripts', () => {
  it('hands out fresh change addresses of the wallet and reports the wallet to write', () => {
    const provider = new WalletShutdownScripts(keys, account, { ...EMPTY_WALLET_STATE, nextIndex: [2, 5], usedCount: [2, 4] });
    expect(provider.reservedWallet()).toBeUndefined();
    const first = provider.getShutdownScriptpubkey();
    const second = provider.getShutdownScriptpubkey();
    expect(toHex(first)).toBe(toHex(account.key(Keychain.change, 5).script));
    expect(toHex(second)).toBe(toHex(account.key(Keychain.change, 6).script));
    expect(toHex(first)).not.toBe(toHex(keys.getShutdownScriptpubkey()));
    expect(provider.reservedWallet()?.nextIndex).toEqual([2, 7]);
  });

  it('refuses to hand out a script without the wallet (an input mayNeedShutdownScript said no to)', () => {
    const provider = new WalletShutdownScripts(keys, account, undefined);
    expect(() => provider.getShutdownScriptpubkey()).toThrow(/did not load the wallet/);
    expect(mayNeedShutdownScript({ kind: 'close-channel', counterpartyNodeId: new Uint8Array(33), channelId: new Uint8Array(32) })).toBe(true);
    const shutdown = { type: 38, channelId: new Uint8Array(32), scriptpubkey: new Uint8Array(22) } as const;
    expect(mayNeedShutdownScript({ kind: 'peer-message', peer: new Uint8Array(33), message: shutdown })).toBe(true);
    expect(mayNeedShutdownScript({ kind: 'create-channel' })).toBe(false);
  });

  it('commits nothing upfront: open_channel carries an empty upfront_shutdown_script even to a peer with the feature, and never asks for a script', () => {
    const node = testNode('alice');
    const provider = new WalletShutdownScripts(node.keys, account, undefined);
    const created = createChannel(
      { ...node.ctx, signerProvider: provider },
      { counterpartyNodeId: testNode('bob').nodeId, theirInitFeatures: OUR_INIT_FEATURES, bestHeight: 100, fundingSatoshis: 300_000n, pushMsat: 0n, userChannelId: 1n },
    );
    if (!created.ok) throw new Error(created.error.message);
    expect(onlyMessage(created.value.effects, 32).upfrontShutdownScript).toEqual(new Uint8Array(0));
    expect(created.value.channel.holderShutdownScript).toBeUndefined();
    // The channel keys are the KeysManager's.
    const signer = provider.deriveChannelSigner(300_000n, created.value.channel.channelKeysId);
    expect(toHex(signer.publicKeys.fundingPubkey)).toBe(toHex(node.keys.deriveChannelSigner(300_000n, created.value.channel.channelKeysId).publicKeys.fundingPubkey));
  });
});
