/* flow.c: provisioning of one board; see flow.h. */
#include "flow-int.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "label.h"
#include "label-printer.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "password.h"
#include "prove.h"
#include "issue.h"
#include "sigproto.h"
#include "util.h"


int
flow_fail(struct fl *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(f->res->code, sizeof(f->res->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(f->res->reason, sizeof(f->res->reason), fmt, ap);
	va_end(ap);
	return -1;
}

void
flow_step(struct fl *f, const char *name, unsigned pct)
{
	snprintf(f->res->step, sizeof(f->res->step), "%s", name);
	if (f->env->on_step != NULL)
		f->env->on_step(f->env->arg, f->fixture, name, pct);
}

/* One request; on failure the result says why, in the words of the current step. */
int
flow_call(struct fl *f, uint8_t type, size_t reqlen, unsigned timeout, const uint8_t **rsp,
    size_t *rl)
{
	char text[MSG_MAX_ERRTEXT + 1];
	int r;

	r = link_call(&f->link, type, f->buf, reqlen, timeout, f->prof->to.retries, rsp, rl);
	f->res->retransmits = f->link.retransmits;
	f->link_rc = r;
	switch (r) {
	case LINK_OK:
		return 0;
	case LINK_ERR_TIMEOUT:
		return flow_fail(f, "E_NO_ANSWER", "no answer from the board during '%s' (%u tries of %u ms); "
		    "check that it is seated and powered, then re-insert it", f->res->step,
		    f->prof->to.retries + 1, timeout);
	case LINK_ERR_HANGUP:
		return flow_fail(f, "E_DISCONNECTED", "the board was disconnected during '%s'; re-insert "
		    "it and run it again", f->res->step);
	case LINK_ERR_REFUSED:
		util_sanitize(f->link.err.text, sizeof(f->link.err.text), text, sizeof(text));
		return flow_fail(f, "E_BOARD_REFUSED", "the board refused '%s': %s (%s); set it aside for "
		    "the firmware team", f->res->step, text, proto_errname(f->link.err.code));
	default:
		return flow_fail(f, "E_LINK", "%s during '%s'; check the fixture cable",
		    link_strerror(r), f->res->step);
	}
}

/* The signer's refusal as this board's failure: it recorded it; the station only shows it. */
int
flow_refused(struct fl *f, const struct signer_err *se, const char *what)
{
	f->signer_st = se->status;
	if (se->status == SIGST_INTERNAL || se->status == SIGST_REQUEST)
		return flow_fail(f, "E_SIGNER", "the signer failed during '%s': %s; stop the line and call "
		    "the engineer", what, se->text);
	/* The signer's text may carry the remedy already: say it once. */
	if (se->status == SIGST_LOG)
		return flow_fail(f, "E_DB", "%s%s", se->text, strstr(se->text, "call the engineer") ?
		    "" : "; stop the line and call the engineer");
	if (se->status == SIGST_HSM)
		return flow_fail(f, "E_HSM", "the HSM failed: %s", se->text);
	/* POLICY, QUOTA, STATE after a per-board request: recorded by the signer. */
	f->recorded = 1;
	return flow_fail(f, sigp_refusal_ecode(se->detail), "%s", se->text);
}

static int
identify(struct fl *f)
{
	const uint8_t *rsp;
	size_t rl = 0;

	flow_step(f, "identify", 5);
	if (flow_call(f, MSG_HELLO, 0, f->prof->to.hello, &rsp, &rl) != 0)
		return -1;
	if (msg_dec_hello(rsp, rl, &f->hello) != 0)
		return flow_fail(f, "E_PROTOCOL", "the board's identity reply is malformed; check that it runs "
		    "provisioning firmware of protocol version %d", PROTO_VERSION);
	util_hex(f->hello.chip_id, f->hello.chip_id_len, f->res->chip_hex, sizeof(f->res->chip_hex));
	if (f->expect_chip != NULL && (f->hello.chip_id_len != f->expect_len ||
	    memcmp(f->hello.chip_id, f->expect_chip, f->expect_len) != 0))
		return flow_fail(f, "E_DISCONNECTED", "another board answered than the one seated a "
		    "moment ago (its chip ID changed); re-seat it");
	util_hex(f->hello.fw_digest, sizeof(f->hello.fw_digest), f->fw_hex, sizeof(f->fw_hex));
	snprintf(f->res->fw_version, sizeof(f->res->fw_version), "%s", f->hello.fw_version);
	return 0;
}

/* A locked board may be one this line finished: its record decides, and such a board is
 * verified again instead of provisioned twice. 1: recorded PASS (rec filled); 0: not, provision
 * it; -1: failed (verify-only and nothing to verify, or the signer failed). */
static int
lookup(struct fl *f, struct signer_record *rec)
{
	struct signer_err se;

	if (signer_lookup(f->env->signer, f->hello.chip_id, f->hello.chip_id_len, rec, &se) != 0)
		return flow_refused(f, &se, "identify");
	snprintf(f->res->serial, sizeof(f->res->serial), "%s", rec->serial);
	snprintf(f->res->cert_serial, sizeof(f->res->cert_serial), "%s", rec->cert_serial);
	if (rec->kind == SIGREC_PASS)
		return 1;
	if (!f->env->verify_only)
		return 0;
	if (rec->kind == SIGREC_QUARANTINED)
		return flow_fail(f, "E_QUARANTINED", "serial %s is quarantined (%s); it must never ship",
		    rec->serial, rec->reason);
	if (rec->kind == SIGREC_VERIFIED)
		return flow_fail(f, "E_NOT_PROVISIONED", "serial %s is recorded but its lock was never "
		    "confirmed; send it back to the provisioning line to finish it", rec->serial);
	return flow_fail(f, "E_NOT_PROVISIONED", "the record has no board with chip %.16s; it was "
	    "never provisioned on this station: send it back to the provisioning line",
	    f->res->chip_hex);
}

/* The signer checks the board's facts against the policy and the record and allocates its
 * serial (or resumes a board whose lock was interrupted). */
static int
allocate(struct fl *f)
{
	struct sigp_board b;
	struct signer_board sb;
	struct signer_err se;

	/* Facts only: the signer checks model, firmware and record, and allocates the serial. */
	memset(&b, 0, sizeof(b));
	memcpy(b.chip, f->hello.chip_id, f->hello.chip_id_len);
	b.chip_len = f->hello.chip_id_len;
	memcpy(b.model, f->hello.model, sizeof(b.model));
	memcpy(b.hw_rev, f->hello.hw_rev, sizeof(b.hw_rev));
	memcpy(b.fw_version, f->hello.fw_version, sizeof(b.fw_version));
	memcpy(b.fw_digest, f->hello.fw_digest, sizeof(b.fw_digest));
	b.proto_version = f->hello.proto_version;
	b.state = f->hello.state;
	b.debug_locked = f->hello.debug_locked != 0;
	memcpy(b.fixture, f->fixture, strnlen(f->fixture, SIGP_MAX_NAME)); /* b is zeroed */
	if (signer_board(f->env->signer, &b, &sb, &se) != 0)
		return flow_refused(f, &se, "identify");
	snprintf(f->res->serial, sizeof(f->res->serial), "%s", sb.serial);
	if (sb.disposition == SIGB_RESUME) {
		/* Verified and recorded, but the lock was not confirmed (interrupted): finish it. */
		snprintf(f->res->cert_serial, sizeof(f->res->cert_serial), "%s", sb.cert_serial);
		f->resume = 1;
	}
	return 0;
}

static int
set_password(struct fl *f)
{
	struct msg_set_identity m;
	const uint8_t *rsp;
	struct signer_err se;
	size_t len = 0, rl = 0;
	int tries, r = -1;

	flow_step(f, "password", 25);
	/* A commitment collision means two boards would share a password (or an HSM fault):
	 * draw again; the UNIQUE constraint makes the fleet-wide rule provable. */
	for (tries = 0; tries < 3; tries++) {
		if (password_generate(f->password, sizeof(f->password), f->prof->pw_length) != 0)
			return flow_fail(f, "E_RANDOM", "the random generator failed; stop the line and call "
			    "the engineer");
		if ((r = signer_commit_pw(f->env->signer, f->hello.chip_id, f->hello.chip_id_len,
		         f->password, &se)) == 0 || se.detail != SIGR_COLLISION)
			break;
		log_warn("fixture %s: password commitment collision, drawing again", f->fixture);
	}
	if (r != 0)
		return flow_refused(f, &se, "password");
	memset(&m, 0, sizeof(m));
	snprintf(m.serial, sizeof(m.serial), "%s", f->res->serial);
	memcpy(m.password, f->password, strlen(f->password) + 1);
	m.pw_iterations = f->prof->pw_iterations;
	r = msg_enc_set_identity(&m, f->buf, sizeof(f->buf), &len);
	util_wipe(&m, sizeof(m));
	if (r != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the identity request");
	r = flow_call(f, MSG_SET_IDENTITY, len, f->prof->to.set_identity, &rsp, &rl);
	util_wipe(f->buf, len);
	if (r != 0)
		return -1;
	return msg_dec_empty(rsp, rl) == 0 ? 0 :
	    flow_fail(f, "E_PROTOCOL", "malformed reply to the identity request");
}

int
flow_read_object(struct fl *f, uint8_t obj, uint8_t *out, size_t cap, size_t *outlen)
{
	struct msg_read_obj m;
	struct msg_read_obj_rsp rsp;
	const uint8_t *p;
	size_t len = 0, rl = 0, have = 0, total = 0;

	do {
		m.obj = obj;
		m.offset = (uint32_t)have;
		m.max = MSG_MAX_CHUNK;
		if (msg_enc_read_obj(&m, f->buf, sizeof(f->buf), &len) != 0)
			return flow_fail(f, "E_INTERNAL", "cannot encode a read request");
		if (flow_call(f, MSG_READ_OBJECT, len, f->prof->to.object, &p, &rl) != 0)
			return -1;
		if (msg_dec_read_obj_rsp(p, rl, &rsp) != 0 || rsp.obj != obj ||
		    rsp.offset != have || rsp.total == 0 || rsp.total > cap ||
		    (total != 0 && rsp.total != total) ||
		    /* P-15: exactly min(max, total - offset) bytes, so a board cannot hold a fixture
		     * for hours with one-byte chunks, each just inside its timeout. */
		    rsp.data_len != (rsp.total - have < m.max ? rsp.total - have : m.max))
			return flow_fail(f, "E_PROTOCOL", "the board sent an inconsistent object chunk");
		total = rsp.total;
		memcpy(out + have, rsp.data, rsp.data_len);
		have += rsp.data_len;
	} while (have < total);
	*outlen = total;
	return 0;
}

static int
make_key(struct fl *f, uint8_t nonce[16])
{
	struct msg_gen_key m;
	struct msg_gen_key_rsp g;
	const uint8_t *rsp;
	size_t len = 0, rl = 0;

	flow_step(f, "key", 40);
	memset(&m, 0, sizeof(m));
	m.key_type = f->prof->key_type;
	m.nonce_len = 16;
	if (RAND_bytes(nonce, 16) != 1)
		return flow_fail(f, "E_RANDOM", "the random generator failed");
	memcpy(m.nonce, nonce, 16);
	if (msg_enc_gen_key(&m, f->buf, sizeof(f->buf), &len) != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the key request");
	if (flow_call(f, MSG_GEN_KEY, len, f->prof->to.gen_key, &rsp, &rl) != 0)
		return -1;
	if (msg_dec_gen_key_rsp(rsp, rl, &g) != 0)
		return flow_fail(f, "E_PROTOCOL", "malformed reply to the key request");
	if (flow_read_object(f, OBJ_CSR, f->csr, sizeof(f->csr), &f->csr_len) != 0)
		return -1;
	if (f->csr_len != g.csr_len)
		return flow_fail(f, "E_PROTOCOL", "the board's CSR is %zu bytes, it announced %u",
		    f->csr_len, g.csr_len);
	return 0;
}

/* Board bytes are parsed on the board side of the boundary (PRODUCT §4): the CSR is checked
 * here (DER, signature, key type, nonce) and sent re-encoded; the signer re-checks it strictly. */
static int
csr_precheck(struct fl *f, const uint8_t nonce[16], uint8_t *out, size_t cap, size_t *outlen)
{
	char why[CAP_REASON];
	int r;

	/* one parse for the checks and the re-encoding (issue #14) */
	if ((r = issue_csr_check_canonical(&f->prof->cert, f->csr, f->csr_len, nonce, 16, out, cap,
	         outlen, why, sizeof(why))) == ISSUE_ERR_INTERNAL)
		return flow_fail(f, "E_CSR", "the board's certificate request cannot be re-encoded (%s); "
		    "set it aside for the firmware team", why);
	if (r != ISSUE_OK)
		return flow_fail(f, "E_CSR", "the board's certificate request is not acceptable (%s): %s; "
		    "set it aside for the firmware team", issue_strerror(r), why);
	return 0;
}

static int
certify(struct fl *f, const uint8_t nonce[16])
{
	struct signer_err se;
	uint8_t der[CAP_CSR_DER];
	size_t dl = 0;

	flow_step(f, "certificate", 55);
	if (csr_precheck(f, nonce, der, sizeof(der), &dl) != 0)
		return -1;
	if (signer_issue(f->env->signer, f->hello.chip_id, f->hello.chip_id_len, nonce, 16, der, dl,
	        &f->cert, &f->cert_len, f->res->cert_serial, sizeof(f->res->cert_serial), &se) == 0)
		return 0;
	return flow_refused(f, &se, "certificate");
}

static int
install(struct fl *f)
{
	uint8_t chain[MSG_MAX_CHAIN];
	struct msg_write_obj w;
	struct msg_write_obj_rsp wr;
	struct msg_install in;
	struct msg_state_rsp st;
	const uint8_t *rsp;
	size_t total, off = 0, len = 0, rl = 0, n, chunk;

	flow_step(f, "install", 70);
	total = f->cert_len + f->env->ca_len;
	if (total > sizeof(chain))
		return flow_fail(f, "E_INTERNAL", "certificate chain of %zu bytes exceeds %d", total,
		    MSG_MAX_CHAIN);
	memcpy(chain, f->cert, f->cert_len);
	memcpy(chain + f->cert_len, f->env->ca_der, f->env->ca_len);
	/* P-6: chunks that fit the board's announced payload (request header: 11 bytes). */
	chunk = f->hello.max_payload > 11 + 1 ? f->hello.max_payload - 11u : 1u;
	if (chunk > MSG_MAX_CHUNK)
		chunk = MSG_MAX_CHUNK;
	while (off < total) {
		n = total - off > chunk ? chunk : total - off;
		w.obj = OBJ_CHAIN;
		w.total = (uint32_t)total;
		w.offset = (uint32_t)off;
		w.data = chain + off;
		w.data_len = (uint16_t)n;
		if (msg_enc_write_obj(&w, f->buf, sizeof(f->buf), &len) != 0)
			return flow_fail(f, "E_INTERNAL", "cannot encode a chain chunk");
		if (flow_call(f, MSG_WRITE_OBJECT, len, f->prof->to.object, &rsp, &rl) != 0)
			return -1;
		if (msg_dec_write_obj_rsp(rsp, rl, &wr) != 0 || wr.held != off + n)
			return flow_fail(f, "E_PROTOCOL", "the board lost part of the certificate chain");
		off += n;
	}
	in.obj = OBJ_CHAIN;
	in.total = (uint32_t)total;
	if (EVP_Digest(chain, total, in.sha256, NULL, EVP_sha256(), NULL) != 1 ||
	    msg_enc_install(&in, f->buf, sizeof(f->buf), &len) != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the install request");
	if (flow_call(f, MSG_INSTALL, len, f->prof->to.install, &rsp, &rl) != 0) {
		if (f->link_rc == LINK_ERR_REFUSED)
			snprintf(f->res->code, sizeof(f->res->code), "E_INSTALL");
		return -1;
	}
	if (msg_dec_state_rsp(rsp, rl, &st) != 0 || st.state != ST_CERTIFIED)
		return flow_fail(f, "E_INSTALL", "the board did not report CERTIFIED after installing");
	return 0;
}

/* PRODUCT §3.7: the board proves it holds the certified key by signing the challenge. */
int
flow_prove(struct fl *f, const uint8_t *challenge, size_t clen, uint8_t *sig, size_t sigcap,
    size_t *siglen)
{
	struct msg_prove m;
	struct msg_prove_rsp pr;
	const uint8_t *rsp;
	size_t len = 0, rl = 0;

	flow_step(f, "prove", 80);
	if (clen < MSG_MIN_CHALLENGE || clen > MSG_MAX_CHALLENGE)
		return flow_fail(f, "E_INTERNAL", "a key challenge of %zu bytes", clen);
	m.challenge_len = (uint8_t)clen;
	memcpy(m.challenge, challenge, clen);
	if (msg_enc_prove(&m, f->buf, sizeof(f->buf), &len) != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the key challenge");
	if (flow_call(f, MSG_PROVE, len, f->prof->to.prove, &rsp, &rl) != 0)
		return -1;
	if (msg_dec_prove_rsp(rsp, rl, &pr) != 0)
		return flow_fail(f, "E_PROTOCOL", "malformed reply to the key challenge");
	if (prove_check(f->cert, f->cert_len, challenge, clen, pr.sig, pr.sig_len) != PROVE_OK)
		return flow_fail(f, "E_PROVE", "the board could not prove it holds the certified key; its "
		    "key store is faulty: set it aside");
	if (sig != NULL) {
		if (pr.sig_len > sigcap)
			return flow_fail(f, "E_PROTOCOL", "the board's proof is %u bytes, more than %zu",
			    pr.sig_len, sigcap);
		memcpy(sig, pr.sig, pr.sig_len);
		*siglen = pr.sig_len;
	}
	return 0;
}

/* The proof of a board being provisioned or resumed: a challenge of the station's own. */
static int
prove_fresh(struct fl *f)
{
	uint8_t challenge[32];

	if (RAND_bytes(challenge, sizeof(challenge)) != 1)
		return flow_fail(f, "E_RANDOM", "the random generator failed; stop the line and call "
		    "the engineer");
	return flow_prove(f, challenge, sizeof(challenge), NULL, 0, NULL);
}

static int
check_password(struct fl *f)
{
	struct msg_confirm_pw cp;
	struct msg_confirm_pw_rsp cr;
	const uint8_t *rsp;
	size_t len = 0, rl = 0;
	int r;

	flow_step(f, "password-check", 85);
	memset(&cp, 0, sizeof(cp));
	memcpy(cp.password, f->password, strlen(f->password) + 1);
	r = msg_enc_confirm_pw(&cp, f->buf, sizeof(f->buf), &len);
	util_wipe(&cp, sizeof(cp));
	if (r != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the password check");
	r = flow_call(f, MSG_CONFIRM_PASSWORD, len, f->prof->to.confirm, &rsp, &rl);
	util_wipe(f->buf, len);
	if (r != 0)
		return -1;
	if (msg_dec_confirm_pw_rsp(rsp, rl, &cr) != 0 || cr.match != 1)
		return flow_fail(f, "E_PASSWORD_CHECK", "the board does not accept the password it was "
		    "given; its storage is faulty: set it aside");
	return 0;
}

/* A fresh hello says LOCKED, debug port closed, same chip; a harmless write is refused. */
int
flow_lock_confirm(struct fl *f)
{
	struct msg_hello h;
	struct msg_write_obj w;
	const uint8_t *rsp;
	uint8_t one = 0;
	size_t len = 0, rl = 0;
	int r;

	if (flow_call(f, MSG_HELLO, 0, f->prof->to.hello, &rsp, &rl) != 0)
		return -1;
	if (msg_dec_hello(rsp, rl, &h) == 0 && (h.chip_id_len != f->hello.chip_id_len ||
	    memcmp(h.chip_id, f->hello.chip_id, h.chip_id_len) != 0))
		return flow_fail(f, "E_DISCONNECTED", "another board answered during '%s': the board "
		    "was swapped; re-seat it", f->res->step);
	if (msg_dec_hello(rsp, rl, &h) != 0 || h.state != ST_LOCKED || h.debug_locked != 1)
		return flow_fail(f, "E_LOCK", "after locking, the board does not report LOCKED with its "
		    "debug port closed; set it aside");
	/* ETSI EN 303 645 5.6: nothing stays open. A harmless write must be refused. */
	w.obj = OBJ_CHAIN;
	w.total = 1;
	w.offset = 0;
	w.data = &one;
	w.data_len = 0;
	if (msg_enc_write_obj(&w, f->buf, sizeof(f->buf), &len) != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the lock probe");
	r = link_call(&f->link, MSG_WRITE_OBJECT, f->buf, len, f->prof->to.object,
	    f->prof->to.retries, &rsp, &rl);
	if (r == LINK_ERR_REFUSED && f->link.err.code == PERR_LOCKED)
		return 0;
	if (r == LINK_ERR_TIMEOUT || r == LINK_ERR_HANGUP)
		return flow_fail(f, "E_NO_ANSWER", "the board stopped answering after locking; re-insert it");
	return flow_fail(f, "E_LOCK_WRITES", "the board claims LOCKED but still accepts writes; its "
	    "provisioning port stays open: quarantine it");
}

/* PRODUCT §3.8: lock, then confirm with a fresh hello and a refused write. */
static int
lock(struct fl *f)
{
	struct msg_state_rsp st;
	const uint8_t *rsp;
	size_t rl = 0;

	flow_step(f, "lock", 90);
	if (f->resume && f->hello.state == ST_LOCKED)
		return flow_lock_confirm(f);
	if (flow_call(f, MSG_LOCK, 0, f->prof->to.lock, &rsp, &rl) != 0) {
		/* Unlocked at identify, LOCKED now: our LOCK took effect and its reply was lost (a
		 * board that resets after burning its lock fuses does this). The confirmation
		 * decides, as for any lock. */
		if (f->link_rc == LINK_ERR_REFUSED && f->link.err.code == PERR_LOCKED) {
			f->res->code[0] = f->res->reason[0] = '\0';
			f->link_rc = LINK_OK;
			return flow_lock_confirm(f);
		}
		if (f->link_rc == LINK_ERR_REFUSED)
			snprintf(f->res->code, sizeof(f->res->code), "E_LOCK");
		return -1;
	}
	if (msg_dec_state_rsp(rsp, rl, &st) != 0)
		return flow_fail(f, "E_LOCK", "the board's reply to the lock request is malformed: its "
		    "lock is not confirmed; set it aside");
	if (st.state != ST_LOCKED || st.debug_locked != 1)
		return flow_fail(f, "E_LOCK", "the board did not lock (state %s, debug port %s); set it "
		    "aside", proto_statename(st.state), st.debug_locked ? "closed" : "open");
	return flow_lock_confirm(f);
}

/* PRODUCT §3.10: the label is drawn and spooled before the board is recorded verified and
 * locked: the password must be safe on its label before the board can no longer take another. */
static int
make_label(struct fl *f)
{
	struct label_values v = { 0 };
	char why[CAP_REASON];

	flow_step(f, "label", 88);
	v.product = f->prof->cert.product;
	v.model = f->prof->model;
	v.serial = f->res->serial;
	v.password = f->password;
	flow_cred_label(f, &v);
	if (label_spool(f->prof, f->env->labels, &v, f->res->label, sizeof(f->res->label),
	        f->res->preview, sizeof(f->res->preview), why, sizeof(why)) != 0) {
		f->res->label[0] = f->res->preview[0] = '\0';
		log_error("fixture %s: %s", f->fixture, why);
		return flow_fail(f, "E_LABEL", "cannot write the product label into '%s' (%s); check "
		    "the label spool directory", f->prof->label_dir, why);
	}
	f->res->label_state = SIGL_SPOOLED;
	return 0;
}

/* Sends the spooled label to the printer (output other than dir) before the lock, so that a
 * label is never printed for a board the record does not hold as verified. A printer that is
 * off or jams is not the board's fault: the label stays in the spool for `station label
 * reprint` and the board goes on (issue #13). */
static void
print_label(struct fl *f)
{
	char note[CAP_REASON], clean[CAP_REASON];
	int r;

	if (f->env->printer == NULL || f->res->label_state != SIGL_SPOOLED)
		return;
	flow_step(f, "print", 89);
	r = label_printer_print(f->env->printer, f->res->serial, note, sizeof(note));
	if (r == 0) {
		f->res->label_state = SIGL_PRINTED;
		f->res->label[0] = f->res->preview[0] = '\0'; /* gone from the spool */
		return;
	}
	util_sanitize(note, strnlen(note, sizeof(note)), clean, sizeof(clean));
	f->res->label_state = SIGL_KEPT;
	snprintf(f->res->label_note, sizeof(f->res->label_note), "%s", clean);
	log_warn("fixture %s: the label of %s was not printed (%s); it is kept for 'station label "
	    "reprint %s'", f->fixture, f->res->serial, clean, f->res->serial);
}

/* A resumed board's label was spooled in an earlier attempt: still in the spool, it was not
 * printed (output = dir, or the printer failed then) and is sent now; gone, it was printed. */
static void
resume_label(struct fl *f)
{
	struct stat st;
	char png[CAP_PATH];

	if (label_path(f->prof->label_dir, f->res->serial, f->prof->label.send, f->res->label,
	        sizeof(f->res->label)) != 0 || lstat(f->res->label, &st) != 0 || !S_ISREG(st.st_mode)) {
		f->res->label[0] = '\0';
		return;
	}
	if (label_path(f->prof->label_dir, f->res->serial, LABEL_FMT_PNG, png, sizeof(png)) == 0 &&
	    lstat(png, &st) == 0 && S_ISREG(st.st_mode))
		snprintf(f->res->preview, sizeof(f->res->preview), "%s", png);
	f->res->label_state = SIGL_SPOOLED;
	print_label(f);
}

/* VERIFIED or PASS: the signer checks the board's recorded state and records the step. */
static int
report(struct fl *f, uint8_t op, int resumed)
{
	struct sigp_req q;
	struct signer_err se;

	memset(&q, 0, sizeof(q));
	q.op = op;
	memcpy(q.board.chip, f->hello.chip_id, f->hello.chip_id_len);
	q.board.chip_len = f->hello.chip_id_len;
	q.resumed = resumed != 0;
	q.label = op == SIGOP_PASS ? (uint8_t)f->res->label_state : SIGL_NONE;
	if (signer_report(f->env->signer, &q, &se) == 0)
		return 0;
	if (op == SIGOP_PASS && se.status == SIGST_LOG) {
		f->signer_st = se.status;
		return flow_fail(f, "E_DB", "cannot record the PASS; re-insert the board to finish it");
	}
	return flow_refused(f, &se, op == SIGOP_PASS ? "record" : "label");
}

/* A re-inserted board recorded 'verified': the installed certificate must be the recorded one
 * and the board must still hold its key; then the lock is finished and confirmed. */
static int
resume(struct fl *f)
{
	uint8_t chain[MSG_MAX_CHAIN];
	struct signer_err se;
	size_t n = 0;

	flow_step(f, "resume", 60);
	if (signer_cert(f->env->signer, f->hello.chip_id, f->hello.chip_id_len, &f->cert,
	        &f->cert_len, &se) != 0)
		return flow_refused(f, &se, "resume");
	if (flow_read_object(f, OBJ_CHAIN, chain, sizeof(chain), &n) != 0)
		return -1;
	if (n < f->cert_len || memcmp(chain, f->cert, f->cert_len) != 0)
		return flow_fail(f, "E_RESUME", "the board's certificate is not the one recorded for "
		    "serial %s; quarantine it", f->res->serial);
	if (prove_fresh(f) != 0)
		return -1;
	resume_label(f);
	if (lock(f) != 0)
		return -1;
	flow_step(f, "record", 98);
	return report(f, SIGOP_PASS, 1);
}

static int
run(struct fl *f)
{
	uint8_t nonce[16];
	int r;

	struct signer_record rec;

	if (identify(f) != 0)
		return -1;
	if (f->hello.state == ST_LOCKED || f->env->verify_only) {
		memset(&rec, 0, sizeof(rec));
		r = lookup(f, &rec);
		if (r == 1) {
			f->again = 1;
			r = flow_reverify(f, &rec);
			free(rec.cert);
			return r;
		}
		free(rec.cert);
		if (r < 0)
			return -1;
	}
	if (allocate(f) != 0)
		return -1;
	if (f->resume)
		return resume(f);
	if (set_password(f) != 0 || flow_set_creds(f) != 0 || make_key(f, nonce) != 0 ||
	    certify(f, nonce) != 0 || install(f) != 0 || prove_fresh(f) != 0 ||
	    check_password(f) != 0 || flow_check_creds(f) != 0)
		return -1;
	if (make_label(f) != 0)
		return -1;
	/* Crash safety (PRODUCT §7): the verified record is durable before the board is locked,
	 * so a board is never locked without a record; if the lock is interrupted, re-inserting
	 * the board finishes it (resume). A label of an attempt that fails here is void. */
	if ((r = report(f, SIGOP_VERIFIED, 0)) != 0)
		return -1;
	f->verified = 1;
	print_label(f);
	if (lock(f) != 0)
		return -1;
	flow_step(f, "record", 98);
	return report(f, SIGOP_PASS, 0);
}

/* FAIL: the signer decides what the attempt consumed and voids it (a board recorded
 * 'verified' keeps its record: the lock is finished on re-insert). */
static int
record_fail(const struct flow_env *env, const struct fl *f, const struct flow_result *res)
{
	struct sigp_req *q;
	struct signer_err se;
	int r;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	q->op = SIGOP_FAIL;
	if (res->chip_hex[0] != '\0') {
		memcpy(q->board.chip, f->hello.chip_id, f->hello.chip_id_len);
		q->board.chip_len = f->hello.chip_id_len;
	}
	snprintf(q->step, sizeof(q->step), "%s", res->step[0] ? res->step : "connect");
	snprintf(q->code, sizeof(q->code), "%s", res->code[0] ? res->code : "E_INTERNAL");
	snprintf(q->reason, sizeof(q->reason), "%s", res->reason);
	q->label = (uint8_t)res->label_state;
	r = signer_report(env->signer, q, &se);
	if (r != 0)
		log_error("fixture %s: the failure is not recorded (%s); the attempt is recorded void "
		    "when the station starts again", f->fixture, se.text);
	free(q);
	return r;
}

int
flow_provision(const struct flow_env *env, struct xport *x, const char *fixture,
    const uint8_t *chip, size_t chip_len, struct flow_result *res)
{
	struct fl *f;
	uint16_t seq0 = 0;
	uint64_t t0 = util_ms();
	int r = 0;

	memset(res, 0, sizeof(*res));
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(res->code, sizeof(res->code), "E_INTERNAL");
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return -1;
	}
	f->env = env;
	f->prof = env->prof;
	f->fixture = fixture;
	f->expect_chip = chip;
	f->expect_len = chip_len;
	f->res = res;
	(void)RAND_bytes((unsigned char *)&seq0, sizeof(seq0));
	link_init(&f->link, x, seq0);
	if (run(f) == 0) {
		res->pass = 1;
		snprintf(res->step, sizeof(res->step), "done");
	} else if (f->again || env->verify_only) {
		/* A re-verification records its own outcome (flow_reverify); a verify-only session
		 * records nothing about a board it was not asked to provision. */
		if (!f->recorded && f->again)
			r = -1;
	} else if (!f->recorded && (res->chip_hex[0] != '\0' || f->signer_st != SIGST_LOG)) {
		if (record_fail(env, f, res) != 0)
			r = -1;
	}
	res->again = f->again;
	/* The serial this attempt was given is spent without a board to show for it, unless the
	 * board was recorded verified and only its lock is pending (finished on re-insert). */
	res->void_serial = !res->pass && !f->again && res->serial[0] != '\0' &&
	    (!(f->verified || f->resume) || sigp_quarantine_code(res->code));
	/* The label of a void attempt is void too (issue #13): announced (events.c), recorded
	 * with the FAIL (S-31), and taken out of the spool so that nothing prints it later. A
	 * resumed board's label was made in an earlier attempt. */
	res->label_void = res->void_serial && (res->label_state != SIGL_NONE || f->resume);
	if (res->label_void && res->label_state != SIGL_PRINTED && res->serial[0] != '\0') {
		if (label_unspool(f->prof->label_dir, res->serial) != 0)
			log_error("fixture %s: cannot remove the void label of %s from %s: %s",
			    f->fixture, res->serial, f->prof->label_dir, strerror(errno));
		res->label[0] = res->preview[0] = '\0';
	}
	res->elapsed_ms = util_ms() - t0;
	util_wipe(f->password, sizeof(f->password));
	util_wipe(&f->cred, sizeof(f->cred));
	free(f->cert);
	util_wipe(f, sizeof(*f));
	free(f);
	return r;
}
