/** shared/keys: BOLT 3 key derivation, per-commitment secrets, node and channel keys. */
export { KeysError, KeysErrorCode } from './errors.js';
export {
  derivePublicKey,
  derivePrivateKey,
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
  type ProvideResult,
  type DeserializeResult,
} from './commitment-secrets.js';
