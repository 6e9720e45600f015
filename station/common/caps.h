/*
 * caps.h: every hard limit of the station and the signer in one place (STYLE: all caps live in
 * one header). Protocol limits are in firmware-stub/core/proto.h (board protocol) and
 * station/common/sigproto.h (signer protocol).
 */
#ifndef CAPS_H
#define CAPS_H

/* Station, fixtures and transports (xport.h) */
#define CAP_FIXTURES 256          /* fixtures per station (a range of device server ports) */
#define CAP_ATTEMPTS (2 * CAP_FIXTURES) /* boards a signer run session holds open at once */
/* Attempts of one run session that may end void before a certificate (each burns a serial);
 * beyond, the signer allocates no more: a line failing this much needs an engineer, and a
 * compromised station cannot exhaust the serial space (a session is started by the launcher). */
#define CAP_VOID_ATTEMPTS 1000
/* A board recorded verified (its lock pending) that failed this many times since is not resumed
 * again but quarantined: a board that goes silent after LOCK must not keep a valid certificate
 * and a printed label for ever (docs/signer-protocol.md S-25). */
#define CAP_RESUME_FAILS 3
/* LOOKUPs of one signer session that may find no record; beyond, every LOOKUP is refused: a
 * station guessing chip IDs to enumerate the record is stopped and shows in the log. */
#define CAP_LOOKUP_MISSES 1000
#define CAP_XPORT_NAME 128        /* a port name or USB location, with its NUL */
#define CAP_XPORT_DESC 128        /* a port's USB serial number, manufacturer or product string */
#define CAP_XPORT_LIST 128        /* ports one listing returns */
#define CAP_USB_PATH 32           /* a sysfs USB location "bus-port[.port...]" of a serial adapter */
#define CAP_USB_PORTS 7           /* port numbers of a USB location (USB 3: 7 tiers of hubs) */
#define CAP_USB_IN 4096           /* bytes asked per bulk IN transfer (a multiple of any packet size) */
#define CAP_PATH 512
#define CAP_LINE 512              /* one line of a text file read line by line (util_each_line) */
#define CAP_REASON 256            /* a failure reason for people */

/* Profile and issuance (profile.h, issue.h) */
#define CAP_PROFILE_BYTES 65536   /* profile file size */
#define CAP_ALLOWLIST 64          /* firmware allow-list entries */
#define CAP_TEMPLATE 256          /* subject / SAN template length */
#define CAP_EXPAND (2 * CAP_TEMPLATE) /* one expanded template value */
#define CAP_VALIDITY_DAYS 36500   /* [certificate] validity_days */
#define CAP_CA_YEARS 100          /* validity of the demo CA made by the key ceremony */
#define CAP_CSR_NONCE 64          /* station nonce bytes (hex in challengePassword: 128 chars) */
#define CAP_CERT_DER 4096         /* one certificate */
#define CAP_CSR_DER 2048          /* one CSR (matches MSG_MAX_CSR) */
#define CAP_CHAIN_DER 4096        /* chain sent to a board (matches MSG_MAX_CHAIN) */
#define CAP_SIG 512               /* one CA signature: RSA-4096; a DER P-256 ECDSA one is <= 72 */
#define CAP_SERIAL 32             /* product serial */
#define CAP_CERT_SERIAL_HEX 40    /* certificate serial in hex (RFC 5280 4.1.2.2: 20 octets) */
#define CAP_CRL (64L * 1024 * 1024) /* one CRL, sent to the station in SIGP_MAX_BLOB chunks */
#define CAP_SIGNER_MSG 16384      /* one request/response on the signer socket */
#define CAP_SIGNER_CHANNELS 16    /* signer sockets of one station: requests in flight at once,
                                   * and so the most one group commit holds (signer.h) */

/* HSM (p11.h) */
#define CAP_PIN 128               /* an HSM PIN, in bytes (buffers hold CAP_PIN + 1) */
#define CAP_P11_URI_VALUE 64      /* a decoded pkcs11: URI attribute value, also a label we create */
#define CAP_P11_SLOTS 1024        /* more slots than this is a broken module */
#define CAP_P11_FIND 1000         /* matching objects counted before stopping */
#define CAP_P11_KEYS 8            /* keys a signer finds and keeps usable */
#define CAP_P11_SIG 16384         /* a signature a module says needs a larger buffer */
#define CAP_EC_PARAMS 256         /* CKA_EC_PARAMS: a named-curve OID is ~10 bytes */
#define CAP_EC_POINT 512          /* CKA_EC_POINT: uncompressed P-521 in an OCTET STRING is 136 */

/* Audit record (audit.h, merkle.h, note.h, record.h, verify.h) */
#define CAP_AUDIT_FIELD 255       /* an entry's station, operator, lot, kind, chip, serial, time */
#define CAP_AUDIT_BODY 65536      /* an entry's body (compact JSON) */
#define CAP_NOTE 8192             /* one signed note (checkpoint), text + signatures */
#define CAP_NOTE_SIGS 16          /* signature lines per note (signed-note: accept >= 16) */
#define CAP_NOTE_SIG 512          /* decoded bytes of one signature (key ID + signature) */
#define CAP_ORIGIN 128            /* checkpoint origin / key name */
#define CAP_PROOF_FILE 262144     /* one tlog-proof file */
#define CAP_BUNDLE (1024L * 1024 * 1024) /* one audit bundle (JSON) */
#define CAP_LOG_ENTRIES 100000000 /* entries a verifier or the signer will load */
#define CAP_CHECKPOINTS 100000    /* checkpoints a verifier will load */
#define CAP_PEM 65536             /* a PEM key or certificate chain file */
#define CAP_VERIFY_PROBLEMS 200   /* problems a verification reports (all are counted) */
#define CAP_VERIFY_FILES 1024     /* checkpoint files given to one verification (directories expanded) */

/* Labels (label-*.h; [label] in profile.h) */
#define CAP_LABEL_FIELDS 16       /* [label] field lines */
#define CAP_LABEL_TEXT 97         /* one text of the label ([label] report_url), with its NUL */
#define CAP_LABEL_MM 1500         /* largest label side, tenths of a millimetre (150 mm) */
#define CAP_LABEL_PIXELS (4L * 1024 * 1024) /* dots of one label (width x height at its dpi) */
#define CAP_LABEL_ZPL (256L * 1024) /* one ZPL label (each QR code a ^GFA graphic field, dot by
                                     * dot: three 22 mm codes at 600 dpi take about 160 KiB) */
#define CAP_LABEL_PNG (2L * 1024 * 1024) /* one PNG label */
#define CAP_LABEL_QR 4096         /* one QR payload, bytes */
#define CAP_LABEL_CODES 3         /* QR codes of one label: qr, wifi_qr, matter_qr */
#define CAP_PRINTER_REPLY 512     /* a printer's answer to a status query (~HS: three lines) */

/* Privilege separation (privsep.h) */
#define CAP_USERNAME 64           /* a system user name (station, station-signer) */
#define CAP_PW_BUF 1048576        /* scratch of getpwnam_r/getgrnam_r (grown from 4 KiB on ERANGE) */
#define CAP_GROUPS 3              /* groups the station user keeps: its own, dialout, plugdev */
/* Sandbox (sandbox.h) */
#define CAP_SANDBOX_PATHS 64      /* paths given to sandbox_enter, read-only and read-write each */
/* TCP ports a sandboxed process may connect to: the station's network fixtures (one port each,
 * xport-net.c), or the printer helper's one port. */
#define CAP_SANDBOX_PORTS (CAP_FIXTURES + 4)

/* The fleet commands (station/fleet/, docs/fleet.md): what they read from a registry or an export */
#define CAP_FLEET_FIELD (64 * 1024)  /* one column value (the registry's own FLEET_FIELD_MAX) */
#define CAP_FLEET_LINE (256 * 1024)  /* one line (row) of an export's JSON Lines file */
#define CAP_FLEET_FETCH 5000         /* rows fetched from a registry cursor at a time */
#define CAP_FLEET_CONFLICTS 1000000  /* conflicts rows a verification holds in memory */
#define CAP_FLEET_CHECKPOINTS 10000000 /* checkpoints of one station held while its log is read */
#define CAP_FLEET_KEYS 64            /* checkpoint keys of one station */
#define CAP_FLEET_PENDING 1000000    /* claims waiting for the end of the pass (same-station re-claims) */
#define CAP_FLEET_PROBLEMS 1000      /* problems listed one by one (all are counted) */

#endif
