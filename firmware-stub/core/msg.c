/*
 * msg.c: payload codecs of the protocol v1 messages (docs/protocol.md §3).
 * The wire order of each payload is the field order of its struct in msg.h; the byte tables in
 * docs/protocol.md are normative and this file follows them. Portable C99, freestanding.
 *
 * Decoders read through a struct cur only, check every length against its maximum before against
 * what remains, check every value against its range (P-11) and fill the caller's struct only on
 * success. Encoders check the same ranges first, so a station cannot send what a board would
 * refuse, and write through a sticky bounded wcur, so they never write past cap.
 */
#include "msg.h"

#include "cursor.h"

/* ---- shared checks ---- */

/* A NUL-terminated string held in a char[fieldcap]: bounded, in range, printable (P-11). */
static int
check_str(const char *s, size_t fieldcap, size_t min, size_t max)
{
	size_t n, i;

	n = core_strnlen(s, fieldcap);
	if (n >= fieldcap || n > max)
		return PRC_TOO_LONG;
	if (n < min)
		return PRC_VALUE;
	for (i = 0; i < n; i++) {
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] > 0x7e)
			return PRC_CHARSET;
	}
	return PRC_OK;
}

static int
check_len(size_t n, size_t min, size_t max)
{
	if (n > max)
		return PRC_TOO_LONG;
	if (n < min)
		return PRC_VALUE;
	return PRC_OK;
}

static int
valid_state(unsigned v)
{
	return v <= ST_LOCKED;
}

static int
valid_bool(unsigned v)
{
	return v <= 1;
}

static int
valid_obj(unsigned v)
{
	return v == OBJ_CSR || v == OBJ_CHAIN;
}

static int
valid_key_type(unsigned v)
{
	return v == KEY_EC_P256 || v == KEY_EC_P384 || v == KEY_RSA_2048;
}

static uint32_t
obj_max(unsigned obj)
{
	return obj == OBJ_CSR ? MSG_MAX_CSR : MSG_MAX_CHAIN;
}

/* P-15, P-16: a chunk lies inside its object; written so that nothing can overflow. */
static int
valid_chunk(uint32_t total, uint32_t offset, size_t len)
{
	return offset <= total && len <= total - offset;
}

static int
enc_finish(const struct wcur *w, size_t *len)
{
	if (w->err != PRC_OK)
		return w->err;
	*len = w->off;
	return PRC_OK;
}

static int
dec_str(struct cur *c, size_t min, size_t max, char *dst, size_t cap)
{
	return cur_str(c, min, max, dst, cap);
}

/* u8 length then bytes, copied into a fixed array (chip id, nonce, challenge). */
static int
dec_lbytes8_copy(struct cur *c, size_t min, size_t max, uint8_t *dst, uint8_t *dlen)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	int r;

	if ((r = cur_lbytes8(c, min, max, &p, &n)) != PRC_OK)
		return r;
	core_memcpy(dst, p, n);
	*dlen = (uint8_t)n;
	return PRC_OK;
}

static int
dec_fixed(struct cur *c, uint8_t *dst, size_t n)
{
	const uint8_t *p = NULL;
	int r;

	if ((r = cur_bytes(c, n, &p)) != PRC_OK)
		return r;
	core_memcpy(dst, p, n);
	return PRC_OK;
}

static int
dec_bool(struct cur *c, uint8_t *v)
{
	int r;

	if ((r = cur_u8(c, v)) != PRC_OK)
		return r;
	return valid_bool(*v) ? PRC_OK : PRC_VALUE;
}

int
msg_dec_empty(const uint8_t *p, size_t n)
{
	(void)p;
	return n == 0 ? PRC_OK : PRC_TRAILING;
}

/* ---- HELLO (P-12) ---- */

static int
check_hello(const struct msg_hello *m)
{
	int r;

	if (m->proto_version == 0 || !valid_state(m->state) || !valid_bool(m->debug_locked) ||
	    m->max_payload < MSG_MIN_MAX_PAYLOAD || m->max_payload > FRAME_MAX_PAYLOAD)
		return PRC_VALUE;
	if ((r = check_str(m->model, sizeof(m->model), 1, MSG_MAX_STR)) != PRC_OK ||
	    (r = check_str(m->hw_rev, sizeof(m->hw_rev), 1, MSG_MAX_STR)) != PRC_OK ||
	    (r = check_str(m->fw_version, sizeof(m->fw_version), 1, MSG_MAX_STR)) != PRC_OK ||
	    (r = check_str(m->serial, sizeof(m->serial), 0, MSG_MAX_STR)) != PRC_OK ||
	    (r = check_len(m->chip_id_len, MSG_MIN_CHIP_ID, MSG_MAX_CHIP_ID)) != PRC_OK)
		return r;
	return PRC_OK;
}

int
msg_enc_hello(const struct msg_hello *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_hello(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->proto_version);
	wcur_u8(&w, m->state);
	wcur_u8(&w, m->debug_locked);
	wcur_u32(&w, m->caps);
	wcur_u16(&w, m->max_payload);
	wcur_str(&w, m->model);
	wcur_str(&w, m->hw_rev);
	wcur_str(&w, m->fw_version);
	wcur_str(&w, m->serial);
	wcur_lbytes8(&w, m->chip_id, m->chip_id_len);
	wcur_bytes(&w, m->fw_digest, sizeof(m->fw_digest));
	return enc_finish(&w, len);
}

int
msg_dec_hello(const uint8_t *p, size_t n, struct msg_hello *m)
{
	struct msg_hello t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &t.proto_version)) != PRC_OK ||
	    (r = cur_u8(&c, &t.state)) != PRC_OK ||
	    (r = dec_bool(&c, &t.debug_locked)) != PRC_OK ||
	    (r = cur_u32(&c, &t.caps)) != PRC_OK ||
	    (r = cur_u16(&c, &t.max_payload)) != PRC_OK ||
	    (r = dec_str(&c, 1, MSG_MAX_STR, t.model, sizeof(t.model))) != PRC_OK ||
	    (r = dec_str(&c, 1, MSG_MAX_STR, t.hw_rev, sizeof(t.hw_rev))) != PRC_OK ||
	    (r = dec_str(&c, 1, MSG_MAX_STR, t.fw_version, sizeof(t.fw_version))) != PRC_OK ||
	    (r = dec_str(&c, 0, MSG_MAX_STR, t.serial, sizeof(t.serial))) != PRC_OK ||
	    (r = dec_lbytes8_copy(&c, MSG_MIN_CHIP_ID, MSG_MAX_CHIP_ID, t.chip_id,
	        &t.chip_id_len)) != PRC_OK ||
	    (r = dec_fixed(&c, t.fw_digest, sizeof(t.fw_digest))) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		return r;
	if ((r = check_hello(&t)) != PRC_OK)
		return r;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}

/* ---- SET_IDENTITY (P-13) ---- */

static int
check_set_identity(const struct msg_set_identity *m)
{
	int r;

	if ((r = check_str(m->serial, sizeof(m->serial), 1, MSG_MAX_STR)) != PRC_OK ||
	    (r = check_str(m->password, sizeof(m->password), MSG_MIN_PASSWORD,
	        MSG_MAX_PASSWORD)) != PRC_OK)
		return r;
	if (m->pw_iterations < MSG_MIN_PW_ITER || m->pw_iterations > MSG_MAX_PW_ITER)
		return PRC_VALUE;
	return PRC_OK;
}

int
msg_enc_set_identity(const struct msg_set_identity *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_set_identity(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_str(&w, m->serial);
	wcur_str(&w, m->password);
	wcur_u32(&w, m->pw_iterations);
	return enc_finish(&w, len);
}

int
msg_dec_set_identity(const uint8_t *p, size_t n, struct msg_set_identity *m)
{
	struct msg_set_identity t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = dec_str(&c, 1, MSG_MAX_STR, t.serial, sizeof(t.serial))) != PRC_OK ||
	    (r = dec_str(&c, MSG_MIN_PASSWORD, MSG_MAX_PASSWORD, t.password,
	        sizeof(t.password))) != PRC_OK ||
	    (r = cur_u32(&c, &t.pw_iterations)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK ||
	    (r = check_set_identity(&t)) != PRC_OK)
		goto out;
	core_memcpy(m, &t, sizeof(t));
	r = PRC_OK;
out:
	core_memset(&t, 0, sizeof(t)); /* holds a password */
	return r;
}

/* ---- GEN_KEY (P-14) ---- */

static int
check_gen_key(const struct msg_gen_key *m)
{
	if (!valid_key_type(m->key_type))
		return PRC_VALUE;
	return check_len(m->nonce_len, MSG_MIN_NONCE, MSG_MAX_NONCE);
}

int
msg_enc_gen_key(const struct msg_gen_key *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_gen_key(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->key_type);
	wcur_lbytes8(&w, m->nonce, m->nonce_len);
	return enc_finish(&w, len);
}

int
msg_dec_gen_key(const uint8_t *p, size_t n, struct msg_gen_key *m)
{
	struct msg_gen_key t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &t.key_type)) != PRC_OK ||
	    (r = dec_lbytes8_copy(&c, MSG_MIN_NONCE, MSG_MAX_NONCE, t.nonce, &t.nonce_len)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK ||
	    (r = check_gen_key(&t)) != PRC_OK)
		return r;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}

int
msg_enc_gen_key_rsp(const struct msg_gen_key_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_len(m->csr_len, 1, MSG_MAX_CSR)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u16(&w, m->csr_len);
	return enc_finish(&w, len);
}

int
msg_dec_gen_key_rsp(const uint8_t *p, size_t n, struct msg_gen_key_rsp *m)
{
	struct cur c;
	uint16_t v;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_u16(&c, &v)) != PRC_OK || (r = cur_end(&c)) != PRC_OK ||
	    (r = check_len(v, 1, MSG_MAX_CSR)) != PRC_OK)
		return r;
	m->csr_len = v;
	return PRC_OK;
}

/* ---- READ_OBJECT (P-15) ---- */

static int
check_read_obj(const struct msg_read_obj *m)
{
	if (!valid_obj(m->obj) || m->max < 1 || m->max > MSG_MAX_CHUNK)
		return PRC_VALUE;
	return PRC_OK;
}

int
msg_enc_read_obj(const struct msg_read_obj *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_read_obj(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->obj);
	wcur_u32(&w, m->offset);
	wcur_u16(&w, m->max);
	return enc_finish(&w, len);
}

int
msg_dec_read_obj(const uint8_t *p, size_t n, struct msg_read_obj *m)
{
	struct msg_read_obj t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &t.obj)) != PRC_OK || (r = cur_u32(&c, &t.offset)) != PRC_OK ||
	    (r = cur_u16(&c, &t.max)) != PRC_OK || (r = cur_end(&c)) != PRC_OK ||
	    (r = check_read_obj(&t)) != PRC_OK)
		return r;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}

static int
check_read_obj_rsp(uint8_t obj, uint32_t total, uint32_t offset, size_t data_len)
{
	if (data_len > MSG_MAX_CHUNK)
		return PRC_TOO_LONG;
	if (!valid_obj(obj) || total < 1 || total > obj_max(obj) ||
	    !valid_chunk(total, offset, data_len))
		return PRC_VALUE;
	/* A board that has bytes left must send at least one, or the station would never finish. */
	if (offset < total && data_len == 0)
		return PRC_VALUE;
	return PRC_OK;
}

int
msg_enc_read_obj_rsp(const struct msg_read_obj_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if (m->data == NULL && m->data_len != 0)
		return PRC_VALUE;
	if ((r = check_read_obj_rsp(m->obj, m->total, m->offset, m->data_len)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->obj);
	wcur_u32(&w, m->total);
	wcur_u32(&w, m->offset);
	wcur_lbytes16(&w, m->data, m->data_len);
	return enc_finish(&w, len);
}

int
msg_dec_read_obj_rsp(const uint8_t *p, size_t n, struct msg_read_obj_rsp *m)
{
	struct cur c;
	uint8_t obj;
	uint32_t total, offset;
	const uint8_t *data = NULL;
	size_t dl = 0;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &obj)) != PRC_OK || (r = cur_u32(&c, &total)) != PRC_OK ||
	    (r = cur_u32(&c, &offset)) != PRC_OK ||
	    (r = cur_lbytes16(&c, 0, MSG_MAX_CHUNK, &data, &dl)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK ||
	    (r = check_read_obj_rsp(obj, total, offset, dl)) != PRC_OK)
		return r;
	m->obj = obj;
	m->total = total;
	m->offset = offset;
	m->data = data;
	m->data_len = (uint16_t)dl;
	return PRC_OK;
}

/* ---- WRITE_OBJECT (P-16) ---- */

static int
check_write_obj(uint8_t obj, uint32_t total, uint32_t offset, size_t data_len)
{
	if (data_len > MSG_MAX_CHUNK)
		return PRC_TOO_LONG;
	if (!valid_obj(obj) || total < 1 || total > MSG_MAX_CHAIN ||
	    !valid_chunk(total, offset, data_len))
		return PRC_VALUE;
	return PRC_OK;
}

int
msg_enc_write_obj(const struct msg_write_obj *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if (m->data == NULL && m->data_len != 0)
		return PRC_VALUE;
	if ((r = check_write_obj(m->obj, m->total, m->offset, m->data_len)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->obj);
	wcur_u32(&w, m->total);
	wcur_u32(&w, m->offset);
	wcur_lbytes16(&w, m->data, m->data_len);
	return enc_finish(&w, len);
}

int
msg_dec_write_obj(const uint8_t *p, size_t n, struct msg_write_obj *m)
{
	struct cur c;
	uint8_t obj;
	uint32_t total, offset;
	const uint8_t *data = NULL;
	size_t dl = 0;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &obj)) != PRC_OK || (r = cur_u32(&c, &total)) != PRC_OK ||
	    (r = cur_u32(&c, &offset)) != PRC_OK ||
	    (r = cur_lbytes16(&c, 0, MSG_MAX_CHUNK, &data, &dl)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK ||
	    (r = check_write_obj(obj, total, offset, dl)) != PRC_OK)
		return r;
	m->obj = obj;
	m->total = total;
	m->offset = offset;
	m->data = data;
	m->data_len = (uint16_t)dl;
	return PRC_OK;
}

int
msg_enc_write_obj_rsp(const struct msg_write_obj_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;

	if (m->held > MSG_MAX_CHAIN)
		return PRC_VALUE;
	wcur_init(&w, out, cap);
	wcur_u32(&w, m->held);
	return enc_finish(&w, len);
}

int
msg_dec_write_obj_rsp(const uint8_t *p, size_t n, struct msg_write_obj_rsp *m)
{
	struct cur c;
	uint32_t v;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_u32(&c, &v)) != PRC_OK || (r = cur_end(&c)) != PRC_OK)
		return r;
	if (v > MSG_MAX_CHAIN)
		return PRC_VALUE;
	m->held = v;
	return PRC_OK;
}

/* ---- INSTALL (P-17) and the state replies of INSTALL and LOCK ---- */

static int
check_install(const struct msg_install *m)
{
	if (!valid_obj(m->obj) || m->total < 1 || m->total > MSG_MAX_CHAIN)
		return PRC_VALUE;
	return PRC_OK;
}

int
msg_enc_install(const struct msg_install *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_install(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->obj);
	wcur_u32(&w, m->total);
	wcur_bytes(&w, m->sha256, sizeof(m->sha256));
	return enc_finish(&w, len);
}

int
msg_dec_install(const uint8_t *p, size_t n, struct msg_install *m)
{
	struct msg_install t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &t.obj)) != PRC_OK || (r = cur_u32(&c, &t.total)) != PRC_OK ||
	    (r = dec_fixed(&c, t.sha256, sizeof(t.sha256))) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK || (r = check_install(&t)) != PRC_OK)
		return r;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}

int
msg_enc_state_rsp(const struct msg_state_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;

	if (!valid_state(m->state) || !valid_bool(m->debug_locked))
		return PRC_VALUE;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->state);
	wcur_u8(&w, m->debug_locked);
	return enc_finish(&w, len);
}

int
msg_dec_state_rsp(const uint8_t *p, size_t n, struct msg_state_rsp *m)
{
	struct cur c;
	uint8_t st, dl;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &st)) != PRC_OK || (r = dec_bool(&c, &dl)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		return r;
	if (!valid_state(st))
		return PRC_VALUE;
	m->state = st;
	m->debug_locked = dl;
	return PRC_OK;
}

/* ---- PROVE (P-18) ---- */

int
msg_enc_prove(const struct msg_prove *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_len(m->challenge_len, MSG_MIN_CHALLENGE, MSG_MAX_CHALLENGE)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_lbytes8(&w, m->challenge, m->challenge_len);
	return enc_finish(&w, len);
}

int
msg_dec_prove(const uint8_t *p, size_t n, struct msg_prove *m)
{
	struct msg_prove t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = dec_lbytes8_copy(&c, MSG_MIN_CHALLENGE, MSG_MAX_CHALLENGE, t.challenge,
	        &t.challenge_len)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		return r;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}

int
msg_enc_prove_rsp(const struct msg_prove_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_len(m->sig_len, 1, MSG_MAX_SIG)) != PRC_OK)
		return r;
	if (m->sig == NULL)
		return PRC_VALUE;
	wcur_init(&w, out, cap);
	wcur_lbytes16(&w, m->sig, m->sig_len);
	return enc_finish(&w, len);
}

int
msg_dec_prove_rsp(const uint8_t *p, size_t n, struct msg_prove_rsp *m)
{
	struct cur c;
	const uint8_t *sig = NULL;
	size_t sl = 0;
	int r;

	cur_init(&c, p, n);
	if ((r = cur_lbytes16(&c, 1, MSG_MAX_SIG, &sig, &sl)) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		return r;
	m->sig = sig;
	m->sig_len = (uint16_t)sl;
	return PRC_OK;
}

/* ---- CONFIRM_PASSWORD (P-19) ---- */

int
msg_enc_confirm_pw(const struct msg_confirm_pw *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_str(m->password, sizeof(m->password), MSG_MIN_PASSWORD,
	    MSG_MAX_PASSWORD)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_str(&w, m->password);
	return enc_finish(&w, len);
}

int
msg_dec_confirm_pw(const uint8_t *p, size_t n, struct msg_confirm_pw *m)
{
	struct msg_confirm_pw t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = dec_str(&c, MSG_MIN_PASSWORD, MSG_MAX_PASSWORD, t.password,
	        sizeof(t.password))) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		goto out;
	core_memcpy(m, &t, sizeof(t));
	r = PRC_OK;
out:
	core_memset(&t, 0, sizeof(t)); /* holds a password */
	return r;
}

int
msg_enc_confirm_pw_rsp(const struct msg_confirm_pw_rsp *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;

	if (!valid_bool(m->match))
		return PRC_VALUE;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->match);
	return enc_finish(&w, len);
}

int
msg_dec_confirm_pw_rsp(const uint8_t *p, size_t n, struct msg_confirm_pw_rsp *m)
{
	struct cur c;
	uint8_t v;
	int r;

	cur_init(&c, p, n);
	if ((r = dec_bool(&c, &v)) != PRC_OK || (r = cur_end(&c)) != PRC_OK)
		return r;
	m->match = v;
	return PRC_OK;
}

/* ---- SET_CREDENTIAL and CONFIRM_CREDENTIAL (P-53, P-54) ---- */

static int
valid_akm(unsigned v)
{
	return v == AKM_WPA2_PSK || v == AKM_WPA3_SAE || v == AKM_WPA2_WPA3;
}

/* The values of a credential whose lengths are already within their fields (P-11 order: the
 * decoder has checked maximum, minimum and what remained; the encoder checks them here first). */
static int
check_cred(const struct msg_cred *m)
{
	const struct msg_cred_wifi *w = &m->wifi;
	const struct msg_cred_matter *t = &m->matter;
	size_t i;
	int r;

	if (m->kind == CRED_WIFI) {
		if ((r = check_str(w->ssid, sizeof(w->ssid), MSG_MIN_SSID, MSG_MAX_SSID)) != PRC_OK ||
		    (r = check_len(w->secret_len, MSG_MIN_WIFI_SECRET, MSG_MAX_WIFI_SECRET)) != PRC_OK)
			return r;
		if (!valid_akm(w->akm))
			return PRC_VALUE;
		if (w->akm == AKM_WPA2_PSK)
			return w->secret_len == MSG_WIFI_PSK_LEN ? PRC_OK : PRC_VALUE;
		for (i = 0; i < w->secret_len; i++) {
			if (w->secret[i] < 0x20 || w->secret[i] > 0x7e)
				return PRC_CHARSET;
		}
		return PRC_OK;
	}
	if (m->kind == CRED_MATTER) {
		if ((r = check_len(t->salt_len, MSG_MIN_MATTER_SALT, MSG_MAX_MATTER_SALT)) != PRC_OK)
			return r;
		if (t->discriminator > MSG_MAX_DISCRIMINATOR || t->iterations < MSG_MIN_MATTER_ITER ||
		    t->iterations > MSG_MAX_MATTER_ITER || t->verifier[MSG_MATTER_W0_LEN] != 0x04)
			return PRC_VALUE;
		return PRC_OK;
	}
	return PRC_VALUE;
}

int
msg_enc_cred(const struct msg_cred *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	if ((r = check_cred(m)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u8(&w, m->kind);
	if (m->kind == CRED_WIFI) {
		wcur_str(&w, m->wifi.ssid);
		wcur_u8(&w, m->wifi.akm);
		wcur_lbytes8(&w, m->wifi.secret, m->wifi.secret_len);
	} else {
		wcur_u16(&w, m->matter.discriminator);
		wcur_u32(&w, m->matter.iterations);
		wcur_lbytes8(&w, m->matter.salt, m->matter.salt_len);
		wcur_bytes(&w, m->matter.verifier, sizeof(m->matter.verifier));
	}
	return enc_finish(&w, len);
}

int
msg_dec_cred(const uint8_t *p, size_t n, struct msg_cred *m)
{
	struct msg_cred t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u8(&c, &t.kind)) != PRC_OK)
		goto out;
	if (t.kind == CRED_WIFI)
		r = dec_str(&c, MSG_MIN_SSID, MSG_MAX_SSID, t.wifi.ssid, sizeof(t.wifi.ssid));
	if (t.kind == CRED_WIFI && r == PRC_OK)
		r = cur_u8(&c, &t.wifi.akm);
	if (t.kind == CRED_WIFI && r == PRC_OK)
		r = dec_lbytes8_copy(&c, MSG_MIN_WIFI_SECRET, MSG_MAX_WIFI_SECRET, t.wifi.secret,
		    &t.wifi.secret_len);
	if (t.kind == CRED_MATTER && (r = cur_u16(&c, &t.matter.discriminator)) == PRC_OK &&
	    (r = cur_u32(&c, &t.matter.iterations)) == PRC_OK &&
	    (r = dec_lbytes8_copy(&c, MSG_MIN_MATTER_SALT, MSG_MAX_MATTER_SALT, t.matter.salt,
	        &t.matter.salt_len)) == PRC_OK)
		r = dec_fixed(&c, t.matter.verifier, sizeof(t.matter.verifier));
	/* an unknown kind: nothing after it can be read (P-53: PRC_VALUE, PERR_BAD_ARG) */
	if (t.kind != CRED_WIFI && t.kind != CRED_MATTER)
		r = PRC_VALUE;
	if (r != PRC_OK || (r = cur_end(&c)) != PRC_OK || (r = check_cred(&t)) != PRC_OK)
		goto out;
	core_memcpy(m, &t, sizeof(t));
	r = PRC_OK;
out:
	core_memset(&t, 0, sizeof(t)); /* P-44: a Wi-Fi secret or a Matter verifier */
	return r;
}

/* ---- ERROR (P-30) ---- */

int
msg_enc_error(const struct msg_error *m, uint8_t *out, size_t cap, size_t *len)
{
	struct wcur w;
	int r;

	/* Unknown non-zero codes are allowed: a newer board may send codes this build lacks. */
	if (m->code == 0)
		return PRC_VALUE;
	if ((r = check_str(m->text, sizeof(m->text), 0, MSG_MAX_ERRTEXT)) != PRC_OK)
		return r;
	wcur_init(&w, out, cap);
	wcur_u16(&w, m->code);
	wcur_u8(&w, m->req_type);
	wcur_str(&w, m->text);
	return enc_finish(&w, len);
}

int
msg_dec_error(const uint8_t *p, size_t n, struct msg_error *m)
{
	struct msg_error t;
	struct cur c;
	int r;

	core_memset(&t, 0, sizeof(t));
	cur_init(&c, p, n);
	if ((r = cur_u16(&c, &t.code)) != PRC_OK || (r = cur_u8(&c, &t.req_type)) != PRC_OK ||
	    (r = dec_str(&c, 0, MSG_MAX_ERRTEXT, t.text, sizeof(t.text))) != PRC_OK ||
	    (r = cur_end(&c)) != PRC_OK)
		return r;
	if (t.code == 0)
		return PRC_VALUE;
	core_memcpy(m, &t, sizeof(t));
	return PRC_OK;
}
