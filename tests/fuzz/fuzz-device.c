/*
 * fuzz-device.c: libFuzzer target for the board core (device.c) as a whole: a stored record read
 * at boot (dev_record_check, dev_init) and a byte stream from the line (dev_input), on a platform
 * whose hooks are cheap and deterministic and one of whose calls can be made to fail.
 *
 * Input: u16 fail_at (the fail_at-th hook call fails; 0xffff: none), u8 debug (bits 0-1: what
 * debug_state answers: 0 open, 1 closed, 2 unreadable, 3 no hook), u8 record (0: none; 1: the
 * next sizeof(struct dev_persist) bytes as they are; 2: the same, sealed, so that any field
 * values reach the core with a valid CRC; 3: the next DEV_PERSIST_L2_SIZE bytes as a layout-2
 * record, through the ports' migration dev_record_migrate first), then the line's bytes, fed in
 * chunks of 1..64 bytes.
 *
 * abort() when: a migrated record does not pass dev_record_check or holds a credential; a record
 * the core stores does not pass dev_record_check; the RAM copy is left
 * unsealed after a request; a LOCKED board leaves LOCKED (P-21); the board sends anything but
 * whole, valid reply frames (P-1, P-10); a request changes the record although it was refused,
 * except where docs/protocol.md §3.10 allows it (a LOCK after the fuse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned calls, fail_at;
static int debug_mode, fuse;
static struct frame_rx out_rx;

static int
fail_now(void)
{
	return ++calls == fail_at;
}

static int
z_rng(void *c, uint8_t *o, size_t n)
{
	size_t i;

	if (fail_now())
		return -1;
	for (i = 0; i < n; i++)
		o[i] = (uint8_t)(calls * 31 + i);
	return 0;
}

/* Not SHA-256: a cheap digest the seeds' INSTALL requests were built with (sum and xor). */
static int
z_sha(void *c, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN])
{
	size_t i;

	if (fail_now())
		return -1;
	memset(out, 0, MSG_DIGEST_LEN);
	for (i = 0; i < n; i++) {
		out[i % MSG_DIGEST_LEN] ^= p[i];
		out[(i + 1) % MSG_DIGEST_LEN] = (uint8_t)(out[(i + 1) % MSG_DIGEST_LEN] + p[i]);
	}
	return 0;
}

static int
z_pw(void *c, const char *pw, size_t pl, const uint8_t *s, size_t sl, uint32_t it,
    uint8_t out[MSG_DIGEST_LEN])
{
	size_t i;

	if (fail_now())
		return -1;
	memset(out, (int)(it & 0xff), MSG_DIGEST_LEN);
	for (i = 0; i < pl; i++)
		out[i % MSG_DIGEST_LEN] ^= (uint8_t)pw[i];
	for (i = 0; i < sl; i++)
		out[(i + 7) % MSG_DIGEST_LEN] ^= s[i];
	return 0;
}

static int
z_keygen(void *c, uint8_t t, uint8_t *k, size_t cap, size_t *kl)
{
	size_t n = t == KEY_RSA_2048 ? 1190 : t == KEY_EC_P384 ? 167 : 121;

	if (fail_now() || n > cap)
		return -1;
	memset(k, (int)(calls + t), n);
	*kl = n;
	return 0;
}

static int
z_csr(void *c, const uint8_t *k, size_t kl, const char *nonce, const char *chip, uint8_t *o,
    size_t cap, size_t *ol)
{
	size_t n = 300 + (kl & 0x3f);

	if (fail_now() || n > cap)
		return -1;
	memset(o, k[0], n);
	memcpy(o, nonce, strlen(nonce));
	*ol = n;
	return 0;
}

static int
z_sign(void *c, const uint8_t *k, size_t kl, const uint8_t *m, size_t n, uint8_t *s, size_t cap,
    size_t *sl)
{
	if (fail_now() || cap < 72)
		return -1;
	memset(s, k[0] ^ m[n - 1], 72);
	*sl = 72;
	return 0;
}

static int
z_chain(void *c, const uint8_t *k, size_t kl, const uint8_t *ch, size_t n)
{
	if (fail_now())
		return calls & 1 ? PERR_KEY_MISMATCH : -1;
	return 0;
}

static int
z_store(void *c, const struct dev_persist *ps)
{
	/* every record the core commits is one it would read back (P-46) */
	if (dev_record_check(ps) != DEV_REC_OK)
		abort();
	return fail_now() ? -1 : 0;
}

static int
z_lock(void *c)
{
	if (fail_now())
		return -1;
	fuse = 1;
	return 0;
}

static int
z_debug(void *c)
{
	return debug_mode == 2 ? -1 : debug_mode == 1 || fuse;
}

/* P-1, P-10: only whole, valid reply frames. */
static int
z_send(void *c, const uint8_t *p, size_t n)
{
	struct frame f;
	size_t i;
	int r, frames = 0;

	for (i = 0; i < n; i++) {
		r = frame_rx_push(&out_rx, p[i], &f);
		if (r < 0)
			abort();
		if (r == 1) {
			if (!(f.type & MSG_RESPONSE))
				abort();
			frames++;
		}
	}
	if (frames != 1 || p[n - 1] != 0x00)
		abort();
	return 0;
}

static struct dev d;
static struct dev_persist rec;
static const struct dev_identity id = { "TH2-FUZZ", "B", "1.4.2", { 0xa1, 0xb2, 0xc3, 0xd4 }, 4,
	{ 0 }, CAP_KEY_EC_P256 | CAP_KEY_EC_P384 | CAP_KEY_RSA_2048 | CAP_DEBUG_LOCK | CAP_CRED_WIFI |
	CAP_CRED_MATTER, 512 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dev_platform pf = { NULL, z_rng, z_sha, z_pw, z_keygen, z_csr, z_sign, z_chain,
		z_store, z_lock, z_send, z_debug };
	size_t off = 4, n;
	unsigned long ex;
	uint32_t crc;
	int locked, mode, r;

	if (size < 4)
		return 0;
	calls = 0;
	fuse = 0;
	fail_at = (unsigned)data[0] << 8 | data[1];
	debug_mode = data[2] & 3;
	if (debug_mode == 3)
		pf.debug_state = NULL;
	mode = data[3] % 4;
	frame_rx_init(&out_rx);
	if (mode == 3 && size - off >= DEV_PERSIST_L2_SIZE) {
		memset(&rec, 0, sizeof(rec));
		memcpy(&rec, data + off, DEV_PERSIST_L2_SIZE);
		off += DEV_PERSIST_L2_SIZE;
		/* migrated: sealed layout 3 without credentials (its fields are layout 2's to judge) */
		if (dev_record_migrate(&rec, DEV_PERSIST_L2_SIZE) &&
		    (((r = dev_record_check(&rec)) != DEV_REC_OK && r != DEV_REC_FIELDS) ||
		        rec.cred_stored != 0))
			abort();
		dev_init(&d, &id, &pf, &rec);
	} else if (mode != 0 && size - off >= sizeof(rec)) {
		memcpy(&rec, data + off, sizeof(rec));
		off += sizeof(rec);
		if (mode == 2)
			dev_record_seal(&rec);
		dev_init(&d, &id, &pf, &rec);
	} else
		dev_init(&d, &id, &pf, NULL);
	while (off < size) {
		n = 1 + data[off] % 64;
		off++;
		if (n > size - off)
			n = size - off;
		locked = d.ps.state == ST_LOCKED;
		crc = d.ps.crc;
		ex = d.executed;
		dev_input(&d, data + off, n);
		off += n;
		if (locked && d.ps.state != ST_LOCKED)
			abort();
		if (d.executed == ex) {
			/* nothing executed: nothing changed (the record is sealed: its CRC says) */
			if (d.ps.crc != crc)
				abort();
			continue;
		}
		/* sealed between requests: a damaged record's LOCKED stand-in fails only its fields */
		if ((r = dev_record_check(&d.ps)) != DEV_REC_OK &&
		    !(d.boot == DEV_BOOT_DAMAGED && r == DEV_REC_FIELDS))
			abort();
	}
	return 0;
}
