/**
 * The `upfront_shutdown_script` of `open_channel`/`accept_channel` (BOLT 2
 * option_upfront_shutdown_script, feature bits 4/5): the forms a shutdown
 * `scriptpubkey` may take (BOLT 2 "Closing Initiation: `shutdown`"), the
 * check of the counterparty's, and the one we commit to (LDK's
 * `commit_upfront_shutdown_pubkey`, default true; a SignerProvider may say
 * no with `commitUpfrontShutdownScript`: the node's wallet-backed one does).
 */
import { isFeatureSupported } from '../wire/index.js';
import type { ChannelContext } from './channel-context.js';
import type { ChannelFailure } from './effects.js';
import { ChannelFailureReason as R } from './errors.js';

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_DUP = 0x76;
const OP_HASH160 = 0xa9;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_CHECKSIG = 0xac;

/**
 * Whether `script` is one of BOLT 2's shutdown forms: P2PKH
 * (`OP_DUP OP_HASH160 20 <20 bytes> OP_EQUALVERIFY OP_CHECKSIG`), P2SH
 * (`OP_HASH160 20 <20 bytes> OP_EQUAL`), P2WPKH (`OP_0 20 <20 bytes>`),
 * P2WSH (`OP_0 32 <32 bytes>`), and, when option_shutdown_anysegwit is
 * negotiated, a witness program of version 1..16 (`OP_1`..`OP_16`, then one
 * push of 2..40 bytes).
 */
export function isValidShutdownScript(script: Uint8Array, anysegwit: boolean): boolean {
  const n = script.length;
  const [b0, b1] = [script[0], script[1]];
  if (n === 25 && b0 === OP_DUP && b1 === OP_HASH160 && script[2] === 20 && script[23] === OP_EQUALVERIFY && script[24] === OP_CHECKSIG) return true;
  if (n === 23 && b0 === OP_HASH160 && b1 === 20 && script[22] === OP_EQUAL) return true;
  if (b0 === OP_0 && ((n === 22 && b1 === 20) || (n === 34 && b1 === 32))) return true;
  if (!anysegwit || b0 === undefined || b1 === undefined) return false;
  return b0 >= OP_1 && b0 <= OP_16 && b1 >= 2 && b1 <= 40 && n === 2 + b1;
}

/** Whether the peer's `init` has option_shutdown_anysegwit (we advertise it, so it is then negotiated). */
export function anysegwitNegotiated(theirInitFeatures: Uint8Array): boolean {
  return isFeatureSupported(theirInitFeatures, 'option_shutdown_anysegwit');
}

/**
 * The counterparty's `upfront_shutdown_script` (BOLT 2): absent or empty
 * commits to nothing; otherwise it must be a shutdown form
 * (`invalid-shutdown-script`, the channel is refused).
 */
export function checkCounterpartyShutdownScript(script: Uint8Array | undefined, anysegwit: boolean): ChannelFailure | null {
  if (script === undefined || script.length === 0 || isValidShutdownScript(script, anysegwit)) return null;
  return { reason: R.InvalidShutdownScript, message: `upfront_shutdown_script is not a P2PKH, P2SH, P2WPKH, P2WSH${anysegwit ? ' or witness v1..v16' : ''} script` };
}

/**
 * The script we commit to: the SignerProvider's shutdown script when the
 * peer's `init` has option_upfront_shutdown_script (as LDK does with
 * `commit_upfront_shutdown_pubkey`) and the provider commits upfront
 * (`commitUpfrontShutdownScript`, the node's wallet does not), else nothing (an empty TLV is sent:
 * BOLT 2 requires the TLV whenever `channel_type` is sent). Null when the
 * provider's script is not a form the peer accepts (LDK's
 * `IncompatibleShutdownScript`).
 */
export function ourUpfrontShutdownScript(ctx: ChannelContext, theirInitFeatures: Uint8Array): Uint8Array | null {
  if (ctx.signerProvider.commitUpfrontShutdownScript === false) return new Uint8Array(0);
  if (!isFeatureSupported(theirInitFeatures, 'option_upfront_shutdown_script')) return new Uint8Array(0);
  const script = ctx.signerProvider.getShutdownScriptpubkey();
  return isValidShutdownScript(script, anysegwitNegotiated(theirInitFeatures)) ? Uint8Array.from(script) : null;
}
