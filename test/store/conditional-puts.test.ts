/**
 * Conditional puts against DynamoDB Local: `putNew` (never overwrite, all or
 * nothing, outside the lease), `putIf` (a state condition), a commit whose
 * put carries a condition (the claim of an invoice that must still be open:
 * a canceled invoice fails the whole commit, the retry decides again and
 * fails the payment back), and `queryPage` (a cursor over a prefix).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { NodeStore, SortKey, StoreErrorCode, ensureNodeTable } from '../../shared/store/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { canceledInvoice, decodeInvoiceRecord, encodeInvoiceRecord, type InvoiceRecord } from '../../functions/invoices/invoice-record.js';
import { decideClaimable, type PaymentClaimable } from '../../functions/invoices/receive-policy.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

let client: DynamoDBClient;
const tableName = `conditional-test-${randomUUID()}`;
const store = () => new NodeStore({ client, tableName });

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StoreError', code });
}

describe('putNew', () => {
  it('writes an item once; a second put under the key is condition-failed and the first stays', async () => {
    const node = randomUUID();
    await store().putNew(node, [{ sk: 'INVOICE#aa', data: bytes('first'), state: 'open' }]);
    await expectStoreError(store().putNew(node, [{ sk: 'INVOICE#aa', data: bytes('second'), state: 'open' }]), StoreErrorCode.ConditionFailed);
    expect(text(await store().get(node, 'INVOICE#aa'))).toBe('first');
  });

  it('writes several items all or nothing: one key taken, none of them is written', async () => {
    const node = randomUUID();
    await store().putNew(node, [{ sk: 'IDEMPOTENCY#k', data: bytes('taken') }]);
    const error = await store()
      .putNew(node, [
        { sk: 'INVOICE#bb', data: bytes('invoice'), state: 'open' },
        { sk: 'IDEMPOTENCY#k', data: bytes('mine'), ttlSec: 2_000_000_000 },
      ])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: StoreErrorCode.ConditionFailed });
    expect((error as Error).message).toContain('IDEMPOTENCY#k');
    expect(await store().get(node, 'INVOICE#bb')).toBeUndefined();
    expect(text(await store().get(node, 'IDEMPOTENCY#k'))).toBe('taken');
    await store().putNew(node, [
      { sk: 'INVOICE#bb', data: bytes('invoice'), state: 'open' },
      { sk: 'IDEMPOTENCY#k2', data: bytes('mine') },
    ]);
    expect(text(await store().get(node, 'INVOICE#bb'))).toBe('invoice');
    expect(text(await store().get(node, 'IDEMPOTENCY#k2'))).toBe('mine');
  });

  it('of many concurrent puts under one key, exactly one wins', async () => {
    const node = randomUUID();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store().putNew(node, [{ sk: 'INVOICE#cc', data: bytes(`w${i}`) }, { sk: `OTHER#${i}`, data: bytes('x') }])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store().query(node, 'OTHER#')).toHaveLength(1);
  });
});

describe('putIf', () => {
  it('replaces an item only while its state is the expected one', async () => {
    const node = randomUUID();
    await store().putNew(node, [{ sk: 'INVOICE#dd', data: bytes('open'), state: 'open' }]);
    await store().putIf(node, { sk: 'INVOICE#dd', data: bytes('canceled'), state: 'canceled', condition: { kind: 'state', state: 'open' } });
    await expectStoreError(store().putIf(node, { sk: 'INVOICE#dd', data: bytes('paid'), state: 'paid', condition: { kind: 'state', state: 'open' } }), StoreErrorCode.ConditionFailed);
    expect(text(await store().get(node, 'INVOICE#dd'))).toBe('canceled');
    // No item at all: a state condition fails too (nothing is created).
    await expectStoreError(store().putIf(node, { sk: 'INVOICE#ee', data: bytes('paid'), condition: { kind: 'state', state: 'open' } }), StoreErrorCode.ConditionFailed);
    expect(await store().get(node, 'INVOICE#ee')).toBeUndefined();
  });
});

const NOW = 1_800_000_000;
const preimage = new Uint8Array(32).fill(9);
const hash = sha256(preimage);
const openInvoice: InvoiceRecord = { paymentHash: hash, bolt11: 'lnbcrt1...', amountMsat: 5_000n, description: 'order', createdAtSecs: NOW - 10, expiresAtSecs: NOW + 3600, state: 'open', externalId: 'order-7' };
const claimable: PaymentClaimable = { kind: 'payment-claimable', paymentHash: hash, amountMsat: 5_000n, purpose: 'invoice', paymentPreimage: preimage, claimDeadline: 500 };

describe('a commit with a conditional put (the claim of an invoice)', () => {
  it('commits the paid invoice with the rest while the invoice is open', async () => {
    const node = randomUUID();
    const sk = SortKey.invoice(toHex(hash));
    await store().putNew(node, [{ sk, data: encodeInvoiceRecord(openInvoice), state: 'open' }]);
    const decision = decideClaimable(claimable, openInvoice, NOW);
    expect(decision.kind).toBe('claim');
    const paid = decision.kind === 'claim' ? decision.paid! : openInvoice;
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, {
      inputId: 'claim-1',
      puts: [
        { sk: 'CHANNEL#x', data: bytes('fulfilled') },
        { sk, data: encodeInvoiceRecord(paid), state: 'paid', condition: { kind: 'state', state: 'open' } },
      ],
    });
    const stored = decodeInvoiceRecord((await store().get(node, sk))!);
    expect(stored.ok && stored.value).toMatchObject({ state: 'paid', receivedMsat: 5_000n, paidAtSecs: NOW });
    expect(text(await store().get(node, 'CHANNEL#x'))).toBe('fulfilled');
  });

  it('a cancel committed first fails the whole claim commit; the retry sees canceled and fails the payment back', async () => {
    const node = randomUUID();
    const sk = SortKey.invoice(toHex(hash));
    await store().putNew(node, [{ sk, data: encodeInvoiceRecord(openInvoice), state: 'open' }]);
    // The claim was decided on the open invoice...
    const decision = decideClaimable(claimable, openInvoice, NOW);
    if (decision.kind !== 'claim' || decision.paid === undefined) throw new Error('expected a claim of the invoice');
    // ...then a cancel lands before its commit.
    await store().putIf(node, { sk, data: encodeInvoiceRecord(canceledInvoice(openInvoice, NOW)), state: 'canceled', condition: { kind: 'state', state: 'open' } });
    const lease = await store().acquireLease(node, 'a', 30_000);
    const error = await store()
      .commit(lease, {
        inputId: 'claim-1',
        puts: [
          { sk: 'CHANNEL#x', data: bytes('fulfilled') },
          { sk, data: encodeInvoiceRecord(decision.paid), state: 'paid', condition: { kind: 'state', state: 'open' } },
        ],
        outbox: [{ id: 'claim-1#000', destination: 'outbound', group: 'peer', body: bytes('update_fulfill_htlc') }],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StoreError', code: StoreErrorCode.ConditionFailed });
    // Nothing of the commit is stored: the input is not marked applied, so it is retried.
    expect(await store().get(node, 'CHANNEL#x')).toBeUndefined();
    expect(await store().hasInput(node, 'claim-1')).toBe(false);
    expect(await store().pendingOutbox(node)).toEqual([]);
    const stored = decodeInvoiceRecord((await store().get(node, sk))!);
    if (!stored.ok) throw new Error('the invoice item does not decode');
    expect(stored.value.state).toBe('canceled');
    // The retry reads the invoice again and fails the payment back.
    expect(decideClaimable(claimable, stored.value, NOW).kind).toBe('fail');
    // The lease is still ours: the retry commits under it.
    await store().commit(lease, { inputId: 'claim-1', puts: [{ sk: 'CHANNEL#x', data: bytes('failed back') }] });
    expect(text(await store().get(node, 'CHANNEL#x'))).toBe('failed back');
  });

  it('an absent condition refuses to overwrite inside a commit', async () => {
    const node = randomUUID();
    await store().putNew(node, [{ sk: 'THING#1', data: bytes('old') }]);
    const lease = await store().acquireLease(node, 'a', 30_000);
    await expectStoreError(store().commit(lease, { puts: [{ sk: 'THING#1', data: bytes('new'), condition: { kind: 'absent' } }] }), StoreErrorCode.ConditionFailed);
    expect(text(await store().get(node, 'THING#1'))).toBe('old');
  });
});

describe('queryPage', () => {
  it('pages through a prefix after a cursor, exclusive, and says when more may follow', async () => {
    const node = randomUUID();
    const keys = Array.from({ length: 7 }, (_, i) => SortKey.invoice(i.toString(16).padStart(64, '0')));
    await store().putNew(node, [...keys.map((sk) => ({ sk, data: bytes(sk) })), { sk: 'INVOICF#after-the-prefix', data: bytes('x') }, { sk: 'INVOICD#before', data: bytes('x') }]);
    const first = await store().queryPage(node, SortKey.invoicePrefix, { limit: 3 });
    expect(first.items.map((i) => i.sk)).toEqual(keys.slice(0, 3));
    expect(first.more).toBe(true);
    const second = await store().queryPage(node, SortKey.invoicePrefix, { limit: 3, after: first.items[2]!.sk });
    expect(second.items.map((i) => i.sk)).toEqual(keys.slice(3, 6));
    const third = await store().queryPage(node, SortKey.invoicePrefix, { limit: 3, after: second.items[2]!.sk });
    expect(third.items.map((i) => i.sk)).toEqual(keys.slice(6));
    expect(third.more).toBe(false);
    expect((await store().queryPage(node, SortKey.invoicePrefix, { limit: 3, after: keys[6] })).items).toEqual([]);
  });
});
