/**
 * The payment records (docs/payments.md): items beside the channel items
 * that the payment code reads and writes by key, each loaded only by the
 * inputs that name it (the load plan's `records`). Their keys are the
 * store's sort keys as they are (shared/store/layout.ts lists them).
 *
 * | key | what |
 * |---|---|
 * | `ONION#<channel id>#<htlc id>` | a received HTLC's onion, peeled when it came (received-onion.ts), from its `update_add_htlc` until the HTLC is resolved |
 * | `CLAIMABLE#<payment hash>` | the parts of a payment we receive, until claimed or failed |
 * | `PAYMENT_OUT#<payment hash>` | a payment we send, remembered 24 h after it resolves |
 * | `PAYMENT_ID#<payment id>` | the payment hash a payment id paid (a repeated id is refused) |
 * | `FAILURE#<channel id>#o<htlc id>` | the reason of an HTLC we offered that the peer failed, until its result is applied |
 * | `FAILURE#<channel id>#r<htlc id>` | the reason we failed a received HTLC with, until the removal is irrevocable (sent again after a reconnection) |
 * | `ONION_OUT#<channel id>#<htlc id>` | the onion of an HTLC we offered (for our payment, the keys that build it: offered-onion.ts), until it is irrevocably committed (sent again after a reconnection) |
 * | `FORWARD#<channel id>#o<htlc id>` | an HTLC we forwarded: the incoming HTLC it came from (forward-link.ts), until its result went upstream |
 * | `FORWARD#<channel id>#r<htlc id>` | a received HTLC we forwarded: the outgoing HTLC, until the received HTLC is removed |
 * | `FORWARD#<channel id>#x<hash>#<amount msat>#<cltv expiry>` | the ids of the HTLCs we offered on a channel that closed, by what the chain shows of them (forward-onchain.ts), until each is resolved (TTL) |
 */

/** A payment record's key (the store's sort key). */
export type RecordKey = string;

const pad = (n: bigint): string => n.toString().padStart(20, '0');

export const RecordKeys = {
  onion: (channelIdHex: string, htlcId: bigint): RecordKey => `ONION#${channelIdHex}#${pad(htlcId)}`,
  onionPrefix: (channelIdHex: string): RecordKey => `ONION#${channelIdHex}#`,
  claimable: (paymentHashHex: string): RecordKey => `CLAIMABLE#${paymentHashHex}`,
  outboundPayment: (paymentHashHex: string): RecordKey => `PAYMENT_OUT#${paymentHashHex}`,
  paymentId: (paymentIdHex: string): RecordKey => `PAYMENT_ID#${paymentIdHex}`,
  failureReason: (channelIdHex: string, htlcId: bigint): RecordKey => `FAILURE#${channelIdHex}#o${pad(htlcId)}`,
  ourFailureReason: (channelIdHex: string, htlcId: bigint): RecordKey => `FAILURE#${channelIdHex}#r${pad(htlcId)}`,
  offeredOnion: (channelIdHex: string, htlcId: bigint): RecordKey => `ONION_OUT#${channelIdHex}#${pad(htlcId)}`,
  /** The link from an HTLC we forwarded (offered on this channel) back to the one it came in as. */
  forwardOut: (channelIdHex: string, htlcId: bigint): RecordKey => `FORWARD#${channelIdHex}#o${pad(htlcId)}`,
  /** The mark of a received HTLC we forwarded (a second decision must not forward it again). */
  forwardIn: (channelIdHex: string, htlcId: bigint): RecordKey => `FORWARD#${channelIdHex}#r${pad(htlcId)}`,
  /** The ids of the HTLCs we offered on a closed channel that the chain names this way (hash, amount, expiry): forward-onchain.ts. */
  offeredOnChain: (channelIdHex: string, paymentHashHex: string, amountMsat: bigint, cltvExpiry: number): RecordKey => `FORWARD#${channelIdHex}#x${paymentHashHex}#${pad(amountMsat)}#${cltvExpiry}`,
  /** Our transaction spending the funding output, broadcast again by the chain handler while that output is unspent (layout.ts `fundingSpendBroadcast`). */
  fundingSpendBroadcast: (channelIdHex: string): RecordKey => `CHAIN_WATCH#${channelIdHex}#broadcast`,
} as const;

/** The records an HTLC may have while in flight, deleted after the commit that removes it for good, in its cleanup (an offered HTLC's failure reason: by its payment result). */
export function htlcRecordKeys(channelIdHex: string, htlc: { readonly direction: 'offered' | 'received'; readonly id: bigint }): RecordKey[] {
  return htlc.direction === 'received'
    ? [RecordKeys.onion(channelIdHex, htlc.id), RecordKeys.ourFailureReason(channelIdHex, htlc.id), RecordKeys.forwardIn(channelIdHex, htlc.id)]
    : [RecordKeys.offeredOnion(channelIdHex, htlc.id)];
}
