/**
 * The pure half of the chain sync: given the view kept from the previous
 * sync and what the chain answered now, the ordered `Confirm` calls and the
 * next view. No I/O: `sync.ts` asks the questions (which this file also
 * decides) and applies the answer.
 *
 * Two ways to learn what happened since the last sync:
 * - scan: the view's recent best-chain hashes locate the fork point (the
 *   highest block still in the best chain); every block above it is read
 *   whole, and its transactions matched against the watched txids and the
 *   inputs against the watched outputs. Cost grows with the number of new
 *   blocks, not with the number of watched items.
 * - lookup (first sync, a reorg deeper than the window, or many new blocks):
 *   each confirmed record's block is checked for `in_best_chain`, and every
 *   watched txid / output not known confirmed is looked up by itself
 *   (status, outspend), as LDK's Esplora sync does.
 * Newly watched items are looked up in both modes, once.
 *
 * Calls, in this order: `transactionUnconfirmed` for every reported
 * transaction whose block left the best chain (newest first), then
 * `transactionsConfirmed` block by block in chain order (positions
 * ascending), then `bestBlockUpdated` when the tip changed.
 *
 * Hashes and txids are display-order hex here (the view is persisted as
 * JSON); the calls carry internal-order bytes.
 */
import { bytesToHex, hexToBytes } from '../codec/hex.js';
import { sha256 } from '../crypto/index.js';
import { txidToDisplayHex } from '../tx/index.js';
import type { ConfirmedTransaction, RelevantTxid, WatchSet } from './interfaces.js';

/** A best-chain block by height and display-order hash. */
export interface BlockRef {
  readonly height: number;
  readonly hash: string;
}

/** A transaction the sync reported confirmed. */
export interface ConfirmedRecord {
  readonly txid: string;
  readonly blockHash: string;
  readonly height: number;
  /** Watched outputs (`txid:vout`) it spends. */
  readonly spends: readonly string[];
}

/**
 * Which watched items were already looked up once (from then on, found by
 * scanning), in a size that does not grow with them: the watched keys
 * (display-hex txids and `txid:vout` outputs) fall into
 * {@link CHECKED_BUCKETS} buckets by their SHA-256, and each bucket keeps
 * the XOR of its keys' 64-bit hashes (a set digest: adding or removing a
 * key changes it). Only the non-empty buckets are listed. A bucket whose
 * digest differs from the watch set's now holds a key not looked up yet,
 * and all its keys are looked up again (about one in a thousand of the
 * watched items, each lookup as a first sync makes it).
 */
export type CheckedDigest = ReadonlyMap<number, bigint>;

/** The digest's buckets: at most this many entries of 10 bytes (20 hex digits in the view's JSON) whatever the number of watched items. */
export const CHECKED_BUCKETS = 1024;

/** What a sync keeps for the next one (persist it with `syncViewToJson`). */
export interface SyncView {
  readonly tip: BlockRef | undefined;
  /** Best-chain blocks at the last sync, ascending and contiguous, ending at the tip (at most `RECENT_WINDOW`). */
  readonly recent: readonly BlockRef[];
  readonly confirmed: readonly ConfirmedRecord[];
  /** The watched txids and outputs already looked up once, as a digest of fixed size. */
  readonly checked: CheckedDigest;
}

export const EMPTY_SYNC_VIEW: SyncView = { tip: undefined, recent: [], confirmed: [], checked: new Map() };

/** How many recent best-chain hashes the view keeps: reorgs up to this depth are found by scanning. */
export const RECENT_WINDOW = 12;

/** A transaction of interest found confirmed. */
export interface FoundTx {
  readonly txid: string;
  /** Serialized. */
  readonly tx: Uint8Array;
  readonly block: BlockRef;
  readonly header: Uint8Array;
  readonly position: number;
  /** Watched outputs it spends. */
  readonly spends: readonly string[];
}

/** A best-chain block read whole. */
export interface ScannedBlock {
  readonly ref: BlockRef;
  readonly header: Uint8Array;
  readonly txs: readonly { readonly txid: string; readonly tx: Uint8Array; readonly spends: readonly string[] }[];
}

export type SyncMode =
  | { readonly kind: 'scan'; readonly forkHeight: number; readonly blocks: readonly ScannedBlock[] }
  | { readonly kind: 'lookup'; readonly blockInBestChain: ReadonlyMap<string, boolean>; readonly recent: readonly BlockRef[] };

export interface SyncAnswers {
  readonly tip: BlockRef;
  readonly tipHeader: Uint8Array;
  readonly mode: SyncMode;
  /** Looked-up txids: where confirmed, or undefined when not confirmed. */
  readonly txLookups: ReadonlyMap<string, FoundTx | undefined>;
  /** Looked-up outputs (`txid:vout`): the confirmed spender, or undefined. */
  readonly outputLookups: ReadonlyMap<string, FoundTx | undefined>;
}

export type ConfirmCall =
  | { readonly kind: 'transactionUnconfirmed'; readonly txid: Uint8Array }
  | { readonly kind: 'transactionsConfirmed'; readonly header: Uint8Array; readonly txdata: readonly ConfirmedTransaction[]; readonly height: number }
  | { readonly kind: 'bestBlockUpdated'; readonly header: Uint8Array; readonly height: number };

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

function internal(displayHex: string): Uint8Array {
  return hexToBytes(displayHex).reverse();
}

/** A watch set as display-hex keys with their digest (`watchKeys`): computed once per round, passed to the functions below. */
export interface WatchKeys {
  readonly txids: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  readonly digest: CheckedDigest;
}

/** A key's bucket and 64-bit hash, kept between rounds and runs (bounded: cleared when full). */
const keyHashes = new Map<string, readonly [number, bigint]>();
const MAX_KEY_HASHES = 200_000;

function keyHash(key: string): readonly [number, bigint] {
  let known = keyHashes.get(key);
  if (known === undefined) {
    const d = sha256(new TextEncoder().encode(key));
    let h = 0n;
    for (let i = 2; i < 10; i++) h = (h << 8n) | BigInt(d[i]!);
    known = [((d[0]! << 8) | d[1]!) % CHECKED_BUCKETS, h] as const;
    if (keyHashes.size >= MAX_KEY_HASHES) keyHashes.clear();
    keyHashes.set(key, known);
  }
  return known;
}

/** The digest of a set of watched keys (see {@link CheckedDigest}). */
export function checkedDigestOf(keys: Iterable<string>): CheckedDigest {
  const digest = new Map<number, bigint>();
  for (const key of new Set(keys)) {
    const [bucket, h] = keyHash(key);
    digest.set(bucket, (digest.get(bucket) ?? 0n) ^ h);
  }
  return digest;
}

/** The watched set as display-hex keys, with their digest. */
export function watchKeys(watch: WatchSet): WatchKeys {
  const txids = new Set(watch.txids.map(txidToDisplayHex));
  const outputs = new Set(watch.outputs.map((o) => outpointKey(txidToDisplayHex(o.outpoint.txid), o.outpoint.index)));
  return { txids, outputs, digest: checkedDigestOf([...txids, ...outputs]) };
}

function keysOf(watch: WatchSet | WatchKeys): WatchKeys {
  return 'digest' in watch ? watch : watchKeys(watch);
}

/** The keys of `keys` in a bucket whose digest is not the view's: not looked up yet (or sharing a bucket with one that is not). */
function notChecked(view: SyncView, keys: WatchKeys, of: ReadonlySet<string>): string[] {
  const changed = new Set<number>();
  for (const [bucket, h] of keys.digest) if ((view.checked.get(bucket) ?? 0n) !== h) changed.add(bucket);
  if (changed.size === 0) return [];
  return [...of].filter((k) => changed.has(keyHash(k)[0]));
}

/** The view's records merged with what the implementers consider confirmed (the view's record wins). */
function records(view: SyncView, relevant: readonly RelevantTxid[]): ConfirmedRecord[] {
  const byTxid = new Map(view.confirmed.map((r) => [r.txid, r] as const));
  for (const r of relevant) {
    const txid = txidToDisplayHex(r.txid);
    if (!byTxid.has(txid)) byTxid.set(txid, { txid, blockHash: r.blockHash === undefined ? '' : txidToDisplayHex(r.blockHash), height: r.height, spends: [] });
  }
  return [...byTxid.values()];
}

/** The view's recent blocks to compare with the chain, highest first, to find the fork point. */
export function forkCandidates(view: SyncView, tipHeight: number): BlockRef[] {
  return view.recent.filter((b) => b.height <= tipHeight).reverse();
}

/** Block hashes whose `in_best_chain` the lookup mode needs. */
export function blocksToCheck(view: SyncView, relevant: readonly RelevantTxid[]): string[] {
  return [...new Set(records(view, relevant).map((r) => r.blockHash).filter((h) => h !== ''))];
}

/** Whether `record` is still confirmed where it was, under `mode`. */
function stillConfirmed(record: ConfirmedRecord, view: SyncView, mode: SyncMode): boolean {
  if (mode.kind === 'scan') {
    if (record.height > mode.forkHeight) return false;
    const known = view.recent.find((b) => b.height === record.height);
    return known === undefined || record.blockHash === '' || known.hash === record.blockHash;
  }
  return record.blockHash === '' || mode.blockInBestChain.get(record.blockHash) !== false;
}

/** The txids and outputs to look up one by one. */
export function lookupsNeeded(
  view: SyncView,
  watch: WatchSet | WatchKeys,
  relevant: readonly RelevantTxid[],
  mode: { readonly kind: 'scan' } | { readonly kind: 'lookup'; readonly blockInBestChain: ReadonlyMap<string, boolean> },
): { readonly txids: string[]; readonly outputs: string[] } {
  const keys = keysOf(watch);
  if (mode.kind === 'scan') return { txids: notChecked(view, keys, keys.txids), outputs: notChecked(view, keys, keys.outputs) };
  const full: SyncMode = { kind: 'lookup', blockInBestChain: mode.blockInBestChain, recent: [] };
  const kept = records(view, relevant).filter((r) => stillConfirmed(r, view, full));
  const confirmedTxids = new Set(kept.map((r) => r.txid));
  const spentOutputs = new Set(kept.flatMap((r) => r.spends));
  return { txids: [...keys.txids].filter((t) => !confirmedTxids.has(t)), outputs: [...keys.outputs].filter((o) => !spentOutputs.has(o)) };
}

/** True when a sync has nothing to do: same tip, and every watched item already looked up. */
export function upToDate(view: SyncView, watch: WatchSet | WatchKeys, tipHash: string): boolean {
  if (view.tip?.hash !== tipHash) return false;
  const keys = keysOf(watch);
  return notChecked(view, keys, keys.txids).length === 0 && notChecked(view, keys, keys.outputs).length === 0;
}

/** The ordered `Confirm` calls and the next view. */
export function planSync(view: SyncView, watch: WatchSet | WatchKeys, relevant: readonly RelevantTxid[], answers: SyncAnswers): { readonly calls: ConfirmCall[]; readonly view: SyncView } {
  const keys = keysOf(watch);
  const { mode, tip } = answers;
  const all = records(view, relevant);
  const kept = all.filter((r) => stillConfirmed(r, view, mode));
  const gone = all.filter((r) => !stillConfirmed(r, view, mode)).sort((a, b) => b.height - a.height || (a.txid < b.txid ? 1 : -1));
  const keptTxids = new Set(kept.map((r) => r.txid));

  const found = new Map<string, FoundTx>();
  const add = (f: FoundTx) => {
    if (f.block.height > tip.height || keptTxids.has(f.txid)) return;
    const known = found.get(f.txid);
    found.set(f.txid, known === undefined ? f : { ...known, spends: [...new Set([...known.spends, ...f.spends])] });
  };
  if (mode.kind === 'scan') {
    for (const block of mode.blocks) {
      block.txs.forEach((t, position) => {
        const spends = t.spends.filter((s) => keys.outputs.has(s));
        if (keys.txids.has(t.txid) || spends.length > 0) add({ txid: t.txid, tx: t.tx, block: block.ref, header: block.header, position, spends });
      });
    }
  }
  for (const f of answers.txLookups.values()) if (f !== undefined) add(f);
  for (const f of answers.outputLookups.values()) if (f !== undefined) add(f);

  const byBlock = new Map<string, FoundTx[]>();
  for (const f of found.values()) byBlock.set(f.block.hash, [...(byBlock.get(f.block.hash) ?? []), f]);
  const blocks = [...byBlock.values()].sort((a, b) => a[0]!.block.height - b[0]!.block.height);

  const calls: ConfirmCall[] = [];
  for (const r of gone) calls.push({ kind: 'transactionUnconfirmed', txid: internal(r.txid) });
  for (const txs of blocks) {
    txs.sort((a, b) => a.position - b.position);
    calls.push({
      kind: 'transactionsConfirmed',
      header: txs[0]!.header,
      height: txs[0]!.block.height,
      txdata: txs.map((f) => ({ position: f.position, txid: internal(f.txid), tx: f.tx })),
    });
  }
  if (view.tip?.hash !== tip.hash) calls.push({ kind: 'bestBlockUpdated', header: answers.tipHeader, height: tip.height });

  const stillWatched = (r: ConfirmedRecord) => keys.txids.has(r.txid) || r.spends.some((s) => keys.outputs.has(s));
  const confirmed = [
    ...kept.filter((r) => view.confirmed.some((v) => v.txid === r.txid)).filter(stillWatched),
    ...[...found.values()].map((f) => ({ txid: f.txid, blockHash: f.block.hash, height: f.block.height, spends: f.spends })),
  ];
  const recent =
    mode.kind === 'scan'
      ? [...view.recent.filter((b) => b.height <= mode.forkHeight), ...mode.blocks.map((b) => b.ref)].slice(-RECENT_WINDOW)
      : mode.recent.slice(-RECENT_WINDOW);
  return {
    calls,
    view: { tip, recent, confirmed, checked: keys.digest },
  };
}

/** The digest as bytes: per non-empty bucket in ascending order, the bucket (u16) and its hash (u64), big-endian. */
function digestBytes(digest: CheckedDigest): Uint8Array {
  const entries = [...digest].filter(([, h]) => h !== 0n).sort((a, b) => a[0] - b[0]);
  const out = new Uint8Array(entries.length * 10);
  const dv = new DataView(out.buffer);
  entries.forEach(([bucket, h], i) => {
    dv.setUint16(i * 10, bucket);
    dv.setBigUint64(i * 10 + 2, h);
  });
  return out;
}

function digestFromBytes(bytes: Uint8Array): CheckedDigest | undefined {
  if (bytes.length % 10 !== 0) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const digest = new Map<number, bigint>();
  for (let i = 0; i < bytes.length; i += 10) {
    const bucket = dv.getUint16(i);
    if (bucket >= CHECKED_BUCKETS || digest.has(bucket)) return undefined;
    digest.set(bucket, dv.getBigUint64(i + 2));
  }
  return digest;
}

/**
 * The view as JSON text, version 2: the checked digest as hex
 * ({@link digestBytes}). Version 1 listed every checked txid and output
 * (`checkedTxids`, `checkedOutputs`, about 69 bytes an output); it is still
 * read, as the digest of those lists.
 */
export function syncViewToJson(view: SyncView): string {
  return JSON.stringify({ v: 2, tip: view.tip, recent: view.recent, confirmed: view.confirmed, checked: bytesToHex(digestBytes(view.checked)) });
}

/** Reads a view written by `syncViewToJson` (version 2, or 1 from before the digest); undefined when it is not one (start from `EMPTY_SYNC_VIEW`). */
export function syncViewFromJson(text: string): SyncView | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o['v'] !== 1 && o['v'] !== 2) return undefined;
  const isRef = (b: unknown): b is BlockRef => typeof b === 'object' && b !== null && typeof (b as BlockRef).height === 'number' && typeof (b as BlockRef).hash === 'string';
  const isStrings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');
  const isRecord = (r: unknown): r is ConfirmedRecord =>
    typeof r === 'object' && r !== null && typeof (r as ConfirmedRecord).txid === 'string' && typeof (r as ConfirmedRecord).blockHash === 'string' &&
    typeof (r as ConfirmedRecord).height === 'number' && isStrings((r as ConfirmedRecord).spends);
  const tip = o['tip'];
  if (!(tip === undefined || isRef(tip))) return undefined;
  if (!Array.isArray(o['recent']) || !o['recent'].every(isRef)) return undefined;
  if (!Array.isArray(o['confirmed']) || !o['confirmed'].every(isRecord)) return undefined;
  let checked: CheckedDigest | undefined;
  if (o['v'] === 1) {
    if (!isStrings(o['checkedTxids']) || !isStrings(o['checkedOutputs'])) return undefined;
    checked = checkedDigestOf([...o['checkedTxids'], ...o['checkedOutputs']]);
  } else {
    const hex = o['checked'];
    if (typeof hex !== 'string' || !/^([0-9a-f]{20})*$/.test(hex)) return undefined;
    checked = digestFromBytes(hexToBytes(hex));
  }
  if (checked === undefined) return undefined;
  return { tip, recent: o['recent'], confirmed: o['confirmed'], checked };
}
