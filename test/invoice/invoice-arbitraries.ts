/** fast-check arbitraries for BOLT 11 invoice fields, shared by the round-trip and interop suites. */
import fc from 'fast-check';
import { nobleSecp256k1 } from '../../shared/crypto/index.js';
import { INVOICE_PREFIXES, type Fallback, type InvoiceFields, type Network, type RouteHintHop } from '../../shared/invoice/index.js';
import { featuresFromBits } from '../../shared/wire/index.js';

/** Valid points for route hints: k·G for small k. */
const POINTS = [1, 2, 3, 7, 11].map((k) => nobleSecp256k1.publicKeyFromSecret(Uint8Array.of(...new Uint8Array(31), k)));

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

const fallback: fc.Arbitrary<Fallback> = fc.oneof(
  fc.record({ version: fc.constantFrom(17, 18), program: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
  fc.record({ version: fc.constant(0), program: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), bytes32) }),
  fc.record({ version: fc.integer({ min: 1, max: 16 }), program: fc.uint8Array({ minLength: 2, maxLength: 40 }) }),
);

const hop: fc.Arbitrary<RouteHintHop> = fc.record({
  pubkey: fc.constantFrom(...POINTS),
  shortChannelId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  feeBaseMsat: fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
  feeProportionalMillionths: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  cltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
});

/** Known invoice bits (both forms) and odd bits anywhere; basic_mpp brings payment_secret along. */
const featureBits: fc.Arbitrary<number[]> = fc
  .uniqueArray(fc.oneof(fc.constantFrom(8, 9, 14, 15, 16, 17, 24, 25, 36, 37, 48, 49), fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1)), {
    maxLength: 8,
  })
  .map((bits) => (bits.includes(16) || bits.includes(17) ? [...new Set([...bits, 14])] : bits));

/** Options for {@link invoiceFields}: limits for the independent decoder, which knows fewer networks and amounts. */
export interface InvoiceFieldsOptions {
  readonly networks?: readonly Network[];
  readonly maxAmountMsat?: bigint;
}

/** Any invoice content a writer may produce (the signer decides whether `n` is written). */
export function invoiceFields(options: InvoiceFieldsOptions = {}): fc.Arbitrary<{ fields: InvoiceFields; withPayee: boolean }> {
  const networks = options.networks ?? (Object.keys(INVOICE_PREFIXES) as Network[]);
  return fc
    .record(
      {
        network: fc.constantFrom(...networks),
        amountMsat: fc.bigInt({ min: 1n, max: options.maxAmountMsat ?? 2n ** 64n - 1n }),
        timestampSec: fc.integer({ min: 0, max: 2 ** 35 - 1 }),
        paymentHash: bytes32,
        paymentSecret: bytes32,
        description: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 150 }).map((description) => ({ description })),
          bytes32.map((descriptionHash) => ({ descriptionHash })),
        ),
        expirySeconds: fc.integer({ min: 0, max: 2 ** 40 }),
        minFinalCltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
        fallbacks: fc.array(fallback, { maxLength: 2 }),
        routeHints: fc.array(fc.array(hop, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
        features: featureBits.map(featuresFromBits),
        paymentMetadata: fc.uint8Array({ maxLength: 64 }),
        withPayee: fc.boolean(),
      },
      {
        requiredKeys: ['network', 'timestampSec', 'paymentHash', 'paymentSecret', 'description', 'withPayee'],
      },
    )
    .map(({ description, withPayee, ...rest }) => ({ fields: { ...rest, ...description } as InvoiceFields, withPayee }));
}
