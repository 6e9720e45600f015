/*
 * sigproto.h: the request format between the station and its signer process (privilege
 * separation, PRODUCT §4). One message = u32 big-endian length (1..CAP_SIGNER_MSG) + body.
 * Body = u8 op + fields, encoded with the core's cursor (strings u8-length printable ASCII,
 * blobs u16-length). Every reply starts with u8 status: SIGST_OK, or an error status followed by
 * u8 detail code and a u16-length text for people. The signer accepts nothing else.
 *
 *   SIGOP_HELLO      ->  OK str version
 *   SIGOP_ISSUE      lot, operator, chip_hex, serial, model (str), nonce (lbytes8), csr (lbytes16)
 *                    ->  OK cert (lbytes16) cert_serial (str)
 *   SIGOP_COMMIT_PW  password (str)          ->  OK commitment (32 bytes)
 *   SIGOP_INFO       -                       ->  OK json text (lbytes16)
 *   SIGOP_CRL        -                       ->  OK crl (lbytes16)
 *   SIGOP_VOID       lot, operator, chip_hex, serial, cert_serial, reason (str) -> OK
 *   SIGOP_CHECKPOINT -                       ->  OK signed checkpoint note text (lbytes16)
 */
#ifndef SIGPROTO_H
#define SIGPROTO_H

#include <stddef.h>
#include <stdint.h>

enum sig_op {
	SIGOP_HELLO = 1,
	SIGOP_ISSUE = 2,
	SIGOP_COMMIT_PW = 3,
	SIGOP_INFO = 4,
	SIGOP_CRL = 5,
	SIGOP_CHECKPOINT = 6
};

enum sig_status {
	SIGST_OK = 0,
	SIGST_POLICY = 1,  /* request refused by issuance policy; detail = -issue_rc */
	SIGST_QUOTA = 2,   /* lot quota reached */
	SIGST_HSM = 3,     /* the HSM failed */
	SIGST_LOG = 4,     /* the audit record could not be written: nothing released */
	SIGST_REQUEST = 5, /* malformed request */
	SIGST_INTERNAL = 6,
	SIGST_STARTUP = 7  /* the signer could not start (profile, PIN, token, keys) */
};

/* Sends one message. 0, or -1 with errno. */
int sigp_send(int fd, const uint8_t *body, size_t len);
/* Receives one message into buf (cap bytes). 0; -1 on I/O error or EOF (errno 0 on EOF);
 * -2 when the announced length is 0 or above cap (the stream is then unusable). */
int sigp_recv(int fd, uint8_t *buf, size_t cap, size_t *len);
const char *sigp_status_name(int status);

#endif
