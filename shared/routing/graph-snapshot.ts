/**
 * The graph as bytes, for a cold Lambda to load fast: a version byte, then
 * a TLV stream (BOLT 1 rules: types increasing, unknown even types refused,
 * unknown odd ones skipped) whose records are the graph's columns, each the
 * raw little-endian bytes of a typed array. Loading is one copy per column,
 * a check of every value, and the adjacency lists rebuilt
 * (network-graph.ts). Amounts are IEEE-754 doubles holding whole msat
 * (at most 2^53 - 1).
 *
 * | type | column | size |
 * |---|---|---|
 * | 0 | node count, channel count (u32 each, big-endian) | 8 |
 * | 2 | node ids | 33 × nodes |
 * | 4 | short channel ids (u64) | 8 × channels |
 * | 6, 8 | node_id_1, node_id_2 indices (u32) | 4 × channels each |
 * | 10 | capacity msat (f64, 0 unknown) | 8 × channels |
 * | 12 | direction flags (bit 0 policy known, bit 1 disabled) | 2 × channels |
 * | 14 | update timestamps (u32) | 8 × channels |
 * | 16 | cltv_expiry_delta (u16) | 4 × channels |
 * | 18 | fee_base_msat (u32) | 8 × channels |
 * | 20 | fee_proportional_millionths (u32) | 8 × channels |
 * | 22, 24 | htlc_minimum_msat, htlc_maximum_msat (f64) | 16 × channels each |
 */
import { ByteReader, ByteWriter, DecodeError, catchDecodeError, type DecodeResult } from '../codec/index.js';
import { MAX_GRAPH_MSAT, NODE_ID_LENGTH, NetworkGraph, POLICY_DISABLED, POLICY_KNOWN, type GraphColumns } from './network-graph.js';

/** The snapshot format this code writes and the newest it reads. */
export const GRAPH_SNAPSHOT_VERSION = 1;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array;

/** The little-endian bytes of a column. */
function columnBytes(col: Column): Uint8Array {
  const bytes = new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
  if (LITTLE_ENDIAN_HOST || col.BYTES_PER_ELEMENT === 1) return bytes;
  const out = bytes.slice();
  const size = col.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

/** Encodes the graph (its current policies included). */
export function encodeGraphSnapshot(graph: NetworkGraph): Uint8Array {
  const k = graph.columns;
  const counts = new Uint8Array(8);
  new DataView(counts.buffer).setUint32(0, graph.nodeCount);
  new DataView(counts.buffer).setUint32(4, graph.channelCount);
  const records: [number, Uint8Array][] = [
    [0, counts],
    [2, k.nodeIds],
    [4, columnBytes(k.scids)],
    [6, columnBytes(k.node1)],
    [8, columnBytes(k.node2)],
    [10, columnBytes(k.capacityMsat)],
    [12, k.flags],
    [14, columnBytes(k.timestamp)],
    [16, columnBytes(k.cltvExpiryDelta)],
    [18, columnBytes(k.feeBaseMsat)],
    [20, columnBytes(k.feeProportionalMillionths)],
    [22, columnBytes(k.htlcMinimumMsat)],
    [24, columnBytes(k.htlcMaximumMsat)],
  ];
  const w = new ByteWriter().u8(GRAPH_SNAPSHOT_VERSION);
  for (const [type, value] of records) {
    w.bigSize(BigInt(type)).bigSize(BigInt(value.length)).bytes(value);
  }
  return w.finish();
}

/** A column of `count` elements copied out of `bytes` (aligned, host order). */
function readColumn<T extends Column>(bytes: Uint8Array, make: (buffer: ArrayBuffer) => T, size: number, count: number, what: string): T {
  if (bytes.length !== size * count) throw new DecodeError('invalid-value', `graph snapshot: ${what} has ${bytes.length} bytes, expected ${size * count}`);
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN_HOST && size > 1) for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return make(copy.buffer);
}

function checkMsat(col: Float64Array, what: string): void {
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (!(v >= 0 && v <= MAX_GRAPH_MSAT && Math.floor(v) === v)) throw new DecodeError('invalid-value', `graph snapshot: ${what}[${i}] is not a msat amount`);
  }
}

/**
 * Decodes a snapshot into a graph. Never throws: a newer version, an unknown
 * even record, a missing column, a wrong column size, an unsorted scid
 * list, a node index out of range or a malformed amount is a typed
 * {@link DecodeError}.
 */
export function decodeGraphSnapshot(bytes: Uint8Array): DecodeResult<NetworkGraph> {
  return catchDecodeError(() => {
    const r = new ByteReader(bytes);
    const version = r.u8();
    if (version === 0 || version > GRAPH_SNAPSHOT_VERSION) {
      throw new DecodeError('invalid-value', `graph snapshot: version ${version}, this reader knows up to ${GRAPH_SNAPSHOT_VERSION}`);
    }
    const values = new Map<number, Uint8Array>();
    let last = -1n;
    while (!r.isAtEnd()) {
      const type = r.bigSize();
      if (type <= last) throw new DecodeError('tlv-out-of-order', `graph snapshot: record ${type} after ${last}`);
      last = type;
      const length = r.bigSize();
      if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `graph snapshot: record ${type} runs past the end`);
      const value = r.bytes(Number(length));
      if (type <= 24n && type % 2n === 0n) values.set(Number(type), value);
      else if (type % 2n === 0n) throw new DecodeError('unknown-even-type', `graph snapshot: unknown record ${type}`);
    }
    const need = (type: number): Uint8Array => {
      const v = values.get(type);
      if (v === undefined) throw new DecodeError('invalid-value', `graph snapshot: record ${type} missing`);
      return v;
    };
    const counts = need(0);
    if (counts.length !== 8) throw new DecodeError('invalid-value', 'graph snapshot: counts record is not 8 bytes');
    const view = new DataView(counts.buffer, counts.byteOffset, 8);
    const n = view.getUint32(0);
    const c = view.getUint32(4);
    const nodeIds = need(2);
    if (nodeIds.length !== n * NODE_ID_LENGTH) throw new DecodeError('invalid-value', 'graph snapshot: node ids do not match the node count');
    const columns: GraphColumns = {
      nodeIds: nodeIds.slice(),
      scids: readColumn(need(4), (b) => new BigUint64Array(b), 8, c, 'scids'),
      node1: readColumn(need(6), (b) => new Uint32Array(b), 4, c, 'node_id_1'),
      node2: readColumn(need(8), (b) => new Uint32Array(b), 4, c, 'node_id_2'),
      capacityMsat: readColumn(need(10), (b) => new Float64Array(b), 8, c, 'capacity'),
      flags: readColumn(need(12), (b) => new Uint8Array(b), 1, 2 * c, 'flags'),
      timestamp: readColumn(need(14), (b) => new Uint32Array(b), 4, 2 * c, 'timestamps'),
      cltvExpiryDelta: readColumn(need(16), (b) => new Uint16Array(b), 2, 2 * c, 'cltv_expiry_delta'),
      feeBaseMsat: readColumn(need(18), (b) => new Uint32Array(b), 4, 2 * c, 'fee_base_msat'),
      feeProportionalMillionths: readColumn(need(20), (b) => new Uint32Array(b), 4, 2 * c, 'fee_proportional_millionths'),
      htlcMinimumMsat: readColumn(need(22), (b) => new Float64Array(b), 8, 2 * c, 'htlc_minimum_msat'),
      htlcMaximumMsat: readColumn(need(24), (b) => new Float64Array(b), 8, 2 * c, 'htlc_maximum_msat'),
    };
    for (let i = 0; i < c; i++) {
      if (i > 0 && columns.scids[i]! <= columns.scids[i - 1]!) throw new DecodeError('invalid-value', `graph snapshot: scids not strictly increasing at ${i}`);
      const a = columns.node1[i]!;
      const b = columns.node2[i]!;
      if (a >= n || b >= n || a === b) throw new DecodeError('invalid-value', `graph snapshot: channel ${i} has a bad node index`);
    }
    for (let d = 0; d < 2 * c; d++) {
      if ((columns.flags[d]! & ~(POLICY_KNOWN | POLICY_DISABLED)) !== 0) throw new DecodeError('invalid-value', `graph snapshot: unknown flag bits at ${d}`);
    }
    checkMsat(columns.capacityMsat, 'capacity');
    checkMsat(columns.htlcMinimumMsat, 'htlc_minimum_msat');
    checkMsat(columns.htlcMaximumMsat, 'htlc_maximum_msat');
    return new NetworkGraph(columns);
  });
}
