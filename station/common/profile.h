/*
 * profile.h: the product profile and station configuration, one INI file parsed with libinih
 * (docs/scripting-guide.md documents every key). Relative paths are resolved against the
 * profile file's directory. Errors name the file and line.
 */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdint.h>

#include "caps.h"
#include "issue.h"

struct fw_allow {
	char version[33];
	uint8_t digest[32];
};

/* Per-step timeouts (ms) and retries (docs/protocol.md P-8). */
struct step_timeouts {
	unsigned hello, set_identity, gen_key, object, install, prove, confirm, lock;
	unsigned retries;
};

/* [label]: one layout, drawn as ZPL and PNG (station/board/label-*.h; docs/scripting-guide.md
 * "The label"). Lengths are in tenths of a millimetre. */
enum label_field_kind {
	LABEL_F_PRODUCT = 0, LABEL_F_MODEL, LABEL_F_SERIAL, LABEL_F_PASSWORD, LABEL_F_QR,
	LABEL_F_SUPPORT, LABEL_F_REPORT,
	/* onboarding credentials (issue #16): only for a product that declares [wifi] / [matter] */
	LABEL_F_WIFI_SSID, LABEL_F_WIFI_QR, LABEL_F_MATTER_QR, LABEL_F_MATTER_CODE,
	LABEL_F_WIFI_PASSPHRASE, /* the passphrase as text, for a device that cannot scan */
	LABEL_F_COUNT
};
/* The kinds drawn as a QR code (at most one field of each: CAP_LABEL_CODES codes a label). */
#define LABEL_F_IS_QR(k) ((k) == LABEL_F_QR || (k) == LABEL_F_WIFI_QR || (k) == LABEL_F_MATTER_QR)
/* A QR code's caption is printed under it, centred, this high (tenths of a millimetre). */
#define LABEL_QR_CAPTION 24
#define LABEL_FMT_ZPL 1u
#define LABEL_FMT_PNG 2u
enum label_output_kind { LABEL_OUT_DIR = 0, LABEL_OUT_TCP, LABEL_OUT_CUPS, LABEL_OUT_DEVICE };
enum label_status_kind { LABEL_STATUS_NONE = 0, LABEL_STATUS_ZEBRA };

struct label_field {
	unsigned kind;     /* enum label_field_kind */
	unsigned x, y;     /* top-left corner from the label's top-left corner */
	unsigned size;     /* text: character height; qr: the side, quiet zone included */
	char caption[33];  /* text before the value ("S/N"); wifi_qr, matter_qr: under the code
	                    * (LABEL_QR_CAPTION high); "" for none */
	int line;          /* its profile line, for what only drawing finds (label_check) */
};

struct label_profile {
	unsigned width, height;   /* tenths of a millimetre */
	unsigned dpi;             /* 152, 203, 300 or 600 */
	unsigned formats;         /* LABEL_FMT_* rendered into the spool */
	unsigned send;            /* LABEL_FMT_ZPL or LABEL_FMT_PNG: what goes to the printer */
	struct label_field field[CAP_LABEL_FIELDS];
	unsigned nfield;          /* 0 in the file: the default layout (profile-label.c), with the
	                           * QR codes and Matter code of the declared [wifi] / [matter] */
	char qr_content[CAP_TEMPLATE]; /* {serial} {password} {model} {product} */
	char support_end[11];     /* YYYY-MM-DD, "" when not given */
	char report_url[CAP_LABEL_TEXT];
	char font[CAP_PATH], mono_font[CAP_PATH]; /* TrueType files for PNG (mono: serial, password) */
	unsigned output;          /* enum label_output_kind */
	char printer[CAP_PATH];   /* tcp: host; cups: queue; device: path */
	unsigned port;            /* tcp */
	unsigned status;          /* enum label_status_kind: asked of the printer around a label */
	unsigned timeout;         /* ms for one label to reach the printer (and, with status, print) */
	int line_output;          /* profile line of 'output' (0: default) for errors found later */
};

/* [wifi]: the board's own access point, a unique SSID and passphrase per board
 * (station/cred/cred-wifi.h). */
enum wifi_security { WIFI_SEC_WPA2 = 1, WIFI_SEC_WPA3 = 2, WIFI_SEC_WPA2_WPA3 = 3 };
enum wifi_alphabet { WIFI_ALPHA_PLAIN = 0, WIFI_ALPHA_PRINTABLE };
struct wifi_profile {
	int enabled;              /* the section is present */
	char ssid_prefix[25];     /* printable ASCII, 1..24 (with the suffix, at most 32) */
	unsigned ssid_suffix;     /* random characters after the prefix, 4..8 (default 6) */
	unsigned security;        /* enum wifi_security (default WPA2_WPA3); WPA2: the board
	                           * gets the PSK only, else the passphrase (SAE needs it) */
	unsigned length;          /* passphrase characters, 8..63 (default 16) */
	unsigned alphabet;        /* enum wifi_alphabet: no look-alikes (default) or 0x21..0x7E */
};
/* [matter]: a Matter setup code per board; the board gets only its SPAKE2+ verifier
 * (station/cred/cred-matter.h). */
struct matter_profile {
	int enabled;
	unsigned vendor_id, product_id; /* 16-bit, from the product's Matter certification */
	unsigned flow;                  /* commissioning flow: 0 standard, 1 user intent, 2 custom */
	unsigned rendezvous;            /* discovery bits: 1 SoftAP, 2 BLE, 4 on network */
	unsigned iterations;            /* PBKDF2 iterations, 1000..100000 (default 1000) */
	unsigned salt_len;              /* random salt bytes per board, 16..32 (default 32) */
};

struct profile {
	char path[CAP_PATH];
	uint8_t digest[32]; /* SHA-256 of the file, recorded in the audit log */
	/* [station] */
	char station_id[65];
	char database[CAP_PATH];
	char operator_name[65];
	char lot[65];
	char label_dir[CAP_PATH];
	unsigned baud;
	/* [hsm] */
	char module[CAP_PATH];
	char token_uri[CAP_TEMPLATE];
	char ca_key_uri[CAP_TEMPLATE];
	char audit_key_uri[CAP_TEMPLATE];
	char audit_key_type[8]; /* for `ca init`: "auto" (= EC P-256), "ed25519", "ec-p256" */
	unsigned max_loaded_keys; /* keys the HSM holds in use at once: 0 = no limit */
	int max_loaded_set;       /* given in the profile (else the module's known limit) */
	int allow_imported_keys;  /* `ca init` adopts keys with CKA_LOCAL false (restored backups) */
	char commit_key_uri[CAP_TEMPLATE];
	char pin_file[CAP_PATH];
	char ca_cert[CAP_PATH];
	char root_cert[CAP_PATH];
	/* [product] */
	char model[33];
	char serial_prefix[17];
	unsigned serial_digits;
	unsigned long quota;          /* certificates per lot */
	unsigned long total;          /* certificates of the product over all lots (the signer's cap) */
	unsigned long certs_per_chip; /* certificates one chip may ever receive (re-insertions) */
	/* [firmware] */
	struct fw_allow allow[CAP_ALLOWLIST];
	unsigned nallow;
	/* [password] */
	unsigned pw_length;
	unsigned pw_iterations;
	/* [wifi] and [matter] (issue #16, docs/scripting-guide.md "Onboarding credentials"): each
	 * declared section gives every board one more credential, drawn at the station */
	struct wifi_profile wifi;
	struct matter_profile matter;
	/* [certificate] */
	struct issue_profile cert;
	uint8_t key_type; /* protocol key type asked of boards (KEY_EC_P256 ...) */
	/* [timeouts] */
	struct step_timeouts to;
	/* [audit]: a signed checkpoint every checkpoint_entries new log entries and every
	 * checkpoint_interval seconds that added entries (0 = off), besides station stop and lot end */
	unsigned long checkpoint_entries;
	unsigned long checkpoint_interval;
	/* [label] */
	struct label_profile label;
	/* [fleet] (docs/fleet.md): the central registry; fleet = 0 when the section names none */
	int fleet;
	char fleet_registry[CAP_TEMPLATE];      /* a libpq connection string (no password in it) */
	char fleet_registry_file[CAP_PATH];     /* or a file holding one (mode 0600: it may hold one) */
	unsigned long fleet_serial_block;       /* serial numbers asked per lease */
	unsigned long fleet_quota_lease;        /* certificates of the lot's quota asked per lease */
	unsigned long fleet_lease_ttl;          /* seconds a quota lease may be used */
	/* [conform] test = yes: a test profile, the only kind `station conform` runs with
	 * (docs/conformance.md) */
	int conform_test;
};

/* Loads path into *p. On error returns -1 and writes "file:line: what is wrong; what to do" into
 * err (the first problem, at the line of the key that has it). Missing optional keys get
 * documented defaults; required keys are checked. Refused (docs/scripting-guide.md): templates
 * with a variable other than {serial}, {chip}, {model}, {product} or unbalanced braces;
 * [product] name, model and serial_prefix with anything but letters, digits, '-' and '_' (they
 * go into label file names and ZPL). *p is written only on success. */
int profile_load(const char *path, struct profile *p, char *err, size_t errcap);
/* Same as profile_load, but err gets every problem found, one "file:line: reason" a line
 * (truncated to errcap). */
int profile_load_all(const char *path, struct profile *p, char *err, size_t errcap);
/* Checks p->label_dir before any board: it exists, is a directory (not a link), belongs to the
 * effective user, root or other_uid (-1 = none), is not group- or world-writable, and this
 * process may write into it. 0, or -1 with "file: what is wrong; what to do" in err. */
int profile_check_label_dir(const struct profile *p, long other_uid, char *err, size_t errcap);
/* Command-line overrides of [station] lot and operator (NULL = keep the profile's): -1, with
 * nothing changed, unless each is non-empty printable text that fits. */
int profile_override(struct profile *p, const char *lot, const char *op);
/* The [label] field kind's name in the profile ("wifi_qr"), "?" for none. */
const char *profile_label_kind(unsigned kind);
/* Index of the allow-list entry matching version+digest, or -1. */
int profile_fw_allowed(const struct profile *p, const char *version, const uint8_t digest[32]);

#endif
