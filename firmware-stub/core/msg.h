/*
 * msg.h: the messages of protocol v1 (docs/protocol.md §3). Each payload has a fixed field order;
 * strings are u8-length-prefixed printable ASCII, blobs are u8- or u16-length-prefixed.
 * Every decoder reads through struct cur, checks each length against its maximum and rejects
 * trailing bytes (PRC_TRAILING). Encoders return PRC_SPACE / PRC_TOO_LONG / PRC_CHARSET / PRC_VALUE
 * on bad input and never write past cap. Requests with an empty payload (HELLO, LOCK, INSTALL's
 * response ...) have no struct; their decoders only check that the payload is empty.
 */
#ifndef MSG_H
#define MSG_H

#include "proto.h"

/* HELLO response (P-12). */
struct msg_hello {
	uint8_t proto_version;
	uint8_t state;        /* enum dev_state */
	uint8_t debug_locked; /* 0/1 */
	uint32_t caps;        /* CAP_* */
	uint16_t max_payload; /* largest request payload accepted, MSG_MIN_MAX_PAYLOAD..FRAME_MAX_PAYLOAD */
	char model[MSG_MAX_STR + 1];
	char hw_rev[MSG_MAX_STR + 1];
	char fw_version[MSG_MAX_STR + 1];
	char serial[MSG_MAX_STR + 1]; /* product serial, "" while BLANK */
	uint8_t chip_id[MSG_MAX_CHIP_ID];
	uint8_t chip_id_len; /* MSG_MIN_CHIP_ID..MSG_MAX_CHIP_ID */
	uint8_t fw_digest[MSG_DIGEST_LEN];
};

/* SET_IDENTITY request (P-13): the board stores the serial and a salted iterated verifier of the
 * password (PBKDF2-HMAC-SHA-256, its own random salt), never the password. */
struct msg_set_identity {
	char serial[MSG_MAX_STR + 1];           /* 1..MSG_MAX_STR */
	char password[MSG_MAX_PASSWORD + 1];    /* MSG_MIN_PASSWORD..MSG_MAX_PASSWORD */
	uint32_t pw_iterations;                 /* MSG_MIN_PW_ITER..MSG_MAX_PW_ITER */
};

/* GEN_KEY request (P-14): generate a key pair, keep the private key, make a CSR that carries the
 * nonce (hex) as its challengePassword attribute. The CSR is then read as OBJ_CSR. */
struct msg_gen_key {
	uint8_t key_type; /* enum key_type */
	uint8_t nonce[MSG_MAX_NONCE];
	uint8_t nonce_len; /* MSG_MIN_NONCE..MSG_MAX_NONCE */
};
/* GEN_KEY response: the CSR's length. */
struct msg_gen_key_rsp {
	uint16_t csr_len; /* 1..MSG_MAX_CSR */
};

/* READ_OBJECT request/response (P-15). */
struct msg_read_obj {
	uint8_t obj; /* enum obj_id */
	uint32_t offset;
	uint16_t max; /* 1..MSG_MAX_CHUNK */
};
struct msg_read_obj_rsp {
	uint8_t obj;
	uint32_t total;  /* whole object size */
	uint32_t offset; /* echo of the request */
	const uint8_t *data; /* points into the decoded payload */
	uint16_t data_len;   /* 0..MSG_MAX_CHUNK */
};

/* WRITE_OBJECT request/response (P-16): chunks must arrive in order (offset == bytes held). */
struct msg_write_obj {
	uint8_t obj;
	uint32_t total;  /* whole object size, 1..MSG_MAX_CHAIN */
	uint32_t offset;
	const uint8_t *data;
	uint16_t data_len; /* 0..MSG_MAX_CHUNK */
};
struct msg_write_obj_rsp {
	uint32_t held; /* bytes held contiguously from offset 0 */
};

/* INSTALL request (P-17): commit the written chain; the board checks it before accepting. */
struct msg_install {
	uint8_t obj; /* OBJ_CHAIN */
	uint32_t total;
	uint8_t sha256[MSG_DIGEST_LEN]; /* of the whole object */
};
/* INSTALL and LOCK responses. */
struct msg_state_rsp {
	uint8_t state;
	uint8_t debug_locked;
};

/* PROVE request/response (P-18). */
struct msg_prove {
	uint8_t challenge[MSG_MAX_CHALLENGE];
	uint8_t challenge_len; /* MSG_MIN_CHALLENGE..MSG_MAX_CHALLENGE */
};
struct msg_prove_rsp {
	const uint8_t *sig; /* DER signature; points into the payload */
	uint16_t sig_len;   /* 1..MSG_MAX_SIG */
};

/* CONFIRM_PASSWORD request/response (P-19). */
struct msg_confirm_pw {
	char password[MSG_MAX_PASSWORD + 1];
};
struct msg_confirm_pw_rsp {
	uint8_t match; /* 0/1 */
};

/* SET_CREDENTIAL and CONFIRM_CREDENTIAL request (P-53, P-54): one payload for both. Only the
 * fields of kind are encoded and decoded; the others are ignored by the encoder and left zero by
 * the decoder. Holds secrets (the Wi-Fi secret, the Matter verifier): wipe it after use (P-44).
 * CONFIRM_CREDENTIAL's response is struct msg_confirm_pw_rsp (a bool match, the same codec as
 * CONFIRM_PASSWORD's); SET_CREDENTIAL's is empty (msg_dec_empty). */
struct msg_cred_wifi {
	char ssid[MSG_MAX_SSID + 1];          /* MSG_MIN_SSID..MSG_MAX_SSID printable */
	uint8_t akm;                          /* enum cred_akm */
	uint8_t secret[MSG_MAX_WIFI_SECRET];  /* AKM_WPA2_PSK: the PSK; else the passphrase */
	uint8_t secret_len;                   /* 32 for a PSK; 8..63 printable for a passphrase */
};
struct msg_cred_matter {
	uint16_t discriminator;               /* 0..MSG_MAX_DISCRIMINATOR */
	uint32_t iterations;                  /* MSG_MIN_MATTER_ITER..MSG_MAX_MATTER_ITER */
	uint8_t salt[MSG_MAX_MATTER_SALT];
	uint8_t salt_len;                     /* MSG_MIN_MATTER_SALT..MSG_MAX_MATTER_SALT */
	uint8_t verifier[MSG_MATTER_VERIFIER_LEN]; /* w0 || L; L[0] (byte 32) is 0x04 */
};
struct msg_cred {
	uint8_t kind; /* enum cred_kind */
	struct msg_cred_wifi wifi;
	struct msg_cred_matter matter;
};

/* ERROR reply (P-30), sent with type MSG_ERROR and the request's seq. */
struct msg_error {
	uint16_t code;    /* enum proto_error */
	uint8_t req_type; /* type of the request refused */
	char text[MSG_MAX_ERRTEXT + 1];
};

/* Each encoder writes the payload into out (cap bytes) and sets *len. */
int msg_enc_hello(const struct msg_hello *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_hello(const uint8_t *p, size_t n, struct msg_hello *m);
int msg_enc_set_identity(const struct msg_set_identity *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_set_identity(const uint8_t *p, size_t n, struct msg_set_identity *m);
int msg_enc_gen_key(const struct msg_gen_key *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_gen_key(const uint8_t *p, size_t n, struct msg_gen_key *m);
int msg_enc_gen_key_rsp(const struct msg_gen_key_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_gen_key_rsp(const uint8_t *p, size_t n, struct msg_gen_key_rsp *m);
int msg_enc_read_obj(const struct msg_read_obj *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_read_obj(const uint8_t *p, size_t n, struct msg_read_obj *m);
int msg_enc_read_obj_rsp(const struct msg_read_obj_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_read_obj_rsp(const uint8_t *p, size_t n, struct msg_read_obj_rsp *m);
int msg_enc_write_obj(const struct msg_write_obj *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_write_obj(const uint8_t *p, size_t n, struct msg_write_obj *m);
int msg_enc_write_obj_rsp(const struct msg_write_obj_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_write_obj_rsp(const uint8_t *p, size_t n, struct msg_write_obj_rsp *m);
int msg_enc_install(const struct msg_install *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_install(const uint8_t *p, size_t n, struct msg_install *m);
int msg_enc_state_rsp(const struct msg_state_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_state_rsp(const uint8_t *p, size_t n, struct msg_state_rsp *m);
int msg_enc_prove(const struct msg_prove *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_prove(const uint8_t *p, size_t n, struct msg_prove *m);
int msg_enc_prove_rsp(const struct msg_prove_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_prove_rsp(const uint8_t *p, size_t n, struct msg_prove_rsp *m);
int msg_enc_confirm_pw(const struct msg_confirm_pw *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_confirm_pw(const uint8_t *p, size_t n, struct msg_confirm_pw *m);
int msg_enc_confirm_pw_rsp(const struct msg_confirm_pw_rsp *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_confirm_pw_rsp(const uint8_t *p, size_t n, struct msg_confirm_pw_rsp *m);
/* SET_CREDENTIAL / CONFIRM_CREDENTIAL request. The decoder checks, in wire order, each length
 * against its maximum (PRC_TOO_LONG), its minimum (PRC_VALUE) and then what remains (PRC_SHORT),
 * then trailing bytes (PRC_TRAILING), then the values: a kind other than CRED_WIFI/CRED_MATTER
 * (PRC_VALUE, at once: the rest cannot be read), an akm, a PSK that is not 32 bytes, a
 * discriminator, iterations or a verifier not starting L with 0x04 (PRC_VALUE), a passphrase byte
 * outside 0x20..0x7e (PRC_CHARSET). The encoder checks the same. Both wipe their own copies. */
int msg_enc_cred(const struct msg_cred *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_cred(const uint8_t *p, size_t n, struct msg_cred *m);
int msg_enc_error(const struct msg_error *m, uint8_t *out, size_t cap, size_t *len);
int msg_dec_error(const uint8_t *p, size_t n, struct msg_error *m);
/* For requests without fields (HELLO, LOCK): PRC_OK when n == 0, PRC_TRAILING otherwise. */
int msg_dec_empty(const uint8_t *p, size_t n);

#endif
