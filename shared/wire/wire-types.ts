/**
 * Convenience types of BOLT 1 ("Fundamental Types") used by messages.
 */
import { fixedBytes } from '../codec/index.js';

/** `chain_hash`: a 32-byte chain identifier (BOLT 0), in the byte order it is sent. */
export const chainHash = fixedBytes(32);

/** `channel_id`: 32 bytes (BOLT 2, "Definition of channel_id"); all zeros means "all channels". */
export const channelId = fixedBytes(32);

/** `sha256` (BOLT 1, "Fundamental Types"): a 32-byte SHA2-256 hash, in the byte order it is sent. */
export const sha256 = fixedBytes(32);

/**
 * `signature` (BOLT 1, "Fundamental Types"): a 64-byte ECDSA signature in
 * compact form (32-byte `r`, then 32-byte `s`, both big-endian). Only the
 * length is checked here; parsing and verification belong to the crypto layer.
 */
export const signature = fixedBytes(64);

/** The largest Lightning message, type included (BOLT 1: the transport's 2-byte length). */
export const MAX_MESSAGE_SIZE = 65535;
