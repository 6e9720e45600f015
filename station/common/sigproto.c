/* sigproto.c: length-prefixed messages on the signer socket and the names of codes; see sigproto.h. */
#include "sigproto.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, uint8_t *p, size_t n)
{
	ssize_t got;

	while (n > 0) {
		if ((got = read(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (got == 0)
			errno = 0;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int
sigp_send(int fd, const uint8_t *body, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		(uint8_t)len };

	/* S-5: the receiver refuses these lengths and the stream is then lost; refuse them here. */
	if (len == 0 || len > CAP_SIGNER_MSG) {
		errno = EMSGSIZE;
		return -1;
	}
	if (write_all(fd, hdr, 4) != 0 || write_all(fd, body, len) != 0)
		return -1;
	return 0;
}

int
sigp_recv(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t hdr[4];
	uint32_t n;

	if (read_all(fd, hdr, 4) != 0)
		return -1;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > cap)
		return -2;
	if (read_all(fd, buf, n) != 0)
		return -1;
	*len = n;
	return 0;
}

const char *
sigp_label_name(int label)
{
	switch (label) {
	case SIGL_NONE: return "none";
	case SIGL_SPOOLED: return "spooled";
	case SIGL_PRINTED: return "printed";
	case SIGL_KEPT: return "kept";
	default: return "unknown";
	}
}

const char *
sigp_status_name(int status)
{
	switch (status) {
	case SIGST_OK: return "ok";
	case SIGST_POLICY: return "refused by policy";
	case SIGST_QUOTA: return "quota reached";
	case SIGST_HSM: return "HSM failure";
	case SIGST_LOG: return "audit record failure";
	case SIGST_REQUEST: return "malformed request";
	case SIGST_STARTUP: return "signer start-up failure";
	case SIGST_STATE: return "out of sequence";
	default: return "internal signer error";
	}
}

const char *
sigp_refusal_name(int detail)
{
	static const char *const names[] = { "NONE", "LOT_NOT_OPEN", "LOT_CLOSED", "QUOTA",
		"PRODUCT_TOTAL", "CHIP_LIMIT", "MODEL", "FIRMWARE", "PROTOCOL", "DUPLICATE",
		"LOCKED_UNKNOWN", "NOT_ALLOCATED", "COLLISION", "CSR", "MODE", "NO_SESSION", "SEQUENCE",
		"NOT_CANONICAL", "FAILURES", "QUARANTINED", "PROOF", "LOOKUPS" };

	if (detail < 0 || (size_t)detail >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[detail];
}

const char *
sigp_cred_name(int kind)
{
	return kind == SIGC_WIFI ? "wifi" : kind == SIGC_MATTER ? "matter" : "unknown";
}

const char *
sigp_op_name(int op)
{
	static const char *const names[] = { "UNKNOWN", "HELLO", "SESSION", "BOARD", "COMMIT_PW",
		"ISSUE", "VERIFIED", "PASS", "FAIL", "FIXTURE_ERROR", "CERT", "STOP", "LOT_OPEN",
		"LOT_CLOSE", "LOT_STATUS", "INFO", "CRL", "CHECKPOINT", "LOOKUP", "CHECKED", "RELEASE",
		"COMMIT_CRED" };

	if (op < 1 || op > SIGOP_MAX)
		return "UNKNOWN";
	return names[op];
}

const char *
sigp_refusal_ecode(int detail)
{
	switch (detail) {
	case SIGR_LOT_NOT_OPEN:
	case SIGR_LOT_CLOSED: return "E_LOT";
	case SIGR_QUOTA_LOT:
	case SIGR_QUOTA_PRODUCT: return "E_QUOTA";
	case SIGR_CHIP_LIMIT: return "E_CHIP_LIMIT";
	case SIGR_MODEL: return "E_MODEL";
	case SIGR_FIRMWARE: return "E_FIRMWARE";
	case SIGR_PROTOCOL: return "E_PROTOCOL";
	case SIGR_DUPLICATE:
	case SIGR_COLLISION: return "E_DUPLICATE";
	case SIGR_LOCKED_UNKNOWN: return "E_LOCKED_UNKNOWN";
	case SIGR_CSR:
	case SIGR_NOT_CANONICAL: return "E_CSR";
	case SIGR_FAILURES: return "E_FAILURES";
	case SIGR_QUARANTINED: return "E_QUARANTINED";
	case SIGR_PROOF: return "E_MISMATCH";
	default: return "E_REFUSED";
	}
}

int
sigp_quarantine_code(const char *code)
{
	/* S-25: the lock failed or was not confirmed (the board may be locked with an identity
	 * it must not keep), or the certificate a resumed board holds is not the recorded one. */
	return strcmp(code, "E_LOCK") == 0 || strcmp(code, "E_LOCK_WRITES") == 0 ||
	    strcmp(code, "E_RESUME") == 0;
}
