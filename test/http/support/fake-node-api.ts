/** An in-memory NodeApi for unit tests of the HTTP handler (a single module under test). */
import type {
  ChannelInfo,
  ConnectPeerRequest,
  EventInfo,
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
import type { CreatedWebhookInfo, WebhookDeliveryInfo, WebhookInfo } from '../../../functions/http/webhook-api.js';

export class FakeNodeApi implements NodeApi {
  info: NodeInfo;
  peers: PeerInfo[];
  readonly connectRequests: ConnectPeerRequest[] = [];
  /** When set, every method rejects with this error. */
  failure: Error | undefined;

  constructor(info: NodeInfo, peers: PeerInfo[] = []) {
    this.info = info;
    this.peers = peers;
  }

  async nodeInfo(): Promise<NodeInfo> {
    if (this.failure) throw this.failure;
    return { ...this.info, peers: this.peers.length };
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

  async listEvents(): Promise<readonly EventInfo[]> {
    if (this.failure) throw this.failure;
    return this.events;
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
  async closeChannel(channelId: string): Promise<ChannelInfo> {
    if (this.failure) throw this.failure;
    const found = await this.getChannel(channelId);
    if (found.state !== 'ready') throw new HttpError(HttpErrorCode.channelNotClosable, `a cooperative close starts from ready, not ${found.state}`);
    this.closed.push(channelId);
    const closing: ChannelInfo = { ...found, state: 'shutdown-sent', isUsable: false };
    this.channels = this.channels.map((c) => (c === found ? closing : c));
    return closing;
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
