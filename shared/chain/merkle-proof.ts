/**
 * Merkle branches of a block's txid tree (Bitcoin's double-SHA-256 tree, the
 * last node of an odd level paired with itself), as Esplora's
 * `/tx/:txid/merkle-proof` gives them: used by the sync to check that a
 * transaction really is at `pos` in the block whose header it hands on.
 */
import { sha256 } from '../crypto/index.js';

function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

function pair(left: Uint8Array, right: Uint8Array): Uint8Array {
  const both = new Uint8Array(64);
  both.set(left, 0);
  both.set(right, 32);
  return sha256d(both);
}

/** The merkle root implied by `txid` at `position` with `branch` (all internal byte order, leaf level first). */
export function merkleRootFromBranch(txid: Uint8Array, branch: readonly Uint8Array[], position: number): Uint8Array {
  let node = txid;
  let index = position;
  for (const sibling of branch) {
    node = (index & 1) === 0 ? pair(node, sibling) : pair(sibling, node);
    index = Math.floor(index / 2);
  }
  return node;
}

/** The merkle root of a block's txids (internal order, coinbase first). */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) throw new RangeError('a block has at least one transaction');
  let level = [...txids];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(pair(level[i]!, level[i + 1] ?? level[i]!));
    level = next;
  }
  return level[0]!;
}

/** The merkle root field of an 80-byte block header. */
export function headerMerkleRoot(header: Uint8Array): Uint8Array {
  return header.subarray(36, 68);
}

/** The previous-block field of an 80-byte header (internal order). */
export function headerPrevHash(header: Uint8Array): Uint8Array {
  return header.subarray(4, 36);
}

/** The block hash (internal order) of an 80-byte header. */
export function blockHashOfHeader(header: Uint8Array): Uint8Array {
  return sha256d(header);
}
