/**
 * The work of one `commitment_signed`, both sides: the sender builds the
 * receiver's commitment and its HTLC transactions and signs them; the
 * receiver builds the same and verifies every signature. Shown next to the
 * secp256k1 operations that work needs and their raw cost (the crypto floor).
 * Keys are already derived (key derivation is a handful of tweaks, not counted).
 */
import type { Secp256k1 } from '../shared/crypto/index.js';
import { nobleSecp256k1, sha256, wasmSecp256k1 } from '../shared/crypto/index.js';
import {
  ChannelType,
  buildCommitmentTransaction,
  buildHtlcTransactions,
  signCommitment,
  signHtlcTransactionAsRemote,
  verifyCommitmentSignature,
  verifyRemoteHtlcSignature,
} from '../shared/tx/index.js';
import type { Fixture } from '../test/support/channel-fixture.js';
import { makeFixture } from '../test/support/channel-fixture.js';
import { measure, ms, printTable } from './measure.js';
import { countingSecp } from './counting-secp.js';

function commitmentSigned(secp: Secp256k1, f: Fixture): void {
  // Sender.
  const sent = buildCommitmentTransaction(f.params);
  const sentHtlcs = buildHtlcTransactions(sent);
  const signature = signCommitment(secp, sent, f.secrets.remoteFunding);
  const htlcSignatures = sentHtlcs.map((h) => signHtlcTransactionAsRemote(secp, h, f.secrets.remoteHtlc));
  // Receiver.
  const own = buildCommitmentTransaction(f.params);
  const ownHtlcs = buildHtlcTransactions(own);
  if (!verifyCommitmentSignature(secp, own, signature, f.params.keys.remoteFundingPubkey)) throw new Error('bad commitment signature');
  ownHtlcs.forEach((h, i) => {
    if (!verifyRemoteHtlcSignature(secp, h, htlcSignatures[i]!, f.params.keys.remoteHtlcPubkey)) throw new Error('bad HTLC signature');
  });
}

function buildOnly(f: Fixture): void {
  for (let side = 0; side < 2; side++) buildHtlcTransactions(buildCommitmentTransaction(f.params));
}


const digest = sha256(new TextEncoder().encode('bench digest'));
const secret = sha256(new TextEncoder().encode('bench secret'));

const rows: string[][] = [['HTLCs', 'channel', 'backend', 'median (ms)', 'secp ops', 'raw secp (ms)', 'ratio', 'build only (ms)']];
for (const secp of [nobleSecp256k1, wasmSecp256k1]) {
  const signCost = measure('sign', () => secp.sign(digest, secret), { runs: 31, batch: 10 }).medianMs;
  const sig = secp.sign(digest, secret);
  const pub = secp.publicKeyFromSecret(secret);
  const verifyCost = measure('verify', () => secp.verify(sig, digest, pub), { runs: 31, batch: 10 }).medianMs;
  const opCost: Record<string, number> = { sign: signCost, verify: verifyCost };
  for (const channelType of [ChannelType.StaticRemoteKey, ChannelType.Anchors]) {
    for (const n of [0, 10, 100, 483]) {
      const f = makeFixture(secp, {
        channelType,
        offered: Math.ceil(n / 2),
        received: Math.floor(n / 2),
        feeratePerKw: 2_500n,
        dustLimitSat: 546n,
        toSelfDelay: 144,
        localIsOpener: true,
        seed: n,
        fundingSat: 100_000_000n,
        minHtlcMsat: 50_000_000n,
      });
      const { backend, counts } = countingSecp(secp);
      commitmentSigned(backend, f);
      let raw = 0;
      const ops: string[] = [];
      for (const [op, count] of counts) {
        raw += count * (opCost[op] ?? NaN);
        ops.push(`${count} ${op}`);
      }
      const runs = n >= 100 ? 9 : 31;
      const total = measure(`commitment ${n}`, () => commitmentSigned(secp, f), { runs, warmup: n >= 100 ? 2 : 10 }).medianMs;
      const build = measure(`build ${n}`, () => buildOnly(f), { runs, warmup: 2 }).medianMs;
      rows.push([String(n), channelType, secp.name, ms(total), ops.join(' + '), ms(raw), (total / raw).toFixed(2) + '×', ms(build)]);
    }
  }
}
printTable('commitment_signed work, both sides (build + sign + verify, median)', rows);
console.log('\nTargets (issue): 10 HTLCs in ≤ 15 ms and ≤ 1.5× the raw secp256k1 cost; 483 HTLCs in ≤ 400 ms.');
console.log('"raw secp" = counted sign/verify calls × their median cost on the same backend; "build only" = both sides\' building without crypto.');
