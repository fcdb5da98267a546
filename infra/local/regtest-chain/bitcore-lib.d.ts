// Minimal types for the parts of bitcore-lib (a devDependency: infra/local and tests only) used by script-verifier.ts.
declare module 'bitcore-lib' {
  interface BitcoreScript {
    toBuffer(): Buffer;
  }
  interface BitcoreInput {
    getWitnesses(): Buffer[];
    readonly script: BitcoreScript;
    sequenceNumber: number;
  }
  interface BitcoreTransaction {
    inputs: BitcoreInput[];
  }
  interface BitcoreInterpreter {
    verify(scriptSig: BitcoreScript, scriptPubkey: BitcoreScript, tx: BitcoreTransaction, nin: number, flags: number, witness: Buffer[], satoshis: number): boolean;
    errstr: string;
  }
  interface InterpreterConstructor {
    new (): BitcoreInterpreter;
    readonly [flag: `SCRIPT_${string}`]: number;
  }
  type EcdsaVerify = (hashbuf: Buffer, sig: never, pubkey: unknown, opts?: { endian?: string }) => boolean;
  interface Bitcore {
    crypto: { ECDSA: { verify: EcdsaVerify } };
    PublicKey: new (source: unknown) => { toBuffer(): Buffer };
    Script: { new (source?: Buffer | string | BitcoreScript): BitcoreScript; Interpreter: InterpreterConstructor };
    Transaction: new (hex: string) => BitcoreTransaction;
  }
  const bitcore: Bitcore;
  export default bitcore;
}
