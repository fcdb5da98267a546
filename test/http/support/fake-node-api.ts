/** An in-memory NodeApi for unit tests of the HTTP handler (a single module under test). */
import type {
  ChannelInfo,
  CloseAllResult,
  ConnectPeerRequest,
  EventInfo,
  ForwardingPolicyInfo,
  HealthInfo,
  NodeApi,
  OpenChannelRequest,
  NodeInfo,
  PeerInfo,
  SendRequest,
  SendResponse,
  WalletInfo,
} from '../../../functions/http/node-api.js';

import { HttpError, HttpErrorCode } from '../../../functions/http/errors.js';
import type { CreateInvoiceRequest, IdempotencyRequest, InvoiceInfo, InvoicePage } from '../../../functions/http/invoice-api.js';

/** What a test gives of the node: the channel totals default to 0. */
export type FakeNodeInfo = Omit<NodeInfo, 'channelBalanceMsat' | 'inboundCapacityMsat'> & Partial<Pick<NodeInfo, 'channelBalanceMsat' | 'inboundCapacityMsat'>>;
import type { KeysendInput, PayInvoiceInput, PaymentAccepted, PaymentInfo, PaymentListQuery, PaymentRequestIdentity } from '../../../functions/http/payment-api.js';
import type { CreatedWebhookInfo, WebhookDeliveryInfo, WebhookInfo } from '../../../functions/http/webhook-api.js';

export class FakeNodeApi implements NodeApi {
  info: FakeNodeInfo;
  peers: PeerInfo[];
  readonly connectRequests: ConnectPeerRequest[] = [];
  /** When set, every method rejects with this error. */
  failure: Error | undefined;

  constructor(info: FakeNodeInfo, peers: PeerInfo[] = []) {
    this.info = info;
    this.peers = peers;
  }

  async nodeInfo(): Promise<NodeInfo> {
    if (this.failure) throw this.failure;
    return { channelBalanceMsat: 0n, inboundCapacityMsat: 0n, ...this.info, peers: this.peers.length };
  }

  policy: ForwardingPolicyInfo = { feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1n };

  async forwardingPolicy(): Promise<ForwardingPolicyInfo> {
    if (this.failure) throw this.failure;
    return this.policy;
  }

  healthInfo: HealthInfo = { status: 'ok', down: [] };

  async health(): Promise<HealthInfo> {
    if (this.failure) throw this.failure;
    return this.healthInfo;
  }

  async listPeers(): Promise<readonly PeerInfo[]> {
    if (this.failure) throw this.failure;
    return this.peers;
  }

  async connectPeer(request: ConnectPeerRequest): Promise<void> {
    if (this.failure) throw this.failure;
    this.connectRequests.push(request);
  }

  walletInfo: WalletInfo = { confirmedSat: 0n, unconfirmedSat: 0n };
  readonly sendRequests: SendRequest[] = [];
  addresses = 0;

  async wallet(): Promise<WalletInfo> {
    if (this.failure) throw this.failure;
    return this.walletInfo;
  }

  async newAddress(): Promise<{ address: string }> {
    if (this.failure) throw this.failure;
    return { address: `bcrt1qfake${this.addresses++}` };
  }

  async send(request: SendRequest): Promise<SendResponse> {
    if (this.failure) throw this.failure;
    this.sendRequests.push(request);
    return { txid: 'ab'.repeat(32), feeSat: 141n };
  }

  channels: ChannelInfo[] = [];
  readonly openRequests: OpenChannelRequest[] = [];
  readonly accepted: string[] = [];
  readonly rejected: string[] = [];

  async openChannel(request: OpenChannelRequest): Promise<{ channelId: string }> {
    if (this.failure) throw this.failure;
    this.openRequests.push(request);
    return { channelId: '11'.repeat(32) };
  }

  async listChannels(): Promise<readonly ChannelInfo[]> {
    if (this.failure) throw this.failure;
    return this.channels;
  }

  async getChannel(channelId: string): Promise<ChannelInfo> {
    if (this.failure) throw this.failure;
    const found = this.channels.find((c) => c.channelId === channelId || c.temporaryChannelId === channelId);
    if (found === undefined) throw new HttpError(HttpErrorCode.notFound, `no channel ${channelId}`);
    return found;
  }

  async acceptChannel(temporaryChannelId: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.accepted.push(temporaryChannelId);
  }

  events: EventInfo[] = [];
  readonly acknowledgements: bigint[] = [];

  readonly eventReads: (bigint | undefined)[] = [];

  async listEvents(after?: bigint): Promise<readonly EventInfo[]> {
    if (this.failure) throw this.failure;
    this.eventReads.push(after);
    return this.events.filter((e) => after === undefined || BigInt(e.id) > after);
  }

  async acknowledgeEvents(upTo: bigint): Promise<number> {
    if (this.failure) throw this.failure;
    this.acknowledgements.push(upTo);
    const before = this.events.length;
    this.events = this.events.filter((e) => BigInt(e.id) > upTo);
    return before - this.events.length;
  }

  async rejectChannel(temporaryChannelId: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.rejected.push(temporaryChannelId);
  }

  readonly closed: string[] = [];

  /** Like the node: unknown is `not-found`, a channel not `ready` is `channel-not-closable`; a ready one becomes `shutdown-sent`. */
  /** Like the node: the given fields replace the channel's policy; a closed channel refuses. */
  async updateChannelPolicy(channelId: string, change: { readonly feeBaseMsat?: number; readonly feeProportionalMillionths?: number; readonly cltvExpiryDelta?: number }): Promise<ChannelInfo> {
    if (this.failure) throw this.failure;
    const found = await this.getChannel(channelId);
    if (found.state === 'closed') throw new HttpError(HttpErrorCode.channelNotConfigurable, 'the channel is closed');
    const updated: ChannelInfo = { ...found, forwardingPolicy: { feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72, ...found.forwardingPolicy, ...change } };
    this.channels = this.channels.map((c) => (c === found ? updated : c));
    return updated;
  }

  async closeChannel(channelId: string, options: { readonly force?: boolean } = {}): Promise<ChannelInfo> {
    if (this.failure) throw this.failure;
    const found = await this.getChannel(channelId);
    if (options.force === true) {
      this.forceClosed.push(channelId);
      const closed: ChannelInfo = { ...found, state: 'closed', isUsable: false, closure: { reason: 'holder-force-closed', message: 'force-closed by the node operator', txid: 'ab'.repeat(32) } };
      this.channels = this.channels.map((c) => (c === found ? closed : c));
      return closed;
    }
    if (found.state !== 'ready') throw new HttpError(HttpErrorCode.channelNotClosable, `a cooperative close starts from ready, not ${found.state}`);
    this.closed.push(channelId);
    const closing: ChannelInfo = { ...found, state: 'shutdown-sent', isUsable: false };
    this.channels = this.channels.map((c) => (c === found ? closing : c));
    return closing;
  }

  /** Channels force-closed through the fake (`closeChannel` with `force`). */
  readonly forceClosed: string[] = [];

  /** Like the node: every channel not `closed`, each closed on its own; a failure of one is listed, the others still close. */
  async closeAllChannels(options: { readonly force?: boolean } = {}): Promise<readonly CloseAllResult[]> {
    if (this.failure) throw this.failure;
    const out: CloseAllResult[] = [];
    for (const c of this.channels.filter((ch) => ch.state !== 'closed' && ch.state !== 'awaiting-acceptance')) {
      try {
        out.push({ channelId: c.channelId, channel: await this.closeChannel(c.channelId, options) });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        out.push({ channelId: c.channelId, error: { code: error.code, message: error.message } });
      }
    }
    return out;
  }

  /** Invoices by payment hash, as the fake made them; `createRequests` records what each create was asked (with its idempotency). */
  readonly invoices = new Map<string, InvoiceInfo>();
  readonly createRequests: { request: CreateInvoiceRequest; idempotency: IdempotencyRequest | undefined }[] = [];

  async createInvoice(request: CreateInvoiceRequest, idempotency?: IdempotencyRequest): Promise<InvoiceInfo> {
    if (this.failure) throw this.failure;
    this.createRequests.push({ request, idempotency });
    const paymentHash = (this.invoices.size + 1).toString(16).padStart(64, '0');
    const invoice: InvoiceInfo = {
      paymentHash,
      bolt11: `lnbcrt1fake${this.invoices.size}`,
      amountMsat: request.amountMsat === undefined ? null : Number(request.amountMsat),
      description: request.descriptionHash === undefined ? (request.description ?? '') : null,
      descriptionHash: request.descriptionHash ?? null,
      externalId: request.externalId ?? null,
      state: 'open',
      receivedMsat: null,
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-01T01:00:00Z',
      paidAt: null,
      canceledAt: null,
    };
    this.invoices.set(paymentHash, invoice);
    return invoice;
  }

  async getInvoice(paymentHash: string): Promise<InvoiceInfo> {
    if (this.failure) throw this.failure;
    const found = this.invoices.get(paymentHash);
    if (found === undefined) throw new HttpError(HttpErrorCode.notFound, `no invoice with payment hash ${paymentHash}`);
    return found;
  }

  async listInvoices(query: { readonly state?: InvoiceInfo['state']; readonly limit: number; readonly after?: string }): Promise<InvoicePage> {
    if (this.failure) throw this.failure;
    const all = [...this.invoices.values()].filter((i) => (query.state === undefined || i.state === query.state) && (query.after === undefined || i.paymentHash > query.after));
    all.sort((a, b) => (a.paymentHash < b.paymentHash ? -1 : 1));
    const page = all.slice(0, query.limit);
    return { invoices: page, ...(all.length > query.limit ? { nextAfter: page[page.length - 1]!.paymentHash } : {}) };
  }

  /** Like the node: unknown is `not-found`, paid is `invoice-paid`, else `canceled`. */
  async cancelInvoice(paymentHash: string): Promise<InvoiceInfo> {
    const found = await this.getInvoice(paymentHash);
    if (found.state === 'paid') throw new HttpError(HttpErrorCode.invoicePaid, `invoice ${paymentHash} is paid`);
    const canceled: InvoiceInfo = { ...found, state: 'canceled', canceledAt: '2026-01-01T00:30:00Z' };
    this.invoices.set(paymentHash, canceled);
    return canceled;
  }

  /** Payment calls as the routes made them, and the payments answered; `paymentFailure` rejects the next pay call. */
  readonly paymentCalls: { kind: 'invoice' | 'keysend'; input: PayInvoiceInput | KeysendInput; identity: PaymentRequestIdentity }[] = [];
  readonly byKey = new Map<string, { fingerprint: string; answer: PaymentAccepted }>();
  payments: PaymentInfo[] = [];
  paymentFailure: Error | undefined;
  readonly listQueries: PaymentListQuery[] = [];

  /** Like the node: a key answers its first answer for the same fingerprint, 409 for another. */
  #pay(kind: 'invoice' | 'keysend', input: PayInvoiceInput | KeysendInput, identity: PaymentRequestIdentity): PaymentAccepted {
    if (this.failure) throw this.failure;
    this.paymentCalls.push({ kind, input, identity });
    const seen = this.byKey.get(identity.idempotencyKey);
    if (seen !== undefined) {
      if (seen.fingerprint !== identity.fingerprint) throw new HttpError(HttpErrorCode.idempotencyKeyReused, 'another request used this key');
      return seen.answer;
    }
    if (this.paymentFailure) throw this.paymentFailure;
    const n = this.byKey.size + 1;
    const answer: PaymentAccepted = { paymentId: n.toString(16).padStart(64, '0'), paymentHash: 'ee'.repeat(31) + n.toString(16).padStart(2, '0'), state: 'pending' };
    this.byKey.set(identity.idempotencyKey, { fingerprint: identity.fingerprint, answer });
    return answer;
  }

  async payInvoice(input: PayInvoiceInput, identity: PaymentRequestIdentity): Promise<PaymentAccepted> {
    return this.#pay('invoice', input, identity);
  }

  async payKeysend(input: KeysendInput, identity: PaymentRequestIdentity): Promise<PaymentAccepted> {
    return this.#pay('keysend', input, identity);
  }

  async getPayment(paymentId: string): Promise<PaymentInfo> {
    if (this.failure) throw this.failure;
    const found = this.payments.find((p) => p.paymentId === paymentId);
    if (found === undefined) throw new HttpError(HttpErrorCode.notFound, `no payment ${paymentId}`);
    return found;
  }

  async abandonPayment(paymentId: string): Promise<PaymentInfo> {
    const found = await this.getPayment(paymentId);
    if (found.state !== 'pending') return found;
    const failed: PaymentInfo = { ...found, state: 'failed', failureReason: 'UserAbandoned', completedAtSecs: found.createdAtSecs };
    this.payments = this.payments.map((p) => (p.paymentId === paymentId ? failed : p));
    return failed;
  }

  async listPayments(query: PaymentListQuery): Promise<{ payments: readonly PaymentInfo[]; nextAfter?: string }> {
    if (this.failure) throw this.failure;
    this.listQueries.push(query);
    const all = this.payments.filter((p) => (query.state === undefined || p.state === query.state) && (query.after === undefined || p.paymentId > query.after));
    const page = all.slice(0, query.limit);
    return { payments: page, ...(all.length > query.limit ? { nextAfter: page.at(-1)!.paymentId } : {}) };
  }

  /** Registered webhooks (secrets included), in order. */
  webhooks: CreatedWebhookInfo[] = [];
  /** Deliveries by webhook id. */
  deliveries = new Map<string, WebhookDeliveryInfo[]>();
  readonly redelivered: string[] = [];

  /** Like the node: a URL not https is `invalid-request`, the 11th webhook `too-many-webhooks`. */
  /** The `Idempotency-Key` (and fingerprint) each createWebhook call came with. */
  readonly webhookIdempotency: ({ readonly key: string; readonly fingerprint: string } | undefined)[] = [];

  async createWebhook(request: { readonly url: string; readonly events?: readonly string[] }, idempotency?: { readonly key: string; readonly fingerprint: string }): Promise<CreatedWebhookInfo> {
    if (this.failure) throw this.failure;
    this.webhookIdempotency.push(idempotency);
    if (!request.url.startsWith('https://')) throw new HttpError(HttpErrorCode.invalidRequest, 'url: must use https');
    if (this.webhooks.length >= 10) throw new HttpError(HttpErrorCode.tooManyWebhooks, 'a node keeps at most 10 webhooks');
    const id = `wh_${this.webhooks.length.toString(16).padStart(16, '0')}`;
    const created: CreatedWebhookInfo = { id, url: request.url, events: request.events === undefined ? null : [...request.events], createdAt: '2026-01-01T00:00:00.000Z', secret: 'ab'.repeat(32) };
    this.webhooks.push(created);
    return created;
  }

  async listWebhooks(): Promise<readonly WebhookInfo[]> {
    if (this.failure) throw this.failure;
    return this.webhooks.map(({ secret: _secret, ...w }) => w);
  }

  async deleteWebhook(id: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.webhooks.some((w) => w.id === id)) throw new HttpError(HttpErrorCode.notFound, `no webhook ${id}`);
    this.webhooks = this.webhooks.filter((w) => w.id !== id);
  }

  async listWebhookDeliveries(id: string): Promise<readonly WebhookDeliveryInfo[]> {
    if (this.failure) throw this.failure;
    if (!this.webhooks.some((w) => w.id === id)) throw new HttpError(HttpErrorCode.notFound, `no webhook ${id}`);
    return this.deliveries.get(id) ?? [];
  }

  async redeliverWebhook(id: string, deliveryId: string): Promise<WebhookDeliveryInfo> {
    if (this.failure) throw this.failure;
    const found = (this.deliveries.get(id) ?? []).find((d) => d.id === deliveryId);
    if (found === undefined) throw new HttpError(HttpErrorCode.notFound, `no delivery ${deliveryId}`);
    this.redelivered.push(deliveryId);
    return { ...found, status: 'pending', nextAttemptAt: '2026-01-01T00:00:00.000Z' };
  }
}
