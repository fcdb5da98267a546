/**
 * The embedded chain over HTTP: the Esplora REST paths (same shapes as
 * Blockstream's Esplora, so one client serves both) at the root of the
 * server, plus the regtest control routes `POST /regtest/mine`,
 * `POST /regtest/faucet` and `POST /regtest/reorg`. node:http, 127.0.0.1 only.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Transaction, address as baddress, networks, script as bscript } from 'bitcoinjs-lib';
import type { ChainBlock, RegtestChain } from './chain-state.js';
import { RegtestChainError } from './chain-state.js';
import { FAUCET_SCRIPT } from './faucet.js';

/** Regtest's fee table (target in blocks → sat/vB), served by `GET /fee-estimates`. */
export const DEFAULT_FEE_ESTIMATES: Readonly<Record<string, number>> = {
  '1': 25.0, '2': 20.0, '3': 15.0, '4': 12.0, '6': 10.0, '10': 5.0, '20': 3.0, '25': 2.0, '144': 1.0, '504': 1.0, '1008': 1.0,
};

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const HASH_HEX = /^[0-9a-f]{64}$/;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Reply = { readonly status: number; readonly type: string; readonly body: string | Uint8Array };

const text = (body: string, status = 200): Reply => ({ status, type: 'text/plain', body });
const json = (value: unknown): Reply => ({ status: 200, type: 'application/json', body: JSON.stringify(value) });
const binary = (body: Uint8Array): Reply => ({ status: 200, type: 'application/octet-stream', body });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function displayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

function scriptType(script: Uint8Array): string {
  const s = Buffer.from(script);
  if (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) return 'v0_p2wpkh';
  if (s.length === 34 && s[0] === 0x00 && s[1] === 0x20) return 'v0_p2wsh';
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) return 'v1_p2tr';
  if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) return 'p2pkh';
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'p2sh';
  if (s.length > 0 && s[0] === 0x6a) return 'op_return';
  if ((s.length === 35 || s.length === 67) && s[s.length - 1] === 0xac) return 'p2pk';
  return 'unknown';
}

function asm(script: Uint8Array): string {
  try {
    return bscript.toASM(script);
  } catch {
    return '';
  }
}

function addressOf(script: Uint8Array): string | undefined {
  try {
    return baddress.fromOutputScript(script, networks.regtest);
  } catch {
    return undefined;
  }
}

function outputJson(script: Uint8Array, valueSat: bigint) {
  const address = addressOf(script);
  return {
    scriptpubkey: hex(script),
    scriptpubkey_asm: asm(script),
    scriptpubkey_type: scriptType(script),
    ...(address === undefined ? {} : { scriptpubkey_address: address }),
    value: Number(valueSat),
  };
}

function statusJson(block: ChainBlock | undefined) {
  return block === undefined
    ? { confirmed: false }
    : { confirmed: true, block_height: block.height, block_hash: block.hash, block_time: block.block.timestamp };
}

function txJson(chain: RegtestChain, tx: Transaction) {
  const txid = tx.getId();
  const coinbase = tx.isCoinbase();
  let inSat = 0n;
  const vin = tx.ins.map((input) => {
    const prevTxid = displayHex(input.hash);
    const prevout = coinbase ? undefined : chain.output(prevTxid, input.index);
    if (prevout !== undefined) inSat += prevout.valueSat;
    return {
      txid: prevTxid,
      vout: input.index,
      prevout: prevout === undefined ? null : outputJson(prevout.script, prevout.valueSat),
      scriptsig: hex(input.script),
      scriptsig_asm: asm(input.script),
      ...(input.witness.length > 0 ? { witness: input.witness.map(hex) } : {}),
      is_coinbase: coinbase,
      sequence: input.sequence,
    };
  });
  const outSat = tx.outs.reduce((sum, o) => sum + o.value, 0n);
  return {
    txid,
    version: tx.version,
    locktime: tx.locktime,
    vin,
    vout: tx.outs.map((o) => outputJson(o.script, o.value)),
    size: tx.byteLength(),
    weight: tx.weight(),
    fee: coinbase ? 0 : Number(inSat - outSat),
    status: statusJson(chain.transaction(txid)?.block),
  };
}

function blockJson(chain: RegtestChain, block: ChainBlock) {
  const b = block.block;
  return {
    id: block.hash,
    height: block.height,
    version: b.version,
    timestamp: b.timestamp,
    tx_count: block.txids.length,
    size: block.size,
    weight: block.weight,
    merkle_root: displayHex(b.merkleRoot!),
    previousblockhash: block.height === 0 ? null : displayHex(b.prevHash!),
    mediantime: block.medianTimePast,
    nonce: b.nonce,
    bits: b.bits,
    difficulty: 4.6565423739069247e-10,
    ...(chain.isInBestChain(block) ? {} : { in_best_chain: false }),
  };
}

/** Electrum-style merkle branch of the txid at `position` (display-order hex, leaf level first). */
function merkleBranch(txids: readonly string[], position: number): string[] {
  let level: Uint8Array[] = txids.map((id) => Buffer.from(id, 'hex').reverse());
  let index = position;
  const branch: string[] = [];
  while (level.length > 1) {
    if (level.length % 2 === 1) level.push(level[level.length - 1]!);
    branch.push(displayHex(level[index ^ 1]!));
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(Buffer.concat([level[i]!, level[i + 1]!])));
    level = next;
    index >>= 1;
  }
  return branch;
}

function sha256d(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

function blockOr404(chain: RegtestChain, hash: string): ChainBlock {
  const block = HASH_HEX.test(hash) ? chain.blockByHash(hash) : undefined;
  if (block === undefined) throw new HttpError(404, 'Block not found');
  return block;
}

function txOr404(chain: RegtestChain, txid: string) {
  const found = HASH_HEX.test(txid) ? chain.transaction(txid) : undefined;
  if (found === undefined || (found.block === undefined && !found.inMempool)) throw new HttpError(404, 'Transaction not found');
  return found;
}

function scriptOfAddress(address: string): Uint8Array {
  try {
    return baddress.toOutputScript(address, networks.regtest);
  } catch {
    throw new HttpError(400, `invalid regtest address: ${address}`);
  }
}

function utxosJson(chain: RegtestChain, script: Uint8Array) {
  return chain.scriptUtxos(script).map(({ txid, vout, coin }) => ({
    txid,
    vout,
    status: statusJson(coin.height === undefined ? undefined : chain.transaction(txid)?.block),
    value: Number(coin.valueSat),
  }));
}

function historyJson(chain: RegtestChain, script: Uint8Array) {
  const txs = chain.scriptHistory(script);
  const mempool = txs.filter((tx) => chain.transaction(tx.getId())?.block === undefined).slice(0, 50);
  const confirmed = txs.filter((tx) => chain.transaction(tx.getId())?.block !== undefined).slice(0, 25);
  return [...mempool, ...confirmed].map((tx) => txJson(chain, tx));
}

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(400, 'body must be a JSON object');
}

function positiveInt(value: unknown, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000) throw new HttpError(400, `${name} must be an integer from 1 to 10000`);
  return value;
}

/** Answers one request (exported for tests). */
export function route(chain: RegtestChain, feeEstimates: Readonly<Record<string, number>>, method: string, path: string, body: string): Reply {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [a, b, c, d] = parts;
  if (method === 'GET') {
    if (a === 'blocks' && b === 'tip' && c === 'height' && parts.length === 3) return text(String(chain.tip().height));
    if (a === 'blocks' && b === 'tip' && c === 'hash' && parts.length === 3) return text(chain.tip().hash);
    if (a === 'block-height' && b !== undefined && parts.length === 2) {
      const block = /^\d+$/.test(b) ? chain.blockAt(Number(b)) : undefined;
      if (block === undefined) throw new HttpError(404, 'Block not found');
      return text(block.hash);
    }
    if (a === 'block' && b !== undefined) {
      const block = blockOr404(chain, b);
      if (parts.length === 2) return json(blockJson(chain, block));
      if (parts.length === 3 && c === 'header') return text(hex(block.header));
      if (parts.length === 3 && c === 'raw') return binary(block.block.toBuffer());
      if (parts.length === 3 && c === 'txids') return json(block.txids);
      if (parts.length === 3 && c === 'status') {
        if (!chain.isInBestChain(block)) return json({ in_best_chain: false });
        return json({ in_best_chain: true, height: block.height, next_best: chain.blockAt(block.height + 1)?.hash ?? null });
      }
    }
    if (a === 'tx' && b !== undefined) {
      if (parts.length === 3 && c === 'status') {
        // As Esplora: an unknown transaction is simply not confirmed.
        return json(statusJson(HASH_HEX.test(b) ? chain.transaction(b)?.block : undefined));
      }
      const outspend = (vout: number) => {
        const spender = chain.outspend(b, vout);
        if (spender === undefined) return { spent: false };
        return { spent: true, txid: spender.txid, vin: spender.vin, status: statusJson(chain.transaction(spender.txid)?.block) };
      };
      // As Esplora (electrs looks the spend up without the transaction): an output of an unknown transaction, or of one
      // that left the best chain, is simply not spent.
      if (parts.length === 4 && c === 'outspend' && d !== undefined && /^\d+$/.test(d) && HASH_HEX.test(b)) return json(outspend(Number(d)));
      const found = txOr404(chain, b);
      if (parts.length === 2) return json(txJson(chain, found.tx));
      if (parts.length === 3 && c === 'hex') return text(found.tx.toHex());
      if (parts.length === 3 && c === 'raw') return binary(found.tx.toBuffer());
      if (parts.length === 3 && c === 'merkle-proof') {
        if (found.block === undefined) throw new HttpError(404, 'Transaction not found in a block');
        return json({ block_height: found.block.height, merkle: merkleBranch(found.block.txids, found.position!), pos: found.position });
      }
      if (parts.length === 3 && c === 'outspends') return json(found.tx.outs.map((_, vout) => outspend(vout)));
    }
    if ((a === 'address' || a === 'scripthash') && b !== undefined && parts.length === 3) {
      let script: Uint8Array | undefined;
      if (a === 'address') script = scriptOfAddress(b);
      else if (HASH_HEX.test(b)) script = chain.scriptByHash(b);
      else throw new HttpError(400, 'invalid script hash');
      if (c === 'utxo') return json(script === undefined ? [] : utxosJson(chain, script));
      if (c === 'txs') return json(script === undefined ? [] : historyJson(chain, script));
    }
    if (a === 'mempool' && b === 'txids' && parts.length === 2) return json(chain.mempool().map((e) => e.txid));
    if (a === 'fee-estimates' && parts.length === 1) return json(feeEstimates);
  }
  if (method === 'POST') {
    if (a === 'tx' && parts.length === 1) {
      const raw = body.trim();
      if (!/^([0-9a-fA-F]{2})+$/.test(raw)) throw new HttpError(400, 'sendrawtransaction RPC error: body is not a hex transaction');
      let tx: Transaction;
      try {
        tx = Transaction.fromHex(raw);
      } catch (error) {
        throw new HttpError(400, `sendrawtransaction RPC error: TX decode failed (${(error as Error).message})`);
      }
      const result = chain.accept(tx);
      if (!result.ok) throw new HttpError(400, `sendrawtransaction RPC error: ${result.reason}`);
      return text(result.txid);
    }
    if (a === 'regtest' && parts.length === 2) {
      const request = parseBody(body);
      if (b === 'mine') {
        const script = typeof request['address'] === 'string' ? scriptOfAddress(request['address']) : FAUCET_SCRIPT;
        return json(chain.mine(positiveInt(request['blocks'], 'blocks', 1), script));
      }
      if (b === 'faucet') {
        if (typeof request['address'] !== 'string') throw new HttpError(400, 'address is required');
        const sats = request['sats'];
        if (!((typeof sats === 'number' && Number.isSafeInteger(sats)) || (typeof sats === 'string' && /^\d+$/.test(sats)))) throw new HttpError(400, 'sats must be an integer');
        return text(chain.faucet(scriptOfAddress(request['address']), BigInt(sats)));
      }
      if (b === 'reorg') {
        const depth = positiveInt(request['depth'], 'depth');
        const blocks = request['blocks'] === undefined ? depth + 1 : positiveInt(request['blocks'], 'blocks');
        const exclude = request['exclude'] ?? [];
        if (!Array.isArray(exclude) || !exclude.every((t): t is string => typeof t === 'string' && HASH_HEX.test(t))) throw new HttpError(400, 'exclude must be an array of txids');
        return json(chain.reorg(depth, blocks, new Set(exclude)));
      }
    }
  }
  throw new HttpError(404, `no route for ${method} ${path}`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'content-type': reply.type, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

export interface EsploraServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Listens on `host:port` (0 picks a free port); a port in use is a one-line error naming `portVariable`. */
export function startEsploraServer(chain: RegtestChain, options: { port: number; host?: string; portVariable?: string; feeEstimates?: Readonly<Record<string, number>> }): Promise<EsploraServer> {
  const host = options.host ?? '127.0.0.1';
  const variable = options.portVariable ?? 'CHAIN_PORT';
  const feeEstimates = options.feeEstimates ?? DEFAULT_FEE_ESTIMATES;
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = req.method === 'POST' ? await readBody(req) : '';
        const path = (req.url ?? '/').split('?')[0]!;
        send(res, route(chain, feeEstimates, req.method ?? 'GET', path, body));
      } catch (error) {
        if (error instanceof HttpError) send(res, text(error.message, error.status));
        else if (error instanceof RegtestChainError) send(res, text(error.message, 400));
        else {
          console.error('regtest chain: request failed', error);
          send(res, text('internal error', 500));
        }
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE') reject(new Error(`regtest chain: port ${options.port} on ${host} is already in use; set ${variable} to a free port`));
      else reject(new Error(`regtest chain: cannot listen on ${host}:${options.port} (${error.code ?? error.message}); check ${variable}`));
    });
    server.listen(options.port, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      resolve({
        url: `http://${host}:${port}`,
        port,
        stop: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
