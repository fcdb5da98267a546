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

/** The version byte `serialize` writes (2: the slots without their indexes; 1, with them, is read). */
export const COMMITMENT_SECRETS_VERSION = 2;
/** The version of before: a count, then each slot's u64 index and secret (read, never written). */
export const COMMITMENT_SECRETS_VERSION_WITH_INDEXES = 1;

const SLOT_COUNT = COMMITMENT_INDEX_BITS + 1;
const INDEX_BYTES = 8;
const ENTRY_BYTES = INDEX_BYTES + 32;
/** Version 2 writes the last index in 6 bytes (indexes are below 2^48). */
const LAST_INDEX_BYTES = 6;
const STORE_SPAN = 1n << BigInt(COMMITMENT_INDEX_BITS);

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
 * The slots a store holds once every index from 2^48 - 1 down to `last`
 * was received, and the index each holds. The received indexes
 * [last, 2^48) split into aligned blocks of distinct power-of-two sizes,
 * the set bits of 2^48 - last; the block of size 2^b starts at the index
 * slot b holds (the latest received with b trailing zeros), whose secret
 * derives the whole block. Lowest slot first.
 */
function slotsHeldAfter(last: bigint): { position: number; index: bigint }[] {
  const held: { position: number; index: bigint }[] = [];
  const span = STORE_SPAN - last;
  let start = last;
  for (let b = 0; b <= COMMITMENT_INDEX_BITS; b++) {
    if (((span >> BigInt(b)) & 1n) === 0n) continue;
    held.push({ position: b, index: start });
    start += 1n << BigInt(b);
  }
  return held;
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
    // The lower slots hold secrets it derives (just checked): BOLT 3 keeps
    // them until overwritten, we drop them, so the store holds exactly the
    // slots `slotsHeldAfter(index)` names (what version 2 writes). `get`
    // finds their indexes through this slot, and the next secrets of each
    // lower slot are checked against what is kept as before (every lower
    // slot is filled again before the next insert above it).
    for (let b = 0; b < position; b++) this.#slots[b] = undefined;
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
   * Persisted form, version 2: the version byte, then, once a secret was
   * received, the last index received (6 bytes, big-endian) and the secret of
   * each slot it implies (`slotsHeldAfter`: the set bits of 2^48 - last,
   * lowest slot first), 32 bytes each. A slot's index is not written: it
   * follows from the last index (at most 7 + 32 × 48 bytes, about
   * 7 + 32 × log2(secrets received) / 2).
   */
  serialize(): Uint8Array {
    const last = this.lastIndex;
    if (last === undefined) return Uint8Array.of(COMMITMENT_SECRETS_VERSION);
    const held = slotsHeldAfter(last);
    const out = new Uint8Array(1 + LAST_INDEX_BYTES + held.length * 32);
    out[0] = COMMITMENT_SECRETS_VERSION;
    for (let i = 0; i < LAST_INDEX_BYTES; i++) out[1 + i] = Number((last >> BigInt(8 * (LAST_INDEX_BYTES - 1 - i))) & 0xffn);
    held.forEach(({ position }, i) => {
      const slot = this.#slots[position];
      // provide() and deserialize() keep exactly these slots filled.
      if (slot === undefined) throw new Error(`commitment secrets: slot ${position} empty after index ${last}`);
      out.set(slot.secret, 1 + LAST_INDEX_BYTES + i * 32);
    });
    return out;
  }

  /** Reads `serialize` output back (version 2, or version 1 of before); a closed set of errors, never an exception. */
  static deserialize(bytes: Uint8Array): DeserializeResult {
    if (bytes.length < 1) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    if (bytes[0] === COMMITMENT_SECRETS_VERSION_WITH_INDEXES) {
      const slots = slotsWithIndexes(bytes);
      return Array.isArray(slots) ? { ok: true, value: new CounterpartyCommitmentSecrets(slots) } : { ok: false, error: slots };
    }
    if (bytes[0] !== COMMITMENT_SECRETS_VERSION) return { ok: false, error: CommitmentSecretsDecodeError.UnknownVersion };
    const slots = new Array<Slot | undefined>(SLOT_COUNT).fill(undefined);
    if (bytes.length === 1) return { ok: true, value: new CounterpartyCommitmentSecrets(slots) };
    if (bytes.length < 1 + LAST_INDEX_BYTES) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    let last = 0n;
    for (let i = 0; i < LAST_INDEX_BYTES; i++) last = (last << 8n) | BigInt(bytes[1 + i]!);
    const held = slotsHeldAfter(last);
    const expectedLength = 1 + LAST_INDEX_BYTES + held.length * 32;
    if (bytes.length < expectedLength) return { ok: false, error: CommitmentSecretsDecodeError.ShortRead };
    if (bytes.length > expectedLength) return { ok: false, error: CommitmentSecretsDecodeError.TrailingBytes };
    held.forEach(({ position, index }, i) => {
      const offset = 1 + LAST_INDEX_BYTES + i * 32;
      slots[position] = { index, secret: bytes.slice(offset, offset + 32) };
    });
    return { ok: true, value: new CounterpartyCommitmentSecrets(slots) };
  }
}

/**
 * Version 1 (written before version 2): a count byte, then per filled slot
 * (lowest slot first) the u64 big-endian index and the 32-byte secret; it
 * also kept the lower slots BOLT 3 leaves filled. Read into the slots
 * version 2 keeps: each must be there with the index the last one implies
 * (a store `provide` built always has them); the others, derivable from
 * them, are dropped.
 */
function slotsWithIndexes(bytes: Uint8Array): (Slot | undefined)[] | CommitmentSecretsDecodeError {
  if (bytes.length < 2) return CommitmentSecretsDecodeError.ShortRead;
  const count = bytes[1]!;
  if (count > SLOT_COUNT) return CommitmentSecretsDecodeError.InvalidValue;
  const expectedLength = 2 + count * ENTRY_BYTES;
  if (bytes.length < expectedLength) return CommitmentSecretsDecodeError.ShortRead;
  if (bytes.length > expectedLength) return CommitmentSecretsDecodeError.TrailingBytes;
  const read = new Array<Slot | undefined>(SLOT_COUNT).fill(undefined);
  let previousSlot = -1;
  let last: bigint | undefined;
  for (let i = 0; i < count; i++) {
    const offset = 2 + i * ENTRY_BYTES;
    const index = new DataView(bytes.buffer, bytes.byteOffset + offset, INDEX_BYTES).getBigUint64(0);
    if (index > INITIAL_COMMITMENT_INDEX) return CommitmentSecretsDecodeError.InvalidValue;
    const position = slotOf(index);
    if (position <= previousSlot) return CommitmentSecretsDecodeError.InvalidValue;
    previousSlot = position;
    read[position] = { index, secret: bytes.slice(offset + INDEX_BYTES, offset + ENTRY_BYTES) };
    if (last === undefined || index < last) last = index;
  }
  const slots = new Array<Slot | undefined>(SLOT_COUNT).fill(undefined);
  if (last !== undefined) {
    for (const { position, index } of slotsHeldAfter(last)) {
      const slot = read[position];
      if (slot?.index !== index) return CommitmentSecretsDecodeError.InvalidValue;
      slots[position] = slot;
    }
  }
  return slots;
}
