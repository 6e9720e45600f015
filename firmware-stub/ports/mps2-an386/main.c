/*
 * main.c: the mps2-an386 reference port of the device core (docs/port-mps2.md): identity, the
 * platform hooks of struct dev_platform and the main loop. Single-threaded: a request is handled
 * whole before the next byte is read (the UART's interrupt keeps what arrives meanwhile), and
 * the core sleeps while the line is quiet.
 *
 * Boot: UART, flash backing file (semihosting command line "flash=PATH"), entropy, chip ID, the
 * firmware image's SHA-256, the record, then dev_init. A board that cannot read its flash or
 * its entropy source stops (semihosting exit 1) instead of answering as a blank board.
 */
#include <string.h>

#include "mbedtls/platform_util.h"

#include "crypto.h"
#include "device.h"
#include "flash.h"
#include "fuse.h"
#include "record.h"
#include "semihost.h"
#include "startup.h"
#include "uart.h"

#define PORT_MODEL "MPS2-AN386"
#define PORT_HW_REV "QEMU"
#ifndef PORT_FW_VERSION
#define PORT_FW_VERSION "1.0.0"
#endif
#define PORT_BAUD 115200u
#define DEFAULT_FLASH "mps2-an386.flash"

/* from link.ld: the image as programmed (vectors, code, constants, initial data) */
extern const uint8_t __image_start[], __image_end[];

static struct dev_identity ident;
static struct dev board;
static struct dev_persist boot_rec;
static int urandom = -1;
static int trace;

static int
entropy(void *ctx, uint8_t *buf, size_t n)
{
	/* the stand-in for a TRNG: the host's /dev/urandom through semihosting */
	return urandom >= 0 && semihost_read(urandom, buf, n) == (long)n ? 0 : -1;
}

static int
p_store(void *ctx, const struct dev_persist *ps)
{
	return record_store(ps);
}

static int
p_lock_debug(void *ctx)
{
	return fuse_lock_debug();
}

static int
p_send(void *ctx, const uint8_t *p, size_t n)
{
	return uart_write(p, n);
}

/* The debug lock as the OTP page says now (HELLO's debug_locked, P-12; an interrupted LOCK is
 * finished at boot from it). */
static int
p_debug_state(void *ctx)
{
	(void)ctx;
	return fuse_debug_locked();
}

static const struct dev_platform platform = {
	.ctx = NULL,
	.rng = crypto_rng,
	.sha256 = crypto_sha256,
	.pw_hash = crypto_pw_hash,
	.keygen = crypto_keygen,
	.csr = crypto_csr,
	.sign = crypto_sign,
	.chain_check = crypto_chain_check,
	.store = p_store,
	.lock_debug = p_lock_debug,
	.send = p_send,
	.debug_state = p_debug_state,
};

static void
put_hex(char *out, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
put_num(char *out, unsigned long v)
{
	char t[12];
	int i = 0, j = 0;

	do
		t[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i > 0)
		out[j++] = t[--i];
	out[j] = '\0';
}

/* A line on the semihosting console (QEMU's stdout), built without stdio. */
static void
say(const char *a, const char *b, const char *c, const char *d)
{
	static char line[200];
	const char *parts[4];
	size_t n = 0, k, i;

	parts[0] = a;
	parts[1] = b;
	parts[2] = c;
	parts[3] = d;
	for (i = 0; i < 4; i++) {
		if (parts[i] == NULL)
			continue;
		k = strlen(parts[i]);
		if (k > sizeof(line) - 2 - n)
			k = sizeof(line) - 2 - n;
		memcpy(line + n, parts[i], k);
		n += k;
	}
	line[n++] = '\n';
	line[n] = '\0';
	semihost_puts(line);
}

static void
die(const char *why)
{
	say("mps2-an386: ", why, "; stopping", NULL);
	semihost_exit(1);
}

/* "flash=PATH" and "trace" from the semihosting command line (the first word is the program). */
static void
parse_cmdline(char *flash, size_t cap)
{
	static char cl[256];
	char *p, *w;
	size_t n;

	strcpy(flash, DEFAULT_FLASH);
	if (semihost_cmdline(cl, sizeof(cl)) != 0)
		return;
	for (p = cl; *p != '\0';) {
		while (*p == ' ')
			p++;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		n = (size_t)(p - w);
		if (n > 6 && memcmp(w, "flash=", 6) == 0 && n - 6 < cap) {
			memcpy(flash, w + 6, n - 6);
			flash[n - 6] = '\0';
		} else if (n == 5 && memcmp(w, "trace", 5) == 0)
			trace = 1;
	}
}

int main(void);

int
main(void)
{
	static char flash[200], chip_hex[2 * FUSE_CHIP_ID_LEN + 1], dg_hex[65], seqs[12], lines[5][24];
	uint8_t id[FUSE_CHIP_ID_LEN], buf[64];
	uint32_t seq = 0;
	char slot = '-';
	uint64_t t0;
	int c, r;
	size_t n;

	uart_init(PORT_BAUD);
	parse_cmdline(flash, sizeof(flash));
	if (flash_open(flash) != 0)
		die("cannot open the flash backing file (semihosting enabled? path writable?)");
	if ((urandom = semihost_open("/dev/urandom", SH_RB)) < 0)
		die("no entropy source");
	/* a new part's ID comes straight from the entropy source; the DRBG is then personalised
	 * with it */
	if (fuse_chip_id(id, entropy, NULL) != 0)
		die("cannot read or program the chip ID");
	if (crypto_init(entropy, NULL, id, sizeof(id)) != 0)
		die("the entropy source failed");

	memset(&ident, 0, sizeof(ident));
	strcpy(ident.model, PORT_MODEL);
	strcpy(ident.hw_rev, PORT_HW_REV);
	strcpy(ident.fw_version, PORT_FW_VERSION);
	memcpy(ident.chip_id, id, sizeof(id));
	ident.chip_id_len = (uint8_t)sizeof(id);
	ident.caps = CAP_KEY_EC_P256 | CAP_DEBUG_LOCK | CAP_CRED_WIFI | CAP_CRED_MATTER;
	ident.max_payload = FRAME_MAX_PAYLOAD;
	/* 5.7: the digest the station checks against its allow-list is measured, not configured */
	if (crypto_sha256(NULL, __image_start, (size_t)((uintptr_t)__image_end - (uintptr_t)__image_start),
	        ident.fw_digest) != 0)
		die("cannot measure the firmware image");

	if ((r = record_load(&boot_rec, &slot, &seq)) < 0)
		die("cannot read the record");
	/* §4.1: a layout-2 record (firmware before the credentials) was migrated in RAM; it is
	 * stored before the core starts from it (if that fails, the next write stores it anyway) */
	if (r == 2)
		say("mps2-an386: record of layout 2 migrated, ", record_store(&boot_rec) == 0 ?
		    "stored" : "NOT stored", NULL, NULL);
	dev_init(&board, &ident, &platform, r >= 1 ? &boot_rec : NULL);
	/* a copy of the key; dev_init took its own. (A part with memory-mapped flash passes a
	 * pointer into the slot instead and needs no such RAM copy.) */
	mbedtls_platform_zeroize(&boot_rec, sizeof(boot_rec));
	/* The core blows the fuse before it stores LOCKED, so a LOCKED record with an open fuse
	 * means a damaged OTP page: close the port again rather than trust the record alone. */
	if (board.ps.state == ST_LOCKED && !fuse_debug_locked() && fuse_lock_debug() != 0)
		die("the record is LOCKED but the debug fuse cannot be blown");

	put_hex(chip_hex, id, sizeof(id));
	put_hex(dg_hex, ident.fw_digest, sizeof(ident.fw_digest));
	put_num(seqs, seq);
	lines[0][0] = slot;
	lines[0][1] = '\0';
	say("mps2-an386: boot chip=", chip_hex, " fw=" PORT_FW_VERSION " sha256=", dg_hex);
	say("mps2-an386: record slot=", r >= 1 ? lines[0] : "none", " seq=", seqs);
	put_num(lines[1], (unsigned long)record_slot_offset('A'));
	put_num(lines[2], (unsigned long)record_slot_offset('B'));
	say("mps2-an386: flash slotA=", lines[1], " slotB=", lines[2]);
	say("mps2-an386: state=", proto_statename(board.ps.state), " debug=",
	    fuse_debug_locked() ? "locked" : "open");

	for (;;) {
		for (n = 0; n < sizeof(buf) && (c = uart_getc()) >= 0;)
			buf[n++] = (uint8_t)c;
		if (n == 0) {
			uart_wait(); /* asleep until the station sends */
			continue;
		}
		t0 = trace ? semihost_elapsed_us() : 0;
		r = dev_input(&board, buf, n);
		/* the core wiped its copies; this one goes too (a password may be in it) */
		mbedtls_platform_zeroize(buf, sizeof(buf));
		if (r > 0 && trace) {
			/* the request type of the reply just sent (P-10), its time and the heap peak */
			put_hex(lines[1], &board.last_type, 1);
			put_num(lines[2], (unsigned long)(semihost_elapsed_us() - t0));
			put_num(lines[3], (unsigned long)crypto_heap_peak());
			say("mps2-an386: request 0x", lines[1], " us=", lines[2]);
			put_num(lines[4], (unsigned long)startup_stack_used());
			say("mps2-an386: heap high-water ", lines[3], " bytes; stack high-water ", lines[4]);
		}
	}
}
