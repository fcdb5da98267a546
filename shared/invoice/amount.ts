/**
 * The human-readable part of a BOLT 11 invoice ("Human-Readable Part"):
 * `ln` + currency prefix, then an optional amount with an optional
 * multiplier. Amounts are millisatoshis (1 BTC = 10^11 msat).
 */
import { InvoiceError } from './errors.js';

/** The chains an invoice can be for, with their BOLT 11 prefix. */
export const INVOICE_PREFIXES = {
  bitcoin: 'lnbc',
  testnet: 'lntb',
  signet: 'lntbs',
  regtest: 'lnbcrt',
} as const;

/** A chain we read and write invoices for. */
export type Network = keyof typeof INVOICE_PREFIXES;

/** msat per unit of each multiplier (`p`, a tenth of a msat, is handled apart). */
const MSAT_PER_UNIT = { '': 100_000_000_000n, m: 100_000_000n, u: 100_000n, n: 100n } as const;

const MAX_MSAT = 0xffff_ffff_ffff_ffffn;

/** Longest prefix first, so `lnbcrt` is not read as `lnbc` + amount `rt`. */
const PREFIXES_BY_LENGTH = (Object.entries(INVOICE_PREFIXES) as [Network, string][]).sort(
  (a, b) => b[1].length - a[1].length,
);

/** The parsed human-readable part. */
export interface HumanReadablePart {
  readonly network: Network;
  /** null when the invoice leaves the amount to the payer. */
  readonly amountMsat: bigint | null;
}

/**
 * The amount in the shortest form: the largest multiplier that keeps it an
 * integer, `p` only for amounts that are not whole multiples of 100 msat
 * (BOLT 11: "SHOULD use the shortest representation possible").
 */
export function encodeAmount(amountMsat: bigint): string {
  if (amountMsat <= 0n || amountMsat > MAX_MSAT) throw new InvoiceError('invalid-field', `amount ${amountMsat} msat out of range`);
  for (const [multiplier, msat] of Object.entries(MSAT_PER_UNIT)) {
    if (amountMsat % msat === 0n) return `${amountMsat / msat}${multiplier}`;
  }
  return `${amountMsat * 10n}p`;
}

/** `ln` + currency + amount. */
export function encodeHumanReadablePart(network: Network, amountMsat: bigint | null): string {
  const prefix = INVOICE_PREFIXES[network];
  if (prefix === undefined) throw new InvoiceError('invalid-field', `unknown network ${String(network)}`);
  return amountMsat === null ? prefix : prefix + encodeAmount(amountMsat);
}

/** Reads a lower-case human-readable part, or throws the reader rule it breaks. */
export function decodeHumanReadablePart(hrp: string): HumanReadablePart {
  const match = PREFIXES_BY_LENGTH.find(([, prefix]) => hrp.startsWith(prefix));
  if (match === undefined) throw new InvoiceError('unknown-prefix', `unknown currency prefix in '${hrp}'`);
  const [network, prefix] = match;
  const amount = hrp.slice(prefix.length);
  if (amount === '') return { network, amountMsat: null };
  const digits = /^[0-9]+/.exec(amount)?.[0] ?? '';
  const multiplier = amount.slice(digits.length);
  if (digits === '') throw new InvoiceError('unknown-prefix', `unknown currency prefix in '${hrp}'`);
  if (!/^[1-9]/.test(digits)) throw new InvoiceError('invalid-amount', `amount '${digits}' is zero or has a leading 0`);
  const value = BigInt(digits);
  let amountMsat: bigint;
  if (multiplier === 'p') {
    if (value % 10n !== 0n) throw new InvoiceError('sub-millisatoshi-amount', `${digits}p is not a whole number of msat`);
    amountMsat = value / 10n;
  } else if (multiplier === '' || multiplier === 'm' || multiplier === 'u' || multiplier === 'n') {
    amountMsat = value * MSAT_PER_UNIT[multiplier];
  } else {
    throw new InvoiceError('invalid-multiplier', `'${multiplier}' is not an amount multiplier`);
  }
  if (amountMsat > MAX_MSAT) throw new InvoiceError('invalid-amount', `${amount} exceeds 2^64 - 1 msat`);
  return { network, amountMsat };
}
