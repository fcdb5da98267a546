/** The `CHAIN_WATCH#` record (shared/monitor/watched-channel.ts): what the chain handler keeps per watched channel. */
import { describe, expect, it } from 'vitest';
import { decodeWatchedChannel, encodeWatchedChannel, type WatchedChannel } from '../../shared/monitor/index.js';

const base: WatchedChannel = {
  channelId: new Uint8Array(32).fill(1),
  counterpartyNodeId: Uint8Array.of(2, ...new Uint8Array(32).fill(7)),
  fundingOutpoint: { txid: new Uint8Array(32).fill(3), index: 1 },
  fundingScript: Uint8Array.of(0, 32, ...new Uint8Array(32).fill(4)),
  phase: 'funding',
};

describe('chain-watch records', () => {
  it.each<WatchedChannel>([
    base,
    { ...base, phase: 'spent', spend: { tx: Uint8Array.of(2, 0, 0, 0), height: 812 }, spendableHeight: 956 },
    { ...base, phase: 'sweeping', spend: { tx: Uint8Array.of(2, 0, 0, 0), height: 812 }, spendableHeight: 956, sweep: { tx: Uint8Array.of(2, 1), txid: new Uint8Array(32).fill(9), amountSat: 49_862n } },
    {
      ...base,
      phase: 'sweeping',
      spend: { tx: Uint8Array.of(2, 0, 0, 0), height: 812 },
      spendableHeight: 956,
      sweep: { tx: Uint8Array.of(2, 1), txid: new Uint8Array(32).fill(9), amountSat: 49_862n },
      secondStage: [Uint8Array.of(2, 5, 5), new Uint8Array(700).fill(6)],
    },
  ])('round-trips a $phase record', (w) => {
    expect(decodeWatchedChannel(encodeWatchedChannel(w))).toEqual({ ok: true, value: w });
  });

  it('refuses a record whose phase lacks what it needs, or an unknown phase', () => {
    const spentWithout = encodeWatchedChannel({ ...base, phase: 'spent' });
    expect(decodeWatchedChannel(spentWithout)).toMatchObject({ ok: false });
    const sweepingWithout = encodeWatchedChannel({ ...base, phase: 'sweeping', spend: { tx: Uint8Array.of(1), height: 1 } });
    expect(decodeWatchedChannel(sweepingWithout)).toMatchObject({ ok: false });
    expect(decodeWatchedChannel(Uint8Array.of(9, 9, 9))).toMatchObject({ ok: false });
  });
});
