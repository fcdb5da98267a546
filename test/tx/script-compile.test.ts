import { opcodes, script } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/tx/scripts.js';
import { rng } from '../support/seeded-random.js';


describe('scripts compile', () => {
  it('is byte-for-byte bitcoinjs-lib script.compile (minimal pushes, every push-length boundary)', () => {
    const next = rng(14);
    const lengths = [0, 1, 2, 20, 32, 33, 75, 76, 77, 255, 256, 257, 65535, 65536];
    const cases: (number | Uint8Array)[][] = [];
    for (const n of lengths) cases.push([opcodes.OP_DUP, Uint8Array.from({ length: n }, () => next() & 0xff), opcodes.OP_CHECKSIG]);
    for (let b = 0; b <= 0xff; b++) cases.push([Uint8Array.of(b), opcodes.OP_EQUAL]);
    for (let i = 0; i < 200; i++) {
      const chunks: (number | Uint8Array)[] = [];
      const count = next() % 12;
      for (let j = 0; j < count; j++) {
        chunks.push(next() % 2 === 0 ? next() & 0xff : Uint8Array.from({ length: next() % 80 }, () => next() & 0xff));
      }
      cases.push(chunks);
    }
    for (const chunks of cases) expect(compile(chunks)).toEqual(script.compile(chunks));
  });

  it('rejects an opcode that is not a byte', () => {
    expect(() => compile([256])).toThrow();
    expect(() => compile([-1])).toThrow();
  });
});
