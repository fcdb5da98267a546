/**
 * `shared/codec` (layer 0): bytes, BigSize, truncated integers and TLV
 * streams as BOLT 1 defines them. Imports nothing of ours.
 */
export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { DECODE_ERROR_REASONS, DecodeError, catchDecodeError } from './decode-error.js';
export type { DecodeErrorReason, DecodeResult } from './decode-error.js';
export { ENCODE_ERROR_CODES, EncodeError } from './encode-error.js';
export type { EncodeErrorCode } from './encode-error.js';
export { bytesToHex, compareBytes, equalBytes, hexToBytes } from './hex.js';
export { decodeBigSize, encodeBigSize } from './bigsize.js';
export {
  bigSize,
  decode,
  encode,
  fixedBytes,
  point,
  repeated,
  restBytes,
  utf8Rest,
  shortChannelId,
  struct,
  tu16,
  tu32,
  tu64,
  u16,
  u16PrefixedBytes,
  u32,
  u64,
  u8,
} from './value-codec.js';
export type { Codec, CodecValue, Field, FieldTable, FieldsOf } from './value-codec.js';
export { UNKNOWN_TLVS, tlvRecord, tlvStream } from './tlv-stream.js';
export type { TlvRecordSchema, TlvSchema, TlvStreamValue, TlvValues, UnknownTlvRecord } from './tlv-stream.js';
export { versionedRecord, type VersionedRecordCodec } from './versioned-record.js';
