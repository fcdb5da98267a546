import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import {
  COMMITMENT_SECRETS_VERSION,
  CommitmentSecretsDecodeError,
  CommitmentSecretsError,
  CounterpartyCommitmentSecrets,
  INITIAL_COMMITMENT_INDEX,
  KeysErrorCode,
  perCommitmentSecret,
} from '../../shared/keys/index.js';
import vectors from '../vectors/bolt03-keys-and-secrets.json' with { type: 'json' };

const sequences = vectors.per_commitment_secret_storage.tests;
const FF_SEED = fromHex('ff'.repeat(32));

/** Inserts `count` consecutive correct secrets of `seed`, from the first index down. */
function storeWith(seed: Uint8Array, count: number): CounterpartyCommitmentSecrets {
  const store = CounterpartyCommitmentSecrets.empty();
  for (let i = 0n; i < BigInt(count); i++) {
    const index = INITIAL_COMMITMENT_INDEX - i;
    expect(store.provide(index, perCommitmentSecret(seed, index))).toEqual({ ok: true });
  }
  return store;
}

describe('BOLT 3 Appendix D per-commitment secret storage', () => {
  it('has the 9 sequences and 56 inserts', () => {
    expect(sequences).toHaveLength(9);
    expect(sequences.reduce((n, s) => n + s.inserts.length, 0)).toBe(56);
  });

  it.each(sequences)('$name', (sequence) => {
    const store = CounterpartyCommitmentSecrets.empty();
    for (const insert of sequence.inserts) {
      const before = toHex(store.serialize());
      const result = store.provide(BigInt(insert.I), fromHex(insert.secret));
      if (insert.expected === 'OK') {
        expect(result).toEqual({ ok: true });
        expect(toHex(store.get(BigInt(insert.I))!)).toBe(insert.secret);
      } else {
        expect(insert.expected).toBe('ERROR');
        expect(result).toEqual({ ok: false, error: CommitmentSecretsError.Inconsistent });
        expect(toHex(store.serialize())).toBe(before);
      }
    }
  });

  it('the correct sequence derives every earlier secret, equal to generate_from_seed(0xFF..FF)', () => {
    const correct = sequences[0]!;
    const store = CounterpartyCommitmentSecrets.empty();
    const seen: bigint[] = [];
    for (const insert of correct.inserts) {
      expect(store.provide(BigInt(insert.I), fromHex(insert.secret))).toEqual({ ok: true });
      seen.push(BigInt(insert.I));
      for (const index of seen) expect(store.get(index)).toEqual(perCommitmentSecret(FF_SEED, index));
    }
  });
});

describe('CounterpartyCommitmentSecrets', () => {
  it('accepts only the next index, counting down from 2^48 - 1', () => {
    const seed = fromHex('01'.repeat(32));
    const store = CounterpartyCommitmentSecrets.empty();
    expect(store.nextIndex).toBe(INITIAL_COMMITMENT_INDEX);
    expect(store.lastIndex).toBeUndefined();
    const second = INITIAL_COMMITMENT_INDEX - 1n;
    expect(store.provide(second, perCommitmentSecret(seed, second))).toEqual({
      ok: false,
      error: CommitmentSecretsError.OutOfOrder,
    });
    expect(store.provide(INITIAL_COMMITMENT_INDEX, perCommitmentSecret(seed, INITIAL_COMMITMENT_INDEX))).toEqual({
      ok: true,
    });
    for (const index of [INITIAL_COMMITMENT_INDEX, INITIAL_COMMITMENT_INDEX - 2n, 1n << 48n, -1n]) {
      expect(store.provide(index, perCommitmentSecret(seed, second))).toEqual({
        ok: false,
        error: CommitmentSecretsError.OutOfOrder,
      });
    }
    expect(store.lastIndex).toBe(INITIAL_COMMITMENT_INDEX);
    expect(store.nextIndex).toBe(second);
  });

  it('does not know secrets it has not received', () => {
    const store = storeWith(fromHex('02'.repeat(32)), 5);
    expect(store.get(INITIAL_COMMITMENT_INDEX - 5n)).toBeUndefined();
    expect(store.get(0n)).toBeUndefined();
    expect(store.get(1n << 48n)).toBeUndefined();
    expect(store.get(-1n)).toBeUndefined();
    expect(CounterpartyCommitmentSecrets.empty().get(INITIAL_COMMITMENT_INDEX)).toBeUndefined();
  });

  it('rejects a secret that is not 32 bytes with a typed error', () => {
    expect(() => CounterpartyCommitmentSecrets.empty().provide(INITIAL_COMMITMENT_INDEX, new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: KeysErrorCode.InvalidLength }),
    );
  });

  it('derives every received secret over a long run and stays within 49 slots', () => {
    const seed = fromHex('a5'.repeat(32));
    const count = 300;
    const store = storeWith(seed, count);
    for (let i = 0n; i < BigInt(count); i++) {
      const index = INITIAL_COMMITMENT_INDEX - i;
      expect(store.get(index)).toEqual(perCommitmentSecret(seed, index));
    }
    const bytes = store.serialize();
    expect(bytes[1]!).toBeLessThanOrEqual(49);
  });

  it('round-trips through serialize/deserialize at any point of a channel', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 70 }), (seed, count) => {
        const store = storeWith(seed, count);
        const bytes = store.serialize();
        expect(bytes[0]).toBe(COMMITMENT_SECRETS_VERSION);
        const read = CounterpartyCommitmentSecrets.deserialize(bytes);
        if (!read.ok) throw new Error(`deserialize failed: ${read.error}`);
        expect(read.value.serialize()).toEqual(bytes);
        expect(read.value.lastIndex).toBe(store.lastIndex);
        for (let i = 0n; i < BigInt(count); i++) {
          const index = INITIAL_COMMITMENT_INDEX - i;
          expect(read.value.get(index)).toEqual(perCommitmentSecret(seed, index));
        }
        const next = read.value.nextIndex!;
        expect(read.value.provide(next, perCommitmentSecret(seed, next))).toEqual({ ok: true });
      }),
      { numRuns: 20 },
    );
  });

  it('rejects garbled persisted bytes with a typed reason', () => {
    const good = storeWith(fromHex('03'.repeat(32)), 6).serialize();
    const cases: [Uint8Array, CommitmentSecretsDecodeError][] = [
      [new Uint8Array(0), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(2, 0), CommitmentSecretsDecodeError.UnknownVersion],
      [Uint8Array.of(0, 0), CommitmentSecretsDecodeError.UnknownVersion],
      [good.slice(0, good.length - 1), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(...good, 0), CommitmentSecretsDecodeError.TrailingBytes],
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION, 50), CommitmentSecretsDecodeError.InvalidValue],
    ];
    // An index of 2^48 or above.
    const tooLarge = good.slice();
    tooLarge[2 + 1] = 1;
    cases.push([tooLarge, CommitmentSecretsDecodeError.InvalidValue]);
    // Two entries for the same slot (the first entry written twice).
    const duplicate = Uint8Array.of(COMMITMENT_SECRETS_VERSION, 2, ...good.slice(2, 42), ...good.slice(2, 42));
    cases.push([duplicate, CommitmentSecretsDecodeError.InvalidValue]);
    for (const [bytes, error] of cases) {
      expect(CounterpartyCommitmentSecrets.deserialize(bytes)).toEqual({ ok: false, error });
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = CounterpartyCommitmentSecrets.deserialize(bytes);
        if (read.ok) expect(read.value.serialize()).toEqual(bytes);
      }),
    );
  });
});
