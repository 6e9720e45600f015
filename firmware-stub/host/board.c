/* board.c: host platform for the device core; see board.h. */
#include "board.h"
#include "hcrypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 02: the core's record became versioned and checksummed (layout 2); a 01 file is not read.
 * 03: the record of layout 3 (credentials); a 02 file is migrated when it is opened (§4.1). */
#define FLASH_MAGIC "SPSTUB03"
#define FLASH_MAGIC_L2 "SPSTUB02"

/* The host's "chip": identity (ROM/OTP), the debug fuse, and the core's record (its flash). */
struct flash_image {
	char magic[8];
	struct dev_identity id;
	uint32_t fuse; /* 1 once LOCK closed the (simulated) debug port; only a factory reset clears it */
	struct dev_persist ps;
};
/* Where the record starts in a file of either version (the same header before it). */
#define FLASH_HDR offsetof(struct flash_image, ps)

/* Reads the flash file at path into img: 1 a current file, 2 a layout-2 file migrated in place
 * (dev_record_migrate: its record is layout 3 now, sealed, to be written back), 3 a layout-2 file
 * whose record could not be migrated (passed on as it is: damaged), 0 no flash file (missing,
 * or not one of ours). */
static int
flash_read(const char *path, struct flash_image *img)
{
	const size_t l2 = FLASH_HDR + DEV_PERSIST_L2_SIZE;
	ssize_t n = -1;
	int fd;

	memset(img, 0, sizeof(*img));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, img, sizeof(*img));
		close(fd);
	}
	if (n < (ssize_t)FLASH_HDR || img->id.chip_id_len < MSG_MIN_CHIP_ID ||
	    img->id.chip_id_len > MSG_MAX_CHIP_ID)
		return 0;
	if (n == (ssize_t)sizeof(*img) && memcmp(img->magic, FLASH_MAGIC, 8) == 0)
		return 1;
	if (n != (ssize_t)l2 || memcmp(img->magic, FLASH_MAGIC_L2, 8) != 0)
		return 0;
	memcpy(img->magic, FLASH_MAGIC, 8);
	return dev_record_migrate(&img->ps, DEV_PERSIST_L2_SIZE) ? 2 : 3;
}

static int
p_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen)
{
	if (hcrypto_keygen(NULL, key_type, key, cap, keylen) != 0)
		return -1;
	if (((struct board *)ctx)->keygen_ms > 0) {
		/* an MCU takes its time; the station's gen-key timeout must allow for it */
		unsigned ms = ((struct board *)ctx)->keygen_ms;
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	return 0;
}

static int
write_flash(const char *path, const struct dev_identity *id, uint32_t fuse,
    const struct dev_persist *ps, int nosync)
{
	struct flash_image img; /* ~7.5 KiB on the board thread's stack */
	char tmp[600];
	ssize_t w;
	int fd;

	memset(&img, 0, sizeof(img));
	memcpy(img.magic, FLASH_MAGIC, 8);
	img.id = *id;
	img.fuse = fuse;
	img.ps = *ps;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	w = write(fd, &img, sizeof(img));
	/* Like a real flash commit: the record is either old or new after a power loss (unless a
	 * benchmark asked for no sync: then only after a crash of this process). */
	if (w != (ssize_t)sizeof(img) || (!nosync && fsync(fd) != 0)) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

struct store_ctx; /* the platform ctx is the board itself */

static int
p_store(void *ctx, const struct dev_persist *ps)
{
	struct board *b = ctx;

	return write_flash(b->flash_path, &b->id, b->fuse, ps, b->flash_nosync);
}

/* The simulated fuse lives in the flash file beside the record: written first, on its own, as a
 * real part's option bytes are (P-22), so that a crash between the two leaves a CERTIFIED
 * record with the fuse set, which dev_init completes to LOCKED. */
static int
p_lock_debug(void *ctx)
{
	struct board *b = ctx;

	b->fuse = 1;
	return write_flash(b->flash_path, &b->id, b->fuse, &b->dev.ps, b->flash_nosync);
}

static int
p_debug_state(void *ctx)
{
	return ((struct board *)ctx)->fuse != 0;
}

int
board_write_all(int fd, const uint8_t *p, size_t n)
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
p_send(void *ctx, const uint8_t *p, size_t n)
{
	struct board *b = ctx;

	if (b->tx != NULL)
		return b->tx(b->tx_ctx, p, n);
	return board_write_all(b->fd, p, n);
}

void
board_default_opts(struct board_opts *o)
{
	static const char image[] = "firmware-stub reference image 1.4.2\n";

	memset(o, 0, sizeof(*o));
	o->model = "TH2-DEMO";
	o->hw_rev = "B";
	o->fw_version = "1.4.2";
	EVP_Digest(image, sizeof(image) - 1, o->fw_digest, NULL, EVP_sha256(), NULL);
}

int
board_open(struct board *b, const char *flash_path, const struct board_opts *o)
{
	struct flash_image img;
	struct dev_persist *ps = NULL;
	int kind;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (snprintf(b->flash_path, sizeof(b->flash_path), "%s", flash_path) >=
	    (int)sizeof(b->flash_path)) {
		fprintf(stderr, "firmware-stub: flash path too long\n");
		return -1;
	}
	if ((kind = flash_read(flash_path, &img)) != 0) {
		b->id = img.id;
		b->fuse = img.fuse != 0;
		ps = &img.ps;
	} else {
		snprintf(b->id.model, sizeof(b->id.model), "%s", o->model);
		snprintf(b->id.hw_rev, sizeof(b->id.hw_rev), "%s", o->hw_rev);
		snprintf(b->id.fw_version, sizeof(b->id.fw_version), "%s", o->fw_version);
		memcpy(b->id.fw_digest, o->fw_digest, 32);
		b->id.chip_id_len = (uint8_t)(o->chip_id_len ? o->chip_id_len : 12);
		if (o->chip_id_len)
			memcpy(b->id.chip_id, o->chip_id, o->chip_id_len);
		else if (RAND_bytes(b->id.chip_id, b->id.chip_id_len) != 1)
			return -1;
		b->id.caps = CAP_KEY_EC_P256 | CAP_KEY_EC_P384 | CAP_KEY_RSA_2048 | CAP_DEBUG_LOCK;
		b->id.max_payload = FRAME_MAX_PAYLOAD;
	}
	/* The credential kinds are the firmware's (the fault flag --no-credentials hides them). */
	b->id.caps |= CAP_CRED_WIFI | CAP_CRED_MATTER;
	b->keygen_ms = o->keygen_ms;
	b->flash_nosync = o->flash_nosync;
	if (o->max_payload != 0) /* a property of the firmware, not of the persisted record */
		b->id.max_payload = (uint16_t)o->max_payload;
	/* P-6: a board announcing Matter credentials takes their longest request */
	if (b->id.max_payload < MSG_MAX_CRED_MATTER_LEN)
		b->id.caps &= ~(uint32_t)CAP_CRED_MATTER;
	b->pf = (struct dev_platform){ .ctx = b, .rng = hcrypto_rng, .sha256 = hcrypto_sha256,
		.pw_hash = hcrypto_pw_hash, .keygen = p_keygen, .csr = hcrypto_csr, .sign = hcrypto_sign,
		.chain_check = hcrypto_chain_check, .store = p_store, .lock_debug = p_lock_debug,
		.send = p_send, .debug_state = p_debug_state };
	if (o->factory_reset)
		b->fuse = 0; /* the host's fuse can be cleared; a real one cannot (P-21) */
	/* §4.1: a migrated record is written back before the core starts from it */
	if (kind == 2 && !o->factory_reset && p_store(b, ps) != 0) {
		fprintf(stderr, "firmware-stub: cannot write flash file %s: %s\n", flash_path,
		    strerror(errno));
		return -1;
	}
	if (kind == 2 && !o->factory_reset)
		fprintf(stderr, "firmware-stub: %s: record of layout 2 migrated to layout %d (no "
		    "credentials)\n", flash_path, DEV_PERSIST_LAYOUT);
	dev_init(&b->dev, &b->id, &b->pf, ps);
	if (b->dev.boot == DEV_BOOT_DAMAGED && !o->factory_reset)
		fprintf(stderr, "firmware-stub: %s: the stored record is damaged (%s); the board starts "
		    "%s\n", flash_path, dev_record_check(ps) == DEV_REC_CRC ? "CRC" : "layout or fields",
		    proto_statename(b->dev.ps.state));
	if (o->factory_reset)
		dev_factory_reset(&b->dev);
	else if (ps == NULL && p_store(b, &b->dev.ps) != 0) {
		fprintf(stderr, "firmware-stub: cannot write flash file %s: %s\n", flash_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
board_faults(struct board *b, const struct faults_cfg *cfg, unsigned index)
{
	if (!faults_active(cfg, index))
		return;
	faults_attach(&b->fx, cfg, index, &b->dev, &b->pf);
	b->faulty = 1;
}

/* Counters of a session with faults, for board_show and the tests (one JSON object). */
static void
write_stats(const struct board *b)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s.stats", b->flash_path);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "\"executed\":%lu,\"requests\":%lu,\"faults_fired\":%lu,\"bytes_dropped\":%lu,"
	    "\"bytes_corrupted\":%lu,\"rx_bad\":%lu,\"bytes_rx\":%lu,\"bytes_tx\":%lu,"
	    "\"payload_rx\":%lu,\"payload_tx\":%lu,\"compute_us\":%lu\n", b->dev.executed,
	    b->fx.requests, b->fx.fired, b->fx.bytes_dropped, b->fx.bytes_corrupted, b->fx.rx.bad,
	    b->fx.bytes_rx, b->fx.bytes_tx, b->fx.payload_rx, b->fx.payload_tx,
	    (unsigned long)(b->fx.compute_s * 1e6));
	fclose(f);
}

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
board_serve_for(struct board *b, int fd, volatile int *stop, unsigned ms)
{
	struct pollfd pfd;
	uint8_t buf[1024];
	ssize_t n;
	long deadline = mono_ms() + (long)ms, left = 100;
	int hung_up = 0, r;

	b->fd = fd;
	while (!*stop) {
		if (ms != 0 && (left = deadline - mono_ms()) <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents & POLLIN) {
			n = read(fd, buf, sizeof(buf));
			if (n > 0 && !b->faulty) {
				dev_input(&b->dev, buf, (size_t)n);
				OPENSSL_cleanse(buf, (size_t)n); /* P-44: the port's own copy */
				continue;
			}
			if (n > 0) {
				r = faults_input(&b->fx, buf, (size_t)n);
				OPENSSL_cleanse(buf, (size_t)n);
				if (r == FAULTS_HANGUP) {
					/* Unplugged mid-step: the station must see a hang-up. */
					close(fd);
					b->fd = -1;
					hung_up = 1;
					break;
				}
				continue;
			}
		}
		/* No station on the line (pty slave closed): wait for one, like a powered board
		 * waiting in its fixture. */
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			usleep(20000);
	}
	return hung_up;
}

int
board_feed(struct board *b, const uint8_t *p, size_t n)
{
	if (!b->faulty) {
		dev_input(&b->dev, p, n);
		return 0;
	}
	return faults_input(&b->fx, p, n) == FAULTS_HANGUP;
}

void
board_end(struct board *b)
{
	if (b->faulty)
		write_stats(b);
	b->fd = -1;
}

int
board_serve(struct board *b, int fd, volatile int *stop)
{
	int hung_up = board_serve_for(b, fd, stop, 0);

	board_end(b);
	return hung_up;
}

/* The flash image at path (a layout-2 file migrated in memory), checked for its shape; 0, or -1
 * with a message. */
static int
read_image(const char *path, struct flash_image *img)
{
	int kind = flash_read(path, img);

	if ((kind != 1 && kind != 2) || dev_record_check(&img->ps) != DEV_REC_OK) {
		fprintf(stderr, "firmware-stub: %s is not a board flash file\n", path);
		return -1;
	}
	return 0;
}

int
board_prove(const char *flash_path, const uint8_t *challenge, size_t clen)
{
	struct flash_image img;
	uint8_t msg[PROVE_PREFIX_LEN + MSG_MAX_CHALLENGE], sig[MSG_MAX_SIG];
	size_t sl = 0, i;

	if (read_image(flash_path, &img) != 0)
		return 1;
	if (img.ps.key_len == 0 || clen < MSG_MIN_CHALLENGE || clen > MSG_MAX_CHALLENGE) {
		fprintf(stderr, "firmware-stub: %s\n", img.ps.key_len == 0 ? "the board holds no key" :
		    "a challenge is 16..64 bytes");
		return 1;
	}
	/* P-40: what do_prove (device.c) signs, with the same platform signature. */
	memcpy(msg, PROVE_PREFIX, PROVE_PREFIX_LEN);
	memcpy(msg + PROVE_PREFIX_LEN, challenge, clen);
	if (hcrypto_sign(NULL, img.ps.key, img.ps.key_len, msg, PROVE_PREFIX_LEN + clen, sig, sizeof(sig),
	        &sl) != 0) {
		fprintf(stderr, "firmware-stub: the board's key cannot sign\n");
		return 1;
	}
	for (i = 0; i < sl; i++)
		printf("%02x", sig[i]);
	printf("\n");
	return 0;
}

int
board_check_password(const char *flash_path, const char *pw)
{
	struct flash_image img;
	uint8_t v[MSG_DIGEST_LEN];
	size_t n = strlen(pw);
	int match;

	if (read_image(flash_path, &img) != 0)
		return 2;
	if (img.ps.pw_iterations == 0) {
		fprintf(stderr, "firmware-stub: the board holds no password verifier\n");
		return 2;
	}
	/* What do_confirm_pw (device.c) computes, with the same platform hash. */
	if (n < MSG_MIN_PASSWORD || n > MSG_MAX_PASSWORD ||
	    hcrypto_pw_hash(NULL, pw, n, img.ps.pw_salt, sizeof(img.ps.pw_salt), img.ps.pw_iterations,
	        v) != 0) {
		fprintf(stderr, "firmware-stub: cannot hash that password\n");
		return 2;
	}
	match = CRYPTO_memcmp(v, img.ps.pw_verifier, sizeof(v)) == 0;
	OPENSSL_cleanse(v, sizeof(v));
	printf("{\"match\":%s}\n", match ? "true" : "false");
	return match ? 0 : 1;
}

static void
put_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* A test tool on emulated flash: it prints the stored credentials, secrets included (a real
 * board never gives them back; the station never reads them: P-53), as the member
 * "credentials" of the JSON object. The SSID is printable ASCII (dev_record_check): '"' and
 * '\\' are escaped. */
static void
show_creds(const struct dev_persist *ps)
{
	const char *c;

	printf(",\"credentials\":{");
	if (ps->cred_stored & DEV_CRED_WIFI) {
		printf("\"wifi\":{\"ssid\":\"");
		for (c = ps->wifi_ssid; *c != '\0'; c++)
			printf(*c == '\\' || *c == '"' ? "\\%c" : "%c", *c);
		printf("\",\"akm\":%u,\"secret\":\"", ps->wifi_akm);
		put_hex(ps->wifi_secret, ps->wifi_secret_len);
		printf("\"}");
	}
	if (ps->cred_stored & DEV_CRED_MATTER) {
		printf("%s\"matter\":{\"discriminator\":%u,\"iterations\":%lu,\"salt\":\"",
		    ps->cred_stored & DEV_CRED_WIFI ? "," : "", ps->matter_discriminator,
		    (unsigned long)ps->matter_iterations);
		put_hex(ps->matter_salt, ps->matter_salt_len);
		printf("\",\"verifier\":\"");
		put_hex(ps->matter_verifier, sizeof(ps->matter_verifier));
		printf("\"}");
	}
	printf("}");
}

int
board_show(const char *flash_path)
{
	struct flash_image img;
	unsigned char *spki = NULL;
	char chip[2 * MSG_MAX_CHIP_ID + 1], pk[65] = "";
	uint8_t dg[32];
	EVP_PKEY *k = NULL;
	char stats[512] = "", spath[600];
	FILE *sf;
	int len, i;

	if (read_image(flash_path, &img) != 0)
		return 1;
	snprintf(spath, sizeof(spath), "%s.stats", flash_path);
	if ((sf = fopen(spath, "r")) != NULL) {
		/* our own one-line object body, checked for its charset before it is printed */
		if (fgets(stats + 1, sizeof(stats) - 1, sf) != NULL &&
		    strspn(stats + 1, "\"_:,abcdefghijklmnopqrstuvwxyz0123456789") ==
		        strcspn(stats + 1, "\n")) {
			stats[0] = ',';
			stats[strcspn(stats, "\n")] = '\0';
		} else
			stats[0] = '\0';
		fclose(sf);
	}
	for (i = 0; i < img.id.chip_id_len; i++)
		snprintf(chip + 2 * i, 3, "%02x", img.id.chip_id[i]);
	chip[2 * img.id.chip_id_len] = '\0';
	if (img.ps.key_len > 0 && (k = hcrypto_load_key(img.ps.key, img.ps.key_len)) != NULL &&
	    (len = i2d_PUBKEY(k, &spki)) > 0 &&
	    EVP_Digest(spki, (size_t)len, dg, NULL, EVP_sha256(), NULL) == 1)
		for (i = 0; i < 32; i++)
			snprintf(pk + 2 * i, 3, "%02x", dg[i]);
	printf("{\"state\":\"%s\",\"serial\":\"%s\",\"chip_id\":\"%s\",\"debug_locked\":%s,"
	    "\"pubkey_sha256\":\"%s\",\"chain_len\":%u%s", proto_statename(img.ps.state),
	    img.ps.serial, chip, img.fuse || img.ps.debug_locked ? "true" : "false", pk, img.ps.chain_len,
	    stats);
	show_creds(&img.ps);
	printf("}\n");
	OPENSSL_cleanse(&img, sizeof(img)); /* a key, a Wi-Fi secret */
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
	return 0;
}
