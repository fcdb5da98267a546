import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import {
  COMMITMENT_SECRETS_VERSION,
  COMMITMENT_SECRETS_VERSION_WITH_INDEXES,
  CommitmentSecretsDecodeError,
  CommitmentSecretsError,
  CounterpartyCommitmentSecrets,
  INITIAL_COMMITMENT_INDEX,
  KeysErrorCode,
  perCommitmentSecret,
} from '../../shared/keys/index.js';
import vectors from '../vectors/bolt03-keys-and-secrets.json' with { type: 'json' };

/**
 * Stores of the secrets of seed 03…03, from index 2^48 - 1 down, as version
 * 1 (`serialize` of commit a38bd43: a count, then each slot's u64 index and
 * secret), by the number of secrets received.
 */
const VERSION_1_STORES = {
  0: '0100',
  1: '01010000ffffffffffff70b895398f4f92026966fdf6e709a11eb3cb0d8145a36ca8cfc567bf35bd15ac',
  6: '01030000fffffffffffb1dfc88190df79b6b16a1f52ebe6d2817521bbc12320d8a23c09c02d73186e72a0000fffffffffffa91ada44d13b96ee92ebc03a67c3308da37f6ec98fc49dd0af609b05a2ee99ce50000fffffffffffcce69c3026330454b8a1bd8bf7bc52312c05ded4593a7de4d6b3874e5abe9a040',
  13: '01040000fffffffffff30959812b37c52524f42ab054d801bbc731caa4091ecea22b82687e9c0c4d44820000fffffffffff63359320516a1cf3eaba2c62d606a5eb252215710c7be1a882efdc919fdb3f87e0000fffffffffff4365b44feb84fe4457e02abc165a01adfa626cab0018f65226a5eaae02abf09820000fffffffffff89ae87e4cf46ca57f465feb77680745b29de6f889c64824e35fce67145136d499',
} as const;

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
    // 300 = 0b100101100: four slots kept, the last index in 6 bytes.
    expect(store.serialize()).toHaveLength(1 + 6 + 4 * 32);
  });

  it('writes the whole 2^48 range within 49 slots (index 0, then every slot)', () => {
    // A store that received every index down to 0 keeps only slot 48 (index 0 derives them all).
    const seed = fromHex('5a'.repeat(32));
    for (const [last, slots] of [[0n, 1], [1n, 48], [(1n << 47n) - 1n, 2], [(1n << 47n) + 1n, 47]] as const) {
      const store = CounterpartyCommitmentSecrets.deserialize(
        Uint8Array.of(COMMITMENT_SECRETS_VERSION, ...fromHex(last.toString(16).padStart(12, '0')), ...new Uint8Array(32 * slots)),
      );
      if (!store.ok) throw new Error(`${last}: ${store.error}`);
      expect(store.value.lastIndex).toBe(last);
      expect(store.value.nextIndex).toBe(last === 0n ? undefined : last - 1n);
    }
    // Index 1 (slot 0) then index 0: the store ends with slot 48 alone.
    const nearEnd = CounterpartyCommitmentSecrets.deserialize(
      Uint8Array.of(COMMITMENT_SECRETS_VERSION, 0, 0, 0, 0, 0, 1, ...perCommitmentSecret(seed, 1n)),
    );
    // Last index 1: 2^48 - 1 has 48 set bits, so 48 secrets are due (slots 0..47), not one.
    expect(nearEnd.ok).toBe(false);
    const withAll = CounterpartyCommitmentSecrets.deserialize(
      Uint8Array.of(COMMITMENT_SECRETS_VERSION, 0, 0, 0, 0, 0, 1, ...Array.from({ length: 48 }, (_, b) => [...perCommitmentSecret(seed, b === 0 ? 1n : 1n << BigInt(b))]).flat()),
    );
    if (!withAll.ok) throw new Error(withAll.error);
    for (const index of [1n, 2n, 3n, 1000n, INITIAL_COMMITMENT_INDEX]) expect(withAll.value.get(index)).toEqual(perCommitmentSecret(seed, index));
    expect(withAll.value.provide(0n, perCommitmentSecret(seed, 0n))).toEqual({ ok: true });
    expect(withAll.value.serialize()).toEqual(Uint8Array.of(COMMITMENT_SECRETS_VERSION, 0, 0, 0, 0, 0, 0, ...perCommitmentSecret(seed, 0n)));
    expect(withAll.value.nextIndex).toBeUndefined();
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

  it('reads version 1 (slots with their indexes) written by the code of before, and writes it as version 2', () => {
    const seed = fromHex('03'.repeat(32));
    for (const [count, hex] of Object.entries(VERSION_1_STORES)) {
      const read = CounterpartyCommitmentSecrets.deserialize(fromHex(hex));
      if (!read.ok) throw new Error(`${count}: ${read.error}`);
      const now = storeWith(seed, Number(count));
      expect(read.value.lastIndex).toBe(now.lastIndex);
      expect(read.value.serialize()).toEqual(now.serialize());
      for (let i = 0n; i < BigInt(count); i++) expect(read.value.get(INITIAL_COMMITMENT_INDEX - i)).toEqual(perCommitmentSecret(seed, INITIAL_COMMITMENT_INDEX - i));
      const next = read.value.nextIndex!;
      expect(read.value.provide(next, perCommitmentSecret(seed, next))).toEqual({ ok: true });
      expect(read.value.provide(next - 1n, perCommitmentSecret(fromHex('04'.repeat(32)), next - 1n)).ok).toBe((next - 1n) % 2n === 1n);
    }
    // 6 secrets: 3 slots with indexes (2 + 3 × 40 bytes) against 2 without (1 + 6 + 2 × 32).
    expect(fromHex(VERSION_1_STORES[6]).length).toBe(122);
    expect(storeWith(seed, 6).serialize()).toHaveLength(71);
  });

  it('rejects garbled persisted bytes with a typed reason', () => {
    const good = storeWith(fromHex('03'.repeat(32)), 6).serialize();
    const goodV1 = fromHex(VERSION_1_STORES[6]);
    const cases: [Uint8Array, CommitmentSecretsDecodeError][] = [
      [new Uint8Array(0), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION, 0), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION_WITH_INDEXES), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(3, 0), CommitmentSecretsDecodeError.UnknownVersion],
      [Uint8Array.of(0, 0), CommitmentSecretsDecodeError.UnknownVersion],
      [good.slice(0, good.length - 1), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(...good, 0), CommitmentSecretsDecodeError.TrailingBytes],
      [goodV1.slice(0, goodV1.length - 1), CommitmentSecretsDecodeError.ShortRead],
      [Uint8Array.of(...goodV1, 0), CommitmentSecretsDecodeError.TrailingBytes],
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION_WITH_INDEXES, 50), CommitmentSecretsDecodeError.InvalidValue],
      // Version 1 without a slot its last index implies (slot 2 of 6 secrets left out).
      [Uint8Array.of(COMMITMENT_SECRETS_VERSION_WITH_INDEXES, 2, ...goodV1.slice(2, 82)), CommitmentSecretsDecodeError.InvalidValue],
      // An index of 2^48 or above (version 2 cannot write one: 6 bytes).
      [Uint8Array.of(...goodV1.slice(0, 4), 1, ...goodV1.slice(5)), CommitmentSecretsDecodeError.InvalidValue],
    ];
    // Two entries for the same slot (the first entry written twice).
    const duplicate = Uint8Array.of(COMMITMENT_SECRETS_VERSION_WITH_INDEXES, 2, ...goodV1.slice(2, 42), ...goodV1.slice(2, 42));
    cases.push([duplicate, CommitmentSecretsDecodeError.InvalidValue]);
    for (const [bytes, error] of cases) {
      expect(CounterpartyCommitmentSecrets.deserialize(bytes)).toEqual({ ok: false, error });
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = CounterpartyCommitmentSecrets.deserialize(bytes);
        if (read.ok && bytes[0] === COMMITMENT_SECRETS_VERSION) expect(read.value.serialize()).toEqual(bytes);
        if (read.ok && bytes[0] === COMMITMENT_SECRETS_VERSION_WITH_INDEXES) expect(CounterpartyCommitmentSecrets.deserialize(read.value.serialize())).toEqual(read);
      }),
    );
  });
});
