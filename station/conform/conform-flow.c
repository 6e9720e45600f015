/*
 * conform-flow.c: the lifecycle checks: each step of a provisioning (SET_IDENTITY, GEN_KEY, the
 * CSR, WRITE_OBJECT, INSTALL, PROVE, CONFIRM_PASSWORD, the credentials (conform-cred.c) and,
 * only when allowed, LOCK), in each reachable state the refusals of the state table of P-20, each
 * step's own refusals, and the retransmission of a write (P-9). The board ends CERTIFIED with a
 * test identity (serial CONFORM-..., a certificate of the run's throwaway CA), or LOCKED with
 * --allow-lock.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "conform-int.h"
#include "conform-vectors.h"
#include "issue.h"
#include "prove.h"
#include "util.h"

/* ---- requests ---- */

static int
call_gen_key(struct cx *c, uint8_t key_type, const uint8_t *nonce, size_t n)
{
	struct msg_gen_key m;
	uint8_t p[64];
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.key_type = key_type;
	memcpy(m.nonce, nonce, n);
	m.nonce_len = (uint8_t)n;
	if (msg_enc_gen_key(&m, p, sizeof(p), &len) != PRC_OK)
		return CS_IO;
	return cs_call(&c->s, MSG_GEN_KEY, p, len);
}

static int
call_read(struct cx *c, uint8_t obj, uint32_t offset, uint16_t max)
{
	struct msg_read_obj m = { obj, offset, max };
	uint8_t p[16];
	size_t len = 0;

	if (msg_enc_read_obj(&m, p, sizeof(p), &len) != PRC_OK)
		return CS_IO;
	return cs_call(&c->s, MSG_READ_OBJECT, p, len);
}

static int
call_write(struct cx *c, uint8_t obj, uint32_t total, uint32_t offset, const uint8_t *d,
    size_t n)
{
	static uint8_t p[FRAME_MAX_PAYLOAD];
	struct msg_write_obj m;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.obj = obj;
	m.total = total;
	m.offset = offset;
	m.data = d;
	m.data_len = (uint16_t)n;
	if (msg_enc_write_obj(&m, p, sizeof(p), &len) != PRC_OK)
		return CS_IO;
	return cs_call(&c->s, MSG_WRITE_OBJECT, p, len);
}

static int
call_install(struct cx *c, uint32_t total, const uint8_t sha[32])
{
	struct msg_install m;
	uint8_t p[64];
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.obj = OBJ_CHAIN;
	m.total = total;
	memcpy(m.sha256, sha, 32);
	if (msg_enc_install(&m, p, sizeof(p), &len) != PRC_OK)
		return CS_IO;
	return cs_call(&c->s, MSG_INSTALL, p, len);
}

static int
call_prove(struct cx *c, const uint8_t *ch, size_t n)
{
	struct msg_prove m;
	uint8_t p[80];
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	memcpy(m.challenge, ch, n);
	m.challenge_len = (uint8_t)n;
	if (msg_enc_prove(&m, p, sizeof(p), &len) != PRC_OK)
		return CS_IO;
	return cs_call(&c->s, MSG_PROVE, p, len);
}

static int
call_confirm(struct cx *c, const char *pw)
{
	struct msg_confirm_pw m;
	uint8_t p[80];
	size_t len = 0;
	int r;

	memset(&m, 0, sizeof(m));
	snprintf(m.password, sizeof(m.password), "%s", pw);
	r = msg_enc_confirm_pw(&m, p, sizeof(p), &len) == PRC_OK ?
	    cs_call(&c->s, MSG_CONFIRM_PASSWORD, p, len) : CS_IO;
	util_wipe(&m, sizeof(m));
	util_wipe(p, sizeof(p));
	return r;
}

static int
call_set_identity(struct cx *c)
{
	struct msg_set_identity m;
	uint8_t p[128];
	size_t len = 0;
	int r;

	memset(&m, 0, sizeof(m));
	snprintf(m.serial, sizeof(m.serial), "%s", c->serial);
	snprintf(m.password, sizeof(m.password), "%s", c->password);
	m.pw_iterations = c->o->prof->pw_iterations;
	r = msg_enc_set_identity(&m, p, sizeof(p), &len) == PRC_OK ?
	    cs_call(&c->s, MSG_SET_IDENTITY, p, len) : CS_IO;
	util_wipe(&m, sizeof(m));
	util_wipe(p, sizeof(p));
	return r;
}

/* ---- the state table (P-20, P-21) ---- */

enum want { W_NO_OBJECT = -1, W_OK = -2 };

struct probe {
	uint8_t type;
	uint8_t obj;  /* READ_OBJECT: which object */
	int want;     /* an error code, W_NO_OBJECT or W_OK (a read that must work) */
};

/* Sends one request of the table with a well-formed payload. */
static int
probe_send(struct cx *c, const struct probe *pr)
{
	static const uint8_t zero[32];
	uint8_t nonce[16], d[10];

	(void)RAND_bytes(nonce, sizeof(nonce));
	memset(d, 0xa5, sizeof(d));
	switch (pr->type) {
	case MSG_SET_IDENTITY: return call_set_identity(c);
	case MSG_GEN_KEY: return call_gen_key(c, c->key_type, nonce, sizeof(nonce));
	case MSG_READ_OBJECT: return call_read(c, pr->obj, 0, 100);
	case MSG_WRITE_OBJECT: return call_write(c, OBJ_CHAIN, 100, 0, d, sizeof(d));
	case MSG_INSTALL: return call_install(c, 100, zero);
	case MSG_PROVE: return call_prove(c, nonce, sizeof(nonce));
	case MSG_CONFIRM_PASSWORD: return call_confirm(c, c->password[0] ? c->password :
	    "conform-probe");
	case MSG_LOCK: return cs_call(&c->s, MSG_LOCK, NULL, 0);
	default: return cs_call(&c->s, pr->type, NULL, 0);
	}
}

static const char *
tname(uint8_t t)
{
	static const char *const n[] = { "?", "HELLO", "SET_IDENTITY", "GEN_KEY", "READ_OBJECT",
		"WRITE_OBJECT", "INSTALL", "PROVE", "CONFIRM_PASSWORD", "LOCK", "SET_CREDENTIAL",
		"CONFIRM_CREDENTIAL" };

	return t <= MSG_CONFIRM_CRED ? n[t] : "?";
}

static int
probe_ok(struct cx *c, const struct probe *pr, int r)
{
	if (pr->want == W_OK)
		return cs_is_response(&c->s, r, pr->type);
	if (pr->want == W_NO_OBJECT)
		return cs_is_error(&c->s, r, PERR_NO_OBJECT, pr->type);
	return cs_is_error(&c->s, r, (uint16_t)pr->want, pr->type);
}

/* Runs the probes of one state; one report line. LOCK probes only with --allow-lock. */
static void
state_row(struct cx *c, const char *name, const struct probe *pr, size_t n)
{
	char exp[160], seen[240], d[120];
	size_t i, used = 0;
	int r, bad = 0, lock_skipped = 0;

	cx_begin(c);
	snprintf(exp, sizeof(exp), "each request answered as the table of P-20 says (%zu requests)",
	    n);
	seen[0] = '\0';
	for (i = 0; i < n; i++) {
		/* never LOCK without --allow-lock, whatever state the board said it was in: a
		 * board that said LOCKED by mistake would take it (red team, issue #17) */
		if (pr[i].type == MSG_LOCK && !c->o->allow_lock) {
			lock_skipped = 1;
			continue;
		}
		r = probe_send(c, &pr[i]);
		if (r == CS_HANGUP || r == CS_IO) {
			cs_describe(&c->s, r, d, sizeof(d));
			cx_report(c, name, CONFORM_FAIL, exp, "%s: %s", tname(pr[i].type), d);
			return;
		}
		if (!probe_ok(c, &pr[i], r)) {
			cs_describe(&c->s, r, d, sizeof(d));
			used += (size_t)snprintf(seen + used, used < sizeof(seen) ? sizeof(seen) - used : 0,
			    "%s%s%s: %s (expected %s)", bad ? "; " : "", tname(pr[i].type),
			    pr[i].type == MSG_READ_OBJECT ? (pr[i].obj == OBJ_CSR ? "(CSR)" : "(chain)") :
			    "", d, pr[i].want == W_OK ? "a response" : pr[i].want == W_NO_OBJECT ?
			    "NO_OBJECT" : proto_errname((unsigned)pr[i].want));
			if (used >= sizeof(seen))
				used = sizeof(seen) - 1;
			bad = 1;
		}
	}
	if (bad)
		cx_report(c, name, CONFORM_FAIL, exp, "%s", seen);
	else
		cx_report(c, name, CONFORM_PASS, exp, "as documented%s", lock_skipped ?
		    " (LOCK not sent: --allow-lock)" : "");
}

static const struct probe row_blank[] = {
	{ MSG_GEN_KEY, 0, PERR_BAD_STATE }, { MSG_READ_OBJECT, OBJ_CSR, W_NO_OBJECT },
	{ MSG_READ_OBJECT, OBJ_CHAIN, W_NO_OBJECT }, { MSG_WRITE_OBJECT, 0, PERR_BAD_STATE },
	{ MSG_INSTALL, 0, PERR_BAD_STATE }, { MSG_PROVE, 0, PERR_BAD_STATE },
	{ MSG_CONFIRM_PASSWORD, 0, PERR_BAD_STATE }, { MSG_LOCK, 0, PERR_BAD_STATE },
};
static const struct probe row_identified[] = {
	{ MSG_READ_OBJECT, OBJ_CSR, W_NO_OBJECT }, { MSG_READ_OBJECT, OBJ_CHAIN, W_NO_OBJECT },
	{ MSG_WRITE_OBJECT, 0, PERR_BAD_STATE }, { MSG_INSTALL, 0, PERR_BAD_STATE },
	{ MSG_PROVE, 0, PERR_BAD_STATE }, { MSG_LOCK, 0, PERR_BAD_STATE },
	{ MSG_HELLO, 0, W_OK }, { MSG_CONFIRM_PASSWORD, 0, W_OK },
};
static const struct probe row_keyed[] = {
	{ MSG_READ_OBJECT, OBJ_CSR, W_OK }, { MSG_READ_OBJECT, OBJ_CHAIN, W_NO_OBJECT },
	{ MSG_PROVE, 0, PERR_BAD_STATE }, { MSG_LOCK, 0, PERR_BAD_STATE },
	{ MSG_HELLO, 0, W_OK }, { MSG_CONFIRM_PASSWORD, 0, W_OK },
};
static const struct probe row_certified[] = {
	{ MSG_GEN_KEY, 0, PERR_BAD_STATE }, { MSG_WRITE_OBJECT, 0, PERR_BAD_STATE },
	{ MSG_INSTALL, 0, PERR_BAD_STATE }, { MSG_READ_OBJECT, OBJ_CSR, W_OK },
	{ MSG_READ_OBJECT, OBJ_CHAIN, W_OK }, { MSG_HELLO, 0, W_OK },
	{ MSG_CONFIRM_PASSWORD, 0, W_OK },
};
static const struct probe row_locked[] = {
	{ MSG_SET_IDENTITY, 0, PERR_LOCKED }, { MSG_GEN_KEY, 0, PERR_LOCKED },
	{ MSG_WRITE_OBJECT, 0, PERR_LOCKED }, { MSG_INSTALL, 0, PERR_LOCKED },
	{ MSG_LOCK, 0, PERR_LOCKED }, { MSG_HELLO, 0, W_OK },
	{ MSG_READ_OBJECT, OBJ_CSR, W_OK }, { MSG_READ_OBJECT, OBJ_CHAIN, W_OK },
	{ MSG_PROVE, 0, W_OK }, { MSG_CONFIRM_PASSWORD, 0, W_OK },
};
#define ROW(r) (r), sizeof(r) / sizeof((r)[0])

/* ---- objects ---- */

/* Reads an object in chunks of max bytes; each reply must be exactly min(max, total - offset)
 * (P-15). 0, or -1 with seen saying what was wrong. */
static int
read_object(struct cx *c, uint8_t obj, uint16_t max, uint8_t *out, size_t cap, size_t *len,
    char *seen, size_t scap)
{
	struct msg_read_obj_rsp m;
	uint32_t off = 0, total = 0, want;
	unsigned chunks = 0;
	int r;

	do {
		r = call_read(c, obj, off, max);
		if (!cs_is_response(&c->s, r, MSG_READ_OBJECT)) {
			cs_describe(&c->s, r, seen, scap);
			return -1;
		}
		if ((r = msg_dec_read_obj_rsp(c->s.rpay, c->s.rlen, &m)) != PRC_OK) {
			snprintf(seen, scap, "a READ_OBJECT response the codec refuses: %s",
			    proto_strerror(r));
			return -1;
		}
		if (chunks == 0)
			total = m.total;
		want = total - off < max ? total - off : max;
		if (m.obj != obj || m.offset != off || m.total != total || m.data_len != want ||
		    total > cap) {
			snprintf(seen, scap, "chunk at offset %u: obj %u, total %u, offset %u, %u bytes "
			    "(expected obj %u, total %u, offset %u, %u bytes)", off, m.obj, m.total,
			    m.offset, m.data_len, obj, total, off, want);
			return -1;
		}
		memcpy(out + off, m.data, m.data_len);
		off += m.data_len;
		chunks++;
	} while (off < total);
	*len = total;
	snprintf(seen, scap, "%u bytes in %u chunks of at most %u", total, chunks, max);
	return 0;
}

/* Writes data as the chain in chunks that fit the board's max_payload. 0 or -1 (seen set). */
static int
write_chain(struct cx *c, const uint8_t *d, size_t n, char *seen, size_t scap)
{
	struct msg_write_obj_rsp m;
	size_t chunk = c->max_payload - 11u, off = 0, k;
	int r;

	if (chunk > MSG_MAX_CHUNK)
		chunk = MSG_MAX_CHUNK;
	while (off < n) {
		k = n - off < chunk ? n - off : chunk;
		r = call_write(c, OBJ_CHAIN, (uint32_t)n, (uint32_t)off, d + off, k);
		if (!cs_is_response(&c->s, r, MSG_WRITE_OBJECT)) {
			char dd[120];

			cs_describe(&c->s, r, dd, sizeof(dd));
			snprintf(seen, scap, "chunk at %zu: %s", off, dd);
			return -1;
		}
		if (msg_dec_write_obj_rsp(c->s.rpay, c->s.rlen, &m) != PRC_OK || m.held != off + k) {
			snprintf(seen, scap, "chunk at %zu: held %u, expected %zu", off, m.held, off + k);
			return -1;
		}
		off += k;
	}
	snprintf(seen, scap, "%zu bytes in chunks of at most %zu, held as sent", n, chunk);
	return 0;
}

static int
sha_of(const uint8_t *d, size_t n, uint8_t out[32])
{
	return SHA256(d, n, out) != NULL ? 0 : -1;
}

/* ---- steps ---- */

static const char *const flow_checks[] = { "state.BLANK", "step.set-identity",
	"state.IDENTIFIED", "confirm.match", "confirm.mismatch", "cred.set", "cred.confirm",
	"cred.mismatch", "cred.replace", "cred.refuse", "cred.unsupported", "retransmit.gen-key",
	"vector.V-5",
	"refuse.gen-key", "step.gen-key", "step.read-csr", "csr.der", "csr.canonical",
	"csr.signature", "csr.key-type", "csr.subject", "csr.challenge", "csr.attributes",
	"state.KEYED", "cred.keyed", "vector.V-9", "vector.V-11", "refuse.read", "refuse.write", "step.write-chain",
	"refuse.install-digest", "refuse.install-chain", "refuse.install-key", "step.install",
	"state.CERTIFIED", "step.read-chain", "prove.signature", "retransmit.prove", "cred.certified",
	"step.lock", "state.LOCKED", "vector.V-19", "cred.locked", NULL };

/* Everything from name on is skipped with why. */
static void
skip_from(struct cx *c, const char *name, const char *why)
{
	size_t i = 0;

	if (name != NULL)
		while (flow_checks[i] != NULL && strcmp(flow_checks[i], name) != 0)
			i++;
	for (; flow_checks[i] != NULL; i++)
		cx_skip(c, flow_checks[i], why);
}

static void
make_identity(struct cx *c)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	uint8_t r[24];
	char hex[9];
	size_t i;

	(void)RAND_bytes(r, sizeof(r));
	snprintf(c->serial, sizeof(c->serial), "%s%s", CONFORM_SERIAL_PREFIX,
	    util_hex(r, 4, hex, sizeof(hex)));
	for (i = 0; i < 20; i++)
		c->password[i] = alpha[r[4 + i] % (sizeof(alpha) - 1)];
	c->password[20] = '\0';
	util_wipe(r, sizeof(r));
}

static int
set_identity(struct cx *c)
{
	struct msg_hello h;
	char seen[160], why[160];
	int r;

	cx_begin(c);
	make_identity(c);
	r = call_set_identity(c);
	if (!cs_is_response(&c->s, r, MSG_SET_IDENTITY) || c->s.rlen != 0) {
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "step.set-identity", CONFORM_FAIL, "an empty SET_IDENTITY response, then "
		    "HELLO: IDENTIFIED with the serial (P-13)", "%s", seen);
		return -1;
	}
	if (cx_hello(c, &h, why, sizeof(why)) != 0 || h.state != ST_IDENTIFIED ||
	    strcmp(h.serial, c->serial) != 0) {
		cx_report(c, "step.set-identity", CONFORM_FAIL, "an empty SET_IDENTITY response, then "
		    "HELLO: IDENTIFIED with the serial (P-13)", "then HELLO: %s",
		    why[0] && c->state < 0 ? why : proto_statename(h.state));
		return -1;
	}
	cx_report(c, "step.set-identity", CONFORM_PASS, "an empty SET_IDENTITY response, then HELLO: "
	    "IDENTIFIED with the serial (P-13)", "IDENTIFIED, serial %s, %u PBKDF2 iterations",
	    c->serial, c->o->prof->pw_iterations);
	return 0;
}

static void
confirm(struct cx *c)
{
	char seen[160], wrong[MSG_MAX_PASSWORD + 1];
	struct msg_confirm_pw_rsp m;
	int r;

	cx_begin(c);
	r = call_confirm(c, c->password);
	cs_describe(&c->s, r, seen, sizeof(seen));
	if (cs_is_response(&c->s, r, MSG_CONFIRM_PASSWORD) &&
	    msg_dec_confirm_pw_rsp(c->s.rpay, c->s.rlen, &m) == PRC_OK)
		snprintf(seen, sizeof(seen), "match %u", m.match);
	else
		m.match = 0xff;
	cx_report(c, "confirm.match", m.match == 1 ? CONFORM_PASS : CONFORM_FAIL, "the password "
	    "given at SET_IDENTITY: match 1 (PBKDF2-HMAC-SHA-256 verifier, P-19, P-42)", "%s", seen);

	cx_begin(c);
	snprintf(wrong, sizeof(wrong), "%s", c->password);
	wrong[7] = wrong[7] == 'x' ? 'y' : 'x';
	r = call_confirm(c, wrong);
	util_wipe(wrong, sizeof(wrong));
	cs_describe(&c->s, r, seen, sizeof(seen));
	if (cs_is_response(&c->s, r, MSG_CONFIRM_PASSWORD) &&
	    msg_dec_confirm_pw_rsp(c->s.rpay, c->s.rlen, &m) == PRC_OK) {
		unsigned first = m.match;

		/* V-15's password, which is not this run's */
		r = call_confirm(c, "correct horse 42");
		if (cs_is_response(&c->s, r, MSG_CONFIRM_PASSWORD) &&
		    msg_dec_confirm_pw_rsp(c->s.rpay, c->s.rlen, &m) == PRC_OK) {
			snprintf(seen, sizeof(seen), "one character changed: match %u; V-15's "
			    "password: match %u", first, m.match);
			m.match = (uint8_t)(first | m.match);
		} else {
			cs_describe(&c->s, r, seen, sizeof(seen));
			m.match = 0xff;
		}
	} else {
		m.match = 0xff;
	}
	cx_report(c, "confirm.mismatch", m.match == 0 ? CONFORM_PASS : CONFORM_FAIL, "another "
	    "password: match 0, a normal response (P-19)", "%s", seen);
}

/* GEN_KEY with the nonce; the CSR read back into c->csr. 0 or -1 (seen set). */
static int
gen_key(struct cx *c, uint8_t kt, const uint8_t *nonce, size_t n, char *seen, size_t cap)
{
	struct msg_gen_key_rsp m;
	int r;

	r = call_gen_key(c, kt, nonce, n);
	if (!cs_is_response(&c->s, r, MSG_GEN_KEY)) {
		cs_describe(&c->s, r, seen, cap);
		return -1;
	}
	if ((r = msg_dec_gen_key_rsp(c->s.rpay, c->s.rlen, &m)) != PRC_OK) {
		snprintf(seen, cap, "a GEN_KEY response the codec refuses: %s", proto_strerror(r));
		return -1;
	}
	c->csr_len = m.csr_len;
	snprintf(seen, cap, "csr_len %u", m.csr_len);
	return 0;
}

static void
csr_checks(struct cx *c)
{
	char seen[240];
	int ok;

	cx_begin(c);
	EVP_PKEY_free(c->csr_pub);
	c->csr_pub = NULL;
	ok = cx_csr_parse(c->csr, c->csr_len, &c->csr_pub, seen, sizeof(seen));
	cx_report(c, "csr.der", ok ? CONFORM_PASS : CONFORM_FAIL, "one DER PKCS#10 v1 request, "
	    "nothing after it (P-41)", "%s", seen);
	cx_begin(c);
	cx_report(c, "csr.canonical", issue_csr_is_canonical(c->csr, c->csr_len) ? CONFORM_PASS :
	    CONFORM_FAIL, "canonical DER: re-encoding gives the same bytes", "%s",
	    issue_csr_is_canonical(c->csr, c->csr_len) ? "canonical" : "not canonical DER");
	cx_begin(c);
	ok = cx_csr_signature(c->csr, c->csr_len, seen, sizeof(seen));
	cx_report(c, "csr.signature", ok ? CONFORM_PASS : CONFORM_FAIL, "self-signature with "
	    "SHA-256 or stronger that verifies under the request's key (P-41)", "%s", seen);
	cx_begin(c);
	ok = cx_csr_key_type(c->csr_pub, c->key_type, seen, sizeof(seen));
	cx_report(c, "csr.key-type", ok ? CONFORM_PASS : CONFORM_FAIL, c->key_type == KEY_EC_P256 ?
	    "the key type asked: EC P-256 (P-14)" : c->key_type == KEY_EC_P384 ?
	    "the key type asked: EC P-384 (P-14)" : "the key type asked: RSA-2048 (P-14)", "%s",
	    seen);
	cx_begin(c);
	ok = cx_csr_subject(c->csr, c->csr_len, c->hello.chip_id, c->hello.chip_id_len, seen,
	    sizeof(seen));
	cx_report(c, "csr.subject", ok ? CONFORM_PASS : CONFORM_FAIL, "subject CN=<chip id in "
	    "lower-case hex> and nothing else (P-41)", "%s", seen);
	cx_begin(c);
	ok = cx_csr_challenge(c->csr, c->csr_len, c->nonce, c->nonce_len, seen, sizeof(seen));
	cx_report(c, "csr.challenge", ok ? CONFORM_PASS : CONFORM_FAIL, "challengePassword = this "
	    "GEN_KEY's nonce in lower-case hex (P-41)", "%s", seen);
	cx_begin(c);
	ok = cx_csr_attributes(c->csr, c->csr_len, seen, sizeof(seen));
	cx_report(c, "csr.attributes", ok ? CONFORM_PASS : CONFORM_FAIL, "no attribute but "
	    "challengePassword and extensionRequest, no critical extension requested", "%s", seen);
}

/* GEN_KEY with V-5's payload, at once sent again with its seq (P-9: the same reply, not a
 * second key), then the CSR: it carries 101112...1f. (A retransmission executed again shows in
 * retransmit.prove, whose randomised signatures differ.) */
static int
keygen_vectors(struct cx *c)
{
	static const uint8_t v5nonce[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
	uint8_t first[FRAME_MAX_PAYLOAD];
	size_t flen, n = 0;
	uint8_t ftype;
	char seen[240];
	int r;

	cx_begin(c);
	if (!(c->hello.caps & CAP_KEY_EC_P256)) {
		cx_skip(c, "vector.V-5", "the board does not announce EC P-256");
		cx_skip(c, "retransmit.gen-key", "needs vector.V-5");
		return 0;
	}
	memcpy(c->nonce, v5nonce, sizeof(v5nonce));
	c->nonce_len = sizeof(v5nonce);
	if (gen_key(c, KEY_EC_P256, v5nonce, sizeof(v5nonce), seen, sizeof(seen)) != 0) {
		cx_report(c, "vector.V-5", CONFORM_FAIL, "V-5's GEN_KEY: a CSR whose challengePassword "
		    "is 101112131415161718191a1b1c1d1e1f", "%s", seen);
		cx_skip(c, "retransmit.gen-key", "needs vector.V-5");
		return -1;
	}
	ftype = c->s.rtype;
	flen = c->s.rlen;
	memcpy(first, c->s.rpay, flen);
	r = cs_resend(&c->s);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "retransmit.gen-key", r == CS_OK && c->s.rtype == ftype && c->s.rlen == flen &&
	    memcmp(first, c->s.rpay, flen) == 0 ? CONFORM_PASS : CONFORM_FAIL, "a GEN_KEY sent "
	    "again with its seq gets the same reply (P-9)", "%s%s", seen, r == CS_OK &&
	    (c->s.rtype != ftype || c->s.rlen != flen || memcmp(first, c->s.rpay, flen) != 0) ?
	    ", another reply" : ", the same reply");
	cx_begin(c);
	if (read_object(c, OBJ_CSR, MSG_MAX_CHUNK, c->csr, sizeof(c->csr), &n, seen,
	        sizeof(seen)) != 0 || n != c->csr_len) {
		cx_report(c, "vector.V-5", CONFORM_FAIL, "V-5's GEN_KEY: a CSR whose challengePassword "
		    "is 101112131415161718191a1b1c1d1e1f", "%s", seen);
		return c->s.lost ? -1 : 0; /* GEN_KEY worked: the steps go on */
	}
	r = cx_csr_challenge(c->csr, c->csr_len, v5nonce, sizeof(v5nonce), seen, sizeof(seen));
	cx_report(c, "vector.V-5", r ? CONFORM_PASS : CONFORM_FAIL, "V-5's GEN_KEY: a CSR whose "
	    "challengePassword is 101112131415161718191a1b1c1d1e1f", "%s", seen);
	return 0;
}

static void
refuse_gen_key(struct cx *c)
{
	static const uint8_t types[] = { KEY_EC_P256, KEY_EC_P384, KEY_RSA_2048 };
	static const uint32_t caps[] = { CAP_KEY_EC_P256, CAP_KEY_EC_P384, CAP_KEY_RSA_2048 };
	uint8_t nonce[16];
	char seen[160];
	size_t i;
	int r;

	cx_begin(c);
	for (i = 0; i < 3; i++)
		if (!(c->hello.caps & caps[i]))
			break;
	if (i == 3) {
		cx_skip(c, "refuse.gen-key", "the board announces every key type");
		return;
	}
	(void)RAND_bytes(nonce, sizeof(nonce));
	r = call_gen_key(c, types[i], nonce, sizeof(nonce));
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "refuse.gen-key", cs_is_error(&c->s, r, PERR_UNSUPPORTED, MSG_GEN_KEY) ?
	    CONFORM_PASS : CONFORM_FAIL, "a key type not in caps: ERROR UNSUPPORTED (9) (P-14)",
	    "key type %u: %s", types[i], seen);
}

static void
refusals_keyed(struct cx *c)
{
	char seen[240], d[120];
	uint8_t junk[40];
	int r, ok;

	/* V-9: WRITE_OBJECT at offset 1008 of 1012 with nothing held; V-11: INSTALL of a chain
	 * that was never staged. Both well-formed: refused by the board's own data. */
	cx_begin(c);
	r = cx_send_vec(c, cv_find("V-9"));
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "vector.V-9", cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_WRITE_OBJECT) ?
	    CONFORM_PASS : CONFORM_FAIL, "V-9 in KEYED with nothing staged: ERROR BAD_ARG (5) "
	    "(P-16: offset must equal the bytes held)", "%s", seen);
	cx_begin(c);
	r = cx_send_vec(c, cv_find("V-11"));
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "vector.V-11", cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_INSTALL) ?
	    CONFORM_PASS : CONFORM_FAIL, "V-11 in KEYED with nothing staged: ERROR BAD_ARG (5) "
	    "(P-17: staging incomplete)", "%s", seen);

	cx_begin(c);
	r = call_read(c, OBJ_CSR, (uint32_t)c->csr_len + 1u, 16);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "refuse.read", cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_READ_OBJECT) ?
	    CONFORM_PASS : CONFORM_FAIL, "READ_OBJECT at an offset past the CSR's end: ERROR BAD_ARG "
	    "(5) (P-15)", "offset %zu of %zu: %s", c->csr_len + 1, c->csr_len, seen);

	/* WRITE_OBJECT: the CSR is read-only; chunks out of order and a changed total are refused
	 * and leave the staging as it was (P-16) */
	cx_begin(c);
	memset(junk, 0x5a, sizeof(junk));
	ok = 1;
	seen[0] = '\0';
	r = call_write(c, OBJ_CSR, 40, 0, junk, 20);
	if (!cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_WRITE_OBJECT)) {
		cs_describe(&c->s, r, d, sizeof(d));
		snprintf(seen, sizeof(seen), "writing the CSR object: %s", d);
		ok = 0;
	}
	if (ok) {
		r = call_write(c, OBJ_CHAIN, 40, 0, junk, 20);
		if (!cs_is_response(&c->s, r, MSG_WRITE_OBJECT)) {
			cs_describe(&c->s, r, d, sizeof(d));
			snprintf(seen, sizeof(seen), "first chunk of 20 of 40: %s", d);
			ok = 0;
		}
	}
	if (ok) {
		r = call_write(c, OBJ_CHAIN, 40, 21, junk, 10);
		if (!cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_WRITE_OBJECT)) {
			cs_describe(&c->s, r, d, sizeof(d));
			snprintf(seen, sizeof(seen), "a chunk at 21 with 20 held: %s", d);
			ok = 0;
		}
	}
	if (ok) {
		r = call_write(c, OBJ_CHAIN, 41, 20, junk, 10);
		if (!cs_is_error(&c->s, r, PERR_BAD_ARG, MSG_WRITE_OBJECT)) {
			cs_describe(&c->s, r, d, sizeof(d));
			snprintf(seen, sizeof(seen), "a chunk with total 41, not 40: %s", d);
			ok = 0;
		}
	}
	if (ok) {
		struct msg_write_obj_rsp m;

		r = call_write(c, OBJ_CHAIN, 40, 20, junk, 20);
		if (!cs_is_response(&c->s, r, MSG_WRITE_OBJECT) ||
		    msg_dec_write_obj_rsp(c->s.rpay, c->s.rlen, &m) != PRC_OK || m.held != 40) {
			cs_describe(&c->s, r, d, sizeof(d));
			snprintf(seen, sizeof(seen), "the right chunk after the refusals (held 20 "
			    "expected): %s", d);
			ok = 0;
		}
	}
	cx_report(c, "refuse.write", ok ? CONFORM_PASS : CONFORM_FAIL, "WRITE_OBJECT of the CSR, out "
	    "of order, or with another total: ERROR BAD_ARG (5), the staging unchanged (P-16)",
	    "%s", ok ? "refused, staging unchanged" : seen);
}

/* Stages data as the chain and INSTALLs it with sha; the reply in c->s. */
static int
stage_install(struct cx *c, const uint8_t *d, size_t n, const uint8_t sha[32], char *seen,
    size_t cap)
{
	if (write_chain(c, d, n, seen, cap) != 0)
		return CS_IO;
	return call_install(c, (uint32_t)n, sha);
}

static int
install(struct cx *c)
{
	static uint8_t other[CX_MAX_CHAIN];
	uint8_t sha[32];
	size_t olen = 0, ocert = 0;
	char seen[240], why[160];
	struct msg_state_rsp st;
	EVP_PKEY *k;
	int r;

	if (c->csr_pub == NULL) {
		skip_from(c, "refuse.install-digest", "the CSR's key could not be read");
		return -1;
	}
	if (cx_chain(c, c->csr_pub, 0, c->chain, sizeof(c->chain), &c->chain_len, &c->cert_len, why,
	        sizeof(why)) != 0) {
		skip_from(c, "refuse.install-digest", why);
		return -1;
	}
	/* the right chain with a wrong digest: CHAIN_INVALID, staging kept */
	cx_begin(c);
	if (write_chain(c, c->chain, c->chain_len, seen, sizeof(seen)) != 0) {
		cx_report(c, "step.write-chain", CONFORM_FAIL, "each chunk answered with the bytes "
		    "held (P-16)", "%s", seen);
		skip_from(c, "refuse.install-digest", "the chain could not be written");
		return -1;
	}
	cx_report(c, "step.write-chain", CONFORM_PASS, "each chunk answered with the bytes held "
	    "(P-16)", "%s", seen);
	cx_begin(c);
	(void)sha_of(c->chain, c->chain_len, sha);
	sha[0] ^= 0xff;
	r = call_install(c, (uint32_t)c->chain_len, sha);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "refuse.install-digest", cs_is_error(&c->s, r, PERR_CHAIN_INVALID, MSG_INSTALL) ?
	    CONFORM_PASS : CONFORM_FAIL, "INSTALL with a SHA-256 that is not the staged chain's: "
	    "ERROR CHAIN_INVALID (8) (P-17)", "%s", seen);

	/* a chain for the board's key whose signature does not verify */
	cx_begin(c);
	if (cx_chain(c, c->csr_pub, 1, other, sizeof(other), &olen, &ocert, why, sizeof(why)) != 0) {
		cx_skip(c, "refuse.install-chain", why);
	} else {
		(void)sha_of(other, olen, sha);
		r = stage_install(c, other, olen, sha, seen, sizeof(seen));
		if (r != CS_IO)
			cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "refuse.install-chain", cs_is_error(&c->s, r, PERR_CHAIN_INVALID,
		    MSG_INSTALL) ? CONFORM_PASS : CONFORM_FAIL, "a device certificate whose signature "
		    "does not verify under the next certificate: ERROR CHAIN_INVALID (8) (P-17)", "%s",
		    seen);
	}

	/* a valid chain for another key */
	cx_begin(c);
	if ((k = cx_other_key()) == NULL ||
	    cx_chain(c, k, 0, other, sizeof(other), &olen, &ocert, why, sizeof(why)) != 0) {
		cx_skip(c, "refuse.install-key", "OpenSSL could not make another key");
	} else {
		(void)sha_of(other, olen, sha);
		r = stage_install(c, other, olen, sha, seen, sizeof(seen));
		if (r != CS_IO)
			cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "refuse.install-key", cs_is_error(&c->s, r, PERR_KEY_MISMATCH,
		    MSG_INSTALL) ? CONFORM_PASS : CONFORM_FAIL, "a certificate of another key: ERROR "
		    "KEY_MISMATCH (7) (P-17)", "%s", seen);
	}
	EVP_PKEY_free(k);

	/* the right chain */
	cx_begin(c);
	(void)sha_of(c->chain, c->chain_len, sha);
	r = stage_install(c, c->chain, c->chain_len, sha, seen, sizeof(seen));
	if (r != CS_IO)
		cs_describe(&c->s, r, seen, sizeof(seen));
	if (!cs_is_response(&c->s, r, MSG_INSTALL) ||
	    msg_dec_state_rsp(c->s.rpay, c->s.rlen, &st) != PRC_OK || st.state != ST_CERTIFIED) {
		cx_report(c, "step.install", CONFORM_FAIL, "INSTALL of a chain certifying the CSR's "
		    "key: state reply CERTIFIED (3) (P-17)", "%s", seen);
		return -1;
	}
	c->state = ST_CERTIFIED;
	cx_report(c, "step.install", CONFORM_PASS, "INSTALL of a chain certifying the CSR's key: "
	    "state reply CERTIFIED (3) (P-17)", "CERTIFIED, debug_locked %u, chain of %zu bytes",
	    st.debug_locked, c->chain_len);
	return 0;
}

static void
read_chain(struct cx *c)
{
	static uint8_t got[CX_MAX_CHAIN];
	size_t n = 0;
	char seen[240];
	int ok;

	cx_begin(c);
	ok = read_object(c, OBJ_CHAIN, 300, got, sizeof(got), &n, seen, sizeof(seen)) == 0;
	if (ok && (n != c->chain_len || memcmp(got, c->chain, n) != 0)) {
		snprintf(seen, sizeof(seen), "%zu bytes, not the %zu installed", n, c->chain_len);
		ok = 0;
	}
	cx_report(c, "step.read-chain", ok ? CONFORM_PASS : CONFORM_FAIL, "READ_OBJECT of the chain "
	    "gives the installed bytes, in chunks of exactly min(max, total - offset) (P-15, P-24)",
	    "%s", seen);
}

static void
prove(struct cx *c)
{
	static const uint8_t v13[16] = { 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8,
		0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf };
	uint8_t ch[MSG_MAX_CHALLENGE], sig[MSG_MAX_SIG];
	struct msg_prove_rsp m;
	size_t lens[3] = { 16, 32, 64 }, i, slen;
	char seen[240];
	int r, ok = 1;

	cx_begin(c);
	seen[0] = '\0';
	for (i = 0; i < 3 && ok; i++) {
		if (i == 0)
			memcpy(ch, v13, sizeof(v13));
		else
			(void)RAND_bytes(ch, (int)lens[i]);
		r = call_prove(c, ch, lens[i]);
		if (!cs_is_response(&c->s, r, MSG_PROVE) ||
		    msg_dec_prove_rsp(c->s.rpay, c->s.rlen, &m) != PRC_OK) {
			cs_describe(&c->s, r, seen, sizeof(seen));
			ok = 0;
			break;
		}
		if (prove_check(c->chain, c->cert_len, ch, lens[i], m.sig, m.sig_len) != PROVE_OK) {
			snprintf(seen, sizeof(seen), "the signature over a %zu-byte challenge%s does not "
			    "verify under the certified key", lens[i], i == 0 ? " (V-13's)" : "");
			ok = 0;
		}
	}
	cx_report(c, "prove.signature", ok ? CONFORM_PASS : CONFORM_FAIL, "signatures over "
	    "\"SPv1-PROVE\" || challenge (V-13's, 32 and 64 random bytes) that verify under the "
	    "certified key (P-18, P-40)", "%s", ok ? "3 signatures verify" : seen);

	/* P-9 on PROVE: ECDSA signatures are randomised, so an executed retransmission shows */
	cx_begin(c);
	(void)RAND_bytes(ch, 32);
	r = call_prove(c, ch, 32);
	if (!cs_is_response(&c->s, r, MSG_PROVE) || c->s.rlen > sizeof(sig)) {
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "retransmit.prove", CONFORM_FAIL, "a PROVE sent again with its seq gets "
		    "the same signature bytes (P-9)", "first transmission: %s", seen);
		return;
	}
	slen = c->s.rlen;
	memcpy(sig, c->s.rpay, slen);
	r = cs_resend(&c->s);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "retransmit.prove", r == CS_OK && c->s.rtype == (MSG_PROVE | MSG_RESPONSE) &&
	    c->s.rlen == slen && memcmp(sig, c->s.rpay, slen) == 0 ? CONFORM_PASS : CONFORM_FAIL,
	    "a PROVE sent again with its seq gets the same signature bytes (P-9)", "%s%s", seen,
	    r != CS_OK ? "" : c->s.rlen != slen || memcmp(sig, c->s.rpay, slen) != 0 ?
	    ", another signature: the request was executed again" : ", the same signature");
}

static void
lock(struct cx *c)
{
	struct msg_state_rsp st;
	struct msg_hello h;
	char seen[240], why[160];
	int r;

	cx_begin(c);
	r = cs_call(&c->s, MSG_LOCK, NULL, 0);
	cs_describe(&c->s, r, seen, sizeof(seen));
	if (!cs_is_response(&c->s, r, MSG_LOCK) ||
	    msg_dec_state_rsp(c->s.rpay, c->s.rlen, &st) != PRC_OK || st.state != ST_LOCKED ||
	    (st.debug_locked != 1 && (c->hello.caps & CAP_DEBUG_LOCK))) {
		cx_report(c, "step.lock", CONFORM_FAIL, "LOCK in CERTIFIED: state reply LOCKED (4), "
		    "debug_locked 1; then HELLO says so (P-22)", "%s", seen);
		skip_from(c, "state.LOCKED", "the board did not lock");
		return;
	}
	if (cx_hello(c, &h, why, sizeof(why)) != 0 || h.state != ST_LOCKED ||
	    ((c->hello.caps & CAP_DEBUG_LOCK) && h.debug_locked != 1)) {
		cx_report(c, "step.lock", CONFORM_FAIL, "LOCK in CERTIFIED: state reply LOCKED (4), "
		    "debug_locked 1; then HELLO says so (P-22)", "state reply LOCKED; then HELLO: %s",
		    c->state >= 0 ? proto_statename((unsigned)c->state) : why);
		skip_from(c, "state.LOCKED", "the board did not lock");
		return;
	}
	c->locked = 1;
	cx_report(c, "step.lock", CONFORM_PASS, "LOCK in CERTIFIED: state reply LOCKED (4), "
	    "debug_locked 1; then HELLO says so (P-22)", "LOCKED, debug_locked %u", h.debug_locked);
	if (cx_sel(c, "state.LOCKED"))
		state_row(c, "state.LOCKED", ROW(row_locked));
	cx_begin(c);
	r = cx_send_vec(c, cv_find("V-19"));
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "vector.V-19", cs_is_error(&c->s, r, PERR_LOCKED, MSG_LOCK) ? CONFORM_PASS :
	    CONFORM_FAIL, "V-19, LOCK again: V-20's code, ERROR LOCKED (4) to type 0x09 (P-21)", "%s",
	    seen);
	cx_cred_state(c, "cred.locked");
}

void
cx_flow(struct cx *c)
{
	uint8_t nonce[MSG_MAX_NONCE];
	char seen[240];
	size_t n = 0;

	for (n = 0; flow_checks[n] != NULL && !cx_sel(c, flow_checks[n]); n++)
		;
	if (flow_checks[n] == NULL) /* --only names no lifecycle check */
		return;
	n = 0;
	if (c->s.lost) {
		skip_from(c, NULL, "the line was lost");
		return;
	}
	if (c->hello.state == ST_LOCKED) {
		/* nothing can be written: the reads of the LOCKED row only */
		skip_from(c, NULL, "the board is LOCKED: only its reads can be checked");
		return;
	}
	if (c->hello.state == ST_BLANK) {
		if (cx_sel(c, "state.BLANK"))
			state_row(c, "state.BLANK", ROW(row_blank));
		cx_cred_blank(c);
	} else {
		cx_skip(c, "state.BLANK", "the board was not BLANK (BLANK is seen on a fresh board "
		    "only)");
		cx_skip(c, "cred.blank", "the board was not BLANK (BLANK is seen on a fresh board "
		    "only)");
	}
	if (set_identity(c) != 0) {
		skip_from(c, "state.IDENTIFIED", c->s.lost ? "the line was lost" :
		    "SET_IDENTITY failed");
		return;
	}
	if (cx_sel(c, "state.IDENTIFIED"))
		state_row(c, "state.IDENTIFIED", ROW(row_identified));
	confirm(c);
	cx_cred_identified(c);
	if (keygen_vectors(c) != 0 || c->s.lost) {
		skip_from(c, "refuse.gen-key", c->s.lost ? "the line was lost" : "GEN_KEY failed");
		return;
	}
	refuse_gen_key(c);

	cx_begin(c);
	c->nonce_len = 32;
	(void)RAND_bytes(nonce, (int)c->nonce_len);
	memcpy(c->nonce, nonce, c->nonce_len);
	if (!(c->hello.caps & (c->key_type == KEY_EC_P256 ? CAP_KEY_EC_P256 : c->key_type ==
	    KEY_EC_P384 ? CAP_KEY_EC_P384 : CAP_KEY_RSA_2048))) {
		cx_report(c, "step.gen-key", CONFORM_FAIL, "the board announces the profile's key type "
		    "in caps (P-12, P-14)", "caps %08x", (unsigned)c->hello.caps);
		skip_from(c, "step.read-csr", "the board does not make the profile's key type");
		return;
	}
	if (gen_key(c, c->key_type, nonce, c->nonce_len, seen, sizeof(seen)) != 0) {
		cx_report(c, "step.gen-key", CONFORM_FAIL, "a GEN_KEY response with the CSR's length "
		    "(P-14)", "%s", seen);
		skip_from(c, "step.read-csr", c->s.lost ? "the line was lost" : "GEN_KEY failed");
		return;
	}
	c->keyed = 1;
	cx_report(c, "step.gen-key", CONFORM_PASS, "a GEN_KEY response with the CSR's length (P-14)",
	    "%s", seen);
	cx_begin(c);
	/* chunks of 100 bytes: several, each exactly min(max, total - offset) */
	if (read_object(c, OBJ_CSR, 100, c->csr, sizeof(c->csr), &n, seen, sizeof(seen)) != 0 ||
	    n != c->csr_len) {
		if (n != c->csr_len && n != 0)
			snprintf(seen, sizeof(seen), "%zu bytes, GEN_KEY said %zu", n, c->csr_len);
		cx_report(c, "step.read-csr", CONFORM_FAIL, "READ_OBJECT of the CSR: csr_len bytes, "
		    "in chunks of exactly min(max, total - offset) (P-15)", "%s", seen);
		skip_from(c, "csr.der", c->s.lost ? "the line was lost" : "the CSR could not be read");
		return;
	}
	cx_report(c, "step.read-csr", CONFORM_PASS, "READ_OBJECT of the CSR: csr_len bytes, in "
	    "chunks of exactly min(max, total - offset) (P-15)", "%s", seen);
	csr_checks(c);
	if (cx_sel(c, "state.KEYED"))
		state_row(c, "state.KEYED", ROW(row_keyed));
	cx_cred_state(c, "cred.keyed");
	refusals_keyed(c);
	if (c->s.lost) {
		skip_from(c, "step.write-chain", "the line was lost");
		return;
	}
	if (install(c) != 0) {
		skip_from(c, "state.CERTIFIED", c->s.lost ? "the line was lost" : "INSTALL failed");
		return;
	}
	read_chain(c);
	prove(c);
	if (cx_sel(c, "state.CERTIFIED"))
		state_row(c, "state.CERTIFIED", ROW(row_certified));
	cx_cred_state(c, "cred.certified");
	if (c->s.lost) {
		skip_from(c, "step.lock", "the line was lost");
		return;
	}
	if (!c->o->allow_lock) {
		skip_from(c, "step.lock", "LOCK is irreversible: only with --allow-lock, on a board "
		    "meant to be thrown away");
		return;
	}
	lock(c);
}
