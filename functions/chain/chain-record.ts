/**
 * The `CHAIN` item: the best block the node has processed and the chain
 * sync's view (recent best-chain hashes, confirmed records), as a versioned
 * record: TLV 0 tip height, 2 tip hash (display order hex as 32 bytes),
 * 4 the sync view as JSON (shared/chain/sync-plan.ts: version 2 keeps the
 * items looked up as a digest of fixed size; version 1, a list of them, is
 * still read).
 */
import { DecodeError, bytesToHex, hexToBytes, restBytes, tlvRecord, u32, versionedRecord, type DecodeResult } from '../../shared/codec/index.js';
import { EMPTY_SYNC_VIEW, syncViewFromJson, syncViewToJson, type SyncView } from '../../shared/chain/index.js';

const chainRecord = versionedRecord('chain', 1, {
  tipHeight: tlvRecord(0, u32),
  tipHash: tlvRecord(2, restBytes),
  view: tlvRecord(4, restBytes),
});

export function encodeChainView(view: SyncView): Uint8Array {
  return chainRecord.encode({
    ...(view.tip === undefined ? {} : { tipHeight: view.tip.height, tipHash: hexToBytes(view.tip.hash) }),
    view: new TextEncoder().encode(syncViewToJson(view)),
  });
}

export function decodeChainView(bytes: Uint8Array | undefined): DecodeResult<SyncView> {
  if (bytes === undefined) return { ok: true, value: EMPTY_SYNC_VIEW };
  const result = chainRecord.decode(bytes);
  if (!result.ok) return result;
  const view = result.value.view === undefined ? undefined : syncViewFromJson(new TextDecoder().decode(result.value.view));
  if (view === undefined) return { ok: false, error: new DecodeError('invalid-value', 'chain: the sync view does not parse') };
  if (view.tip !== undefined && (result.value.tipHeight !== view.tip.height || bytesToHex(result.value.tipHash ?? new Uint8Array()) !== view.tip.hash)) {
    return { ok: false, error: new DecodeError('invalid-value', 'chain: tip and view disagree') };
  }
  return { ok: true, value: view };
}
