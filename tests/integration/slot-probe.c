/*
 * slot-probe.c: the station side of test-sim-slots.sh (firmware-stub sim --slots), through the
 * station's own transport and link code. Run under the testbed (UMOCKDEV_DIR, the preload).
 *   slot-probe hello PORT [TIMEOUT_MS]     one HELLO, no retry; prints "ok CHIPID" or the error;
 *                                          exit 0 when answered, 1 otherwise
 *   slot-probe seat PORT FILE CONTENT      opens PORT, writes FILE (atomically) with CONTENT,
 *                                          then says HELLO every 20 ms until a board answers;
 *                                          prints the ms from the write to the answer
 *   slot-probe hangup PORT FILE            opens PORT, writes "unplugged" to FILE, reads until
 *                                          the hang-up; prints the ms from the write to it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link.h"
#include "log.h"
#include "msg.h"
#include "xport.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
write_control(const char *file, const char *content)
{
	char tmp[600];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%s\n", content) < 0 || fclose(f) != 0 ||
	    rename(tmp, file) != 0) {
		fprintf(stderr, "slot-probe: cannot write %s: %s\n", file, strerror(errno));
		return -1;
	}
	return 0;
}

/* One HELLO on x; 0 and the chip id in hex, or the link error. */
static int
hello(struct xport *x, unsigned timeout_ms, char *chip, size_t cap)
{
	static struct link l;
	struct msg_hello h;
	const uint8_t *rsp;
	size_t rl, i;
	int r;

	link_init(&l, x, (uint16_t)(now_ms()));
	if ((r = link_call(&l, MSG_HELLO, NULL, 0, timeout_ms, 0, &rsp, &rl)) != 0)
		return r;
	if (msg_dec_hello(rsp, rl, &h) != 0)
		return -100;
	for (i = 0; i < h.chip_id_len && 2 * i + 2 < cap; i++)
		snprintf(chip + 2 * i, 3, "%02x", h.chip_id[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct xport *x = NULL;
	char chip[2 * MSG_MAX_CHIP_ID + 1] = "";
	uint8_t buf[256];
	size_t got;
	double t0;
	int r;

	log_init("slot-probe", getenv("PROBE_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
	if (argc < 3) {
		fprintf(stderr, "usage: slot-probe hello|seat|hangup PORT ...\n");
		return 2;
	}
	if ((r = xport_open(xport_ops_for(argv[2]), argv[2], 115200, &x)) != 0) {
		printf("open %s: %s\n", argv[2], xport_strerror(r));
		return 1;
	}
	if (strcmp(argv[1], "hello") == 0) {
		r = hello(x, argc > 3 ? (unsigned)atoi(argv[3]) : 500, chip, sizeof(chip));
		printf(r == 0 ? "ok %s\n" : "%s\n", r == 0 ? chip : link_strerror(r));
	} else if (strcmp(argv[1], "seat") == 0 && argc == 5) {
		t0 = now_ms();
		if (write_control(argv[3], argv[4]) != 0)
			return 1;
		while ((r = hello(x, 20, chip, sizeof(chip))) != 0 && now_ms() - t0 < 5000)
			;
		printf(r == 0 ? "ok %s %.1f ms\n" : "%s\n", r == 0 ? chip : link_strerror(r),
		    now_ms() - t0);
	} else if (strcmp(argv[1], "hangup") == 0 && argc == 4) {
		t0 = now_ms();
		if (write_control(argv[3], "unplugged") != 0)
			return 1;
		while ((r = xport_read(x, buf, sizeof(buf), &got, 100)) == 0 ||
		    (r == XPORT_ERR_TIMEOUT && now_ms() - t0 < 5000))
			;
		printf("%s %.1f ms\n", xport_strerror(r), now_ms() - t0);
		r = r == XPORT_ERR_HANGUP ? 0 : 1;
	} else {
		fprintf(stderr, "usage: slot-probe hello|seat|hangup PORT ...\n");
		r = 2;
	}
	xport_close(x);
	return r == 0 ? 0 : r == 2 ? 2 : 1;
}
