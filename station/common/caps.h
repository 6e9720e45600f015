/*
 * caps.h: every hard limit of the station in one place (STYLE: all caps live in one header).
 * Protocol limits are in firmware-stub/core/proto.h.
 */
#ifndef CAPS_H
#define CAPS_H

#define CAP_FIXTURES 64           /* fixtures per station */
#define CAP_ATTEMPTS (2 * CAP_FIXTURES) /* boards a signer run session holds open at once */
#define CAP_PROFILE_BYTES 65536   /* profile file size */
#define CAP_ALLOWLIST 64          /* firmware allow-list entries */
#define CAP_TEMPLATE 256          /* subject / SAN template length */
#define CAP_PATH 512
#define CAP_LINE 512              /* one line of a text file read line by line (util_each_line) */
#define CAP_CERT_DER 4096         /* one certificate */
#define CAP_CSR_DER 2048          /* one CSR (matches MSG_MAX_CSR) */
#define CAP_CHAIN_DER 4096        /* chain sent to a board (matches MSG_MAX_CHAIN) */
#define CAP_SIGNER_MSG 16384      /* one request/response on the signer socket */
#define CAP_PIN 128
#define CAP_REASON 256            /* a failure reason for people */
#define CAP_SERIAL 32             /* product serial */
#define CAP_CERT_SERIAL_HEX 40    /* certificate serial in hex (RFC 5280 4.1.2.2: 20 octets) */
/* Audit record (merkle.h, note.h, record.h) */
#define CAP_NOTE 8192             /* one signed note (checkpoint), text + signatures */
#define CAP_NOTE_SIGS 16          /* signature lines per note (signed-note: accept >= 16) */
#define CAP_NOTE_SIG 512          /* decoded bytes of one signature (key ID + signature) */
#define CAP_ORIGIN 128            /* checkpoint origin / key name */
#define CAP_PROOF_FILE 262144     /* one tlog-proof file */
#define CAP_BUNDLE (1024L * 1024 * 1024) /* one audit bundle (JSON) */
#define CAP_LOG_ENTRIES 100000000 /* entries a verifier or the signer will load */
#define CAP_CHECKPOINTS 100000    /* checkpoints a verifier will load */
#define CAP_PEM 65536             /* a PEM key or certificate chain file */
/* Privilege separation (privsep.h) */
#define CAP_USERNAME 64           /* a system user name (station, station-signer) */
#define CAP_PW_BUF 1048576        /* scratch of getpwnam_r/getgrnam_r (grown from 4 KiB on ERANGE) */
/* Sandbox (sandbox.h) */
#define CAP_SANDBOX_PATHS 64      /* paths given to sandbox_enter, read-only and read-write each */

#endif
