/**
 * The node answering its own `payment-claimable` events (claim-step.ts)
 * against DynamoDB Local, with a recording manager: the invoice items of
 * the events' hashes are read, an open one is claimed and put `paid` on
 * condition it is still open, a canceled one failed back; when a cancel
 * commits between the decision and the claim's commit, the commit fails
 * (nothing stored, the input not applied) and the retry fails it back.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { answerClaimablePayments, paidExternalIds } from '../../functions/invoices/claim-step.js';
import { cancelInvoice } from '../../functions/invoices/invoice-service.js';
import { decodeInvoiceRecord, encodeInvoiceRecord, type InvoiceRecord } from '../../functions/invoices/invoice-record.js';
import type { PaymentClaimable } from '../../functions/invoices/receive-policy.js';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import type { ChannelManager, ManagerChanges } from '../../shared/manager/index.js';
import { NodeStore, SortKey, StoreErrorCode, ensureNodeTable } from '../../shared/store/index.js';
import { quiet } from '../support/wallet-node.js';

let client: DynamoDBClient;
const tableName = `claim-step-${randomUUID()}`;
const store = () => new NodeStore({ client, tableName });

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

const NOW = 1_800_000_000;

/** A manager that records what it is asked (the real one is exercised end to end in test/e2e/invoices.test.ts). */
function recordingManager() {
  const calls: string[] = [];
  const manager = {
    claimFunds: (preimage: Uint8Array) => (calls.push(`claim ${toHex(sha256(preimage))}`), { ok: true, value: undefined }),
    failHtlcBackwards: (hash: Uint8Array) => void calls.push(`fail ${toHex(hash)}`),
  } as unknown as ChannelManager;
  return { manager, calls };
}

function payment(seed: number, amountMsat = 5_000n): { preimage: Uint8Array; hash: string; event: PaymentClaimable } {
  const preimage = new Uint8Array(32).fill(seed);
  const paymentHash = sha256(preimage);
  return { preimage, hash: toHex(paymentHash), event: { kind: 'payment-claimable', paymentHash, amountMsat, purpose: 'invoice', paymentPreimage: preimage, claimDeadline: 900 } };
}

const changesWith = (...events: PaymentClaimable[]) => ({ events: events.map((event, i) => ({ id: BigInt(i + 1), event })) }) as unknown as ManagerChanges;

async function storeInvoice(node: string, hash: string, over: Partial<InvoiceRecord> = {}): Promise<InvoiceRecord> {
  const record: InvoiceRecord = { paymentHash: fromHex(hash), bolt11: 'lnbcrt1x', amountMsat: 5_000n, createdAtSecs: NOW - 60, expiresAtSecs: NOW + 3600, state: 'open', externalId: `order-${hash.slice(0, 4)}`, ...over };
  await store().putNew(node, [{ sk: SortKey.invoice(hash), data: encodeInvoiceRecord(record), state: record.state }]);
  return record;
}

const ctxOf = (nodeKey: string) => ({ nodeKey, logger: quiet });

describe('answerClaimablePayments', () => {
  it('claims an open invoice (its paid item conditional on open), fails back a canceled one, claims a keysend', async () => {
    const node = randomUUID();
    const open = payment(1);
    const canceled = payment(2);
    const keysend = payment(3);
    await storeInvoice(node, open.hash);
    await storeInvoice(node, canceled.hash, { state: 'canceled', canceledAtSecs: NOW - 1 });
    const { manager, calls } = recordingManager();
    const puts = await answerClaimablePayments(ctxOf(node), store(), manager, changesWith(open.event, canceled.event, { ...keysend.event, purpose: 'spontaneous' }), NOW);
    expect(calls).toEqual([`claim ${open.hash}`, `fail ${canceled.hash}`, `claim ${keysend.hash}`]);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ sk: SortKey.invoice(open.hash), state: 'paid', condition: { kind: 'state', state: 'open' } });
    // What a webhook rendering the commit's payment-claimed event finds without another read.
    expect(paidExternalIds([{ sk: 'CHANNEL#x', data: new Uint8Array([1]) }, ...puts])).toEqual(new Map([[open.hash, `order-${open.hash.slice(0, 4)}`]]));
    const paid = decodeInvoiceRecord(puts[0]!.data);
    expect(paid.ok && paid.value).toMatchObject({ state: 'paid', receivedMsat: 5_000n, paidAtSecs: NOW, externalId: `order-${open.hash.slice(0, 4)}` });
  });

  it('reads nothing and does nothing without a claimable payment', async () => {
    const { manager, calls } = recordingManager();
    const broken = { getMany: () => Promise.reject(new Error('must not read')) } as unknown as NodeStore;
    expect(await answerClaimablePayments(ctxOf('n'), broken, manager, changesWith(), NOW)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('a cancel committed before the claim fails the claim commit; the retry fails the payment back and the invoice stays canceled', async () => {
    const node = randomUUID();
    const p = payment(4);
    await storeInvoice(node, p.hash);
    const first = recordingManager();
    const puts = await answerClaimablePayments(ctxOf(node), store(), first.manager, changesWith(p.event), NOW);
    expect(first.calls).toEqual([`claim ${p.hash}`]);
    // The merchant cancels before the claim commits.
    await cancelInvoice({ store: store(), nodeKey: node }, p.hash, NOW);
    const lease = await store().acquireLease(node, 'pipeline', 30_000);
    const commit = { inputId: 'follow-up-1', puts: [{ sk: 'CHANNEL#peer#chan', data: new Uint8Array([1]) }, ...puts] };
    await expect(store().commit(lease, commit)).rejects.toMatchObject({ code: StoreErrorCode.ConditionFailed });
    expect(await store().hasInput(node, 'follow-up-1')).toBe(false);
    expect(await store().get(node, 'CHANNEL#peer#chan')).toBeUndefined();
    // The input is retried: the same event, decided again on what is stored now.
    const retry = recordingManager();
    expect(await answerClaimablePayments(ctxOf(node), store(), retry.manager, changesWith(p.event), NOW)).toEqual([]);
    expect(retry.calls).toEqual([`fail ${p.hash}`]);
    const stored = decodeInvoiceRecord((await store().get(node, SortKey.invoice(p.hash)))!);
    expect(stored.ok && stored.value.state).toBe('canceled');
  });

  it('of two claims of one invoice committed under the condition, the second fails: paid once', async () => {
    const node = randomUUID();
    const p = payment(5);
    await storeInvoice(node, p.hash);
    const a = await answerClaimablePayments(ctxOf(node), store(), recordingManager().manager, changesWith(p.event), NOW);
    const b = await answerClaimablePayments(ctxOf(node), store(), recordingManager().manager, changesWith({ ...p.event, amountMsat: 9_000n }), NOW + 5);
    const lease = await store().acquireLease(node, 'pipeline', 30_000);
    await store().commit(lease, { inputId: 'a', puts: a });
    await expect(store().commit(lease, { inputId: 'b', puts: b })).rejects.toMatchObject({ code: StoreErrorCode.ConditionFailed });
    const stored = decodeInvoiceRecord((await store().get(node, SortKey.invoice(p.hash)))!);
    expect(stored.ok && stored.value).toMatchObject({ state: 'paid', receivedMsat: 5_000n, paidAtSecs: NOW });
  });
});
