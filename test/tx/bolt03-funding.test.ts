/** BOLT 3 Appendix B: the funding transaction, byte for byte. */
import { opcodes, script } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { fromHex, hash160, nobleSecp256k1, toHex } from '../../shared/crypto/index.js';
import { buildFundingTransaction, fundingScript, p2wpkh, txidFromDisplayHex, txidToDisplayHex, witnessSignature } from '../../shared/tx/index.js';
import vectors from '../vectors/bolt03-funding-tx.json' with { type: 'json' };

const v = vectors.funding_v1;
const secret = (hex: string) => fromHex(hex).subarray(0, 32);

describe('BOLT 3 Appendix B: funding transaction', () => {
  it('builds the funding witness script printed in the spec', () => {
    const ws = fundingScript(fromHex(v.local_funding_pubkey), fromHex(v.remote_funding_pubkey));
    expect(toHex(ws)).toBe(v.spec_comments[2]!.split(' = ')[1]);
    // Key order does not matter: the lesser key goes first.
    expect(toHex(fundingScript(fromHex(v.remote_funding_pubkey), fromHex(v.local_funding_pubkey)))).toBe(toHex(ws));
  });

  it('reproduces the funding transaction and its txid', () => {
    const coinbaseSecret = secret(v.block_1_coinbase_privkey);
    const coinbasePub = nobleSecp256k1.publicKeyFromSecret(coinbaseSecret);
    const funding = buildFundingTransaction({
      inputs: [{ outpoint: { txid: txidFromDisplayHex(v.input_txid), index: v.input_index } }],
      localFundingPubkey: fromHex(v.local_funding_pubkey),
      remoteFundingPubkey: fromHex(v.remote_funding_pubkey),
      fundingSat: BigInt(v.funding_satoshis),
      otherOutputs: [{ scriptPubKey: p2wpkh(coinbasePub), amountSat: BigInt(v.change_satoshis) }],
    });
    expect(funding.fundingOutputIndex).toBe(v.funding_output);
    // The spent coinbase output is P2PKH: legacy sighash, scriptSig <sig> <pubkey>.
    const prevScript = script.compile([opcodes.OP_DUP, opcodes.OP_HASH160, hash160(coinbasePub), opcodes.OP_EQUALVERIFY, opcodes.OP_CHECKSIG]);
    const digest = funding.tx.hashForSignature(0, prevScript, 1);
    const sig = nobleSecp256k1.sign(digest, coinbaseSecret);
    funding.tx.setInputScript(0, script.compile([witnessSignature(sig), coinbasePub]));
    expect(funding.tx.toHex()).toBe(v.funding_tx);
    expect(txidToDisplayHex(funding.tx.getHash())).toBe(v.spec_comments[5]!.split(': ')[1]);
  });
});
