/* slots.c: fixture slots driven by control files; see slots.h. One thread per slot. */
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "faults-opt.h"

enum slot_kind { SLOT_EMPTY, SLOT_BOARD, SLOT_UNPLUGGED };

struct slot_want {
	enum slot_kind kind;
	char name[SLOTS_MAX_NAME + 1];
	int has_faults;
	struct faults_cfg fc;
};

struct slot {
	struct sim_adapter *a;
	const struct slots_cfg *cfg;
	char path[512];
	char raw[SLOTS_MAX_LINE + 1];  /* content last acted on (or reported as bad) */
	size_t raw_len;
	int have_raw;
	struct board *b;               /* seated board, NULL: none */
	char seated[SLOTS_MAX_NAME + 1];
};

static void
slot_log(const struct slot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
slot_log(const struct slot *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sim: slot %u: ", s->a->index);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Reads the control file into buf (cap bytes; NUL-terminated, *len without it). A missing file
 * reads as empty. Returns 0, or -1 (reason in why) when it is not a regular file, cannot be
 * read, or is longer than cap - 1 bytes.
 */
static int
read_control(const char *path, char *buf, size_t cap, size_t *len, const char **why)
{
	struct stat st;
	ssize_t n;
	size_t have = 0;
	int fd;

	*len = 0;
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -1;
	}
	/* one byte more than allowed, to tell a long file from a full one */
	while (have < cap && (n = read(fd, buf + have, cap - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			*why = strerror(errno);
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	if (have >= cap) {
		*why = "longer than 512 bytes (one line)";
		return -1;
	}
	buf[have] = '\0';
	*len = have;
	return 0;
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= SLOTS_MAX_NAME && s[0] != '.' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * Parses one control file's content (len bytes, untrusted) into w. Returns 0, or -1 with the
 * reason in why (a fault option's own complaint is on stderr already).
 */
static int
parse_control(const char *raw, size_t len, struct slot_want *w, const char **why)
{
	char line[SLOTS_MAX_LINE + 1], *words[SLOTS_MAX_WORDS], *p;
	size_t n = 0, i;

	memset(w, 0, sizeof(*w));
	w->fc.board = -1;
	w->fc.seed = 1;
	if (len > SLOTS_MAX_LINE) {
		*why = "too long";
		return -1;
	}
	memcpy(line, raw, len);
	line[len] = '\0';
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			*why = "more than one line, or a control character";
			return -1;
		}
		if ((unsigned char)line[i] > 0x7e) {
			*why = "not printable ASCII";
			return -1;
		}
	}
	for (p = strtok(line, " \t"); p != NULL; p = strtok(NULL, " \t")) {
		if (n == SLOTS_MAX_WORDS) {
			*why = "too many words";
			return -1;
		}
		words[n++] = p;
	}
	if (n == 0) {
		w->kind = SLOT_EMPTY;
		return 0;
	}
	if (strcmp(words[0], "unplugged") == 0 && n == 1) {
		w->kind = SLOT_UNPLUGGED;
		return 0;
	}
	if (strcmp(words[0], "board") != 0) {
		*why = "expected 'board NAME [fault flags]', 'unplugged' or nothing";
		return -1;
	}
	if (n < 2 || !name_ok(words[1])) {
		*why = "a board NAME is 1..64 of A-Z a-z 0-9 . _ - (not starting with '.')";
		return -1;
	}
	snprintf(w->name, sizeof(w->name), "%s", words[1]);
	w->kind = SLOT_BOARD;
	w->has_faults = n > 2;
	if (n > 2 && faults_opt_parse(&w->fc, words + 2, n - 2) != 0) {
		*why = "bad fault flags";
		return -1;
	}
	if (w->fc.board != -1) {
		*why = "--fault-board has no place in a slot file (its flags are for its board only)";
		return -1;
	}
	return 0;
}

/* Takes the seated board away: it simply stops answering (nothing is sent). */
static void
unseat(struct slot *s)
{
	if (s->b == NULL)
		return;
	board_end(s->b);
	free(s->b);
	s->b = NULL;
	s->seated[0] = '\0';
}

/* Seats board w->name from power-on. 0, or -1 (logged; the slot stays empty). */
static int
seat(struct slot *s, const struct slot_want *w)
{
	char path[600];

	if (snprintf(path, sizeof(path), "%s/%s.flash", s->cfg->flash_dir, w->name) >=
	    (int)sizeof(path)) {
		slot_log(s, "flash path too long");
		return -1;
	}
	if ((s->b = calloc(1, sizeof(*s->b))) == NULL) {
		slot_log(s, "out of memory");
		return -1;
	}
	if (board_open(s->b, path, s->cfg->opts) != 0) {
		slot_log(s, "board %s: cannot open its flash %s; the slot stays empty", w->name, path);
		free(s->b);
		s->b = NULL;
		return -1;
	}
	if (w->has_faults)
		board_faults(s->b, &w->fc, s->a->index);
	else
		board_faults(s->b, s->cfg->faults, s->a->index);
	snprintf(s->seated, sizeof(s->seated), "%s", w->name);
	return 0;
}

/* Brings the slot to w. */
static void
apply(struct slot *s, const struct slot_want *w)
{
	struct sim_adapter *a = s->a;
	int had = s->b != NULL;

	unseat(s);
	if (w->kind == SLOT_UNPLUGGED || (w->kind == SLOT_EMPTY && a->usb)) {
		(void)sim_unplug(a);
		return;
	}
	/* A USB board is its own device: another board is another enumeration. */
	if (a->usb && had)
		(void)sim_unplug(a);
	if (sim_plug(a) != 0)
		return;
	/* What the station sent the board that went away is not for the new one (a serial line
	 * kept across the swap). */
	if (!a->usb && a->fd >= 0)
		(void)tcflush(a->fd, TCIFLUSH);
	if (w->kind == SLOT_BOARD && seat(s, w) != 0 && a->usb)
		(void)sim_unplug(a);
}

/* Polls the control file; acts when its content changed. */
static void
poll_control(struct slot *s)
{
	char buf[SLOTS_MAX_LINE + 2];
	struct slot_want w;
	const char *why = "?";
	size_t len = 0;
	int r;

	r = read_control(s->path, buf, SLOTS_MAX_LINE + 1, &len, &why);
	if (r != 0) {
		/* reported once per distinct failure, not every poll */
		len = strlen(why);
		if (!s->have_raw || s->raw_len != len + 1 || s->raw[0] != '\1' ||
		    memcmp(s->raw + 1, why, len) != 0) {
			slot_log(s, "%s: %s; slot left as it was", s->path, why);
			s->raw[0] = '\1';
			memcpy(s->raw + 1, why, len < SLOTS_MAX_LINE ? len : SLOTS_MAX_LINE - 1);
			s->raw_len = (len < SLOTS_MAX_LINE ? len : SLOTS_MAX_LINE - 1) + 1;
			s->have_raw = 1;
		}
		return;
	}
	if (s->have_raw && s->raw_len == len && memcmp(s->raw, buf, len) == 0)
		return;
	memcpy(s->raw, buf, len);
	s->raw_len = len;
	s->have_raw = 1;
	if (parse_control(buf, len, &w, &why) != 0) {
		slot_log(s, "%s: %s; slot left as it was", s->path, why);
		return;
	}
	apply(s, &w);
}

/* An adapter with no board: what the station sends is read and dropped, for up to ms. */
static void
silent_for(struct sim_adapter *a, unsigned ms)
{
	struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
	char buf[256];

	if (a->fd < 0 || poll(&pfd, 1, (int)ms) <= 0) {
		if (a->fd < 0)
			(void)poll(NULL, 0, (int)ms);
		return;
	}
	if ((pfd.revents & POLLIN) && read(a->fd, buf, sizeof(buf)) > 0)
		return;
	(void)poll(NULL, 0, 20); /* no station on the line */
}

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
slots_board(struct sim_adapter *a, void *arg)
{
	struct slot *s = calloc(1, sizeof(*s));
	long next = 0, left;

	if (s == NULL) {
		fprintf(stderr, "sim: slot %u: out of memory\n", a->index);
		sim_ready(a);
		return;
	}
	s->a = a;
	s->cfg = arg;
	if (snprintf(s->path, sizeof(s->path), "%s/slot-%u", s->cfg->dir, a->index) >=
	    (int)sizeof(s->path))
		fprintf(stderr, "sim: slot %u: control file path too long\n", a->index);
	poll_control(s);
	sim_ready(a);
	next = mono_ms() + SLOTS_POLL_MS;
	while (!*a->stop) {
		if ((left = next - mono_ms()) <= 0) {
			poll_control(s);
			next = mono_ms() + SLOTS_POLL_MS;
			continue;
		}
		if (s->b != NULL && a->fd >= 0) {
			if (board_serve_for(s->b, a->fd, a->stop, (unsigned)left) == 1)
				a->fd = -1; /* --hang-up-at: the board closed the line itself */
		} else
			silent_for(a, (unsigned)(left < 50 ? left : 50));
	}
	unseat(s);
	free(s);
}
