/**
 * What a channel transition is given besides the channel: the injected
 * ports (secp256k1 backend, signer provider, entropy, fee estimator), the
 * chain and the configuration. Nothing here does I/O.
 */
import type { Secp256k1 } from '../crypto/index.js';
import type { EntropySource, SignerProvider } from '../keys/index.js';
import type { FeeEstimator } from '../ports/index.js';
import type { ChannelConfig } from './config.js';

export interface ChannelContext {
  readonly secp: Secp256k1;
  readonly signerProvider: SignerProvider;
  readonly entropy: EntropySource;
  readonly feeEstimator: FeeEstimator;
  /** The chain we are on (BOLT 0 chain hash, as `open_channel` carries it). */
  readonly chainHash: Uint8Array;
  readonly config: ChannelConfig;
}
