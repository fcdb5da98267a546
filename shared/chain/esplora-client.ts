/**
 * A client of the Esplora REST API (Blockstream's electrs, mempool.space, or
 * the embedded regtest chain): tip, blocks, transactions with status and
 * merkle proofs, outspends, address and script-hash UTXOs and history,
 * broadcast and fee estimates. Txids and block hashes are display-order hex
 * strings here, as the API speaks them; amounts are bigint sat.
 *
 * HTTP errors become `EsploraError`s: 404 `not-found`, other 4xx `rejected`
 * (with the server's reason), 5xx `server-error`, no answer `unreachable`,
 * an answer of the wrong shape `invalid-response`.
 */
import { bytesToHex, hexToBytes } from '../codec/hex.js';
import { sha256 } from '../crypto/index.js';
import { EsploraError, EsploraErrorCode } from './errors.js';

export interface TxStatus {
  readonly confirmed: boolean;
  readonly blockHeight?: number;
  readonly blockHash?: string;
  readonly blockTime?: number;
}

export interface BlockStatus {
  readonly inBestChain: boolean;
  readonly height?: number;
  readonly nextBest?: string;
}

export interface BlockSummary {
  readonly id: string;
  readonly height: number;
  readonly version: number;
  readonly timestamp: number;
  readonly txCount: number;
  readonly merkleRoot: string;
  readonly previousBlockHash: string | undefined;
}

export interface MerkleProof {
  readonly blockHeight: number;
  /** Sibling hashes, leaf level first, display-order hex. */
  readonly merkle: readonly string[];
  readonly pos: number;
}

export interface Outspend {
  readonly spent: boolean;
  readonly txid?: string;
  readonly vin?: number;
  readonly status?: TxStatus;
}

export interface Utxo {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  readonly status: TxStatus;
}

export interface EsploraTxOutput {
  readonly scriptPubKey: Uint8Array;
  readonly valueSat: bigint;
  readonly address?: string;
}

export interface EsploraTxInput {
  readonly txid: string;
  readonly vout: number;
  readonly isCoinbase: boolean;
  readonly sequence: number;
  readonly prevout: EsploraTxOutput | undefined;
}

export interface EsploraTx {
  readonly txid: string;
  readonly version: number;
  readonly locktime: number;
  readonly vin: readonly EsploraTxInput[];
  readonly vout: readonly EsploraTxOutput[];
  readonly weight: number;
  readonly feeSat: bigint;
  readonly status: TxStatus;
}

export interface EsploraClientOptions {
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number;
}

const HASH_HEX = /^[0-9a-f]{64}$/;

// ---- response parsing: anything off-shape is an invalid-response error ----

type Json = Record<string, unknown>;

function invalid(path: string, what: string): EsploraError {
  return new EsploraError(EsploraErrorCode.InvalidResponse, `GET ${path}: ${what}`);
}

function obj(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'expected a JSON object');
  return value as Json;
}

function int(value: unknown, path: string, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(path, `${field} is not an integer`);
  return value;
}

function sat(value: unknown, path: string, field: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(path, `${field} is not an amount in sat`);
  return BigInt(value);
}

function hash(value: unknown, path: string, field: string): string {
  if (typeof value !== 'string' || !HASH_HEX.test(value)) throw invalid(path, `${field} is not a 32-byte hex hash`);
  return value;
}

function hexBytes(value: unknown, path: string, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(value)) throw invalid(path, `${field} is not hex`);
  return hexToBytes(value);
}

function parseTxStatus(value: unknown, path: string): TxStatus {
  const o = obj(value, path);
  if (typeof o['confirmed'] !== 'boolean') throw invalid(path, 'confirmed is not a boolean');
  if (!o['confirmed']) return { confirmed: false };
  return {
    confirmed: true,
    blockHeight: int(o['block_height'], path, 'block_height'),
    blockHash: hash(o['block_hash'], path, 'block_hash'),
    ...(o['block_time'] === undefined ? {} : { blockTime: int(o['block_time'], path, 'block_time') }),
  };
}

function parseOutput(value: unknown, path: string): EsploraTxOutput {
  const o = obj(value, path);
  return {
    scriptPubKey: hexBytes(o['scriptpubkey'], path, 'scriptpubkey'),
    valueSat: sat(o['value'], path, 'value'),
    ...(typeof o['scriptpubkey_address'] === 'string' ? { address: o['scriptpubkey_address'] } : {}),
  };
}

function parseTx(value: unknown, path: string): EsploraTx {
  const o = obj(value, path);
  if (!Array.isArray(o['vin']) || !Array.isArray(o['vout'])) throw invalid(path, 'vin/vout are not arrays');
  return {
    txid: hash(o['txid'], path, 'txid'),
    version: int(o['version'], path, 'version'),
    locktime: int(o['locktime'], path, 'locktime'),
    vin: o['vin'].map((v: unknown) => {
      const i = obj(v, path);
      return {
        txid: hash(i['txid'], path, 'vin.txid'),
        vout: int(i['vout'], path, 'vin.vout'),
        isCoinbase: i['is_coinbase'] === true,
        sequence: int(i['sequence'], path, 'vin.sequence'),
        prevout: i['prevout'] === null || i['prevout'] === undefined ? undefined : parseOutput(i['prevout'], path),
      };
    }),
    vout: o['vout'].map((v: unknown) => parseOutput(v, path)),
    weight: int(o['weight'], path, 'weight'),
    feeSat: o['fee'] === undefined ? 0n : sat(o['fee'], path, 'fee'),
    status: parseTxStatus(o['status'], path),
  };
}

function parseUtxos(value: unknown, path: string): Utxo[] {
  if (!Array.isArray(value)) throw invalid(path, 'expected an array');
  return value.map((v: unknown) => {
    const o = obj(v, path);
    return { txid: hash(o['txid'], path, 'txid'), vout: int(o['vout'], path, 'vout'), valueSat: sat(o['value'], path, 'value'), status: parseTxStatus(o['status'], path) };
  });
}

function parseTxs(value: unknown, path: string): EsploraTx[] {
  if (!Array.isArray(value)) throw invalid(path, 'expected an array');
  return value.map((v: unknown) => parseTx(v, path));
}

/** Esplora's script hash: SHA-256 of the output script, hex, in hash order (not reversed). */
export function scriptHash(scriptPubKey: Uint8Array): string {
  return bytesToHex(sha256(scriptPubKey));
}

export class EsploraClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: EsploraClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** This client with its fetch wrapped by `wrap` (same base URL and timeout): e.g. a cache of answers (functions/chain/esplora-prefetch.ts). */
  withFetch(wrap: (inner: typeof fetch) => typeof fetch): EsploraClient {
    return new EsploraClient(this.baseUrl, { fetch: wrap(this.fetchFn), timeoutMs: this.timeoutMs });
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'text/plain' } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new EsploraError(EsploraErrorCode.Unreachable, `${method} ${path}: no answer from ${this.baseUrl} (${(error as Error).message})`);
    }
    if (response.ok) return response;
    const reason = (await response.text().catch(() => '')).trim().slice(0, 500);
    const what = `${method} ${path}: HTTP ${response.status}${reason === '' ? '' : `: ${reason}`}`;
    if (response.status === 404) throw new EsploraError(EsploraErrorCode.NotFound, what, 404);
    if (response.status >= 500) throw new EsploraError(EsploraErrorCode.ServerError, what, response.status);
    throw new EsploraError(EsploraErrorCode.Rejected, what, response.status);
  }

  private async text(path: string): Promise<string> {
    return (await (await this.request('GET', path)).text()).trim();
  }

  private async json(path: string): Promise<unknown> {
    const body = await this.text(path);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw invalid(path, 'not JSON');
    }
  }

  private async bytes(path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.request('GET', path)).arrayBuffer());
  }

  async tipHeight(): Promise<number> {
    const path = '/blocks/tip/height';
    const body = await this.text(path);
    if (!/^\d+$/.test(body)) throw invalid(path, 'not a height');
    return Number(body);
  }

  async tipHash(): Promise<string> {
    return hash(await this.text('/blocks/tip/hash'), '/blocks/tip/hash', 'hash');
  }

  /** Hash of the best-chain block at `height` (`not-found` above the tip). */
  async blockHashAt(height: number): Promise<string> {
    const path = `/block-height/${height}`;
    return hash(await this.text(path), path, 'hash');
  }

  async block(blockHash: string): Promise<BlockSummary> {
    const path = `/block/${blockHash}`;
    const o = obj(await this.json(path), path);
    return {
      id: hash(o['id'], path, 'id'),
      height: int(o['height'], path, 'height'),
      version: int(o['version'], path, 'version'),
      timestamp: int(o['timestamp'], path, 'timestamp'),
      txCount: int(o['tx_count'], path, 'tx_count'),
      merkleRoot: hash(o['merkle_root'], path, 'merkle_root'),
      previousBlockHash: o['previousblockhash'] === null || o['previousblockhash'] === undefined ? undefined : hash(o['previousblockhash'], path, 'previousblockhash'),
    };
  }

  /** The 80-byte header. */
  async blockHeader(blockHash: string): Promise<Uint8Array> {
    const path = `/block/${blockHash}/header`;
    const header = hexBytes(await this.text(path), path, 'header');
    if (header.length !== 80) throw invalid(path, `header is ${header.length} bytes, not 80`);
    return header;
  }

  async blockStatus(blockHash: string): Promise<BlockStatus> {
    const path = `/block/${blockHash}/status`;
    const o = obj(await this.json(path), path);
    if (typeof o['in_best_chain'] !== 'boolean') throw invalid(path, 'in_best_chain is not a boolean');
    return {
      inBestChain: o['in_best_chain'],
      ...(o['height'] === undefined ? {} : { height: int(o['height'], path, 'height') }),
      ...(typeof o['next_best'] === 'string' ? { nextBest: hash(o['next_best'], path, 'next_best') } : {}),
    };
  }

  async blockTxids(blockHash: string): Promise<string[]> {
    const path = `/block/${blockHash}/txids`;
    const value = await this.json(path);
    if (!Array.isArray(value)) throw invalid(path, 'expected an array');
    return value.map((t: unknown) => hash(t, path, 'txid'));
  }

  /** The serialized block. */
  async blockRaw(blockHash: string): Promise<Uint8Array> {
    return this.bytes(`/block/${blockHash}/raw`);
  }

  async tx(txid: string): Promise<EsploraTx> {
    const path = `/tx/${txid}`;
    return parseTx(await this.json(path), path);
  }

  /** The serialized transaction. */
  async txRaw(txid: string): Promise<Uint8Array> {
    const path = `/tx/${txid}/hex`;
    return hexBytes(await this.text(path), path, 'hex');
  }

  /** Confirmation status; an unknown transaction is reported unconfirmed (as Esplora does). */
  async txStatus(txid: string): Promise<TxStatus> {
    const path = `/tx/${txid}/status`;
    try {
      return parseTxStatus(await this.json(path), path);
    } catch (error) {
      if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return { confirmed: false };
      throw error;
    }
  }

  async merkleProof(txid: string): Promise<MerkleProof> {
    const path = `/tx/${txid}/merkle-proof`;
    const o = obj(await this.json(path), path);
    const merkle = o['merkle'];
    if (!Array.isArray(merkle)) throw invalid(path, 'merkle is not an array');
    return { blockHeight: int(o['block_height'], path, 'block_height'), merkle: merkle.map((m: unknown) => hash(m, path, 'merkle')), pos: int(o['pos'], path, 'pos') };
  }

  async outspend(txid: string, vout: number): Promise<Outspend> {
    const path = `/tx/${txid}/outspend/${vout}`;
    const o = obj(await this.json(path), path);
    if (typeof o['spent'] !== 'boolean') throw invalid(path, 'spent is not a boolean');
    if (!o['spent']) return { spent: false };
    return {
      spent: true,
      txid: hash(o['txid'], path, 'txid'),
      vin: int(o['vin'], path, 'vin'),
      ...(o['status'] === undefined ? {} : { status: parseTxStatus(o['status'], path) }),
    };
  }

  async addressUtxos(address: string): Promise<Utxo[]> {
    const path = `/address/${encodeURIComponent(address)}/utxo`;
    return parseUtxos(await this.json(path), path);
  }

  /** Mempool transactions first, then confirmed ones newest first (Esplora returns up to 50 + 25). */
  async addressTxs(address: string): Promise<EsploraTx[]> {
    const path = `/address/${encodeURIComponent(address)}/txs`;
    return parseTxs(await this.json(path), path);
  }

  async scriptUtxos(scriptPubKey: Uint8Array): Promise<Utxo[]> {
    const path = `/scripthash/${scriptHash(scriptPubKey)}/utxo`;
    return parseUtxos(await this.json(path), path);
  }

  async scriptTxs(scriptPubKey: Uint8Array): Promise<EsploraTx[]> {
    const path = `/scripthash/${scriptHash(scriptPubKey)}/txs`;
    return parseTxs(await this.json(path), path);
  }

  /** Broadcasts a serialized transaction; returns its txid. A refusal is a `rejected` error carrying the server's reason. */
  async broadcast(tx: Uint8Array): Promise<string> {
    const response = await this.request('POST', '/tx', bytesToHex(tx));
    return hash((await response.text()).trim(), '/tx', 'txid');
  }

  /** Target in blocks → sat/vB. */
  async feeEstimates(): Promise<Map<number, number>> {
    const path = '/fee-estimates';
    const o = obj(await this.json(path), path);
    const out = new Map<number, number>();
    for (const [key, value] of Object.entries(o)) {
      if (!/^\d+$/.test(key) || typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(path, `bad entry ${key}`);
      out.set(Number(key), value);
    }
    return out;
  }
}
