/* faults.c: fault injection around the board core; see faults.h and docs/protocol.md §8. */
#include "faults.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const step_names[] = { "", "hello", "set-identity", "gen-key", "read", "write",
	"install", "prove", "confirm", "lock", "set-credential", "confirm-credential" };

int
faults_step(const char *name)
{
	int i;

	for (i = 1; i <= FAULTS_LAST_STEP; i++)
		if (strcmp(name, step_names[i]) == 0)
			return i;
	return -1;
}

const char *
faults_stepname(unsigned type)
{
	return type >= 1 && type <= FAULTS_LAST_STEP ? step_names[type] : "?";
}

int
faults_active(const struct faults_cfg *c, unsigned index)
{
	if (c->board >= 0 && (unsigned)c->board != index)
		return 0;
	return c->drop_rate > 0 || c->corrupt_rate > 0 || c->hang_up_at || c->never_reply_at ||
	    c->reboot_at || c->reply_late_ms || c->line_rate || c->csr_bad_sig ||
	    c->csr_wrong_key_type || c->csr_weak_key || c->csr_other_key || c->csr_wrong_nonce ||
	    c->dup_chip_len || c->fw_not_allowed || c->refuse_lock || c->fake_lock ||
	    c->oversized || c->truncated || c->garbage || c->rotate_chip || c->short_chunks ||
	    c->no_credentials || c->lying_credentials || c->small_matter;
}

/* splitmix64: reproducible from --seed, independent per board. */
static uint64_t
rnd(struct faults *fx)
{
	uint64_t z = (fx->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
chance(struct faults *fx, double p)
{
	return p > 0 && (double)(rnd(fx) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pause that is the line's or the fault's, not the board's compute. */
static void
paced_us(struct faults *fx, unsigned long us);

static void
sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
paced_us(struct faults *fx, unsigned long us)
{
	double t = mono_s();

	sleep_us(us);
	fx->paced_s += mono_s() - t;
}

/* --- transmit side ------------------------------------------------------------------------- */

/* Bytes onto the line (one frame per call): noise, then the time they take at the line rate.
 * The rates are per frame: with probability drop_rate one byte of it is lost, with probability
 * corrupt_rate one bit of one byte is flipped (a per-byte rate of 1% would lose nearly every
 * 1 KiB frame; a frame error rate is what a station's retries are sized for). */
static int
line_out(struct faults *fx, const uint8_t *p, size_t n)
{
	size_t i, k = 0, drop = (size_t)-1, flip = (size_t)-1;
	uint8_t bit = 0;
	int r;

	if (n > 0 && chance(fx, fx->cfg.drop_rate)) {
		drop = (size_t)(rnd(fx) % n);
		fx->bytes_dropped++;
	}
	if (n > 0 && chance(fx, fx->cfg.corrupt_rate)) {
		flip = (size_t)(rnd(fx) % n);
		bit = (uint8_t)(1u << (rnd(fx) & 7));
		fx->bytes_corrupted++;
	}
	while (n > 0) {
		k = 0;
		for (i = 0; i < n && k < sizeof(fx->tx); i++, drop--, flip--) {
			if (drop == 0)
				continue;
			fx->tx[k++] = flip == 0 ? (uint8_t)(p[i] ^ bit) : p[i];
		}
		p += i;
		n -= i;
		if (fx->cfg.line_rate)
			paced_us(fx, (unsigned long)k * 10ul * 1000000ul / fx->cfg.line_rate); /* 8N1 */
		fx->bytes_tx += k;
		if (k > 0 && (r = fx->inner.send(fx->inner.ctx, fx->tx, k)) != 0)
			return r;
	}
	return 0;
}

/* Reads the type of a wire frame, 0 when it does not decode. */
static uint8_t
wire_type(struct faults *fx, const uint8_t *p, size_t n, struct frame *f)
{
	if (n < 2 || p[n - 1] != 0 ||
	    frame_decode(p, n - 1, fx->pay, sizeof(fx->pay), f) != PRC_OK)
		return 0;
	return f->type;
}

/* A locked-looking HELLO (--fake-lock): the board claims LOCKED with its debug port closed. */
static int
fake_hello(struct faults *fx, const struct frame *f, uint8_t *out, size_t cap, size_t *wl)
{
	struct msg_hello h;
	uint8_t pl[FRAME_MAX_PAYLOAD];
	size_t len = 0;

	if (msg_dec_hello(f->payload, f->len, &h) != 0)
		return -1;
	h.state = ST_LOCKED;
	h.debug_locked = 1;
	if (msg_enc_hello(&h, pl, sizeof(pl), &len) != 0)
		return -1;
	return frame_encode(f->type, f->seq, pl, len, out, cap, wl) == PRC_OK ? 0 : -1;
}

/* A READ_OBJECT reply carrying one byte of its chunk (--short-chunks): legal for the codec, but
 * not the min(max, total - offset) bytes P-15 asks for, so a station could be held for hours. */
static int
short_chunk(struct faults *fx, const struct frame *f, uint8_t *out, size_t cap, size_t *wl)
{
	struct msg_read_obj_rsp m;
	uint8_t pl[FRAME_MAX_PAYLOAD];
	size_t len = 0;

	if (msg_dec_read_obj_rsp(f->payload, f->len, &m) != 0 || m.data_len <= 1)
		return -1;
	m.data_len = 1;
	fx->fired++;
	if (msg_enc_read_obj_rsp(&m, pl, sizeof(pl), &len) != 0)
		return -1;
	return frame_encode(f->type, f->seq, pl, len, out, cap, wl) == PRC_OK ? 0 : -1;
}

static int
f_send(void *ctx, const uint8_t *p, size_t n)
{
	struct faults *fx = ctx;
	uint8_t junk[1100], alt[FRAME_MAX_WIRE];
	struct frame f;
	size_t i, wl = 0;
	int at = fx->cur_type <= FAULTS_LAST_STEP && ((fx->cfg.at_mask >> fx->cur_type) & 1);

	if (fx->suppress)
		return 0; /* the board reboots before its reply is out */
	if (fx->cfg.reply_late_ms)
		paced_us(fx, fx->cfg.reply_late_ms * 1000ul);
	if (n >= 2 && p[n - 1] == 0 && frame_decode(p, n - 1, fx->pay, sizeof(fx->pay), &f) == PRC_OK)
		fx->payload_tx += f.len;
	if (fx->fake_locked && wire_type(fx, p, n, &f) == (MSG_HELLO | MSG_RESPONSE) &&
	    fake_hello(fx, &f, alt, sizeof(alt), &wl) == 0) {
		p = alt;
		n = wl;
	}
	if (fx->cfg.short_chunks &&
	    wire_type(fx, p, n, &f) == (MSG_READ_OBJECT | MSG_RESPONSE) &&
	    short_chunk(fx, &f, alt, sizeof(alt), &wl) == 0) {
		p = alt;
		n = wl;
	}
	if (at && fx->cfg.garbage) {
		/* Line noise before the reply: random non-zero bytes, then a delimiter (P-3). */
		for (i = 0; i < 24; i++)
			junk[i] = (uint8_t)(1 + rnd(fx) % 255);
		junk[i++] = 0;
		fx->fired++;
		(void)line_out(fx, junk, i);
	}
	if (at && fx->cfg.oversized) {
		/* A block longer than FRAME_MAX_WIRE before the reply: dropped up to its delimiter. */
		memset(junk, 0x5a, sizeof(junk) - 1);
		junk[sizeof(junk) - 1] = 0;
		fx->fired++;
		(void)line_out(fx, junk, sizeof(junk));
	}
	if (at && fx->cfg.truncated && n > 2) {
		/* Instead of the reply: its first half, then a delimiter (a power glitch mid-frame). */
		memcpy(junk, p, n / 2);
		junk[n / 2] = 0;
		fx->fired++;
		return line_out(fx, junk, n / 2 + 1);
	}
	return line_out(fx, p, n);
}

/* A reply made by the fault layer itself (fake lock), through the same faulty line. */
static void
host_reply(struct faults *fx, uint8_t type, uint16_t seq, const uint8_t *pl, size_t len)
{
	size_t wl = 0;

	if (frame_encode((uint8_t)(type | MSG_RESPONSE), seq, pl, len, fx->wire, sizeof(fx->wire),
	        &wl) == PRC_OK)
		(void)f_send(fx, fx->wire, wl);
}

/* --- receive side -------------------------------------------------------------------------- */

static int
handle_frame(struct faults *fx, const struct frame *f)
{
	uint8_t pl[16];
	size_t wl = 0, len = 0;

	fx->cur_type = f->type;
	if (fx->cfg.rotate_chip && f->type == MSG_HELLO && fx->shown.chip_id_len > 0) {
		/* a hostile board that shows another chip ID at every HELLO */
		size_t k = fx->shown.chip_id_len;
		while (k > 0 && ++fx->shown.chip_id[k - 1] == 0)
			k--;
	}
	/* 0 means off: a request of type 0 (unknown, P-10) is no step of a fault */
	if (fx->cfg.hang_up_at != 0 && f->type == fx->cfg.hang_up_at) {
		fx->fired++;
		return FAULTS_HANGUP;
	}
	if (fx->cfg.never_reply_at != 0 && f->type == fx->cfg.never_reply_at) {
		fx->fired++;
		return FAULTS_OK;
	}
	if (fx->cfg.fake_lock && f->type == MSG_LOCK) {
		struct msg_state_rsp st = { ST_LOCKED, 1 };

		fx->fired++;
		fx->fake_locked = 1;
		if (msg_enc_state_rsp(&st, pl, sizeof(pl), &len) == 0)
			host_reply(fx, MSG_LOCK, f->seq, pl, len);
		return FAULTS_OK;
	}
	if (fx->cfg.lying_credentials && (f->type == MSG_SET_CRED || f->type == MSG_CONFIRM_CRED)) {
		/* A board that stores no credential and says yes to any: only a check that must
		 * fail (a credential it was not given) tells it from one that works. */
		struct msg_confirm_pw_rsp yes = { 1 };

		fx->fired++;
		if (f->type == MSG_SET_CRED)
			host_reply(fx, f->type, f->seq, pl, 0);
		else if (msg_enc_confirm_pw_rsp(&yes, pl, sizeof(pl), &len) == 0)
			host_reply(fx, f->type, f->seq, pl, len);
		return FAULTS_OK;
	}
	if (fx->fake_locked && f->type == MSG_WRITE_OBJECT) {
		struct msg_write_obj w;
		struct msg_write_obj_rsp wr;

		/* The provisioning port stays open: every write is "accepted". */
		if (msg_dec_write_obj(f->payload, f->len, &w) == 0) {
			wr.held = w.offset + w.data_len;
			if (msg_enc_write_obj_rsp(&wr, pl, sizeof(pl), &len) == 0)
				host_reply(fx, MSG_WRITE_OBJECT, f->seq, pl, len);
			return FAULTS_OK;
		}
	}
	if (frame_encode(f->type, f->seq, f->payload, f->len, fx->wire, sizeof(fx->wire), &wl) !=
	    PRC_OK)
		return FAULTS_OK;
	if (!fx->have_prev || f->seq != fx->prev_seq || f->type != fx->prev_type)
		fx->requests++;
	fx->have_prev = 1;
	fx->prev_seq = f->seq;
	fx->prev_type = f->type;
	if (fx->cfg.reboot_at != 0 && f->type == fx->cfg.reboot_at && !fx->reboot_done) {
		/* Mid-step: the work is done (and persisted), the reply and the cache are lost. */
		fx->fired++;
		fx->reboot_done = 1;
		fx->suppress = 1;
		(void)dev_input(fx->dev, fx->wire, wl);
		fx->suppress = 0;
		dev_reboot(fx->dev);
		return FAULTS_OK;
	}
	(void)dev_input(fx->dev, fx->wire, wl);
	return FAULTS_OK;
}

int
faults_input(struct faults *fx, const uint8_t *p, size_t n)
{
	struct frame f;
	size_t i;
	uint8_t c;
	double t0 = mono_s(), p0 = fx->paced_s;
	int r = FAULTS_OK;

	fx->bytes_rx += n;
	for (i = 0; i < n && r == FAULTS_OK; i++) {
		c = p[i];
		if (fx->rx_pos == 0) {
			/* A new frame starts: per-frame rates as on the transmit side; the fault hits
			 * one of its first 32 bytes (or its delimiter, when it is shorter). */
			fx->rx_drop_at = chance(fx, fx->cfg.drop_rate) ? (long)(rnd(fx) % 32) : -1;
			fx->rx_flip_at = chance(fx, fx->cfg.corrupt_rate) ? (long)(rnd(fx) % 32) : -1;
		}
		fx->rx_pos = c == 0 ? 0 : fx->rx_pos + 1;
		if (fx->rx_drop_at >= 0 && fx->rx_drop_at-- == 0) {
			fx->bytes_dropped++;
			continue;
		}
		if (fx->rx_flip_at >= 0 && fx->rx_flip_at-- == 0) {
			c ^= (uint8_t)(1u << (rnd(fx) & 7));
			fx->bytes_corrupted++;
		}
		/* Bad frames are dropped here, as the core would drop them (P-32). */
		if (frame_rx_push(&fx->rx, c, &f) == 1) {
			fx->payload_rx += f.len;
			r = handle_frame(fx, &f);
			/* P-44: this layer's copies of the request (a password, perhaps) go too */
			frame_rx_wipe(&fx->rx);
			OPENSSL_cleanse(fx->wire, sizeof(fx->wire));
		}
	}
	fx->compute_s += mono_s() - t0 - (fx->paced_s - p0);
	return r;
}

/* --- platform wrappers --------------------------------------------------------------------- */

static int
f_rng(void *ctx, uint8_t *out, size_t n)
{
	struct faults *fx = ctx;

	return fx->inner.rng(fx->inner.ctx, out, n);
}

static int
f_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN])
{
	struct faults *fx = ctx;

	return fx->inner.sha256(fx->inner.ctx, p, n, out);
}

static int
f_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN])
{
	struct faults *fx = ctx;

	return fx->inner.pw_hash(fx->inner.ctx, pw, pwlen, salt, saltlen, iterations, out);
}

/* RSA-1024: below every profile's floor (--csr-weak-key). */
static int
weak_keygen(uint8_t *key, size_t cap, size_t *keylen)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	unsigned char *p = key;
	int n, r = -1;

	if (k == NULL)
		return -1;
	if ((n = i2d_PrivateKey(k, NULL)) > 0 && (size_t)n <= cap && i2d_PrivateKey(k, &p) == n) {
		*keylen = (size_t)n;
		r = 0;
	}
	EVP_PKEY_free(k);
	return r;
}

static int
f_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen)
{
	struct faults *fx = ctx;

	if (fx->cfg.csr_weak_key) {
		fx->fired++;
		return weak_keygen(key, cap, keylen);
	}
	if (fx->cfg.csr_wrong_key_type) {
		/* e.g. P-384 when P-256 was asked */
		fx->fired++;
		key_type = key_type == KEY_EC_P256 ? KEY_EC_P384 : KEY_EC_P256;
	}
	fx->last_key_type = key_type;
	return fx->inner.keygen(fx->inner.ctx, key_type, key, cap, keylen);
}

static int
f_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex, const char *chip_hex,
    uint8_t *out, size_t cap, size_t *outlen)
{
	struct faults *fx = ctx;
	char nonce[2 * MSG_MAX_NONCE + 1];
	uint8_t other[DEV_MAX_KEY];
	size_t ol = 0;
	int r;

	snprintf(nonce, sizeof(nonce), "%s", nonce_hex);
	if (fx->cfg.csr_wrong_nonce && nonce[0] != '\0') {
		fx->fired++;
		nonce[0] = nonce[0] == '0' ? '1' : '0';
	}
	if (fx->cfg.csr_other_key) {
		/* A CSR for a key the board does not hold: INSTALL must then refuse the certificate. */
		fx->fired++;
		if (fx->inner.keygen(fx->inner.ctx, fx->last_key_type ? fx->last_key_type : KEY_EC_P256,
		        other, sizeof(other), &ol) != 0)
			return -1;
		key = other;
		keylen = ol;
	}
	r = fx->inner.csr(fx->inner.ctx, key, keylen, nonce, chip_hex, out, cap, outlen);
	memset(other, 0, sizeof(other));
	if (r == 0 && fx->cfg.csr_bad_sig && *outlen > 0) {
		/* The last byte belongs to the signature value: still DER, no longer valid. */
		fx->fired++;
		out[*outlen - 1] ^= 0x01;
	}
	return r;
}

static int
f_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	struct faults *fx = ctx;

	return fx->inner.sign(fx->inner.ctx, key, keylen, msg, n, sig, cap, siglen);
}

static int
f_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain, size_t n)
{
	struct faults *fx = ctx;

	return fx->inner.chain_check(fx->inner.ctx, key, keylen, chain, n);
}

static int
f_store(void *ctx, const struct dev_persist *ps)
{
	struct faults *fx = ctx;

	return fx->inner.store(fx->inner.ctx, ps);
}

static int
f_debug_state(void *ctx)
{
	struct faults *fx = ctx;

	return fx->inner.debug_state != NULL ? fx->inner.debug_state(fx->inner.ctx) : -1;
}

static int
f_lock_debug(void *ctx)
{
	struct faults *fx = ctx;

	if (fx->cfg.refuse_lock) {
		fx->fired++;
		return -1; /* the fuse does not blow: LOCK is answered PERR_STORAGE */
	}
	return fx->inner.lock_debug(fx->inner.ctx);
}

void
faults_attach(struct faults *fx, const struct faults_cfg *cfg, unsigned index, struct dev *d,
    struct dev_platform *pf)
{
	memset(fx, 0, sizeof(*fx));
	fx->cfg = *cfg;
	if (fx->cfg.at_mask == 0)
		fx->cfg.at_mask = FAULTS_ALL_STEPS;
	fx->dev = d;
	fx->rng = (uint64_t)cfg->seed * 0x100000001b3ull + index + 1;
	frame_rx_init(&fx->rx);
	fx->inner = *pf;
	*pf = (struct dev_platform){ .ctx = fx, .rng = f_rng, .sha256 = f_sha256,
		.pw_hash = f_pw_hash, .keygen = f_keygen, .csr = f_csr, .sign = f_sign,
		.chain_check = f_chain_check, .store = f_store, .lock_debug = f_lock_debug,
		.send = f_send, .debug_state = f_debug_state };
	fx->shown = *d->id;
	if (cfg->dup_chip_len) {
		memcpy(fx->shown.chip_id, cfg->dup_chip_id, cfg->dup_chip_len);
		fx->shown.chip_id_len = (uint8_t)cfg->dup_chip_len;
	}
	if (cfg->fw_not_allowed)
		fx->shown.fw_digest[0] ^= 0xff; /* any image but the released one */
	if (cfg->no_credentials) /* a firmware without them: not announced, PERR_UNSUPPORTED */
		fx->shown.caps &= ~(uint32_t)(CAP_CRED_WIFI | CAP_CRED_MATTER);
	if (cfg->small_matter) { /* P-6 violated: a Matter credential (137 bytes) does not fit */
		fx->shown.caps |= CAP_CRED_MATTER;
		fx->shown.max_payload = MSG_MIN_MAX_PAYLOAD;
	}
	d->id = &fx->shown;
}
