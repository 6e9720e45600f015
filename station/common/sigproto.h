/*
 * sigproto.h: the station-signer protocol, version 4 (docs/signer-protocol.md; PRODUCT §4).
 * One codec for both processes: the board-facing station encodes requests and decodes replies,
 * the signer decodes requests and encodes replies, with the same field tables and limits.
 *
 * Framing: u32 big-endian length (1..CAP_SIGNER_MSG) + body. Request body = u8 op + the op's
 * fields; reply body = u8 status; SIGST_OK + the op's reply fields, or an error status + u8
 * detail (enum sig_refusal) + a u16-length text for people (0..SIGP_MAX_TEXT printable bytes).
 * Strings are u8-length printable ASCII; blobs u8- or u16-length. Decoders check every length
 * against its limit and refuse trailing bytes; encoders refuse what the decoder would refuse.
 *
 * Requests carry facts observed at the board (chip ID bytes, model, firmware, the CSR) and never
 * a decision: no serial, no lot quota, no profile, no path. The signer decides and records.
 */
#ifndef SIGPROTO_H
#define SIGPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "proto.h"

#define SIGP_VERSION 4
#define SIGP_MAX_NAME 64  /* lot, operator, fixture */
#define SIGP_MAX_CODE 31  /* step names, E_* codes, checkpoint triggers */
#define SIGP_MAX_TEXT (CAP_REASON - 1)
#define SIGP_MAX_CERT_SERIAL 64
#define SIGP_MAX_BLOB (CAP_SIGNER_MSG - 64) /* INFO text, CRL, checkpoint note */
#define SIGP_CHALLENGE 32 /* LOOKUP reply: the signer's challenge for a PASS board's proof (S-29) */
#define SIGP_MAX_SIG CAP_SIG /* CHECKED: the board's proof, the signature it answered to PROVE */
#define SIGP_MAX_CRED_PUBLIC 32 /* COMMIT_CRED: the Wi-Fi SSID, the Matter discriminator */
#define SIGP_MAX_CRED_SECRET 63 /* COMMIT_CRED: the Wi-Fi passphrase, the Matter passcode */

/* COMMIT_CRED: the onboarding credentials besides the login password (docs/signer-protocol.md
 * S-33). public is what the device shows anyway (the SSID it broadcasts, the discriminator it
 * advertises), recorded in clear; secret is committed only, as an HMAC under the commit key. */
enum sig_cred {
	SIGC_WIFI = 1,   /* public: SSID, 1..32 printable; secret: passphrase, 8..63 printable */
	SIGC_MATTER = 2  /* public: discriminator, decimal 0..4095; secret: passcode, 8 digits */
};
#define SIGC_MAX 2

enum sig_op {
	SIGOP_HELLO = 1,         /* u8 version -> u8 version, u8 mode, u8 separated, str ident */
	SIGOP_SESSION = 2,       /* lot, operator -> lot state (run mode; binds the session) */
	SIGOP_BOARD = 3,         /* board facts -> disposition, serial, cert serial */
	SIGOP_COMMIT_PW = 4,     /* chip, password -> - */
	SIGOP_ISSUE = 5,         /* chip, nonce, csr -> cert, cert serial */
	SIGOP_VERIFIED = 6,      /* chip -> - (firmware from the board's last board.seen) */
	SIGOP_PASS = 7,          /* chip, resumed, label -> - */
	SIGOP_FAIL = 8,          /* chip (may be empty), step, code, reason, label -> - */
	SIGOP_FIXTURE_ERROR = 9, /* fixture, reason -> - */
	SIGOP_CERT = 10,         /* chip -> cert (the recorded one of a board awaiting its lock) */
	SIGOP_STOP = 11,         /* pass, fail -> - */
	SIGOP_LOT_OPEN = 12,     /* lot -> lot state (admin mode) */
	SIGOP_LOT_CLOSE = 13,    /* lot -> lot state (admin mode) */
	SIGOP_LOT_STATUS = 14,   /* lot -> lot state */
	SIGOP_INFO = 15,         /* - -> JSON text */
	SIGOP_CRL = 16,          /* offset -> total, chunk of the CRL DER (offset 0 signs one) */
	SIGOP_CHECKPOINT = 17,   /* force, trigger -> signed, size, note */
	SIGOP_LOOKUP = 18,       /* chip -> kind, serial, cert serial, cert, reason, challenge */
	SIGOP_CHECKED = 19,      /* chip, ok, fixture, code, reason, sig -> - (end-of-line re-check) */
	SIGOP_RELEASE = 20,      /* chip, reason -> - (admin mode: lifts a quarantine) */
	SIGOP_COMMIT_CRED = 21   /* chip, kind, public, secret -> - (issue #16) */
};
#define SIGOP_MAX 21

enum sig_status {
	SIGST_OK = 0,
	SIGST_POLICY = 1,   /* refused by the product policy (detail says which rule) */
	SIGST_QUOTA = 2,    /* lot or product quota, closed or unopened lot */
	SIGST_HSM = 3,      /* the HSM failed */
	SIGST_LOG = 4,      /* the audit record could not be read or written: nothing released */
	SIGST_REQUEST = 5,  /* malformed request */
	SIGST_INTERNAL = 6,
	SIGST_STARTUP = 7,  /* the signer could not start (profile, PIN, token, keys) */
	SIGST_STATE = 8     /* the request does not follow from the recorded state */
};

/* Why the signer refused (error detail): stable, logged as cert.refused / request.refused code. */
enum sig_refusal {
	SIGR_NONE = 0,
	SIGR_LOT_NOT_OPEN = 1,   /* the lot was never opened */
	SIGR_LOT_CLOSED = 2,
	SIGR_QUOTA_LOT = 3,
	SIGR_QUOTA_PRODUCT = 4,  /* [product] total reached */
	SIGR_CHIP_LIMIT = 5,     /* [product] certs_per_chip reached */
	SIGR_MODEL = 6,          /* not the profile's model */
	SIGR_FIRMWARE = 7,       /* firmware not on the allow-list */
	SIGR_PROTOCOL = 8,       /* board protocol version */
	SIGR_DUPLICATE = 9,      /* chip already provisioned */
	SIGR_LOCKED_UNKNOWN = 10,/* locked board with no record */
	SIGR_NOT_ALLOCATED = 11, /* no serial allocated to this chip in this session */
	SIGR_COLLISION = 12,     /* password commitment or key already recorded */
	SIGR_CSR = 13,           /* the CSR failed the signer's checks */
	SIGR_MODE = 14,          /* not allowed in this session's mode */
	SIGR_NO_SESSION = 15,    /* SESSION first */
	SIGR_SEQUENCE = 16,      /* a step out of order for this board */
	SIGR_NOT_CANONICAL = 17, /* CSR not in canonical DER */
	SIGR_FAILURES = 18,      /* too many attempts of this session ended void */
	SIGR_QUARANTINED = 19,   /* the board is in quarantine (red bin) until an engineer releases it */
	SIGR_PROOF = 20,         /* CHECKED: the board's proof does not verify under its recorded cert */
	SIGR_LOOKUPS = 21        /* CAP_LOOKUP_MISSES LOOKUPs of this session found no record */
};

/* SIGMODE_VERIFY: QA re-verification of provisioned boards (`station verify`): HELLO, INFO,
 * LOOKUP, CHECKED, CHECKPOINT and STOP only, no lot and no SESSION. */
enum sig_mode { SIGMODE_RUN = 1, SIGMODE_ADMIN = 2, SIGMODE_VERIFY = 3 };

/* LOOKUP reply: what the record says of a chip. */
enum sig_record_kind {
	SIGREC_NONE = 0,        /* no device row */
	SIGREC_VERIFIED = 1,    /* recorded verified, lock pending */
	SIGREC_PASS = 2,        /* provisioned */
	SIGREC_QUARANTINED = 3  /* in quarantine: must never ship */
};
#define SIGREC_MAX 3

/* PASS and FAIL: what became of the board's product label (docs/signer-protocol.md S-31). A
 * label of a FAIL whose serial the signer voids is void. */
enum sig_label {
	SIGL_NONE = 0,    /* no label was made in this attempt */
	SIGL_SPOOLED = 1, /* written to the label directory, not sent to a printer (output = dir) */
	SIGL_PRINTED = 2, /* the printer took it; the spool copy is gone */
	SIGL_KEPT = 3     /* the printer failed: kept in the spool for `station label reprint` */
};
#define SIGL_MAX 3

/* BOARD reply: what the station does with this board. */
enum sig_disposition {
	SIGB_NEW = 1,    /* provision it: serial allocated */
	SIGB_RESUME = 2  /* recorded verified: re-check the certificate, finish the lock */
};

struct sigp_board {
	uint8_t chip[MSG_MAX_CHIP_ID];
	uint8_t chip_len; /* MSG_MIN_CHIP_ID..MSG_MAX_CHIP_ID */
	char model[MSG_MAX_STR + 1];
	char hw_rev[MSG_MAX_STR + 1];
	char fw_version[MSG_MAX_STR + 1];
	uint8_t fw_digest[MSG_DIGEST_LEN];
	uint8_t proto_version, state, debug_locked;
	char fixture[SIGP_MAX_NAME + 1];
};

/* One request: op and the fields it uses (table in sigproto-codec.c, docs/signer-protocol.md). */
struct sigp_req {
	uint8_t op;
	uint8_t version;                         /* HELLO */
	char lot[SIGP_MAX_NAME + 1];             /* SESSION, LOT_* */
	char operator_name[SIGP_MAX_NAME + 1];   /* SESSION */
	struct sigp_board board;                 /* BOARD; board.chip for the per-board ops;
	                                          * board.fixture for FIXTURE_ERROR, CHECKED */
	char password[MSG_MAX_PASSWORD + 1];     /* COMMIT_PW (wipe after use) */
	uint8_t cred_kind;                       /* COMMIT_CRED: enum sig_cred */
	char cred_public[SIGP_MAX_CRED_PUBLIC + 1]; /* COMMIT_CRED, 0..32 */
	char cred_secret[SIGP_MAX_CRED_SECRET + 1]; /* COMMIT_CRED, 1..63 (wipe after use) */
	uint8_t nonce[MSG_MAX_NONCE];            /* ISSUE */
	uint8_t nonce_len;
	const uint8_t *csr;                      /* ISSUE: points into the encoded buffer */
	size_t csr_len;
	uint8_t resumed;                         /* PASS */
	uint8_t label;                           /* PASS, FAIL: enum sig_label */
	uint8_t ok;                              /* CHECKED: 1 the re-check passed */
	uint8_t sig[SIGP_MAX_SIG];               /* CHECKED: the board's signature over PROVE_PREFIX ||
	                                          * the LOOKUP challenge; 1..SIGP_MAX_SIG bytes when
	                                          * ok, none when not */
	uint16_t sig_len;
	char step[SIGP_MAX_CODE + 1];            /* FAIL */
	char code[SIGP_MAX_CODE + 1];            /* FAIL (1..31), CHECKED (0..31, "" when ok) */
	char reason[SIGP_MAX_TEXT + 1];          /* FAIL, FIXTURE_ERROR, CHECKED, RELEASE (1..255) */
	uint32_t npass, nfail;                   /* STOP */
	uint8_t force;                           /* CHECKPOINT: 1 now, 0 only when due */
	uint32_t offset;                         /* CRL: 0 signs a new CRL; then where to read */
	char trigger[SIGP_MAX_CODE + 1];         /* CHECKPOINT */
};

struct sigp_lot {
	char lot[SIGP_MAX_NAME + 1];
	uint8_t closed;
	uint32_t quota, used;                    /* certificates in this lot */
	uint32_t product_quota, product_used;    /* certificates of the product, all lots */
	uint32_t recovered;                      /* SESSION: interrupted attempts voided */
};

/* One reply. On an error status only detail and text are set. */
struct sigp_rsp {
	uint8_t status, detail;
	char text[SIGP_MAX_TEXT + 1];
	uint8_t version, mode, separated;        /* HELLO */
	char ident[SIGP_MAX_NAME + 1];
	struct sigp_lot lot;                     /* SESSION, LOT_* */
	uint8_t disposition;                     /* BOARD */
	uint8_t kind;                            /* LOOKUP: enum sig_record_kind */
	char serial[CAP_SERIAL + 1];             /* BOARD, LOOKUP */
	char cert_serial[SIGP_MAX_CERT_SERIAL + 1]; /* BOARD (resume), ISSUE, LOOKUP */
	char reason[SIGP_MAX_TEXT + 1];          /* LOOKUP: the quarantine reason, else "" */
	uint8_t challenge[SIGP_CHALLENGE];       /* LOOKUP: fresh from the signer's CSPRNG */
	uint8_t challenge_len;                   /* SIGP_CHALLENGE when kind is SIGREC_PASS, else 0 */
	const uint8_t *blob;                     /* ISSUE/CERT/LOOKUP cert, INFO text, CRL, note */
	size_t blob_len;
	uint8_t signed_now;                      /* CHECKPOINT: 0 when not due */
	uint32_t total;                          /* CRL: its whole length (1..CAP_CRL) */
	uint32_t size_hi, size_lo;               /* CHECKPOINT tree size */
};

/* Encodes req (by req->op) into buf. 0, or a negative PRC_* code when a field breaks its limit
 * or buf (cap) is too small. *len set only on success. */
int sigp_enc_req(const struct sigp_req *req, uint8_t *buf, size_t cap, size_t *len);
/* Decodes a request body; every field checked, trailing bytes refused. 0 or negative PRC_*;
 * req->csr points into buf. An unknown op is PRC_VALUE. */
int sigp_dec_req(const uint8_t *buf, size_t len, struct sigp_req *req);
/* Encodes the reply to op. 0 or negative PRC_*. */
int sigp_enc_rsp(uint8_t op, const struct sigp_rsp *rsp, uint8_t *buf, size_t cap, size_t *len);
/* Decodes the reply to op (the station knows what it asked). 0 or negative PRC_*. */
int sigp_dec_rsp(uint8_t op, const uint8_t *buf, size_t len, struct sigp_rsp *rsp);

/* Sends one message. 0, or -1 with errno. */
int sigp_send(int fd, const uint8_t *body, size_t len);
/* Receives one message into buf (cap bytes). 0; -1 on I/O error or EOF (errno 0 on EOF);
 * -2 when the announced length is 0 or above cap (the stream is then unusable). */
int sigp_recv(int fd, uint8_t *buf, size_t cap, size_t *len);
const char *sigp_status_name(int status);
/* "none", "spooled", "printed", "kept" (enum sig_label), as logged and in events; "unknown". */
const char *sigp_label_name(int label);
/* Stable name of a refusal ("LOT_NOT_OPEN"), as logged; "UNKNOWN" for others. */
const char *sigp_refusal_name(int detail);
/* The board failure code for scripts (docs/scripting-guide.md) of a refusal: "E_MODEL", ... */
const char *sigp_refusal_ecode(int detail);
/* 1 for the FAIL codes that put a board whose lock is pending in quarantine (S-25): E_LOCK,
 * E_LOCK_WRITES, E_RESUME. One list for the signer, which decides, and the station, which says
 * whether a failed board's serial is spent. */
int sigp_quarantine_code(const char *code);
/* "wifi", "matter" (enum sig_cred), as recorded; "unknown" for others. */
const char *sigp_cred_name(int kind);
/* Name of an op ("ISSUE"), "UNKNOWN" for others. */
const char *sigp_op_name(int op);

#endif
