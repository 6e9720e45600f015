/*
 * sigproto-codec.c: the field tables of the station-signer protocol; see sigproto.h and
 * docs/signer-protocol.md. One function per direction and side, each a switch over the op, so
 * that a field's limit is written once for the encoder and once for the decoder, side by side.
 */
#include "sigproto.h"

#include <string.h>

#include "cursor.h"

/* Writers that refuse what the matching reader would refuse. */
static void
put_str(struct wcur *w, const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (w->err == PRC_OK && (n < min || n > max))
		w->err = PRC_VALUE;
	wcur_str(w, s);
}

static void
put_blob8(struct wcur *w, const uint8_t *p, size_t n, size_t min, size_t max)
{
	if (w->err == PRC_OK && (n < min || n > max))
		w->err = PRC_VALUE;
	wcur_lbytes8(w, p, n);
}

static void
put_blob16(struct wcur *w, const uint8_t *p, size_t n, size_t min, size_t max)
{
	if (w->err == PRC_OK && (n < min || n > max))
		w->err = PRC_VALUE;
	wcur_lbytes16(w, p, n);
}

/* A u16-length text for people: min..SIGP_MAX_TEXT printable bytes, as get_text16_min reads it. */
static void
put_text16_min(struct wcur *w, const char *s, size_t min)
{
	size_t n = strnlen(s, SIGP_MAX_TEXT + 1), i;

	if (w->err == PRC_OK && (n < min || n > SIGP_MAX_TEXT))
		w->err = PRC_VALUE;
	for (i = 0; w->err == PRC_OK && i < n; i++)
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] > 0x7e)
			w->err = PRC_CHARSET;
	wcur_lbytes16(w, s, n);
}

static void
put_text16(struct wcur *w, const char *s)
{
	put_text16_min(w, s, 0);
}

static void
put_flag(struct wcur *w, uint8_t v)
{
	if (w->err == PRC_OK && v > 1)
		w->err = PRC_VALUE;
	wcur_u8(w, v);
}

/* enum sig_label: 0..SIGL_MAX. */
static void
put_label(struct wcur *w, uint8_t v)
{
	if (w->err == PRC_OK && v > SIGL_MAX)
		w->err = PRC_VALUE;
	wcur_u8(w, v);
}

/* Readers: each returns 0 or a negative PRC_* and leaves the field unset on failure. */
static int
get_blob8(struct cur *c, size_t min, size_t max, uint8_t *dst, uint8_t *n)
{
	const uint8_t *p;
	size_t l = 0;
	int r;

	if ((r = cur_lbytes8(c, min, max, &p, &l)) != PRC_OK)
		return r;
	memcpy(dst, p, l);
	*n = (uint8_t)l;
	return PRC_OK;
}

static int
get_flag(struct cur *c, uint8_t *v)
{
	uint8_t b = 0;
	int r;

	if ((r = cur_u8(c, &b)) != PRC_OK)
		return r;
	if (b > 1)
		return PRC_VALUE;
	*v = b;
	return PRC_OK;
}

static int
get_label(struct cur *c, uint8_t *v)
{
	uint8_t b = 0;
	int r;

	if ((r = cur_u8(c, &b)) != PRC_OK)
		return r;
	if (b > SIGL_MAX)
		return PRC_VALUE;
	*v = b;
	return PRC_OK;
}

/* CHECKED's proof (S-29): bytes16[0..SIGP_MAX_SIG], and present exactly when ok (else
 * PRC_VALUE). */
static int
get_sig(struct cur *c, uint8_t ok, uint8_t *dst, uint16_t *n)
{
	const uint8_t *p;
	size_t l = 0;
	int r;

	if ((r = cur_lbytes16(c, 0, SIGP_MAX_SIG, &p, &l)) != PRC_OK)
		return r;
	if ((l != 0) != (ok != 0))
		return PRC_VALUE;
	memcpy(dst, p, l);
	*n = (uint16_t)l;
	return PRC_OK;
}

static int
get_text16_min(struct cur *c, size_t min, char *dst, size_t cap)
{
	const uint8_t *p;
	size_t n = 0, i;
	int r;

	if ((r = cur_lbytes16(c, min, SIGP_MAX_TEXT, &p, &n)) != PRC_OK)
		return r;
	if (n >= cap)
		return PRC_SPACE;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return PRC_CHARSET;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return PRC_OK;
}

static int
get_text16(struct cur *c, char *dst, size_t cap)
{
	return get_text16_min(c, 0, dst, cap);
}

#define CHIP_MIN MSG_MIN_CHIP_ID
#define CHIP_MAX MSG_MAX_CHIP_ID

int
sigp_enc_req(const struct sigp_req *q, uint8_t *buf, size_t cap, size_t *len)
{
	const struct sigp_board *b = &q->board;
	struct wcur w;

	wcur_init(&w, buf, cap);
	wcur_u8(&w, q->op);
	switch (q->op) {
	case SIGOP_HELLO: wcur_u8(&w, q->version); break;
	case SIGOP_SESSION:
		put_str(&w, q->lot, 1, SIGP_MAX_NAME);
		put_str(&w, q->operator_name, 1, SIGP_MAX_NAME);
		break;
	case SIGOP_BOARD:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_str(&w, b->model, 1, MSG_MAX_STR);
		put_str(&w, b->hw_rev, 0, MSG_MAX_STR);
		put_str(&w, b->fw_version, 1, MSG_MAX_STR);
		wcur_bytes(&w, b->fw_digest, MSG_DIGEST_LEN);
		wcur_u8(&w, b->proto_version);
		wcur_u8(&w, b->state);
		put_flag(&w, b->debug_locked);
		put_str(&w, b->fixture, 1, SIGP_MAX_NAME);
		break;
	case SIGOP_COMMIT_PW:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_str(&w, q->password, MSG_MIN_PASSWORD, MSG_MAX_PASSWORD);
		break;
	case SIGOP_COMMIT_CRED:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		if (w.err == PRC_OK && (q->cred_kind < 1 || q->cred_kind > SIGC_MAX))
			w.err = PRC_VALUE;
		wcur_u8(&w, q->cred_kind);
		put_str(&w, q->cred_public, 0, SIGP_MAX_CRED_PUBLIC);
		put_str(&w, q->cred_secret, 1, SIGP_MAX_CRED_SECRET);
		break;
	case SIGOP_ISSUE:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_blob8(&w, q->nonce, q->nonce_len, MSG_MIN_NONCE, MSG_MAX_NONCE);
		put_blob16(&w, q->csr, q->csr_len, 1, CAP_CSR_DER);
		break;
	case SIGOP_VERIFIED:
	case SIGOP_CERT: put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX); break;
	case SIGOP_PASS:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_flag(&w, q->resumed);
		put_label(&w, q->label);
		break;
	case SIGOP_FAIL:
		/* Empty chip: the board failed before it identified itself. */
		if (b->chip_len != 0)
			put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		else
			wcur_u8(&w, 0);
		put_str(&w, q->step, 1, SIGP_MAX_CODE);
		put_str(&w, q->code, 1, SIGP_MAX_CODE);
		put_text16(&w, q->reason);
		put_label(&w, q->label);
		break;
	case SIGOP_FIXTURE_ERROR:
		put_str(&w, b->fixture, 1, SIGP_MAX_NAME);
		put_text16(&w, q->reason);
		break;
	case SIGOP_STOP:
		wcur_u32(&w, q->npass);
		wcur_u32(&w, q->nfail);
		break;
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS: put_str(&w, q->lot, 1, SIGP_MAX_NAME); break;
	case SIGOP_INFO: break;
	case SIGOP_CRL: wcur_u32(&w, q->offset); break;
	case SIGOP_CHECKPOINT:
		put_flag(&w, q->force);
		put_str(&w, q->trigger, 1, SIGP_MAX_CODE);
		break;
	case SIGOP_LOOKUP: put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX); break;
	case SIGOP_CHECKED:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_flag(&w, q->ok);
		put_str(&w, b->fixture, 1, SIGP_MAX_NAME);
		put_str(&w, q->code, 0, SIGP_MAX_CODE);
		put_text16(&w, q->reason);
		/* S-29: the board's proof goes with a pass, and only with a pass. */
		put_blob16(&w, q->sig, q->sig_len, q->ok ? 1 : 0, q->ok ? SIGP_MAX_SIG : 0);
		break;
	case SIGOP_RELEASE:
		put_blob8(&w, b->chip, b->chip_len, CHIP_MIN, CHIP_MAX);
		put_text16_min(&w, q->reason, 1);
		break;
	default: return PRC_VALUE;
	}
	if (w.err != PRC_OK)
		return w.err;
	*len = w.off;
	return PRC_OK;
}

static int
dec_board(struct cur *c, struct sigp_board *b)
{
	const uint8_t *d;
	int r;

	if ((r = get_blob8(c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) != 0 ||
	    (r = cur_str(c, 1, MSG_MAX_STR, b->model, sizeof(b->model))) != 0 ||
	    (r = cur_str(c, 0, MSG_MAX_STR, b->hw_rev, sizeof(b->hw_rev))) != 0 ||
	    (r = cur_str(c, 1, MSG_MAX_STR, b->fw_version, sizeof(b->fw_version))) != 0 ||
	    (r = cur_bytes(c, MSG_DIGEST_LEN, &d)) != 0 ||
	    (r = cur_u8(c, &b->proto_version)) != 0 || (r = cur_u8(c, &b->state)) != 0 ||
	    (r = get_flag(c, &b->debug_locked)) != 0 ||
	    (r = cur_str(c, 1, SIGP_MAX_NAME, b->fixture, sizeof(b->fixture))) != 0)
		return r;
	memcpy(b->fw_digest, d, MSG_DIGEST_LEN);
	return PRC_OK;
}

int
sigp_dec_req(const uint8_t *buf, size_t len, struct sigp_req *q)
{
	struct sigp_board *b = &q->board;
	struct cur c;
	int r = PRC_OK;

	memset(q, 0, sizeof(*q));
	cur_init(&c, buf, len);
	if ((r = cur_u8(&c, &q->op)) != PRC_OK)
		return r;
	switch (q->op) {
	case SIGOP_HELLO: r = cur_u8(&c, &q->version); break;
	case SIGOP_SESSION:
		if ((r = cur_str(&c, 1, SIGP_MAX_NAME, q->lot, sizeof(q->lot))) == 0)
			r = cur_str(&c, 1, SIGP_MAX_NAME, q->operator_name, sizeof(q->operator_name));
		break;
	case SIGOP_BOARD: r = dec_board(&c, b); break;
	case SIGOP_COMMIT_PW:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0)
			r = cur_str(&c, MSG_MIN_PASSWORD, MSG_MAX_PASSWORD, q->password,
			    sizeof(q->password));
		break;
	case SIGOP_COMMIT_CRED:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0 &&
		    (r = cur_u8(&c, &q->cred_kind)) == 0 &&
		    (r = cur_str(&c, 0, SIGP_MAX_CRED_PUBLIC, q->cred_public,
		        sizeof(q->cred_public))) == 0)
			r = cur_str(&c, 1, SIGP_MAX_CRED_SECRET, q->cred_secret, sizeof(q->cred_secret));
		if (r == 0 && (q->cred_kind < 1 || q->cred_kind > SIGC_MAX))
			r = PRC_VALUE;
		break;
	case SIGOP_ISSUE:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0 &&
		    (r = get_blob8(&c, MSG_MIN_NONCE, MSG_MAX_NONCE, q->nonce, &q->nonce_len)) == 0)
			r = cur_lbytes16(&c, 1, CAP_CSR_DER, &q->csr, &q->csr_len);
		break;
	case SIGOP_VERIFIED:
	case SIGOP_CERT: r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len); break;
	case SIGOP_PASS:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0 &&
		    (r = get_flag(&c, &q->resumed)) == 0)
			r = get_label(&c, &q->label);
		break;
	case SIGOP_FAIL:
		if ((r = get_blob8(&c, 0, CHIP_MAX, b->chip, &b->chip_len)) != 0)
			break;
		if (b->chip_len != 0 && b->chip_len < CHIP_MIN) {
			r = PRC_VALUE;
			break;
		}
		if ((r = cur_str(&c, 1, SIGP_MAX_CODE, q->step, sizeof(q->step))) == 0 &&
		    (r = cur_str(&c, 1, SIGP_MAX_CODE, q->code, sizeof(q->code))) == 0 &&
		    (r = get_text16(&c, q->reason, sizeof(q->reason))) == 0)
			r = get_label(&c, &q->label);
		break;
	case SIGOP_FIXTURE_ERROR:
		if ((r = cur_str(&c, 1, SIGP_MAX_NAME, b->fixture, sizeof(b->fixture))) == 0)
			r = get_text16(&c, q->reason, sizeof(q->reason));
		break;
	case SIGOP_STOP:
		if ((r = cur_u32(&c, &q->npass)) == 0)
			r = cur_u32(&c, &q->nfail);
		break;
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS: r = cur_str(&c, 1, SIGP_MAX_NAME, q->lot, sizeof(q->lot)); break;
	case SIGOP_INFO: break;
	case SIGOP_CRL: r = cur_u32(&c, &q->offset); break;
	case SIGOP_CHECKPOINT:
		if ((r = get_flag(&c, &q->force)) == 0)
			r = cur_str(&c, 1, SIGP_MAX_CODE, q->trigger, sizeof(q->trigger));
		break;
	case SIGOP_LOOKUP: r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len); break;
	case SIGOP_CHECKED:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0 &&
		    (r = get_flag(&c, &q->ok)) == 0 &&
		    (r = cur_str(&c, 1, SIGP_MAX_NAME, b->fixture, sizeof(b->fixture))) == 0 &&
		    (r = cur_str(&c, 0, SIGP_MAX_CODE, q->code, sizeof(q->code))) == 0 &&
		    (r = get_text16(&c, q->reason, sizeof(q->reason))) == 0)
			r = get_sig(&c, q->ok, q->sig, &q->sig_len);
		break;
	case SIGOP_RELEASE:
		if ((r = get_blob8(&c, CHIP_MIN, CHIP_MAX, b->chip, &b->chip_len)) == 0)
			r = get_text16_min(&c, 1, q->reason, sizeof(q->reason));
		break;
	default: return PRC_VALUE;
	}
	if (r != PRC_OK)
		return r;
	return cur_end(&c);
}

static void
enc_lot(struct wcur *w, const struct sigp_lot *l)
{
	put_str(w, l->lot, 1, SIGP_MAX_NAME);
	put_flag(w, l->closed);
	wcur_u32(w, l->quota);
	wcur_u32(w, l->used);
	wcur_u32(w, l->product_quota);
	wcur_u32(w, l->product_used);
	wcur_u32(w, l->recovered);
}

static int
dec_lot(struct cur *c, struct sigp_lot *l)
{
	int r;

	if ((r = cur_str(c, 1, SIGP_MAX_NAME, l->lot, sizeof(l->lot))) != 0 ||
	    (r = get_flag(c, &l->closed)) != 0 || (r = cur_u32(c, &l->quota)) != 0 ||
	    (r = cur_u32(c, &l->used)) != 0 || (r = cur_u32(c, &l->product_quota)) != 0 ||
	    (r = cur_u32(c, &l->product_used)) != 0 || (r = cur_u32(c, &l->recovered)) != 0)
		return r;
	return PRC_OK;
}

int
sigp_enc_rsp(uint8_t op, const struct sigp_rsp *p, uint8_t *buf, size_t cap, size_t *len)
{
	struct wcur w;

	wcur_init(&w, buf, cap);
	wcur_u8(&w, p->status);
	if (p->status != SIGST_OK) {
		wcur_u8(&w, p->detail);
		put_text16(&w, p->text);
		goto done;
	}
	switch (op) {
	case SIGOP_HELLO:
		wcur_u8(&w, p->version);
		wcur_u8(&w, p->mode);
		put_flag(&w, p->separated);
		put_str(&w, p->ident, 1, SIGP_MAX_NAME);
		break;
	case SIGOP_SESSION:
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS: enc_lot(&w, &p->lot); break;
	case SIGOP_BOARD:
		if (w.err == PRC_OK && p->disposition != SIGB_NEW && p->disposition != SIGB_RESUME)
			w.err = PRC_VALUE;
		wcur_u8(&w, p->disposition);
		put_str(&w, p->serial, 1, CAP_SERIAL);
		put_str(&w, p->cert_serial, 0, SIGP_MAX_CERT_SERIAL);
		break;
	case SIGOP_ISSUE:
		put_blob16(&w, p->blob, p->blob_len, 1, CAP_CERT_DER);
		put_str(&w, p->cert_serial, 1, SIGP_MAX_CERT_SERIAL);
		break;
	case SIGOP_CERT: put_blob16(&w, p->blob, p->blob_len, 1, CAP_CERT_DER); break;
	case SIGOP_INFO: put_blob16(&w, p->blob, p->blob_len, 1, SIGP_MAX_BLOB); break;
	case SIGOP_CRL:
		if (w.err == PRC_OK && (p->total == 0 || p->total > CAP_CRL || p->blob_len > p->total))
			w.err = PRC_VALUE;
		wcur_u32(&w, p->total);
		put_blob16(&w, p->blob, p->blob_len, 1, SIGP_MAX_BLOB);
		break;
	case SIGOP_CHECKPOINT:
		put_flag(&w, p->signed_now);
		wcur_u32(&w, p->size_hi);
		wcur_u32(&w, p->size_lo);
		put_blob16(&w, p->blob, p->blob_len, 0, SIGP_MAX_BLOB);
		break;
	case SIGOP_LOOKUP:
		if (w.err == PRC_OK && p->kind > SIGREC_MAX)
			w.err = PRC_VALUE;
		wcur_u8(&w, p->kind);
		put_str(&w, p->serial, 0, CAP_SERIAL);
		put_str(&w, p->cert_serial, 0, SIGP_MAX_CERT_SERIAL);
		put_blob16(&w, p->blob, p->blob_len, 0, CAP_CERT_DER);
		put_text16(&w, p->reason);
		/* S-29: a challenge comes with a PASS record, and only with one. */
		put_blob8(&w, p->challenge, p->challenge_len, p->kind == SIGREC_PASS ? SIGP_CHALLENGE : 0,
		    p->kind == SIGREC_PASS ? SIGP_CHALLENGE : 0);
		break;
	case SIGOP_COMMIT_PW:
	case SIGOP_COMMIT_CRED:
	case SIGOP_VERIFIED:
	case SIGOP_PASS:
	case SIGOP_FAIL:
	case SIGOP_FIXTURE_ERROR:
	case SIGOP_STOP:
	case SIGOP_CHECKED:
	case SIGOP_RELEASE: break;
	default: return PRC_VALUE;
	}
done:
	if (w.err != PRC_OK)
		return w.err;
	*len = w.off;
	return PRC_OK;
}

int
sigp_dec_rsp(uint8_t op, const uint8_t *buf, size_t len, struct sigp_rsp *p)
{
	struct cur c;
	int r;

	memset(p, 0, sizeof(*p));
	cur_init(&c, buf, len);
	if ((r = cur_u8(&c, &p->status)) != PRC_OK)
		return r;
	if (p->status != SIGST_OK) {
		if ((r = cur_u8(&c, &p->detail)) != 0 ||
		    (r = get_text16(&c, p->text, sizeof(p->text))) != 0)
			return r;
		return cur_end(&c);
	}
	switch (op) {
	case SIGOP_HELLO:
		if ((r = cur_u8(&c, &p->version)) == 0 && (r = cur_u8(&c, &p->mode)) == 0 &&
		    (r = get_flag(&c, &p->separated)) == 0)
			r = cur_str(&c, 1, SIGP_MAX_NAME, p->ident, sizeof(p->ident));
		break;
	case SIGOP_SESSION:
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS: r = dec_lot(&c, &p->lot); break;
	case SIGOP_BOARD:
		if ((r = cur_u8(&c, &p->disposition)) != 0)
			break;
		if (p->disposition != SIGB_NEW && p->disposition != SIGB_RESUME) {
			r = PRC_VALUE;
			break;
		}
		if ((r = cur_str(&c, 1, CAP_SERIAL, p->serial, sizeof(p->serial))) == 0)
			r = cur_str(&c, 0, SIGP_MAX_CERT_SERIAL, p->cert_serial, sizeof(p->cert_serial));
		break;
	case SIGOP_ISSUE:
		if ((r = cur_lbytes16(&c, 1, CAP_CERT_DER, &p->blob, &p->blob_len)) == 0)
			r = cur_str(&c, 1, SIGP_MAX_CERT_SERIAL, p->cert_serial, sizeof(p->cert_serial));
		break;
	case SIGOP_CERT: r = cur_lbytes16(&c, 1, CAP_CERT_DER, &p->blob, &p->blob_len); break;
	case SIGOP_INFO: r = cur_lbytes16(&c, 1, SIGP_MAX_BLOB, &p->blob, &p->blob_len); break;
	case SIGOP_CRL:
		if ((r = cur_u32(&c, &p->total)) != 0)
			break;
		if (p->total == 0 || p->total > CAP_CRL) {
			r = PRC_VALUE;
			break;
		}
		if ((r = cur_lbytes16(&c, 1, SIGP_MAX_BLOB, &p->blob, &p->blob_len)) == 0 &&
		    p->blob_len > p->total)
			r = PRC_VALUE;
		break;
	case SIGOP_CHECKPOINT:
		if ((r = get_flag(&c, &p->signed_now)) == 0 && (r = cur_u32(&c, &p->size_hi)) == 0 &&
		    (r = cur_u32(&c, &p->size_lo)) == 0)
			r = cur_lbytes16(&c, 0, SIGP_MAX_BLOB, &p->blob, &p->blob_len);
		break;
	case SIGOP_LOOKUP:
		if ((r = cur_u8(&c, &p->kind)) != 0)
			break;
		if (p->kind > SIGREC_MAX) {
			r = PRC_VALUE;
			break;
		}
		if ((r = cur_str(&c, 0, CAP_SERIAL, p->serial, sizeof(p->serial))) == 0 &&
		    (r = cur_str(&c, 0, SIGP_MAX_CERT_SERIAL, p->cert_serial, sizeof(p->cert_serial))) == 0 &&
		    (r = cur_lbytes16(&c, 0, CAP_CERT_DER, &p->blob, &p->blob_len)) == 0 &&
		    (r = get_text16(&c, p->reason, sizeof(p->reason))) == 0 &&
		    (r = get_blob8(&c, 0, SIGP_CHALLENGE, p->challenge, &p->challenge_len)) == 0 &&
		    p->challenge_len != (p->kind == SIGREC_PASS ? SIGP_CHALLENGE : 0))
			r = PRC_VALUE;
		break;
	case SIGOP_COMMIT_PW:
	case SIGOP_COMMIT_CRED:
	case SIGOP_VERIFIED:
	case SIGOP_PASS:
	case SIGOP_FAIL:
	case SIGOP_FIXTURE_ERROR:
	case SIGOP_STOP:
	case SIGOP_CHECKED:
	case SIGOP_RELEASE: break;
	default: return PRC_VALUE;
	}
	if (r != PRC_OK)
		return r;
	return cur_end(&c);
}
