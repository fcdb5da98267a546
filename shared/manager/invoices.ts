/**
 * Payments to us as the user asks for them (LDK's `create_inbound_payment`,
 * `create_inbound_payment_for_hash`, `create_bolt11_invoice`): stateless
 * (inbound-payment.ts: the payment secret carries the amount, expiry and
 * CLTV delta, so nothing is written), and BOLT 11 invoices signed by the
 * node key (shared/invoice). docs/payments-inbound.md.
 */
import { toHex } from '../crypto/index.js';
import { encodeInvoice, type Network } from '../invoice/index.js';
import {
  MAX_INBOUND_EXPIRY_SECS,
  createInboundPayment as createPayment,
  createInboundPaymentForHash as createForHash,
  expandInboundPaymentKey,
  type InboundPayment,
} from './inbound-payment.js';
import { channelDetailsOf } from './channel-details.js';
import { routeHints } from './channel-updates.js';
import type { ManagerCore } from './manager-core.js';
import { ApiErrorCode, type ApiResult } from './manager-errors.js';

/** BOLT 0 chain hashes (the genesis block hash as on the wire), by BOLT 11 network. */
export const CHAIN_HASHES: { readonly [N in Network]: string } = {
  bitcoin: '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000',
  testnet: '43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000',
  signet: 'f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000',
  regtest: '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f',
};

/** The network of the node's chain, when it is one BOLT 11 names. */
export function networkOf(core: ManagerCore): Network | undefined {
  const hex = toHex(core.cs.header.chainHash);
  return (Object.keys(CHAIN_HASHES) as Network[]).find((n) => CHAIN_HASHES[n] === hex);
}

function refused<T>(message: string): ApiResult<T> {
  return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message } };
}

function nowSecs(core: ManagerCore): number {
  return core.ports.clock.nowSecs();
}

/** What a payment to us is asked with. */
export interface InboundPaymentRequest {
  /** Omitted: any amount. */
  readonly amountMsat?: bigint;
  /** At most a year. */
  readonly expirySecs: number;
  /** At least 42 (what a receiver needs to claim on chain in time); default 42. */
  readonly minFinalCltvExpiryDelta?: number;
}

function guard<T>(core: ManagerCore, request: InboundPaymentRequest, make: () => T): ApiResult<T> {
  if (!Number.isSafeInteger(request.expirySecs) || request.expirySecs <= 0 || request.expirySecs > MAX_INBOUND_EXPIRY_SECS) {
    return refused(`the expiry must be 1 to ${MAX_INBOUND_EXPIRY_SECS} seconds`);
  }
  try {
    return { ok: true, value: make() };
  } catch (error) {
    return refused(error instanceof Error ? error.message : String(error));
  }
}

function params(core: ManagerCore, request: InboundPaymentRequest) {
  return {
    expirySecs: request.expirySecs,
    nowSecs: nowSecs(core),
    ...(request.amountMsat === undefined ? {} : { amountMsat: request.amountMsat }),
    ...(request.minFinalCltvExpiryDelta === undefined ? {} : { minFinalCltvExpiryDelta: request.minFinalCltvExpiryDelta }),
  };
}

/** LDK's `create_inbound_payment`: a payment hash and secret whose preimage we can derive when paid (nothing stored). */
export function createInboundPayment(core: ManagerCore, request: InboundPaymentRequest): ApiResult<InboundPayment> {
  const key = expandInboundPaymentKey(core.ports.nodeSigner.inboundPaymentKey());
  return guard(core, request, () => createPayment(key, params(core, request), core.ports.entropy.getSecureRandomBytes()));
}

/** LDK's `create_inbound_payment_for_hash`: a secret for a hash whose preimage the user holds (claimed with it). */
export function createInboundPaymentForHash(core: ManagerCore, paymentHash: Uint8Array, request: InboundPaymentRequest): ApiResult<Uint8Array> {
  if (paymentHash.length !== 32) return refused('a payment hash is 32 bytes');
  const key = expandInboundPaymentKey(core.ports.nodeSigner.inboundPaymentKey());
  return guard(core, request, () => createForHash(key, paymentHash, params(core, request)));
}

/** What `createBolt11Invoice` is asked: the payment, and exactly one of `description` (BOLT 11 `d`) and `descriptionHash` (`h`, SHA-256 of a longer description). */
export type InvoiceRequest = InboundPaymentRequest & { readonly description?: string; readonly descriptionHash?: Uint8Array };

/** An invoice and the payment it asks for. */
export interface CreatedInvoice {
  readonly invoice: string;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  readonly expiresAtSecs: number;
}

/**
 * LDK's `create_bolt11_invoice`: a new inbound payment in an invoice with
 * `d` (the description), `x`, `c` (the delta the payment needs) and the
 * features payment_secret, var_onion_optin and basic_mpp, and route hints
 * for up to three private channels whose peer sent its `channel_update`
 * (channel-updates.ts), so a payer that is not our peer reaches us through
 * one of them.
 */
export function createBolt11Invoice(core: ManagerCore, request: InvoiceRequest): ApiResult<CreatedInvoice> {
  if ((request.description === undefined) === (request.descriptionHash === undefined)) return refused('an invoice needs exactly one of description and descriptionHash');
  if (request.descriptionHash !== undefined && request.descriptionHash.length !== 32) return refused('a description hash is 32 bytes');
  const network = networkOf(core);
  if (network === undefined) return refused('the node chain has no BOLT 11 prefix');
  const payment = createInboundPayment(core, request);
  if (!payment.ok) return payment;
  const { paymentHash, paymentSecret, minFinalCltvExpiryDelta, expiresAtSecs } = payment.value;
  try {
    const invoice = encodeInvoice(
      core.ports.secp,
      {
        network,
        timestampSec: expiresAtSecs - request.expirySecs,
        paymentHash,
        paymentSecret,
        ...(request.description === undefined ? {} : { description: request.description }),
        ...(request.descriptionHash === undefined ? {} : { descriptionHash: request.descriptionHash }),
        expirySeconds: request.expirySecs,
        minFinalCltvExpiryDelta,
        routeHints: routeHints(core, request.amountMsat, (channel) => channelDetailsOf(channel, core.cs.header.bestBlock.height, true).inboundCapacityMsat),
        ...(request.amountMsat === undefined ? {} : { amountMsat: request.amountMsat }),
      },
      core.ports.nodeSigner,
    );
    return { ok: true, value: { invoice, paymentHash, paymentSecret, expiresAtSecs } };
  } catch (error) {
    return refused(error instanceof Error ? error.message : String(error));
  }
}
