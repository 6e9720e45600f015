/*
 * proto.h: constants of wire protocol v1 shared by the station and every board.
 * docs/protocol.md is the normative text; requirement ids (P-n) are cited from there.
 * Portable C99, freestanding: only <stdint.h>/<stddef.h>.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1

/* P-2: frame layout (before COBS): version u8, type u8, seq u16, len u16, payload, crc32 u32. */
#define FRAME_HDR_LEN 6
#define FRAME_CRC_LEN 4
#define FRAME_MAX_PAYLOAD 1024
#define FRAME_MAX (FRAME_HDR_LEN + FRAME_MAX_PAYLOAD + FRAME_CRC_LEN)
/* COBS adds at most one byte per 254 plus one, and the 0x00 delimiter ends a frame. */
#define FRAME_MAX_WIRE (FRAME_MAX + FRAME_MAX / 254 + 2)

/* Message types. A response carries the request type with MSG_RESPONSE set (P-10). */
enum msg_type {
	MSG_HELLO = 0x01,
	MSG_SET_IDENTITY = 0x02,
	MSG_GEN_KEY = 0x03,
	MSG_READ_OBJECT = 0x04,
	MSG_WRITE_OBJECT = 0x05,
	MSG_INSTALL = 0x06,
	MSG_PROVE = 0x07,
	MSG_CONFIRM_PASSWORD = 0x08,
	MSG_LOCK = 0x09,
	MSG_SET_CRED = 0x0A,     /* SET_CREDENTIAL (P-53) */
	MSG_CONFIRM_CRED = 0x0B, /* CONFIRM_CREDENTIAL (P-54) */
	MSG_RESPONSE = 0x80,
	MSG_ERROR = 0xFF
};

/* P-20: board lifecycle, persisted. Only moves forward, except that a new SET_IDENTITY on a
 * board that is not LOCKED starts over from IDENTIFIED (a failed run can simply be run again). */
enum dev_state {
	ST_BLANK = 0,
	ST_IDENTIFIED = 1,
	ST_KEYED = 2,
	ST_CERTIFIED = 3,
	ST_LOCKED = 4
};

enum obj_id { OBJ_CSR = 1, OBJ_CHAIN = 2 };

enum key_type { KEY_EC_P256 = 1, KEY_EC_P384 = 2, KEY_RSA_2048 = 3 };

/* Capability bits in HELLO. */
#define CAP_KEY_EC_P256 (1u << 0)
#define CAP_KEY_EC_P384 (1u << 1)
#define CAP_KEY_RSA_2048 (1u << 2)
#define CAP_DEBUG_LOCK (1u << 8)
#define CAP_CRED_WIFI (1u << 9)    /* SET/CONFIRM_CREDENTIAL of kind CRED_WIFI (P-53) */
#define CAP_CRED_MATTER (1u << 10) /* ... of kind CRED_MATTER */

/* Onboarding credentials (P-53): the kind byte of SET_CREDENTIAL and CONFIRM_CREDENTIAL. */
enum cred_kind { CRED_WIFI = 1, CRED_MATTER = 2 };
/* Wi-Fi authentication and key management: the secret is the raw PSK for AKM_WPA2_PSK, the
 * passphrase for the two others (SAE needs the passphrase itself). */
enum cred_akm { AKM_WPA2_PSK = 1, AKM_WPA3_SAE = 2, AKM_WPA2_WPA3 = 3 };

/* Error codes carried in MSG_ERROR replies (P-30). Never reused, never renumbered. */
enum proto_error {
	PERR_UNKNOWN_TYPE = 1,
	PERR_BAD_LENGTH = 2,
	PERR_BAD_STATE = 3,
	PERR_LOCKED = 4,
	PERR_BAD_ARG = 5,
	PERR_NO_OBJECT = 6,
	PERR_KEY_MISMATCH = 7,
	PERR_CHAIN_INVALID = 8,
	PERR_UNSUPPORTED = 9,
	PERR_STORAGE = 10,
	PERR_CRYPTO = 11,
	PERR_BAD_VERSION = 12,
	PERR_INTERNAL = 13
};

/* Field limits (P-11). Strings are printable ASCII 0x20..0x7e, u8 length-prefixed. */
#define MSG_MAX_STR 32        /* model, hw revision, firmware version, product serial */
#define MSG_MAX_CHIP_ID 32    /* chip unique id: 1..32 bytes */
#define MSG_MIN_CHIP_ID 4
#define MSG_DIGEST_LEN 32     /* SHA-256 */
#define MSG_MIN_PASSWORD 8
#define MSG_MAX_PASSWORD 64
#define MSG_MIN_NONCE 16
#define MSG_MAX_NONCE 32
#define MSG_MIN_CHALLENGE 16
#define MSG_MAX_CHALLENGE 64
#define MSG_MAX_SIG 512
#define MSG_MAX_ERRTEXT 96
#define MSG_MAX_CHUNK (FRAME_MAX_PAYLOAD - 16) /* object data per READ/WRITE frame */
#define MSG_MAX_CSR 2048
#define MSG_MAX_CHAIN 4096
/* P-6: the smallest max_payload a board may announce: SET_IDENTITY is up to 102 bytes. */
#define MSG_MIN_MAX_PAYLOAD 128
#define MSG_MIN_PW_ITER 1
#define MSG_MAX_PW_ITER 10000000u
/* P-53: credential limits. */
#define MSG_MIN_SSID 1
#define MSG_MAX_SSID 32
#define MSG_MIN_WIFI_SECRET 8
#define MSG_MAX_WIFI_SECRET 63
#define MSG_WIFI_PSK_LEN 32          /* AKM_WPA2_PSK: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096, 32) */
#define MSG_MAX_DISCRIMINATOR 4095u  /* Matter: 12 bits */
#define MSG_MIN_MATTER_ITER 1000u
#define MSG_MAX_MATTER_ITER 100000u
#define MSG_MIN_MATTER_SALT 16
#define MSG_MAX_MATTER_SALT 32
#define MSG_MATTER_W0_LEN 32
#define MSG_MATTER_VERIFIER_LEN 97   /* w0 (32) || L (65, uncompressed P-256 point, 04 first) */
/* Longest credential payload: Wi-Fi 1 + 1+32 + 1 + 1+63 = 99, Matter 1 + 2 + 4 + 1+32 + 97 = 137.
 * A board that announces CAP_CRED_MATTER announces max_payload >= this (P-6). */
#define MSG_MAX_CRED_WIFI_LEN 99
#define MSG_MAX_CRED_MATTER_LEN 137

/* P-40: the message a board signs to prove key possession is this prefix followed by the challenge. */
#define PROVE_PREFIX "SPv1-PROVE"
#define PROVE_PREFIX_LEN 10

/* Library error codes of the codec (negative; 0 is success). */
enum proto_rc {
	PRC_OK = 0,
	PRC_SHORT = -1,    /* input ended before a field did */
	PRC_TOO_LONG = -2, /* a length is above its maximum */
	PRC_TRAILING = -3, /* bytes left after the last field */
	PRC_CRC = -4,
	PRC_VERSION = -5,
	PRC_COBS = -6,     /* malformed COBS block */
	PRC_TYPE = -7,     /* unexpected message type */
	PRC_CHARSET = -8,  /* a string holds a byte outside 0x20..0x7e */
	PRC_SPACE = -9,    /* output buffer too small */
	PRC_VALUE = -10    /* a field holds a value outside its range */
};

/* Name of a codec return code, for logs. Never NULL. */
const char *proto_strerror(int rc);
/* Short name of a PERR_* code ("BAD_STATE"), "UNKNOWN" for others. Never NULL. */
const char *proto_errname(unsigned code);
/* Name of a lifecycle state ("LOCKED"), "UNKNOWN" for others. Never NULL. */
const char *proto_statename(unsigned state);

#endif
