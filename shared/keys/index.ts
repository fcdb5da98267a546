/** shared/keys: BOLT 3 key derivation, per-commitment secrets, node and channel keys (docs/keys.md). */
export { KeysError, KeysErrorCode } from './errors.js';
export {
  derivePublicKey,
  derivePrivateKey,
  derivePrivateKeyWithBasepoint,
  deriveRevocationPublicKey,
  deriveRevocationPrivateKey,
} from './derivation.js';
export {
  perCommitmentSecret,
  perCommitmentPoint,
  INITIAL_COMMITMENT_INDEX,
  COMMITMENT_INDEX_BITS,
} from './per-commitment-secret.js';
export {
  CounterpartyCommitmentSecrets,
  CommitmentSecretsError,
  CommitmentSecretsDecodeError,
  COMMITMENT_SECRETS_VERSION,
  COMMITMENT_SECRETS_VERSION_WITH_INDEXES,
  type ProvideResult,
  type DeserializeResult,
} from './commitment-secrets.js';
export {
  KEY_DERIVATION_VERSION,
  KeyLabel,
  deriveNodeSecret,
  deriveWalletSeed,
  deriveInboundPaymentKey,
  deriveChannelSeed,
  deriveShutdownSecret,
} from './seed-derivation.js';
export { deriveChannelKeys, channelKeysFromSecrets, type ChannelKeys, type ChannelPublicKeys } from './channel-keys.js';
export type { EntropySource } from './entropy-source.js';
export { InMemoryNodeSigner, type NodeSigner, type RecoverableSignature } from './node-keys.js';
export { recoverPublicKey, recoveryId } from './recoverable-signature.js';
export { InMemoryChannelSigner, type ChannelSigner } from './signer.js';
export { KeysManager, type SignerProvider } from './keys-manager.js';
