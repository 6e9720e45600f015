/*
 * sp-client.c: the "station side" of sim-echo (throwaway-quality test driver). Uses only
 * xport.h, like the station. Run by sim-echo:  sim-echo [-n N] sp-client [N]
 * Checks listing, echo on every port, round-trip time, read timeout and hang-up detection.
 */
#include "log.h"
#include "xport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_OPEN_MAX 50

#define FAIL(...) do { fprintf(stderr, "sp-client: FAIL: " __VA_ARGS__); fputc('\n', stderr); \
	exit(1); } while (0)

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads one '\n'-terminated line into buf (NUL-terminated). Returns 0 or an xport_rc. */
static int
read_line(struct xport *x, char *buf, size_t cap, unsigned timeout_ms)
{
	size_t have = 0, got;
	int r;

	while (have + 1 < cap) {
		if ((r = xport_read(x, (uint8_t *)buf + have, cap - 1 - have, &got, timeout_ms)) != 0)
			return r;
		have += got;
		if (buf[have - 1] == '\n')
			break;
	}
	buf[have] = '\0';
	return 0;
}

static void
echo_once(struct xport *x, const char *serial, const char *msg)
{
	static char want[9000], got[9000];
	int r;

	snprintf(want, sizeof(want), "%s:%s", serial, msg);
	if ((r = xport_write(x, (const uint8_t *)msg, strlen(msg), 1000)) != 0)
		FAIL("write: %s", xport_strerror(r));
	if ((r = read_line(x, got, sizeof(got), 1000)) != 0)
		FAIL("read: %s", xport_strerror(r));
	if (strcmp(want, got) != 0)
		FAIL("echo mismatch: want '%.40s' got '%.40s'", want, got);
}

static void
bench(struct xport *x, const char *serial, size_t len, int iters)
{
	char msg[2048];
	double t0, dt, best = 1e9, sum = 0;
	int i;

	memset(msg, 'a' + (int)(len % 26), len - 1);
	msg[len - 1] = '\n';
	msg[len] = '\0';
	for (i = 0; i < iters; i++) {
		t0 = now_ms();
		echo_once(x, serial, msg);
		dt = now_ms() - t0;
		sum += dt;
		if (dt < best)
			best = dt;
	}
	printf("round trip %4zu B: mean %.3f ms, best %.3f ms (%d iterations)\n", len,
	    sum / iters, best, iters);
}

int
main(int argc, char **argv)
{
	static struct xport_info in[CAP_XPORT_LIST];
	struct xport *x[CAP_XPORT_LIST] = { NULL };
	unsigned want = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	char path[32], ser[32], msg[64];
	double t0, dt;
	size_t n, i, k, got;
	uint8_t b[16];
	int r;

	log_init("sp-client", LOG_INFO);
	if ((r = xport_serial_list(in, CAP_XPORT_LIST, &n)) != 0)
		FAIL("list: %s", xport_strerror(r));
	if (n != want)
		FAIL("expected %u ports, got %zu", want, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "1-1.%zu", i + 1);
		snprintf(ser, sizeof(ser), "SIM%04zu", i);
		if (!in[i].is_usb || in[i].usb_vid != 0x0403 || in[i].usb_pid != 0x6001 ||
		    strcmp(in[i].usb_path, path) != 0 || strcmp(in[i].serial, ser) != 0)
			FAIL("port %zu: %s usb=%d %04x:%04x path '%s' serial '%s'", i, in[i].name,
			    in[i].is_usb, in[i].usb_vid, in[i].usb_pid, in[i].usb_path, in[i].serial);
		if (i < 4 || i + 1 == n)
			printf("%-14s %-8s %04x:%04x %s %s %s\n", in[i].name, in[i].usb_path,
			    in[i].usb_vid, in[i].usb_pid, in[i].serial, in[i].manufacturer,
			    in[i].product);
	}
	/* one after the other: every port, whatever n is */
	for (i = 0; i < n; i++) {
		if ((r = xport_open(&xport_serial_ops, in[i].name, 115200, &x[i])) != 0)
			FAIL("open %s: %s", in[i].name, xport_strerror(r));
		snprintf(msg, sizeof(msg), "one by one %zu\n", i);
		echo_once(x[i], in[i].serial, msg);
		xport_close(x[i]);
		x[i] = NULL;
	}
	printf("echo ok on %zu ports, one at a time\n", n);
	/* all open at once, like a station serving every fixture; umockdev 0.17's preload
	 * aborts the process on the 51st emulated fd (FD_MAP_MAX 50) */
	if (n > SIM_OPEN_MAX)
		n = SIM_OPEN_MAX;
	for (i = 0; i < n; i++) {
		if ((r = xport_open(&xport_serial_ops, in[i].name, 115200, &x[i])) != 0)
			FAIL("open %s: %s", in[i].name, xport_strerror(r));
	}
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "hello %zu\n", i);
		echo_once(x[i], in[i].serial, msg);
	}
	printf("echo ok on %zu ports open at the same time\n", n);
	bench(x[0], in[0].serial, 64, 500);
	bench(x[0], in[0].serial, 1024, 200);

	t0 = now_ms();
	r = xport_read(x[0], b, sizeof(b), &got, 200);
	dt = now_ms() - t0;
	if (r != XPORT_ERR_TIMEOUT || dt < 190 || dt > 400)
		FAIL("idle read: %s after %.1f ms", xport_strerror(r), dt);
	printf("idle read: timeout after %.1f ms (asked 200)\n", dt);

	/* hang-up on the last open port and on port 1; the others stay up until shutdown */
	for (k = 0; k < 2; k++) {
		i = k == 0 ? n - 1 : 1;
		if (k == 1 && n < 3)
			break;
		if ((r = xport_write(x[i], (const uint8_t *)"HANGUP\n", 7, 1000)) != 0)
			FAIL("write HANGUP: %s", xport_strerror(r));
		t0 = now_ms();
		r = xport_read(x[i], b, sizeof(b), &got, 3000);
		dt = now_ms() - t0;
		if (r != XPORT_ERR_HANGUP || dt > 300)
			FAIL("%s: hang-up read: %s after %.1f ms", in[i].name, xport_strerror(r), dt);
		printf("%s: hang-up detected after %.2f ms (timeout 3000)\n", in[i].name, dt);
		t0 = now_ms();
		r = xport_write(x[i], (const uint8_t *)"x\n", 2, 3000);
		dt = now_ms() - t0;
		if (r != XPORT_ERR_HANGUP || dt > 300)
			FAIL("%s: write after hang-up: %s after %.1f ms", in[i].name,
			    xport_strerror(r), dt);
	}
	for (i = 0; i < n; i++)
		xport_close(x[i]);
	if (xport_open(&xport_serial_ops, "/dev/ttyUSB999", 115200, &x[0]) != XPORT_ERR_NOTFOUND)
		FAIL("open of a missing port did not say NOTFOUND");
	printf("sp-client: all checks passed\n");
	return 0;
}
