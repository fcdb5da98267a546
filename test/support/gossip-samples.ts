/** One well-formed message of each BOLT 7 type (signatures and keys are placeholders: for framing and routing tests, not for checks). */
import { fromHex } from '../../shared/crypto/index.js';
import type { GossipMessage } from '../../shared/gossip/index.js';

const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const SIG = new Uint8Array(64).fill(1);
const KEY_A = fromHex('02' + '11'.repeat(32));
const KEY_B = fromHex('03' + '22'.repeat(32));

export const GOSSIP_SAMPLES: readonly GossipMessage[] = [
  { type: 256, nodeSignature1: SIG, nodeSignature2: SIG, bitcoinSignature1: SIG, bitcoinSignature2: SIG, features: new Uint8Array(0), chainHash: REGTEST, shortChannelId: 7n, nodeId1: KEY_A, nodeId2: KEY_B, bitcoinKey1: KEY_A, bitcoinKey2: KEY_B },
  { type: 257, signature: SIG, features: new Uint8Array(0), timestamp: 1, nodeId: KEY_A, rgbColor: Uint8Array.of(1, 2, 3), alias: new Uint8Array(32), addresses: [{ kind: 'ipv4', addr: Uint8Array.of(127, 0, 0, 1), port: 9735 }] },
  { type: 259, channelId: new Uint8Array(32).fill(9), shortChannelId: 7n, nodeSignature: SIG, bitcoinSignature: SIG },
  { type: 261, chainHash: REGTEST, encodedShortIds: { encoding: 'uncompressed', values: [7n] } },
  { type: 262, chainHash: REGTEST, fullInformation: 1 },
  { type: 263, chainHash: REGTEST, firstBlocknum: 0, numberOfBlocks: 100 },
  { type: 264, chainHash: REGTEST, firstBlocknum: 0, numberOfBlocks: 100, syncComplete: 1, encodedShortIds: { encoding: 'uncompressed', values: [7n] } },
  { type: 265, chainHash: REGTEST, firstTimestamp: 0, timestampRange: 0xffffffff },
];
