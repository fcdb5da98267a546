/** The gateway's ping/pong steps (functions/gateway/keepalive.ts): BOLT 1's rules, without sockets. */
import { describe, expect, it } from 'vitest';
import { keepaliveInitSent, keepaliveReceived, keepaliveTick, mayAnswer, NEW_KEEPALIVE, OUR_PING, type KeepaliveState } from '../../functions/gateway/keepalive.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { encodeMessage, OUR_INIT_FEATURES } from '../../shared/wire/index.js';

const init = encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES });
const ping = (numPongBytes: number, ignored = 0) => encodeMessage({ type: 18, numPongBytes, ignored: new Uint8Array(ignored) });
const pong = (bytes: number) => encodeMessage({ type: 19, ignored: new Uint8Array(bytes) });
const ready: KeepaliveState = keepaliveInitSent(keepaliveReceived(NEW_KEEPALIVE, init).state);

describe('a message from the peer', () => {
  it('forwards init, and every ping and pong before it (the handler: the first message must be init)', () => {
    expect(keepaliveReceived(NEW_KEEPALIVE, ping(1))).toEqual({ state: NEW_KEEPALIVE, kind: 'forward' });
    expect(keepaliveReceived(NEW_KEEPALIVE, pong(0))).toEqual({ state: NEW_KEEPALIVE, kind: 'forward' });
    expect(keepaliveReceived(NEW_KEEPALIVE, init)).toEqual({ state: { ...NEW_KEEPALIVE, theirInit: true }, kind: 'forward' });
  });

  it('answers a ping after init with num_pong_bytes zeros, and none from 65532 (BOLT 1)', () => {
    expect(keepaliveReceived(ready, ping(5, 64))).toEqual({ state: ready, kind: 'answer', pong: pong(5) });
    expect(keepaliveReceived(ready, ping(65531))).toMatchObject({ kind: 'answer', pong: pong(65531) });
    expect(keepaliveReceived(ready, ping(65532))).toEqual({ state: ready, kind: 'answer', pong: null });
    expect(keepaliveReceived(ready, ping(65535))).toEqual({ state: ready, kind: 'answer', pong: null });
  });

  it('forwards a malformed ping or pong (the handler warns and disconnects), and every other message', () => {
    for (const bytes of [fromHex('0012'), fromHex('00120001'), fromHex('0012000000020000ff'), fromHex('001300'), fromHex('0020'), fromHex('00')]) {
      expect(keepaliveReceived(ready, bytes), toHex(bytes)).toEqual({ state: ready, kind: 'forward' });
    }
  });

  it('keeps a pong: it ends the wait for one, and an unsolicited one changes nothing', () => {
    expect(keepaliveReceived({ ...ready, awaitingPong: true }, pong(3))).toEqual({ state: ready, kind: 'consumed' });
    expect(keepaliveReceived(ready, pong(0))).toEqual({ state: ready, kind: 'consumed' });
  });

  it('may answer only once our init went out', () => {
    const theirsOnly = keepaliveReceived(NEW_KEEPALIVE, init).state;
    expect(mayAnswer(theirsOnly)).toBe(false);
    expect(mayAnswer(keepaliveInitSent(theirsOnly))).toBe(true);
  });
});

describe('the ping interval', () => {
  it('does nothing before both inits', () => {
    expect(keepaliveTick(NEW_KEEPALIVE).action).toBe('none');
    expect(keepaliveTick(keepaliveReceived(NEW_KEEPALIVE, init).state).action).toBe('none');
    expect(keepaliveTick(keepaliveInitSent(NEW_KEEPALIVE)).action).toBe('none');
  });

  it('pings, pings again after a pong, and times out without one', () => {
    const first = keepaliveTick(ready);
    expect(first).toEqual({ state: { ...ready, awaitingPong: true }, action: 'ping' });
    expect(keepaliveTick(first.state).action).toBe('timeout');
    expect(keepaliveTick(keepaliveReceived(first.state, pong(0)).state).action).toBe('ping');
    expect(toHex(OUR_PING)).toBe('001200000000');
  });
});
