/**
 * BOLT 3 "Efficient Per-commitment Secret Storage": the per-commitment secrets
 * a counterparty has released, kept in at most 49 slots. Slot b holds the
 * latest received secret whose index has b trailing zero bits; it derives
 * every secret whose index differs from its own only in the low b bits.
 */
import { equalConstantTime } from '../crypto/index.js';
import { assertLength } from './errors.js';
import { COMMITMENT_INDEX_BITS, INITIAL_COMMITMENT_INDEX, deriveSecretFromBase } from './per-commitment-secret.js';

/** Why `provide` refused a secret: both are peer misbehaviour (BOLT 2 says to fail the channel). */
export const CommitmentSecretsError = {
  /** The index is not the one after the last received (indexes count down from 2^48 - 1 by one). */
  OutOfOrder: 'out-of-order',
  /** The secret cannot derive the secrets received before it: it is not from the same seed. */
  Inconsistent: 'inconsistent',
} as const;
export type CommitmentSecretsError = (typeof CommitmentSecretsError)[keyof typeof CommitmentSecretsError];

export type ProvideResult = { readonly ok: true } | { readonly ok: false; readonly error: CommitmentSecretsError };

/** Why persisted bytes could not be read back. */
export const CommitmentSecretsDecodeError = {
  UnknownVersion: 'unknown-version',
  ShortRead: 'short-read',
  TrailingBytes: 'trailing-bytes',
  InvalidValue: 'invalid-value',
} as const;
export type CommitmentSecretsDecodeError =
  (typeof CommitmentSecretsDecodeError)[keyof typeof CommitmentSecretsDecodeError];

export type DeserializeResult =
  | { readonly ok: true; readonly value: CounterpartyCommitmentSecrets }
  | { readonly ok: false; readonly error: CommitmentSecretsDecodeError };

/** The version byte `serialize` writes. */
export const COMMITMENT_SECRETS_VERSION = 1;

const SLOT_COUNT = COMMITMENT_INDEX_BITS + 1;
const INDEX_BYTES = 8;
const ENTRY_BYTES = INDEX_BYTES + 32;

interface Slot {
  readonly index: bigint;
  readonly secret: Uint8Array;
}

/** BOLT 3 `where_to_put_secret`: the number of trailing zero bits of the index (48 for index 0). */
function slotOf(index: bigint): number {
  for (let bit = 0; bit < COMMITMENT_INDEX_BITS; bit++) {
    if ((index >> BigInt(bit)) & 1n) return bit;
  }
  return COMMITMENT_INDEX_BITS;
}

/**
 * The counterparty's released per-commitment secrets (BOLT 3 "Efficient
 * Per-commitment Secret Storage"), received through `revoke_and_ack` in
 * order: 2^48 - 1 first, then each next index one lower.
 */
export class CounterpartyCommitmentSecrets {
  readonly #slots: (Slot | undefined)[];

  private constructor(slots: (Slot | undefined)[]) {
    this.#slots = slots;
  }

  /** A store that has received nothing yet. */
  static empty(): CounterpartyCommitmentSecrets {
    return new CounterpartyCommitmentSecrets(new Array<Slot | undefined>(SLOT_COUNT).fill(undefined));
  }

  /** The index of the last secret received, or undefined before the first. */
  get lastIndex(): bigint | undefined {
    let lowest: bigint | undefined;
    for (const slot of this.#slots) {
      if (slot && (lowest === undefined || slot.index < lowest)) lowest = slot.index;
    }
    return lowest;
  }

  /** The index `provide` accepts next (undefined once index 0 has been received). */
  get nextIndex(): bigint | undefined {
    const last = this.lastIndex;
    if (last === undefined) return INITIAL_COMMITMENT_INDEX;
    return last === 0n ? undefined : last - 1n;
  }

  /**
   * BOLT 3 `insert_secret`: stores the secret for `index` if it is the next
   * index and it derives every stored secret of a lower slot. On an error the
   * store is unchanged.
   */
  provide(index: bigint, secret: Uint8Array): ProvideResult {
    assertLength(secret, 32, 'per-commitment secret');
    if (index !== this.nextIndex) return { ok: false, error: CommitmentSecretsError.OutOfOrder };
    const position = slotOf(index);
    for (let b = 0; b < position; b++) {
      const known = this.#slots[b];
      if (known && !equalConstantTime(deriveSecretFromBase(secret, position, known.index), known.secret)) {
        return { ok: false, error: CommitmentSecretsError.Inconsistent };
      }
    }
    this.#slots[position] = { index, secret: secret.slice() };
    return { ok: true };
  }

  /** BOLT 3 `derive_old_secret`: the secret for any index received so far, or undefined. */
  get(index: bigint): Uint8Array | undefined {
    if (index < 0n || index > INITIAL_COMMITMENT_INDEX) return undefined;
    for (let b = 0; b < SLOT_COUNT; b++) {
      const known = this.#slots[b];
      const mask = ~((1n << BigInt(b)) - 1n);
      if (known && (index & mask) === known.index) return deriveSecretFromBase(known.secret, b, index);
    }
    return undefined;
  }

  /**
   * Persisted form: the version byte (1), a count byte, then per filled slot
   * (lowest slot first) the u64 big-endian index and the 32-byte secret. A
   * slot's position is the number of trailing zeros of its index.
   */
  serialize(): Uint8Array {
    const filled = this.#slots.filter((s): s is Slot => s !== undefined);
    const out = new Uint8Array(2 + filled.length * ENTRY_BYTES);
    out[0] = COMMITMENT_SECRETS_VERSION;
    out[1] = filled.length;
    let offset = 2;
    for (const slot of filled) {
      const view = new DataView(out.buffer, out.byteOffset + offset, INDEX_BYTES);
      view.setBigUint64(0, slot.index);
      out.set(slot.secret, offset + INDEX_BYTES);
      offset += ENTRY_BYTES;
    }
    return out;
  }

  /** Reads `serialize` output back; a closed set of errors, never an exception. */
  static deserialize(bytes: Uint8Array): DeserializeResult {
    if (bytes.length < 1) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    if (bytes[0] !== COMMITMENT_SECRETS_VERSION) return { ok: false, error: CommitmentSecretsDecodeError.UnknownVersion };
    if (bytes.length < 2) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    const count = bytes[1]!;
    if (count > SLOT_COUNT) return { ok: false, error: CommitmentSecretsDecodeError.InvalidValue };
    const expectedLength = 2 + count * ENTRY_BYTES;
    if (bytes.length < expectedLength) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    if (bytes.length > expectedLength) return { ok: false, error: CommitmentSecretsDecodeError.TrailingBytes };
    const slots = new Array<Slot | undefined>(SLOT_COUNT).fill(undefined);
    let previousSlot = -1;
    for (let i = 0; i < count; i++) {
      const offset = 2 + i * ENTRY_BYTES;
      const index = new DataView(bytes.buffer, bytes.byteOffset + offset, INDEX_BYTES).getBigUint64(0);
      if (index > INITIAL_COMMITMENT_INDEX) return { ok: false, error: CommitmentSecretsDecodeError.InvalidValue };
      const position = slotOf(index);
      if (position <= previousSlot) return { ok: false, error: CommitmentSecretsDecodeError.InvalidValue };
      previousSlot = position;
      slots[position] = { index, secret: bytes.slice(offset + INDEX_BYTES, offset + ENTRY_BYTES) };
    }
    return { ok: true, value: new CounterpartyCommitmentSecrets(slots) };
  }
}
