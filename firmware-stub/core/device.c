/*
 * device.c: request dispatch and lifecycle of a board (docs/protocol.md §3, §4).
 * Portable C99: no heap, no stdio, no libc. Everything from the line is untrusted and goes through
 * the msg_dec_* checked decoders.
 */
#include "device.h"

#include "cursor.h"

static const char hexd[] = "0123456789abcdef";

static void
to_hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Compile-time checks of the port configuration (port-config.h) and of the record layout. */
#define DEV_STATIC_ASSERT(name, cond) typedef char dev_assert_##name[(cond) ? 1 : -1]
DEV_STATIC_ASSERT(some_key_type, DEV_CFG_KEY_EC_P256 || DEV_CFG_KEY_EC_P384 || DEV_CFG_KEY_RSA_2048);
DEV_STATIC_ASSERT(sizes_aligned, DEV_MAX_KEY % 4 == 0 && DEV_MAX_CSR % 4 == 0 && DEV_MAX_CHAIN % 4 == 0);
DEV_STATIC_ASSERT(protocol_limits, DEV_MAX_CSR <= MSG_MAX_CSR && DEV_MAX_CHAIN <= MSG_MAX_CHAIN &&
    DEV_MAX_SIG <= MSG_MAX_SIG && DEV_MAX_KEY > 0 && DEV_MAX_CSR > 0 && DEV_MAX_SIG > 0);
/* GEN_KEY builds the new key and CSR in the staging buffer before it commits them. */
DEV_STATIC_ASSERT(scratch, DEV_MAX_CHAIN >= DEV_MAX_KEY + DEV_MAX_CSR);
/* No implicit padding: the CRC covers only bytes the core wrote. */
DEV_STATIC_ASSERT(no_padding, sizeof(struct dev_persist) ==
    DEV_PERSIST_FIXED + DEV_MAX_KEY + DEV_MAX_CSR + DEV_MAX_CHAIN);
DEV_STATIC_ASSERT(crc_last, offsetof(struct dev_persist, crc) + 4 == sizeof(struct dev_persist));
/* Layout 3 is layout 2 with the credentials where layout 2's CRC was (dev_record_migrate), and
 * the credentials are one block (SET_IDENTITY moves them aside as a whole). */
DEV_STATIC_ASSERT(l2_prefix, offsetof(struct dev_persist, cred_stored) + 4 == DEV_PERSIST_L2_SIZE);
DEV_STATIC_ASSERT(cred_block, offsetof(struct dev_persist, crc) -
    offsetof(struct dev_persist, cred_stored) == DEV_PERSIST_CRED);
DEV_STATIC_ASSERT(cred_aligned, offsetof(struct dev_persist, cred_stored) % 4 == 0 &&
    offsetof(struct dev_persist, matter_iterations) % 4 == 0);
/* SET_IDENTITY keeps the old key and credentials in the staging buffer until its store is done. */
DEV_STATIC_ASSERT(scratch_cred, DEV_MAX_CHAIN >= DEV_MAX_KEY + DEV_PERSIST_CRED);

static uint32_t
record_crc(const struct dev_persist *ps)
{
	return crc32_ieee((const uint8_t *)ps, offsetof(struct dev_persist, crc));
}

void
dev_record_seal(struct dev_persist *ps)
{
	ps->magic = DEV_PERSIST_MAGIC;
	ps->layout = DEV_PERSIST_LAYOUT;
	ps->size = (uint32_t)sizeof(*ps);
	ps->reserved0 = 0;
	ps->reserved1 = 0;
	ps->reserved2 = 0;
	core_memset(ps->reserved3, 0, sizeof(ps->reserved3));
	ps->reserved4 = 0;
	core_memset(ps->reserved5, 0, sizeof(ps->reserved5));
	ps->crc = record_crc(ps);
}

/* The credential block of a record (DEV_PERSIST_CRED bytes from cred_stored). */
static uint8_t *
cred_block(struct dev_persist *ps)
{
	return &ps->cred_stored;
}

/* 1 when the bytes p[from..n) are all zero. */
static int
all_zero(const uint8_t *p, size_t from, size_t n)
{
	uint8_t acc = 0;

	for (; from < n; from++)
		acc |= p[from];
	return acc == 0;
}

/* §4.1: the credential fields of a record: a kind stored is a valid credential (the codec's
 * rules, P-53), a kind not stored is all zero, and bytes past each length are zero. */
static int
cred_fields_ok(const struct dev_persist *ps)
{
	size_t sl;

	if ((ps->cred_stored & ~(DEV_CRED_WIFI | DEV_CRED_MATTER)) != 0)
		return 0;
	sl = core_strnlen(ps->wifi_ssid, sizeof(ps->wifi_ssid));
	if (sl >= sizeof(ps->wifi_ssid) || ps->wifi_secret_len > sizeof(ps->wifi_secret) ||
	    !all_zero((const uint8_t *)ps->wifi_ssid, sl, sizeof(ps->wifi_ssid)) ||
	    !all_zero(ps->wifi_secret, ps->wifi_secret_len, sizeof(ps->wifi_secret)))
		return 0;
	if (ps->cred_stored & DEV_CRED_WIFI) {
		if (sl < MSG_MIN_SSID || ps->wifi_akm < AKM_WPA2_PSK || ps->wifi_akm > AKM_WPA2_WPA3 ||
		    ps->wifi_secret_len < MSG_MIN_WIFI_SECRET ||
		    (ps->wifi_akm == AKM_WPA2_PSK && ps->wifi_secret_len != MSG_WIFI_PSK_LEN))
			return 0;
	} else if (sl != 0 || ps->wifi_akm != 0 || ps->wifi_secret_len != 0)
		return 0;
	if (ps->matter_salt_len > sizeof(ps->matter_salt) ||
	    !all_zero(ps->matter_salt, ps->matter_salt_len, sizeof(ps->matter_salt)))
		return 0;
	if (ps->cred_stored & DEV_CRED_MATTER)
		return ps->matter_salt_len >= MSG_MIN_MATTER_SALT &&
		    ps->matter_discriminator <= MSG_MAX_DISCRIMINATOR &&
		    ps->matter_iterations >= MSG_MIN_MATTER_ITER &&
		    ps->matter_iterations <= MSG_MAX_MATTER_ITER &&
		    ps->matter_verifier[MSG_MATTER_W0_LEN] == 0x04;
	return ps->matter_salt_len == 0 && ps->matter_discriminator == 0 &&
	    ps->matter_iterations == 0 &&
	    all_zero(ps->matter_verifier, 0, sizeof(ps->matter_verifier));
}

int
dev_record_migrate(struct dev_persist *ps, size_t n)
{
	uint8_t *p = (uint8_t *)ps;
	uint32_t crc;

	/* layout 2: the same fields up to the chain, then its CRC (P-46) */
	if (n != DEV_PERSIST_L2_SIZE || ps->magic != DEV_PERSIST_MAGIC || ps->layout != 2 ||
	    ps->size != DEV_PERSIST_L2_SIZE)
		return 0;
	core_memcpy(&crc, p + DEV_PERSIST_L2_SIZE - 4, 4);
	if (crc != crc32_ieee(p, DEV_PERSIST_L2_SIZE - 4))
		return 0;
	/* no credentials: layout 2 had none */
	core_memset(cred_block(ps), 0, sizeof(*ps) - offsetof(struct dev_persist, cred_stored));
	dev_record_seal(ps);
	return 1;
}

int
dev_record_check(const struct dev_persist *ps)
{
	if (ps->magic != DEV_PERSIST_MAGIC)
		return DEV_REC_ERASED;
	if (ps->layout != DEV_PERSIST_LAYOUT || ps->size != sizeof(*ps))
		return DEV_REC_LAYOUT;
	if (ps->crc != record_crc(ps))
		return DEV_REC_CRC;
	if (ps->state > ST_LOCKED || ps->debug_locked > 1 || ps->key_len > DEV_MAX_KEY ||
	    ps->csr_len > DEV_MAX_CSR || ps->chain_len > DEV_MAX_CHAIN ||
	    core_strnlen(ps->serial, sizeof(ps->serial)) >= sizeof(ps->serial))
		return DEV_REC_FIELDS;
	/* P-20: each state has what it needs (a record that says KEYED has a key and a CSR ...). */
	if ((ps->state >= ST_IDENTIFIED && (ps->pw_iterations < MSG_MIN_PW_ITER ||
	        ps->pw_iterations > MSG_MAX_PW_ITER || ps->serial[0] == '\0')) ||
	    (ps->state >= ST_KEYED && (ps->key_len == 0 || ps->csr_len == 0)) ||
	    (ps->state >= ST_CERTIFIED && ps->chain_len == 0))
		return DEV_REC_FIELDS;
	/* P-53: credentials are stored from IDENTIFIED on, and only valid ones */
	if (!cred_fields_ok(ps) || (ps->state == ST_BLANK && ps->cred_stored != 0))
		return DEV_REC_FIELDS;
	return DEV_REC_OK;
}

static void
persist_blank(struct dev_persist *ps)
{
	core_memset(ps, 0, sizeof(*ps));
	ps->state = ST_BLANK;
	dev_record_seal(ps);
}

/* The debug lock as the hardware reports it: 1 closed, 0 open, -1 unknown (no hook, or it
 * cannot be read). */
static int
hw_lock(const struct dev *d)
{
	int r;

	if (d->pf->debug_state == NULL)
		return -1;
	r = d->pf->debug_state(d->pf->ctx);
	return r < 0 ? -1 : r > 0;
}

/* P-12: what HELLO and the state replies say: the hardware's word, else the record's copy. */
static uint8_t
debug_locked(const struct dev *d)
{
	int hw = hw_lock(d);

	return hw < 0 ? d->ps.debug_locked : (uint8_t)hw;
}

void
dev_init(struct dev *d, const struct dev_identity *id, const struct dev_platform *pf,
    const struct dev_persist *flash)
{
	int rc, hw;

	core_memset(d, 0, sizeof(*d));
	d->id = id;
	d->pf = pf;
	frame_rx_init(&d->rx);
	rc = flash != NULL ? dev_record_check(flash) : DEV_REC_ERASED;
	hw = hw_lock(d);
	if (rc == DEV_REC_OK) {
		core_memcpy(&d->ps, flash, sizeof(d->ps));
		d->boot = DEV_BOOT_RECORD;
	} else {
		persist_blank(&d->ps);
		d->boot = rc == DEV_REC_ERASED ? DEV_BOOT_ERASED : DEV_BOOT_DAMAGED;
		/* §4.1: a damaged record may have been a LOCKED one. Unless the hardware says the
		 * debug port is open (so the board was never locked), refuse every write (P-21).
		 * No record at all with the fuse blown is the same: the board was locked. */
		if ((rc != DEV_REC_ERASED && hw != 0) || hw > 0) {
			d->boot = DEV_BOOT_DAMAGED; /* a LOCKED stand-in, erased flash or not */
			d->ps.state = ST_LOCKED;
			d->ps.debug_locked = hw > 0;
			dev_record_seal(&d->ps);
		}
		return;
	}
	/* §4.1: the fuse is only ever blown from CERTIFIED, at LOCK: a valid record of an earlier
	 * state beside a blown fuse was rolled back or rewritten (a CRC is not authentication).
	 * The board is LOCKED, refusing every write, as for a damaged record; nothing is stored. */
	if (hw > 0 && d->ps.state < ST_CERTIFIED) {
		persist_blank(&d->ps);
		d->ps.state = ST_LOCKED;
		d->ps.debug_locked = 1;
		dev_record_seal(&d->ps);
		d->boot = DEV_BOOT_DAMAGED;
		return;
	}
	/* P-45: the fuse was written and the part reset (or the record write failed) before the
	 * LOCKED record was stored: complete the LOCK now. */
	if (d->ps.state == ST_CERTIFIED && hw > 0) {
		d->ps.state = ST_LOCKED;
		d->ps.debug_locked = 1;
		dev_record_seal(&d->ps);
		(void)pf->store(pf->ctx, &d->ps); /* if this fails, the next boot does it again */
		d->boot = DEV_BOOT_LOCK_DONE;
	}
}

static void
staging_clear(struct dev *d)
{
	core_memset(d->staging, 0, sizeof(d->staging));
	d->staging_len = d->staging_total = 0;
}

void
dev_reboot(struct dev *d)
{
	frame_rx_init(&d->rx);
	frame_rx_wipe(&d->rx);
	staging_clear(d);
	d->have_last = 0;
	d->last_len = 0;
	core_memset(d->last_reply, 0, sizeof(d->last_reply));
	core_memset(d->out, 0, sizeof(d->out));
}

#ifdef DEV_HOST_BUILD
void
dev_factory_reset(struct dev *d)
{
	persist_blank(&d->ps);
	(void)d->pf->store(d->pf->ctx, &d->ps);
	dev_reboot(d);
}
#endif

/* Exchanges n bytes of a and b in place: a commit that can be undone without a second copy. */
static void
swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	size_t i;
	uint8_t t;

	for (i = 0; i < n; i++) {
		t = a[i];
		a[i] = b[i];
		b[i] = t;
	}
}

/* Sends a reply frame and remembers it for retransmission (P-9). */
static void
send_frame(struct dev *d, uint8_t type, uint16_t seq, uint8_t req_type, const uint8_t *payload,
    size_t len)
{
	size_t wl = 0;

	if (frame_encode(type, seq, payload, len, d->last_reply, sizeof(d->last_reply), &wl) != 0) {
		d->have_last = 0;
		return;
	}
	d->have_last = 1;
	d->last_seq = seq;
	d->last_type = req_type;
	d->last_len = wl;
	(void)d->pf->send(d->pf->ctx, d->last_reply, wl);
}

static void
reply_error(struct dev *d, uint16_t seq, uint8_t req_type, unsigned code, const char *text)
{
	struct msg_error e;
	size_t n = core_strnlen(text, MSG_MAX_ERRTEXT), len = 0;

	core_memset(&e, 0, sizeof(e));
	e.code = (uint16_t)code;
	e.req_type = req_type;
	core_memcpy(e.text, text, n);
	e.text[n] = '\0';
	if (msg_enc_error(&e, d->out, sizeof(d->out), &len) == 0)
		send_frame(d, MSG_ERROR, seq, req_type, d->out, len);
}

/* P-31: a value out of range is PERR_BAD_ARG, any other decode failure PERR_BAD_LENGTH. */
static int
dec_err(int rc)
{
	return rc == PRC_VALUE ? PERR_BAD_ARG : PERR_BAD_LENGTH;
}

/* Seals and commits the record (§4.1); PERR_STORAGE when the platform could not. */
static int
save(struct dev *d)
{
	dev_record_seal(&d->ps);
	return d->pf->store(d->pf->ctx, &d->ps) == 0 ? 0 : PERR_STORAGE;
}

/* A write after LOCKED is refused forever (P-21); other states per P-20. */
static int
require_state(const struct dev *d, unsigned mask)
{
	if (d->ps.state == ST_LOCKED && (mask & (1u << ST_LOCKED)) == 0)
		return PERR_LOCKED;
	return (mask & (1u << d->ps.state)) ? 0 : PERR_BAD_STATE;
}

#define S(x) (1u << (x))

static int
do_hello(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_hello h;
	int r;

	if ((r = msg_dec_empty(f->payload, f->len)) != 0)
		return PERR_BAD_LENGTH;
	core_memset(&h, 0, sizeof(h));
	h.proto_version = PROTO_VERSION;
	h.state = d->ps.state;
	h.debug_locked = debug_locked(d);
	h.caps = d->id->caps;
#if !DEV_CFG_CRED
	h.caps &= ~(uint32_t)(CAP_CRED_WIFI | CAP_CRED_MATTER); /* built without them */
#endif
	h.max_payload = d->id->max_payload;
	core_memcpy(h.model, d->id->model, sizeof(h.model));
	core_memcpy(h.hw_rev, d->id->hw_rev, sizeof(h.hw_rev));
	core_memcpy(h.fw_version, d->id->fw_version, sizeof(h.fw_version));
	core_memcpy(h.serial, d->ps.serial, sizeof(h.serial));
	core_memcpy(h.chip_id, d->id->chip_id, sizeof(h.chip_id));
	h.chip_id_len = d->id->chip_id_len;
	core_memcpy(h.fw_digest, d->id->fw_digest, sizeof(h.fw_digest));
	return msg_enc_hello(&h, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
}

/* The small fields of the record a failed commit restores (the large ones are swapped). */
struct undo {
	uint8_t state, key_type;
	uint16_t key_len, csr_len, chain_len;
	uint32_t pw_iterations;
	uint8_t pw_salt[DEV_SALT_LEN];
	uint8_t pw_verifier[MSG_DIGEST_LEN];
	char serial[MSG_MAX_STR + 1];
};

static void
undo_save(const struct dev *d, struct undo *u)
{
	u->state = d->ps.state;
	u->key_type = d->ps.key_type;
	u->key_len = d->ps.key_len;
	u->csr_len = d->ps.csr_len;
	u->chain_len = d->ps.chain_len;
	u->pw_iterations = d->ps.pw_iterations;
	core_memcpy(u->pw_salt, d->ps.pw_salt, sizeof(u->pw_salt));
	core_memcpy(u->pw_verifier, d->ps.pw_verifier, sizeof(u->pw_verifier));
	core_memcpy(u->serial, d->ps.serial, sizeof(u->serial));
}

static void
undo_restore(struct dev *d, struct undo *u)
{
	d->ps.state = u->state;
	d->ps.key_type = u->key_type;
	d->ps.key_len = u->key_len;
	d->ps.csr_len = u->csr_len;
	d->ps.chain_len = u->chain_len;
	d->ps.pw_iterations = u->pw_iterations;
	core_memcpy(d->ps.pw_salt, u->pw_salt, sizeof(u->pw_salt));
	core_memcpy(d->ps.pw_verifier, u->pw_verifier, sizeof(u->pw_verifier));
	core_memcpy(d->ps.serial, u->serial, sizeof(u->serial));
	dev_record_seal(&d->ps);
}

static int
do_set_identity(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_set_identity m;
	struct undo u;
	uint8_t salt[DEV_SALT_LEN], v[MSG_DIGEST_LEN];
	size_t pwlen;
	int r;

	core_memset(&m, 0, sizeof(m));
	if ((r = msg_dec_set_identity(f->payload, f->len, &m)) != 0) {
		r = dec_err(r);
		goto out;
	}
	if ((r = require_state(d, S(ST_BLANK) | S(ST_IDENTIFIED) | S(ST_KEYED) | S(ST_CERTIFIED))) != 0)
		goto out;
	/* §3.10: everything that can fail is computed before anything changes. */
	pwlen = core_strnlen(m.password, sizeof(m.password));
	r = PERR_CRYPTO;
	if (d->pf->rng(d->pf->ctx, salt, sizeof(salt)) != 0 ||
	    d->pf->pw_hash(d->pf->ctx, m.password, pwlen, salt, sizeof(salt), m.pw_iterations,
	        v) != 0)
		goto out;
	core_memset(m.password, 0, sizeof(m.password)); /* P-42: used; gone */
	/* P-13: start over. The old key moves to the staging buffer (discarded by SET_IDENTITY
	 * anyway) until the new record is committed, so that a failed store can put it back. */
	undo_save(d, &u);
	staging_clear(d);
	core_memcpy(d->staging, d->ps.key, sizeof(d->ps.key));
	core_memset(d->ps.key, 0, sizeof(d->ps.key));
	/* the credentials of an earlier run go too (P-53): a new identity starts with none */
	core_memcpy(d->staging + DEV_MAX_KEY, cred_block(&d->ps), DEV_PERSIST_CRED);
	core_memset(cred_block(&d->ps), 0, DEV_PERSIST_CRED);
	d->ps.key_len = d->ps.csr_len = d->ps.chain_len = 0;
	d->ps.key_type = 0;
	core_memcpy(d->ps.serial, m.serial, sizeof(d->ps.serial));
	core_memcpy(d->ps.pw_salt, salt, sizeof(salt));
	core_memcpy(d->ps.pw_verifier, v, sizeof(v));
	d->ps.pw_iterations = m.pw_iterations;
	d->ps.state = ST_IDENTIFIED;
	if ((r = save(d)) != 0) {
		core_memcpy(d->ps.key, d->staging, sizeof(d->ps.key));
		core_memcpy(cred_block(&d->ps), d->staging + DEV_MAX_KEY, DEV_PERSIST_CRED);
		undo_restore(d, &u);
	}
	staging_clear(d); /* the old key and credentials */
	if (r == 0)
		*len = 0;
out:
	core_memset(&m, 0, sizeof(m));
	core_memset(&u, 0, sizeof(u));
	core_memset(salt, 0, sizeof(salt));
	core_memset(v, 0, sizeof(v));
	return r;
}

static int
key_type_built(uint8_t t)
{
	switch (t) {
	case KEY_EC_P256: return DEV_CFG_KEY_EC_P256;
	case KEY_EC_P384: return DEV_CFG_KEY_EC_P384;
	case KEY_RSA_2048: return DEV_CFG_KEY_RSA_2048;
	default: return 0;
	}
}

static int
do_gen_key(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_gen_key m;
	struct msg_gen_key_rsp rsp;
	struct undo u;
	char nonce_hex[2 * MSG_MAX_NONCE + 1], chip_hex[2 * MSG_MAX_CHIP_ID + 1];
	uint8_t *nkey = d->staging, *ncsr = d->staging + DEV_MAX_KEY;
	size_t kl = 0, cl = 0;
	int r;

	if ((r = msg_dec_gen_key(f->payload, f->len, &m)) != 0)
		return dec_err(r);
	if ((r = require_state(d, S(ST_IDENTIFIED) | S(ST_KEYED))) != 0)
		return r;
	if ((m.key_type == KEY_EC_P256 && !(d->id->caps & CAP_KEY_EC_P256)) ||
	    (m.key_type == KEY_EC_P384 && !(d->id->caps & CAP_KEY_EC_P384)) ||
	    (m.key_type == KEY_RSA_2048 && !(d->id->caps & CAP_KEY_RSA_2048)) ||
	    !key_type_built(m.key_type))
		return PERR_UNSUPPORTED;
	to_hex(m.nonce, m.nonce_len, nonce_hex);
	to_hex(d->id->chip_id, d->id->chip_id_len, chip_hex);
	/* §3.10: the new key and CSR are made in the staging buffer (P-14: GEN_KEY discards any
	 * staged chain) and only swapped into the record once both exist. */
	staging_clear(d);
	r = PERR_CRYPTO;
	if (d->pf->keygen(d->pf->ctx, m.key_type, nkey, DEV_MAX_KEY, &kl) != 0 || kl == 0 ||
	    kl > DEV_MAX_KEY)
		goto out;
	if (d->pf->csr(d->pf->ctx, nkey, kl, nonce_hex, chip_hex, ncsr, DEV_MAX_CSR, &cl) != 0 ||
	    cl == 0 || cl > DEV_MAX_CSR)
		goto out;
	undo_save(d, &u);
	swap_bytes(d->ps.key, nkey, DEV_MAX_KEY);
	swap_bytes(d->ps.csr, ncsr, DEV_MAX_CSR);
	d->ps.key_len = (uint16_t)kl;
	d->ps.key_type = m.key_type;
	d->ps.csr_len = (uint16_t)cl;
	d->ps.chain_len = 0;
	d->ps.state = ST_KEYED;
	if ((r = save(d)) != 0) {
		swap_bytes(d->ps.key, nkey, DEV_MAX_KEY);
		swap_bytes(d->ps.csr, ncsr, DEV_MAX_CSR);
		undo_restore(d, &u);
		goto out;
	}
	rsp.csr_len = (uint16_t)cl;
	r = msg_enc_gen_key_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
out:
	staging_clear(d); /* the new key on failure, the old one on success */
	return r;
}

static int
do_read_obj(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_read_obj m;
	struct msg_read_obj_rsp rsp;
	const uint8_t *obj;
	uint32_t total, n;
	int r;

	if ((r = msg_dec_read_obj(f->payload, f->len, &m)) != 0)
		return dec_err(r);
	if (m.obj == OBJ_CSR) {
		obj = d->ps.csr;
		total = d->ps.csr_len;
	} else if (m.obj == OBJ_CHAIN) {
		obj = d->ps.chain;
		total = d->ps.chain_len;
	} else
		return PERR_BAD_ARG;
	if (total == 0)
		return PERR_NO_OBJECT;
	if (m.offset > total)
		return PERR_BAD_ARG;
	n = total - m.offset;
	if (n > m.max)
		n = m.max;
	rsp.obj = m.obj;
	rsp.total = total;
	rsp.offset = m.offset;
	rsp.data = obj + m.offset;
	rsp.data_len = (uint16_t)n;
	return msg_enc_read_obj_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
}

static int
do_write_obj(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_write_obj m;
	struct msg_write_obj_rsp rsp;
	int r;

	if ((r = msg_dec_write_obj(f->payload, f->len, &m)) != 0)
		return dec_err(r);
	if ((r = require_state(d, S(ST_KEYED))) != 0)
		return r;
	/* a chain longer than this port keeps (DEV_CFG_MAX_CHAIN) is refused at its first chunk */
	if (m.obj != OBJ_CHAIN || m.total > sizeof(d->staging))
		return PERR_BAD_ARG;
	/* P-16: chunks in order; a gap is refused and leaves the staging as it was. */
	if (m.offset == 0) {
		if (m.data_len > m.total)
			return PERR_BAD_ARG;
		d->staging_len = 0;
		d->staging_total = m.total;
	} else if (m.total != d->staging_total || m.offset != d->staging_len ||
	    m.data_len > m.total - m.offset)
		return PERR_BAD_ARG;
	core_memcpy(d->staging + m.offset, m.data, m.data_len);
	d->staging_len += m.data_len;
	rsp.held = d->staging_len;
	return msg_enc_write_obj_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
}

static int
state_reply(struct dev *d, size_t *len)
{
	struct msg_state_rsp rsp;

	rsp.state = d->ps.state;
	rsp.debug_locked = debug_locked(d);
	return msg_enc_state_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
}

static int
do_install(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_install m;
	uint8_t dg[MSG_DIGEST_LEN];
	uint16_t old_len;
	int r;

	if ((r = msg_dec_install(f->payload, f->len, &m)) != 0)
		return dec_err(r);
	if ((r = require_state(d, S(ST_KEYED))) != 0)
		return r;
	if (m.obj != OBJ_CHAIN || m.total != d->staging_total || d->staging_len != m.total ||
	    m.total == 0)
		return PERR_BAD_ARG;
	if (d->pf->sha256(d->pf->ctx, d->staging, d->staging_len, dg) != 0)
		return PERR_CRYPTO;
	if (core_memcmp_ct(dg, m.sha256, sizeof(dg)) != 0)
		return PERR_CHAIN_INVALID;
	r = d->pf->chain_check(d->pf->ctx, d->ps.key, d->ps.key_len, d->staging, d->staging_len);
	if (r != 0)
		return r == PERR_KEY_MISMATCH ? PERR_KEY_MISMATCH : PERR_CHAIN_INVALID;
	/* swapped, not copied: a failed store swaps back and both are as they were (§3.10) */
	old_len = d->ps.chain_len;
	swap_bytes(d->ps.chain, d->staging, d->staging_len);
	d->ps.chain_len = (uint16_t)d->staging_len;
	d->ps.state = ST_CERTIFIED;
	if ((r = save(d)) != 0) {
		swap_bytes(d->ps.chain, d->staging, d->staging_len);
		d->ps.chain_len = old_len;
		d->ps.state = ST_KEYED;
		dev_record_seal(&d->ps);
		return r;
	}
	staging_clear(d);
	return state_reply(d, len);
}

static int
do_prove(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_prove m;
	struct msg_prove_rsp rsp;
	uint8_t msg[PROVE_PREFIX_LEN + MSG_MAX_CHALLENGE], sig[DEV_MAX_SIG];
	size_t sl = 0;
	int r;

	if ((r = msg_dec_prove(f->payload, f->len, &m)) != 0)
		return dec_err(r);
	if ((r = require_state(d, S(ST_CERTIFIED) | S(ST_LOCKED))) != 0)
		return r;
	/* P-40: domain-separated, so PROVE can never be used to sign something else. */
	core_memcpy(msg, PROVE_PREFIX, PROVE_PREFIX_LEN);
	core_memcpy(msg + PROVE_PREFIX_LEN, m.challenge, m.challenge_len);
	if (d->pf->sign(d->pf->ctx, d->ps.key, d->ps.key_len, msg,
	        PROVE_PREFIX_LEN + (size_t)m.challenge_len, sig, sizeof(sig), &sl) != 0 ||
	    sl == 0 || sl > sizeof(sig))
		return PERR_CRYPTO;
	rsp.sig = sig;
	rsp.sig_len = (uint16_t)sl;
	return msg_enc_prove_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
}

static int
do_confirm_pw(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_confirm_pw m;
	struct msg_confirm_pw_rsp rsp;
	uint8_t v[MSG_DIGEST_LEN];
	int r;

	core_memset(&m, 0, sizeof(m));
	core_memset(v, 0, sizeof(v));
	if ((r = msg_dec_confirm_pw(f->payload, f->len, &m)) != 0) {
		r = dec_err(r);
		goto out;
	}
	if ((r = require_state(d, S(ST_IDENTIFIED) | S(ST_KEYED) | S(ST_CERTIFIED) |
	         S(ST_LOCKED))) != 0)
		goto out;
	r = PERR_CRYPTO;
	if (d->pf->pw_hash(d->pf->ctx, m.password, core_strnlen(m.password, sizeof(m.password)),
	        d->ps.pw_salt, sizeof(d->ps.pw_salt), d->ps.pw_iterations, v) != 0)
		goto out;
	rsp.match = core_memcmp_ct(v, d->ps.pw_verifier, sizeof(v)) == 0;
	r = msg_enc_confirm_pw_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
out:
	core_memset(&m, 0, sizeof(m));
	core_memset(v, 0, sizeof(v));
	return r;
}

static int
do_lock(struct dev *d, const struct frame *f, size_t *len)
{
	int r;

	if (msg_dec_empty(f->payload, f->len) != 0)
		return PERR_BAD_LENGTH;
	if ((r = require_state(d, S(ST_CERTIFIED))) != 0)
		return r;
	/* P-45: the fuse first, then the record. A fuse that did not blow changes nothing. */
	if (d->pf->lock_debug(d->pf->ctx) != 0)
		return PERR_STORAGE;
	/* The debug port is closed for good: from here the board is LOCKED whatever the record
	 * write does (the one exception to §3.10). If it fails, the reply is PERR_STORAGE, RAM says
	 * LOCKED, and dev_init writes LOCKED at the next boot from the hardware's lock state. */
	d->ps.debug_locked = 1;
	d->ps.state = ST_LOCKED;
	if ((r = save(d)) != 0)
		return r;
	return state_reply(d, len);
}

/* ---- onboarding credentials (P-53, P-54) ---- */

/* PERR_UNSUPPORTED unless this firmware has credentials and announces the kind (P-53). */
static int
cred_supported(const struct dev *d, uint8_t kind)
{
	uint32_t cap = kind == CRED_WIFI ? CAP_CRED_WIFI : CAP_CRED_MATTER;

	return DEV_CFG_CRED && (d->id->caps & cap) != 0 ? 0 : PERR_UNSUPPORTED;
}

#if DEV_CFG_CRED
/* Writes the credential m into the record's fields of its kind, the rest of them zero. */
static void
cred_put(struct dev_persist *ps, const struct msg_cred *m)
{
	size_t n;

	if (m->kind == CRED_WIFI) {
		core_memset(ps->wifi_ssid, 0, sizeof(ps->wifi_ssid));
		core_memset(ps->wifi_secret, 0, sizeof(ps->wifi_secret));
		n = core_strnlen(m->wifi.ssid, sizeof(m->wifi.ssid) - 1);
		core_memcpy(ps->wifi_ssid, m->wifi.ssid, n);
		ps->wifi_akm = m->wifi.akm;
		ps->wifi_secret_len = m->wifi.secret_len;
		core_memcpy(ps->wifi_secret, m->wifi.secret, m->wifi.secret_len);
		ps->cred_stored |= DEV_CRED_WIFI;
	} else {
		core_memset(ps->matter_salt, 0, sizeof(ps->matter_salt));
		ps->matter_discriminator = m->matter.discriminator;
		ps->matter_iterations = m->matter.iterations;
		ps->matter_salt_len = m->matter.salt_len;
		core_memcpy(ps->matter_salt, m->matter.salt, m->matter.salt_len);
		core_memcpy(ps->matter_verifier, m->matter.verifier, sizeof(ps->matter_verifier));
		ps->cred_stored |= DEV_CRED_MATTER;
	}
}

/* 0 when the stored credential of m's kind equals m field by field, non-zero otherwise. The
 * time taken depends on the kind only: every field is compared over its whole buffer (both
 * sides zero past their lengths), differences are ORed, nothing returns early (P-54). */
static unsigned
cred_diff(const struct dev_persist *ps, const struct msg_cred *m)
{
	unsigned diff = 0;

	if (m->kind == CRED_WIFI) {
		diff |= (ps->cred_stored & DEV_CRED_WIFI) ^ DEV_CRED_WIFI;
		diff |= (unsigned)(ps->wifi_akm ^ m->wifi.akm);
		diff |= (unsigned)(ps->wifi_secret_len ^ m->wifi.secret_len);
		diff |= (unsigned)core_memcmp_ct(ps->wifi_ssid, m->wifi.ssid, sizeof(ps->wifi_ssid));
		diff |= (unsigned)core_memcmp_ct(ps->wifi_secret, m->wifi.secret,
		    sizeof(ps->wifi_secret));
	} else {
		diff |= (ps->cred_stored & DEV_CRED_MATTER) ^ DEV_CRED_MATTER;
		diff |= (unsigned)(ps->matter_discriminator ^ m->matter.discriminator);
		diff |= (unsigned)(ps->matter_iterations ^ m->matter.iterations);
		diff |= (unsigned)(ps->matter_salt_len ^ m->matter.salt_len);
		diff |= (unsigned)core_memcmp_ct(ps->matter_salt, m->matter.salt,
		    sizeof(ps->matter_salt));
		diff |= (unsigned)core_memcmp_ct(ps->matter_verifier, m->matter.verifier,
		    sizeof(ps->matter_verifier));
	}
	return diff;
}
#endif

static int
do_set_cred(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_cred m;
	uint8_t old[DEV_PERSIST_CRED];
	int r;

	core_memset(&m, 0, sizeof(m));
	core_memset(old, 0, sizeof(old));
	if ((r = msg_dec_cred(f->payload, f->len, &m)) != 0) {
		r = dec_err(r);
		goto out;
	}
	if ((r = require_state(d, S(ST_IDENTIFIED) | S(ST_KEYED) | S(ST_CERTIFIED))) != 0 ||
	    (r = cred_supported(d, m.kind)) != 0)
		goto out;
#if DEV_CFG_CRED
	/* §3.10: the credentials before the request wait in old[], so that a failed store puts
	 * them back; the staging buffer (a chain being written) is not touched. */
	core_memcpy(old, cred_block(&d->ps), DEV_PERSIST_CRED);
	cred_put(&d->ps, &m);
	if ((r = save(d)) != 0) {
		core_memcpy(cred_block(&d->ps), old, DEV_PERSIST_CRED);
		dev_record_seal(&d->ps);
	} else
		*len = 0;
#endif
out:
	core_memset(&m, 0, sizeof(m)); /* P-44: the request's copy of the secret */
	core_memset(old, 0, sizeof(old)); /* and the replaced one */
	return r;
}

static int
do_confirm_cred(struct dev *d, const struct frame *f, size_t *len)
{
	struct msg_cred m;
	struct msg_confirm_pw_rsp rsp;
	int r;

	core_memset(&m, 0, sizeof(m));
	if ((r = msg_dec_cred(f->payload, f->len, &m)) != 0) {
		r = dec_err(r);
		goto out;
	}
	/* A Matter passcode has 27 bits: a LOCKED (shipped) board answering CONFIRM of its
	 * verifier would let anyone at this port test guesses around SPAKE2+'s attempt limits
	 * (P-54). The station confirms credentials before the lock only. */
	if ((r = require_state(d, S(ST_IDENTIFIED) | S(ST_KEYED) | S(ST_CERTIFIED) |
	         (m.kind == CRED_MATTER ? 0u : S(ST_LOCKED)))) != 0 ||
	    (r = cred_supported(d, m.kind)) != 0)
		goto out;
#if DEV_CFG_CRED
	rsp.match = cred_diff(&d->ps, &m) == 0;
	r = msg_enc_confirm_pw_rsp(&rsp, d->out, sizeof(d->out), len) == 0 ? 0 : PERR_INTERNAL;
#else
	(void)rsp;
	(void)len;
#endif
out:
	core_memset(&m, 0, sizeof(m)); /* P-44 */
	return r;
}

static const char *
err_text(int code)
{
	switch (code) {
	case PERR_UNKNOWN_TYPE: return "unknown request type";
	case PERR_BAD_LENGTH: return "malformed request payload";
	case PERR_BAD_STATE: return "request not allowed in this lifecycle state";
	case PERR_LOCKED: return "board is locked; provisioning writes are refused";
	case PERR_BAD_ARG: return "request argument out of range";
	case PERR_NO_OBJECT: return "object not present";
	case PERR_KEY_MISMATCH: return "certificate does not match the board key";
	case PERR_CHAIN_INVALID: return "certificate chain invalid";
	case PERR_UNSUPPORTED: return "not supported by this board";
	case PERR_STORAGE: return "persistent storage write failed";
	case PERR_CRYPTO: return "crypto operation failed";
	default: return "internal error";
	}
}

static void
handle(struct dev *d, const struct frame *f)
{
	size_t len = 0;
	int r;

	/* P-9: a retransmitted request gets the cached reply and is not executed again. */
	if (d->have_last && f->seq == d->last_seq && f->type == d->last_type) {
		(void)d->pf->send(d->pf->ctx, d->last_reply, d->last_len);
		return;
	}
	d->executed++;
	/* P-6: a request longer than the board announced is refused, not half processed. */
	if (f->len > d->id->max_payload) {
		reply_error(d, f->seq, f->type, PERR_BAD_LENGTH, err_text(PERR_BAD_LENGTH));
		return;
	}
	switch (f->type) {
	case MSG_HELLO: r = do_hello(d, f, &len); break;
	case MSG_SET_IDENTITY: r = do_set_identity(d, f, &len); break;
	case MSG_GEN_KEY: r = do_gen_key(d, f, &len); break;
	case MSG_READ_OBJECT: r = do_read_obj(d, f, &len); break;
	case MSG_WRITE_OBJECT: r = do_write_obj(d, f, &len); break;
	case MSG_INSTALL: r = do_install(d, f, &len); break;
	case MSG_PROVE: r = do_prove(d, f, &len); break;
	case MSG_CONFIRM_PASSWORD: r = do_confirm_pw(d, f, &len); break;
	case MSG_LOCK: r = do_lock(d, f, &len); break;
	case MSG_SET_CRED: r = do_set_cred(d, f, &len); break;
	case MSG_CONFIRM_CRED: r = do_confirm_cred(d, f, &len); break;
	default: r = PERR_UNKNOWN_TYPE; break;
	}
	if (r != 0)
		reply_error(d, f->seq, f->type, (unsigned)r, err_text(r));
	else
		send_frame(d, (uint8_t)(f->type | MSG_RESPONSE), f->seq, f->type, d->out, len);
}

int
dev_input(struct dev *d, const uint8_t *p, size_t n)
{
	struct frame f;
	size_t i;
	int handled = 0;

	for (i = 0; i < n; i++) {
		if (frame_rx_push(&d->rx, p[i], &f) != 1)
			continue;
		/* A response-typed frame is never a request: refuse it like an unknown type. */
		handle(d, &f);
		/* P-44: the request (a password, perhaps) is in no buffer once it was answered. */
		frame_rx_wipe(&d->rx);
		handled++;
	}
	return handled;
}
