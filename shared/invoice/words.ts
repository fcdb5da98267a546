/**
 * The 5-bit groups ("words") of a bech32 data part (BOLT 11 "Data Part"):
 * bytes and big-endian integers to and from words.
 */
import { InvoiceError } from './errors.js';

/** Bytes as 5-bit groups, the last group padded with 0 bits ("MUST pad field data to a multiple of 5 bits, using 0s"). */
export function bytesToWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  return words;
}

/** 5-bit groups as bytes; the trailing bits that do not fill a byte (the writer's padding) are dropped. */
export function wordsToBytes(words: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (let w = 0; w < words.length; w++) {
    acc = ((acc << 5) | words[w]!) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** 5-bit groups as bytes with 0 bits appended to a byte boundary (the signed data of BOLT 11 "Data Part"). */
export function wordsToPaddedBytes(words: ArrayLike<number>): Uint8Array {
  const whole = wordsToBytes(words);
  const leftoverBits = (words.length * 5) % 8;
  if (leftoverBits === 0) return whole;
  let last = 0;
  for (let w = words.length - Math.ceil(leftoverBits / 5); w < words.length; w++) last = (last << 5) | words[w]!;
  const out = new Uint8Array(whole.length + 1);
  out.set(whole);
  out[whole.length] = (last << (8 - leftoverBits)) & 0xff;
  return out;
}

/** A non-negative integer in the fewest big-endian 5-bit groups (none for 0): `x`, `c`. */
export function intToWords(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvoiceError('invalid-field', `not a non-negative integer: ${value}`);
  const words: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 32)) words.unshift(v % 32);
  return words;
}

/** A non-negative integer in exactly `count` big-endian 5-bit groups: the timestamp (7), `data_length` (2). */
export function intToFixedWords(value: number, count: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 32 ** count) {
    throw new InvoiceError('invalid-field', `${value} does not fit in ${count * 5} bits`);
  }
  const words = intToWords(value);
  while (words.length < count) words.unshift(0);
  return words;
}

/** Big-endian 5-bit groups as an integer, or null above 2^53 - 1. */
export function wordsToInt(words: ArrayLike<number>): number | null {
  let value = 0;
  for (let i = 0; i < words.length; i++) {
    value = value * 32 + words[i]!;
    if (!Number.isSafeInteger(value)) return null;
  }
  return value;
}
