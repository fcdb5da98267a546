/**
 * BOLT 3 output scripts: the funding 2-of-2, `to_local`, `to_remote` (both
 * forms), anchors, offered and received HTLCs (with and without
 * `option_anchors`), and the P2WSH / P2WPKH wrappers. Compiled with
 * bitcoinjs-lib's `script` module (minimal pushes).
 */
import { opcodes } from 'bitcoinjs-lib';
import { concatBytes, hash160, ripemd160, sha256 } from '../crypto/index.js';
import { TxError, TxErrorCode } from './errors.js';

type Chunk = number | Uint8Array;

/** Throws a typed error unless `key` is a 33-byte compressed public key encoding. */
export function assertPublicKey(key: Uint8Array, what: string): void {
  if (key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) {
    throw new TxError(TxErrorCode.InvalidLength, `${what} must be a 33-byte compressed public key`);
  }
}

function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new TxError(TxErrorCode.InvalidLength, `${what} must be ${length} bytes`);
}

/** Minimal CScriptNum encoding of a non-negative integer (for delays and expiries). */
export function scriptNumber(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new TxError(TxErrorCode.InvalidParameter, `script number ${n} out of range`);
  const out: number[] = [];
  let v = n;
  while (v > 0) {
    out.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (out.length > 0 && out[out.length - 1]! & 0x80) out.push(0);
  return Uint8Array.from(out);
}

/**
 * Serializes script chunks exactly as bitcoinjs-lib's `script.compile` does
 * (BIP 62 minimal pushes: a 1-byte push of 1..16 or 0x81 becomes
 * OP_1..OP_16 / OP_1NEGATE, an empty push OP_0, else the shortest push
 * opcode), without its per-call schema validation (test/tx checks equality
 * with `script.compile`).
 */
export function compile(chunks: readonly Chunk[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) {
    if (typeof chunk === 'number') size += 1;
    else if (minimalOpcode(chunk) !== -1) size += 1;
    else size += pushLength(chunk.length) + chunk.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    if (typeof chunk === 'number') {
      if (!Number.isInteger(chunk) || chunk < 0 || chunk > 0xff) throw new TxError(TxErrorCode.InvalidParameter, `opcode ${chunk} out of range`);
      out[at++] = chunk;
      continue;
    }
    const op = minimalOpcode(chunk);
    if (op !== -1) {
      out[at++] = op;
      continue;
    }
    const n = chunk.length;
    if (n < opcodes.OP_PUSHDATA1) out[at++] = n;
    else if (n <= 0xff) {
      out[at++] = opcodes.OP_PUSHDATA1;
      out[at++] = n;
    } else if (n <= 0xffff) {
      out[at++] = opcodes.OP_PUSHDATA2;
      out[at++] = n & 0xff;
      out[at++] = n >>> 8;
    } else {
      out[at++] = opcodes.OP_PUSHDATA4;
      out[at++] = n & 0xff;
      out[at++] = (n >>> 8) & 0xff;
      out[at++] = (n >>> 16) & 0xff;
      out[at++] = n >>> 24;
    }
    out.set(chunk, at);
    at += n;
  }
  return out;
}

/** The opcode a minimal push of `chunk` is (OP_0, OP_1..OP_16, OP_1NEGATE), or -1 for a data push. */
function minimalOpcode(chunk: Uint8Array): number {
  if (chunk.length === 0) return opcodes.OP_0;
  if (chunk.length !== 1) return -1;
  const b = chunk[0]!;
  if (b >= 1 && b <= 16) return opcodes.OP_1 + b - 1;
  if (b === 0x81) return opcodes.OP_1NEGATE;
  return -1;
}

function pushLength(n: number): number {
  return n < opcodes.OP_PUSHDATA1 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

/** Lexicographic comparison of byte strings (BIP 69, funding key order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * BOLT 3 Funding Transaction Output: `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG`,
 * the lexicographically lesser compressed key first.
 */
export function fundingScript(localFundingPubkey: Uint8Array, remoteFundingPubkey: Uint8Array): Uint8Array {
  assertPublicKey(localFundingPubkey, 'local funding pubkey');
  assertPublicKey(remoteFundingPubkey, 'remote funding pubkey');
  const [first, second] =
    compareBytes(localFundingPubkey, remoteFundingPubkey) <= 0 ? [localFundingPubkey, remoteFundingPubkey] : [remoteFundingPubkey, localFundingPubkey];
  return compile([opcodes.OP_2, first, second, opcodes.OP_2, opcodes.OP_CHECKMULTISIG]);
}

/**
 * BOLT 3 `to_local` Output (also the output of HTLC-timeout/success):
 * `OP_IF <revocationpubkey> OP_ELSE to_self_delay OP_CSV OP_DROP
 * <local_delayedpubkey> OP_ENDIF OP_CHECKSIG`.
 */
export function toLocalScript(revocationPubkey: Uint8Array, toSelfDelay: number, localDelayedPubkey: Uint8Array): Uint8Array {
  assertPublicKey(revocationPubkey, 'revocation pubkey');
  assertPublicKey(localDelayedPubkey, 'local delayed pubkey');
  if (!Number.isInteger(toSelfDelay) || toSelfDelay < 0 || toSelfDelay > 0xffff) {
    throw new TxError(TxErrorCode.InvalidParameter, 'to_self_delay must be a u16');
  }
  return compile([
    opcodes.OP_IF,
    revocationPubkey,
    opcodes.OP_ELSE,
    scriptNumber(toSelfDelay),
    opcodes.OP_CHECKSEQUENCEVERIFY,
    opcodes.OP_DROP,
    localDelayedPubkey,
    opcodes.OP_ENDIF,
    opcodes.OP_CHECKSIG,
  ]);
}

/**
 * BOLT 3 `to_remote` Output with `option_anchors`:
 * `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY` (one-block CSV).
 */
export function toRemoteAnchorsScript(remotePubkey: Uint8Array): Uint8Array {
  assertPublicKey(remotePubkey, 'remote pubkey');
  return compile([remotePubkey, opcodes.OP_CHECKSIGVERIFY, opcodes.OP_1, opcodes.OP_CHECKSEQUENCEVERIFY]);
}

/**
 * BOLT 3 Anchor Outputs: `<local_funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF
 * OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF`.
 */
export function anchorScript(fundingPubkey: Uint8Array): Uint8Array {
  assertPublicKey(fundingPubkey, 'funding pubkey');
  return compile([fundingPubkey, opcodes.OP_CHECKSIG, opcodes.OP_IFDUP, opcodes.OP_NOTIF, opcodes.OP_16, opcodes.OP_CHECKSEQUENCEVERIFY, opcodes.OP_ENDIF]);
}

/** Keys of an HTLC output script, from the commitment owner's point of view. */
export interface HtlcScriptKeys {
  readonly revocationPubkey: Uint8Array;
  readonly localHtlcPubkey: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
}

function checkHtlcKeys(keys: HtlcScriptKeys, paymentHash: Uint8Array): void {
  assertPublicKey(keys.revocationPubkey, 'revocation pubkey');
  assertPublicKey(keys.localHtlcPubkey, 'local htlc pubkey');
  assertPublicKey(keys.remoteHtlcPubkey, 'remote htlc pubkey');
  assertLength(paymentHash, 32, 'payment hash');
}

const ANCHORS_CSV: readonly Chunk[] = [opcodes.OP_1, opcodes.OP_CHECKSEQUENCEVERIFY, opcodes.OP_DROP];

/**
 * BOLT 3 Offered HTLC Outputs: revocation key, or the remote's key with the
 * preimage, or 2-of-2 (HTLC-timeout); `1 OP_CSV OP_DROP` added with anchors.
 */
export function offeredHtlcScript(keys: HtlcScriptKeys, paymentHash: Uint8Array, anchors: boolean): Uint8Array {
  checkHtlcKeys(keys, paymentHash);
  return compile([
    opcodes.OP_DUP, opcodes.OP_HASH160, hash160(keys.revocationPubkey), opcodes.OP_EQUAL,
    opcodes.OP_IF,
    opcodes.OP_CHECKSIG,
    opcodes.OP_ELSE,
    keys.remoteHtlcPubkey, opcodes.OP_SWAP, opcodes.OP_SIZE, scriptNumber(32), opcodes.OP_EQUAL,
    opcodes.OP_NOTIF,
    opcodes.OP_DROP, opcodes.OP_2, opcodes.OP_SWAP, keys.localHtlcPubkey, opcodes.OP_2, opcodes.OP_CHECKMULTISIG,
    opcodes.OP_ELSE,
    opcodes.OP_HASH160, ripemd160(paymentHash), opcodes.OP_EQUALVERIFY, opcodes.OP_CHECKSIG,
    opcodes.OP_ENDIF,
    ...(anchors ? ANCHORS_CSV : []),
    opcodes.OP_ENDIF,
  ]);
}

/**
 * BOLT 3 Received HTLC Outputs: revocation key, or 2-of-2 with the preimage
 * (HTLC-success), or the remote's key after `cltv_expiry`; `1 OP_CSV OP_DROP`
 * added with anchors.
 */
export function receivedHtlcScript(keys: HtlcScriptKeys, paymentHash: Uint8Array, cltvExpiry: number, anchors: boolean): Uint8Array {
  checkHtlcKeys(keys, paymentHash);
  return compile([
    opcodes.OP_DUP, opcodes.OP_HASH160, hash160(keys.revocationPubkey), opcodes.OP_EQUAL,
    opcodes.OP_IF,
    opcodes.OP_CHECKSIG,
    opcodes.OP_ELSE,
    keys.remoteHtlcPubkey, opcodes.OP_SWAP, opcodes.OP_SIZE, scriptNumber(32), opcodes.OP_EQUAL,
    opcodes.OP_IF,
    opcodes.OP_HASH160, ripemd160(paymentHash), opcodes.OP_EQUALVERIFY,
    opcodes.OP_2, opcodes.OP_SWAP, keys.localHtlcPubkey, opcodes.OP_2, opcodes.OP_CHECKMULTISIG,
    opcodes.OP_ELSE,
    opcodes.OP_DROP, scriptNumber(cltvExpiry), opcodes.OP_CHECKLOCKTIMEVERIFY, opcodes.OP_DROP, opcodes.OP_CHECKSIG,
    opcodes.OP_ENDIF,
    ...(anchors ? ANCHORS_CSV : []),
    opcodes.OP_ENDIF,
  ]);
}

/** P2WSH scriptPubKey `OP_0 <sha256(witnessScript)>`. */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x00, 0x20), sha256(witnessScript));
}

/** P2WPKH scriptPubKey `OP_0 <hash160(pubkey)>` (the `option_static_remotekey` `to_remote`). */
export function p2wpkh(pubkey: Uint8Array): Uint8Array {
  assertPublicKey(pubkey, 'P2WPKH pubkey');
  return concatBytes(Uint8Array.of(0x00, 0x14), hash160(pubkey));
}

/** The script code BIP 143 signs for a P2WPKH input: `OP_DUP OP_HASH160 <h> OP_EQUALVERIFY OP_CHECKSIG`. */
export function p2wpkhScriptCode(pubkey: Uint8Array): Uint8Array {
  assertPublicKey(pubkey, 'P2WPKH pubkey');
  return compile([opcodes.OP_DUP, opcodes.OP_HASH160, hash160(pubkey), opcodes.OP_EQUALVERIFY, opcodes.OP_CHECKSIG]);
}
