/**
 * What an inbound message's input reads beside the lease
 * (functions/peer-message/apply.ts, `inboundPrefetch`): the removal of an
 * HTLC we offered brings the record the manager looks up for it, named
 * from the message's own `channel_id` and `id`.
 */
import { describe, expect, it } from 'vitest';
import { inboundPrefetch } from '../../functions/peer-message/apply.js';
import { toHex } from '../../shared/crypto/index.js';
import { RecordKeys } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { encodeMessage, type WireMessage } from '../../shared/wire/index.js';

const PEER = '02' + '33'.repeat(32);
const channelId = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const part = (message: WireMessage | Uint8Array) => ({ kind: 'message', peer: PEER, connectionId: 'c', seq: 1, message: message instanceof Uint8Array ? message : encodeMessage(message) }) as const;

describe('inboundPrefetch', () => {
  it('names the forward record of the HTLC a fulfill, a fail or a malformed fail removes', () => {
    const id = 0x0102030405060708n;
    const removals: WireMessage[] = [
      { type: 130, channelId, id, paymentPreimage: new Uint8Array(32).fill(7) },
      { type: 131, channelId, id, reason: new Uint8Array(40) },
      { type: 135, channelId, id, sha256OfOnion: new Uint8Array(32), failureCode: 0x8000 | 0x4000 | 5 },
    ];
    for (const message of removals) {
      expect(inboundPrefetch(part(message))).toEqual([SortKey.peer(PEER), SortKey.header, SortKey.fees, SortKey.webhooks, RecordKeys.forwardOut(toHex(channelId), id)]);
    }
  });

  it('names none for another channel message, a truncated one, or a message that loads no channel', () => {
    const fulfill = encodeMessage({ type: 130, channelId, id: 1n, paymentPreimage: new Uint8Array(32) });
    expect(inboundPrefetch(part(fulfill.subarray(0, 41)))).not.toContainEqual(expect.stringMatching(/^FORWARD#/));
    expect(inboundPrefetch(part({ type: 132, channelId, signature: new Uint8Array(64), htlcSignatures: [] } as unknown as WireMessage))).toEqual([SortKey.peer(PEER), SortKey.header, SortKey.fees, SortKey.webhooks]);
    expect(inboundPrefetch(part({ type: 18, numPongBytes: 1, ignored: new Uint8Array(0) }))).toEqual([SortKey.peer(PEER)]);
  });
});
