/**
 * The node's BIP 84 account (P2WPKH): `m/84'/0'/0'` on bitcoin,
 * `m/84'/1'/0'` on the test chains, derived from the wallet seed (docs/keys.md,
 * separate from every channel key). Receive keys on chain 0, change on chain
 * 1; addresses are bech32 with the network's prefix (`bcrt` on regtest).
 * Derived keys are kept in memory once computed.
 */
import { address as baddress, networks, type Network as BitcoinNetwork } from 'bitcoinjs-lib';
import { toHex, type Secp256k1 } from '../crypto/index.js';
import { p2wpkh } from '../tx/index.js';
import { HARDENED, deriveChild, derivePath, masterKey, type ExtendedKey } from './bip32.js';
import { WalletError, WalletErrorCode } from './errors.js';

/** The chains a wallet can live on (as `functions/runtime/node-context.ts` names them). */
export type WalletNetwork = 'regtest' | 'testnet' | 'signet' | 'bitcoin';

/** BIP 44 chains ("change" level). */
export const Keychain = { receive: 0, change: 1 } as const;
export type Keychain = (typeof Keychain)[keyof typeof Keychain];

/** BIP 44's address gap limit: a scan stops after this many unused addresses in a row. */
export const GAP_LIMIT = 20;

/** bitcoinjs-lib's network parameters (address prefixes) for each chain. */
export function bitcoinNetwork(network: WalletNetwork): BitcoinNetwork {
  if (network === 'bitcoin') return networks.bitcoin;
  if (network === 'regtest') return networks.regtest;
  return networks.testnet;
}

/** The BIP 84 account path: coin type 0 on bitcoin, 1 on every test chain (BIP 44 / SLIP 44). */
export function accountPath(network: WalletNetwork): string {
  return `m/84'/${network === 'bitcoin' ? 0 : 1}'/0'`;
}

/** One wallet key: where it sits and its P2WPKH output script. */
export interface WalletKey {
  readonly keychain: Keychain;
  readonly index: number;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly script: Uint8Array;
}

export class Bip84Account {
  private readonly chains: readonly ExtendedKey[];
  private readonly cache = new Map<string, WalletKey>();
  private readonly byScript = new Map<string, WalletKey>();
  readonly bitcoinNetwork: BitcoinNetwork;

  private constructor(
    readonly secp: Secp256k1,
    readonly network: WalletNetwork,
    account: ExtendedKey,
  ) {
    this.chains = [deriveChild(secp, account, Keychain.receive), deriveChild(secp, account, Keychain.change)];
    this.bitcoinNetwork = bitcoinNetwork(network);
  }

  /** The account of a BIP 32 seed (16 to 64 bytes; the node's wallet seed is 32). */
  static fromSeed(secp: Secp256k1, seed: Uint8Array, network: WalletNetwork): Bip84Account {
    return new Bip84Account(secp, network, derivePath(secp, masterKey(secp, seed), accountPath(network)));
  }

  /** The key `m/84'/coin'/0'/keychain/index`. */
  key(keychain: Keychain, index: number): WalletKey {
    if (!Number.isInteger(index) || index < 0 || index >= HARDENED) throw new RangeError('address index must be below 2^31');
    const id = `${keychain}/${index}`;
    let key = this.cache.get(id);
    if (key === undefined) {
      const child = deriveChild(this.secp, this.chains[keychain]!, index);
      key = { keychain, index, secret: child.secret, publicKey: child.publicKey, script: p2wpkh(child.publicKey) };
      this.cache.set(id, key);
      this.byScript.set(toHex(key.script), key);
    }
    return key;
  }

  /** The bech32 address of a key. */
  address(keychain: Keychain, index: number): string {
    return baddress.fromOutputScript(this.key(keychain, index).script, this.bitcoinNetwork);
  }

  /** The wallet key owning `script`, among those derived so far. */
  keyOfScript(script: Uint8Array): WalletKey | undefined {
    return this.byScript.get(toHex(script));
  }

  /** The output script of `address` on this wallet's network; `invalid-address` otherwise. */
  scriptOfAddress(address: string): Uint8Array {
    try {
      return Uint8Array.from(baddress.toOutputScript(address, this.bitcoinNetwork));
    } catch {
      throw new WalletError(WalletErrorCode.InvalidAddress, `not a ${this.network} address: ${address.slice(0, 100)}`);
    }
  }
}
