/**
 * What travels on the two FIFO queues between the peer gateway and the
 * handlers, as versioned JSON (SQS bodies are text). Bytes are hex.
 *
 * Inbound (gateway → peer-message handler), group = node + peer:
 *   connected | message | messages (several in a row, read while the one
 *   before was being queued) | disconnected, each naming the connection; and
 *   follow-up: one channel's share of an input that touched many channels,
 *   enqueued by that input's commit (docs/follow-ups.md), in the peer's group
 *   so it stays ordered with the peer's messages.
 * Outbound (handlers → gateway), group = peer:
 *   send a message | disconnect | dial a peer.
 * Broadcast (handlers → broadcast handler), group = node:
 *   a serialized transaction to hand to the chain source.
 */
import { base64 } from '@scure/base';
import { fromHex, toHex } from '../crypto/bytes.js';

export type InboundEnvelope =
  | { readonly kind: 'connected'; readonly peer: string; readonly connectionId: string; readonly inbound: boolean; readonly address: string }
  | { readonly kind: 'message'; readonly peer: string; readonly connectionId: string; readonly seq: number; readonly message: Uint8Array }
  /** Messages `firstSeq`, `firstSeq + 1`, ... of one connection in one queue message: each still its own input (`inboundParts`). */
  | { readonly kind: 'messages'; readonly peer: string; readonly connectionId: string; readonly firstSeq: number; readonly messages: readonly Uint8Array[] }
  /** `reason`: why the gateway saw the connection end (`remote-closed`, `pong-timeout`, ...), for the logs; absent from older gateways. */
  | { readonly kind: 'disconnected'; readonly peer: string; readonly connectionId: string; readonly reason?: string }
  /** `work`: the manager's follow-up record (shared/manager/follow-up.ts); `connectionId`: the connection it was made for, when it is for one. */
  | { readonly kind: 'follow-up'; readonly peer: string; readonly connectionId?: string; readonly work: Uint8Array };

/** The most messages one `messages` envelope carries. */
export const MAX_MESSAGES_PER_ENVELOPE = 50;

/** The most message bytes one `messages` or `send-many` envelope made by coalescing carries (base64 in JSON: under SQS's 256 KiB with room). */
export const MAX_COALESCED_BYTES = 128 * 1024;

/** The input id of a peer's message: its connection and sequence number (the same whichever envelope carried it). */
export function messageInputId(connectionId: string, seq: number): string {
  return `${connectionId}:${seq}`;
}

/** What one input applies: any inbound envelope but `messages`, which carries several. */
export type InboundPart = Exclude<InboundEnvelope, { readonly kind: 'messages' }>;

/** One input per part: a `messages` envelope is its messages, each a `message`; any other envelope is itself. */
export function inboundParts(e: InboundEnvelope): InboundPart[] {
  if (e.kind !== 'messages') return [e];
  return e.messages.map((message, i) => ({ kind: 'message', peer: e.peer, connectionId: e.connectionId, seq: e.firstSeq + i, message }));
}

/** The message group of a peer's inbound envelopes: node + peer, so one node's peers are applied in parallel. */
export function inboundGroup(nodeKey: string, peerHex: string): string {
  return `${nodeKey}:${peerHex}`;
}

export type OutboundEnvelope =
  /** `connectionId`: when set, only that connection may carry it (the gateway drops it on any other). */
  | { readonly kind: 'send'; readonly peer: string; readonly message: Uint8Array; readonly connectionId?: string }
  /**
   * Several messages to one peer in one queue message, written in order (the
   * gossip function's answers: thousands of stored messages per sync would
   * otherwise cost one SQS message each; an input's messages in a row to one
   * peer). Only to `connectionId` when set.
   */
  | { readonly kind: 'send-many'; readonly peer: string; readonly messages: readonly Uint8Array[]; readonly connectionId?: string }
  | { readonly kind: 'disconnect'; readonly peer: string; readonly reason: string }
  | { readonly kind: 'connect'; readonly peer: string; readonly host: string; readonly port: number };

/** Each message an outbound envelope writes, as a `send` of its own (a `send-many` is its messages); any other envelope is itself. */
export function outboundParts(e: OutboundEnvelope): Exclude<OutboundEnvelope, { readonly kind: 'send-many' }>[] {
  if (e.kind !== 'send-many') return [e];
  return e.messages.map((message) => ({ kind: 'send', peer: e.peer, message, ...(e.connectionId === undefined ? {} : { connectionId: e.connectionId }) }));
}

const VERSION = 1;
const HEX_33 = /^(02|03)[0-9a-f]{64}$/;

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

function field<T>(value: unknown, check: (v: unknown) => v is T, name: string): T {
  if (!check(value)) throw new EnvelopeError(`envelope field '${name}' is missing or invalid`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 512;
const isPeer = (v: unknown): v is string => typeof v === 'string' && HEX_33.test(v);
const isHex = (v: unknown): v is string => typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-f]*$/.test(v);
const isBase64 = (v: unknown): v is string => typeof v === 'string' && v.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;

function parseObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new EnvelopeError('envelope is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new EnvelopeError('envelope is not an object');
  const o = parsed as Record<string, unknown>;
  if (o['v'] !== VERSION) throw new EnvelopeError(`unsupported envelope version ${String(o['v'])}`);
  return o;
}

export function encodeInbound(e: InboundEnvelope): string {
  if (e.kind === 'message') return JSON.stringify({ v: VERSION, ...e, message: toHex(e.message) });
  if (e.kind === 'messages') return JSON.stringify({ v: VERSION, ...e, messages: e.messages.map((m) => base64.encode(m)) });
  // base64, not hex: a block's follow-ups share one outbox item (docs/follow-ups.md), a third smaller each.
  if (e.kind === 'follow-up') return JSON.stringify({ v: VERSION, ...e, work: base64.encode(e.work) });
  return JSON.stringify({ v: VERSION, ...e });
}

export function decodeInbound(body: string): InboundEnvelope {
  const o = parseObject(body);
  const peer = field(o['peer'], isPeer, 'peer');
  if (o['kind'] === 'follow-up') {
    const work = base64.decode(field(o['work'], isBase64, 'work'));
    return { kind: 'follow-up', peer, work, ...(isString(o['connectionId']) ? { connectionId: o['connectionId'] } : {}) };
  }
  const connectionId = field(o['connectionId'], isString, 'connectionId');
  switch (o['kind']) {
    case 'connected':
      return { kind: 'connected', peer, connectionId, inbound: field(o['inbound'], isBool, 'inbound'), address: field(o['address'], isString, 'address') };
    case 'message':
      return { kind: 'message', peer, connectionId, seq: field(o['seq'], isCount, 'seq'), message: fromHex(field(o['message'], isHex, 'message')) };
    case 'messages': {
      const messages = o['messages'];
      if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES_PER_ENVELOPE || !messages.every(isBase64)) {
        throw new EnvelopeError("envelope field 'messages' is missing or invalid");
      }
      return { kind: 'messages', peer, connectionId, firstSeq: field(o['firstSeq'], isCount, 'firstSeq'), messages: messages.map((m: string) => base64.decode(m)) };
    }
    case 'disconnected':
      return { kind: 'disconnected', peer, connectionId, ...(isString(o['reason']) ? { reason: o['reason'] } : {}) };
    default:
      throw new EnvelopeError(`unknown inbound kind ${String(o['kind'])}`);
  }
}

export function encodeOutbound(e: OutboundEnvelope): string {
  if (e.kind === 'send-many') return JSON.stringify({ v: VERSION, ...e, messages: e.messages.map((m) => base64.encode(m)) });
  return JSON.stringify(e.kind === 'send' ? { v: VERSION, ...e, message: toHex(e.message) } : { v: VERSION, ...e });
}

export function decodeOutbound(body: string): OutboundEnvelope {
  const o = parseObject(body);
  const peer = field(o['peer'], isPeer, 'peer');
  switch (o['kind']) {
    case 'send':
      return { kind: 'send', peer, message: fromHex(field(o['message'], isHex, 'message')), ...(isString(o['connectionId']) ? { connectionId: o['connectionId'] } : {}) };
    case 'send-many': {
      const messages = o['messages'];
      if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isBase64)) throw new EnvelopeError("envelope field 'messages' is missing or invalid");
      return { kind: 'send-many', peer, messages: messages.map((m: string) => base64.decode(m)), ...(isString(o['connectionId']) ? { connectionId: o['connectionId'] } : {}) };
    }
    case 'disconnect':
      return { kind: 'disconnect', peer, reason: typeof o['reason'] === 'string' ? o['reason'] : '' };
    case 'connect':
      return { kind: 'connect', peer, host: field(o['host'], isString, 'host'), port: field(o['port'], isPort, 'port') };
    default:
      throw new EnvelopeError(`unknown outbound kind ${String(o['kind'])}`);
  }
}

/** A transaction the node must broadcast; `hex` is the serialized transaction, `txid` its display-order id. */
export interface BroadcastEnvelope {
  readonly txid: string;
  readonly hex: string;
}

const isTxid = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isTxHex = (v: unknown): v is string => isHex(v) && (v as string).length >= 120;

export function encodeBroadcast(e: BroadcastEnvelope): string {
  return JSON.stringify({ v: VERSION, kind: 'broadcast', txid: e.txid, hex: e.hex });
}

export function decodeBroadcast(body: string): BroadcastEnvelope {
  const o = parseObject(body);
  if (o['kind'] !== 'broadcast') throw new EnvelopeError(`unknown broadcast kind ${String(o['kind'])}`);
  return { txid: field(o['txid'], isTxid, 'txid'), hex: field(o['hex'], isTxHex, 'hex') };
}
