/*
 * stormcell's flat ABI over libsecp256k1 for WebAssembly
 * (shared/crypto/secp256k1-wasm.ts is its one caller).
 *
 * Every call exchanges its bytes through one static 256-byte buffer, `io`:
 * the caller writes its inputs at fixed offsets, calls, and reads the result
 * at offset 192. No allocation: the context lives in a static buffer, made
 * once by `init` and randomized with the caller's seed (libsecp256k1's
 * side-channel blinding). A function answers 1 on success, 0 when
 * libsecp256k1 refuses the inputs (a secret out of range, a tweak giving the
 * point at infinity, a signature that does not verify), -1 when a point does
 * not parse.
 */
#include <stddef.h>
#include "secp256k1.h"
#include "secp256k1_ecdh.h"
#include "secp256k1_preallocated.h"

#define OUT 192

static unsigned char io[256];
static unsigned char context_memory[1024] __attribute__((aligned(16)));
static secp256k1_context *ctx;

/* An API misuse (never made by our caller, which checks lengths first) or an internal error: stop. */
void secp256k1_default_illegal_callback_fn(const char *message, void *data) { (void)message; (void)data; __builtin_trap(); }
void secp256k1_default_error_callback_fn(const char *message, void *data) { (void)message; (void)data; __builtin_trap(); }

__attribute__((export_name("io"))) unsigned char *stormcell_io(void) { return io; }

/* io[0, 32): a random seed. */
__attribute__((export_name("init"))) int stormcell_init(void) {
  if (secp256k1_context_preallocated_size(SECP256K1_CONTEXT_NONE) > sizeof context_memory) return 0;
  ctx = secp256k1_context_preallocated_create(context_memory, SECP256K1_CONTEXT_NONE);
  return secp256k1_context_randomize(ctx, io);
}

static int parse(secp256k1_pubkey *point, const unsigned char *compressed) {
  return secp256k1_ec_pubkey_parse(ctx, point, compressed, 33);
}

static int serialize(const secp256k1_pubkey *point) {
  size_t length = 33;
  return secp256k1_ec_pubkey_serialize(ctx, io + OUT, &length, point, SECP256K1_EC_COMPRESSED);
}

/* io[0, 32): a secret. */
__attribute__((export_name("seckey_verify"))) int stormcell_seckey_verify(void) {
  return secp256k1_ec_seckey_verify(ctx, io);
}

/* io[0, 33): a compressed point. */
__attribute__((export_name("pubkey_verify"))) int stormcell_pubkey_verify(void) {
  secp256k1_pubkey point;
  return parse(&point, io) ? 1 : -1;
}

/* io[0, 32): a secret -> io[192, 225): secret·G. */
__attribute__((export_name("pubkey_create"))) int stormcell_pubkey_create(void) {
  secp256k1_pubkey point;
  return secp256k1_ec_pubkey_create(ctx, &point, io) && serialize(&point);
}

/* io[0, 32): a secret, io[64, 97): a point -> io[192, 224): SHA256 of the compressed secret·point (BOLT 8's ECDH). */
__attribute__((export_name("ecdh"))) int stormcell_ecdh(void) {
  secp256k1_pubkey point;
  if (!parse(&point, io + 64)) return -1;
  return secp256k1_ecdh(ctx, io + OUT, &point, io, NULL, NULL);
}

/* io[0, 32): a digest, io[64, 96): a secret -> io[192, 256): the compact low-S signature (RFC 6979 nonce). */
__attribute__((export_name("sign"))) int stormcell_sign(void) {
  secp256k1_ecdsa_signature signature;
  return secp256k1_ecdsa_sign(ctx, &signature, io, io + 64, NULL, NULL) &&
         secp256k1_ecdsa_signature_serialize_compact(ctx, io + OUT, &signature);
}

/* io[0, 64): a compact signature, io[64, 96): a digest, io[128, 161): a point. A high-S signature does not verify. */
__attribute__((export_name("verify"))) int stormcell_verify(void) {
  secp256k1_ecdsa_signature signature;
  secp256k1_pubkey point;
  if (!parse(&point, io + 128)) return -1;
  return secp256k1_ecdsa_signature_parse_compact(ctx, &signature, io) && secp256k1_ecdsa_verify(ctx, &signature, io + 64, &point);
}

/* io[0, 33): a point, io[64, 96): a tweak -> io[192, 225): point + tweak·G. */
__attribute__((export_name("pubkey_tweak_add"))) int stormcell_pubkey_tweak_add(void) {
  secp256k1_pubkey point;
  if (!parse(&point, io)) return -1;
  return secp256k1_ec_pubkey_tweak_add(ctx, &point, io + 64) && serialize(&point);
}

/* io[0, 33): a point, io[64, 96): a tweak -> io[192, 225): tweak·point. */
__attribute__((export_name("pubkey_tweak_mul"))) int stormcell_pubkey_tweak_mul(void) {
  secp256k1_pubkey point;
  if (!parse(&point, io)) return -1;
  return secp256k1_ec_pubkey_tweak_mul(ctx, &point, io + 64) && serialize(&point);
}

/* io[0, 33): a point, io[64, 97): a point -> io[192, 225): their sum. */
__attribute__((export_name("pubkey_add"))) int stormcell_pubkey_add(void) {
  secp256k1_pubkey a, b, sum;
  const secp256k1_pubkey *both[2] = {&a, &b};
  if (!parse(&a, io) || !parse(&b, io + 64)) return -1;
  return secp256k1_ec_pubkey_combine(ctx, &sum, both, 2) && serialize(&sum);
}
