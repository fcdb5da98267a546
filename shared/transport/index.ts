/**
 * shared/transport: BOLT 8 (Noise_XK_secp256k1_ChaChaPoly_SHA256) as a pure
 * state machine: the handshake for both roles, then the encrypted message
 * stream with key rotation. Moves opaque message bytes; see docs/transport.md.
 */
export {
  initiatorHandshake,
  responderHandshake,
  HandshakePhase,
  type Handshake,
  type HandshakeDone,
  type HandshakeParams,
  type HandshakeStep,
  type InitiatorHandshake,
  type InitiatorHandshakeParams,
  type ResponderHandshake,
} from './handshake.js';
export {
  NoiseTransport,
  MAX_MESSAGE_LENGTH,
  LENGTH_HEADER_SIZE,
  MESSAGE_OVERHEAD,
  type NoiseTransportOptions,
  type ReceiveResult,
  type SessionKeys,
} from './noise-transport.js';
export { KEY_ROTATION_INTERVAL } from './cipher-state.js';
export { ACT_ONE_SIZE, ACT_TWO_SIZE, ACT_THREE_SIZE, PROTOCOL_NAME, PROLOGUE } from './handshake-state.js';
export { TransportError, TransportErrorCode, type TransportFailure } from './transport-error.js';
