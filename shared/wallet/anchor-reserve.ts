/**
 * The anchor reserve (issue 17, docs/wallet.md "Anchor reserve"). Under
 * `option_anchors_zero_fee_htlc_tx` our HTLC transactions carry no fee and
 * our commitment may pay too little to confirm: each needs an input of the
 * wallet to pay for it (a fee input on the HTLC transaction, a CPFP child
 * spending our anchor). Unconfirmed coins may never confirm, so the wallet
 * keeps confirmed coins worth {@link ANCHOR_RESERVE_PER_CHANNEL_SAT} per
 * anchor channel out of channel fundings and payments, as LDK Node does
 * (`AnchorChannelsConfig::per_channel_reserve_sats`, 25,000 sat).
 *
 * A payment or a funding may spend any coin as long as what it leaves (the
 * confirmed coins it does not spend, plus its own change, which confirms
 * with it) covers the reserve, as LDK Node counts it (spendable balance minus
 * the reserve); otherwise it is paid without the coins kept for the reserve
 * ({@link reservedCoins}: the smallest single confirmed coin that covers it,
 * one input for a claim being the cheapest, else the largest coins until it
 * is covered; all of them when they do not cover it), or refused. Pure.
 */
import { WalletError, WalletErrorCode } from './errors.js';
import type { WalletState, WalletUtxo } from './wallet-state.js';

/** Confirmed coins kept per anchor channel (LDK Node's default). */
export const ANCHOR_RESERVE_PER_CHANNEL_SAT = 25_000n;

/** The reserve for `anchorChannels` anchor channels (sat). */
export function anchorReserveSat(anchorChannels: number): bigint {
  if (!Number.isSafeInteger(anchorChannels) || anchorChannels < 0) throw new RangeError(`anchor channels: ${anchorChannels}`);
  return ANCHOR_RESERVE_PER_CHANNEL_SAT * BigInt(anchorChannels);
}

/** The coins kept for a reserve of `requiredSat`, what they are worth, and whether that covers it. */
export interface ReservedCoins {
  readonly requiredSat: bigint;
  readonly coins: readonly WalletUtxo[];
  readonly reservedSat: bigint;
  readonly covered: boolean;
}

const byValueDescending = (a: WalletUtxo, b: WalletUtxo) => (a.valueSat > b.valueSat ? -1 : a.valueSat < b.valueSat ? 1 : a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout);

/** The confirmed coins not spent by a transaction of ours that the wallet keeps for a reserve of `requiredSat`. */
export function reservedCoins(state: WalletState, requiredSat: bigint): ReservedCoins {
  if (requiredSat <= 0n) return { requiredSat: 0n, coins: [], reservedSat: 0n, covered: true };
  const confirmed = state.utxos.filter((u) => u.spentBy === undefined && u.height > 0).sort(byValueDescending);
  const single = confirmed.filter((u) => u.valueSat >= requiredSat).at(-1);
  if (single !== undefined) return { requiredSat, coins: [single], reservedSat: single.valueSat, covered: true };
  const coins: WalletUtxo[] = [];
  let reservedSat = 0n;
  for (const coin of confirmed) {
    if (reservedSat >= requiredSat) break;
    coins.push(coin);
    reservedSat += coin.valueSat;
  }
  return { requiredSat, coins, reservedSat, covered: reservedSat >= requiredSat };
}

/** Whether `coin` is one of `reserved`. */
export function isReserved(reserved: ReservedCoins, coin: Pick<WalletUtxo, 'txid' | 'vout'>): boolean {
  return reserved.coins.some((c) => c.txid === coin.txid && c.vout === coin.vout);
}

/** The typed refusal of an anchor channel (or a payment) the reserve cannot cover. */
export function anchorReserveError(detail: string, requiredSat: bigint): WalletError {
  return new WalletError(
    WalletErrorCode.AnchorReserve,
    `${detail}: anchor channels need ${ANCHOR_RESERVE_PER_CHANNEL_SAT} sat of confirmed coins each kept to pay for their on-chain claims ` +
      `(${requiredSat} sat in all); add confirmed funds to the wallet`,
  );
}

/**
 * Throws `anchor-reserve-not-covered` unless the wallet's confirmed coins
 * cover the reserve of `anchorChannels` (the new one included): checked
 * before an anchor channel is opened or accepted.
 */
export function assertAnchorReserve(state: WalletState, anchorChannels: number): void {
  const required = anchorReserveSat(anchorChannels);
  const reserved = reservedCoins(state, required);
  if (!reserved.covered) throw anchorReserveError(`the wallet's confirmed coins (${reserved.reservedSat} sat) do not cover the anchor reserve`, required);
}
