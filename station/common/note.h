/*
 * note.h: C2SP signed notes (c2sp.org/signed-note@v1.0.0) carrying C2SP checkpoints
 * (c2sp.org/tlog-checkpoint@v1.0.0) for the audit log (docs/auditor-guide.md).
 *
 * Checkpoint body: "<origin>\n<size>\n<base64 RFC 6962 root>\n", no extension lines.
 * Origin and key name: "station/<station id>" (the [station] id of the profile), so every
 * station's log has its own identity; a station id with a space or '+' cannot be a key name and
 * is refused.
 * Signature line: "\u2014 <key name> <base64(key ID || signature)>\n"; the audit key's type
 * decides the signature type (the signer uses Ed25519 where the HSM offers it):
 * - 0x01 Ed25519 (signed-note spec):
 *   signature = 64-byte Ed25519 signature of the note text;
 *   key ID    = first 4 bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key).
 * - 0x02 ECDSA, as the spec defines it by reference to github.com/transparency-dev/witness:
 *   signature = ASN.1 DER ECDSA-Sig-Value over SHA-256(note text), curve P-256;
 *   key ID    = first 4 bytes of SHA-256(DER SubjectPublicKeyInfo) (the spec: "the key ID for
 *               these signatures is the truncated SHA-256 hash of the DER encoded public key in
 *               SPKI format"; not the name||0x0A||type form used for Ed25519).
 * Parsing is strict (the text is untrusted): at most CAP_NOTE bytes, valid UTF-8, no control
 * characters but '\n', size in decimal without leading zeros, root exactly 32 bytes of
 * canonical base64, 1..CAP_NOTE_SIGS signature lines.
 */
#ifndef NOTE_H
#define NOTE_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"

enum note_rc {
	NOTE_OK = 0,
	NOTE_ERR_SYNTAX = -1,  /* not a well-formed checkpoint note (see the logged reason) */
	NOTE_ERR_SIG = -2,     /* no signature by the given key verifies, or one fails */
	NOTE_ERR_NOKEY = -3,   /* no signature line of the given key (name and key ID) */
	NOTE_ERR_ARG = -4,     /* an argument cannot be encoded (too long, bad origin) */
	NOTE_ERR_CRYPTO = -5   /* OpenSSL failure / out of memory */
};

struct note_sig {
	char name[CAP_ORIGIN + 1];
	uint8_t key_id[4];
	uint8_t sig[CAP_NOTE_SIG]; /* signature bytes after the key ID */
	size_t sig_len;
};

struct note_checkpoint {
	char origin[CAP_ORIGIN + 1];
	uint64_t size;
	uint8_t root[32];
	size_t text_len; /* bytes of the signed text (the body, final '\n' included) */
	struct note_sig sigs[CAP_NOTE_SIGS];
	size_t nsigs;
};

/* "station/<station_id>" into out. NOTE_ERR_ARG when the id is empty, too long, not printable
 * ASCII, or contains a space or '+'. */
int note_origin(const char *station_id, char *out, size_t cap);

/* Checkpoint body for (origin, size, root) into out (NUL-terminated); *len = strlen. */
int note_body(const char *origin, uint64_t size, const uint8_t root[32], char *out, size_t cap,
    size_t *len);

#define NOTE_SIG_ED25519 0x01
#define NOTE_SIG_ECDSA 0x02

/* Key ID of the key named name (the origin): Ed25519 (type 0x01) or EC P-256 (type 0x02), see
 * above. NOTE_ERR_ARG for another key type or curve or, for Ed25519, an empty or over-long
 * name. */
int note_key_id(EVP_PKEY *pub, const char *name, uint8_t id[4]);

/* Appends the signature line for (name, key ID, signature bytes) to note (which holds the body,
 * a blank line is inserted before the first signature): the whole note into out. */
int note_assemble(const char *body, const char *name, const uint8_t id[4], const uint8_t *sig,
    size_t siglen, char *out, size_t cap, size_t *len);

/* Parses a checkpoint note strictly; cp is filled only on success. why (may be NULL) gets a
 * sentence for people on NOTE_ERR_SYNTAX. */
int note_parse(const char *text, size_t len, struct note_checkpoint *cp, char *why, size_t wcap);

/* Verifies the parsed note (text as given to note_parse) against pub under key name
 * cp->origin: signature lines of other keys are ignored; a line with this name and key ID must
 * verify; NOTE_ERR_NOKEY when there is none. */
int note_verify(const char *text, const struct note_checkpoint *cp, EVP_PKEY *pub);

/* Standard base64 (RFC 4648 §4, padded). Encoding: out gets a NUL-terminated string, cap must
 * be >= 4*ceil(n/3)+1. Decoding is canonical (no whitespace, correct padding, zero pad bits);
 * returns the byte count or -1. */
int note_b64enc(const uint8_t *in, size_t n, char *out, size_t cap);
long note_b64dec(const char *in, size_t n, uint8_t *out, size_t cap);

/* 1 when s[0..n) is valid UTF-8 without control characters other than '\n'. */
int note_text_ok(const char *s, size_t n);

/* Loads a PEM SubjectPublicKeyInfo (EC P-256 or Ed25519 key) from memory; NULL on failure or
 * for another key type or curve. */
EVP_PKEY *note_load_pubkey_pem(const char *pem, size_t len);

const char *note_strerror(int rc);

#endif
