/*
 * xport-serial.c: the serial backend of xport.h on libserialport (USB-serial adapters in
 * the fixtures, 8N1, no flow control).
 *
 * Two libserialport 0.1.1 behaviours, measured on ptys and umockdev (testing-transports notes
 * §1.2), shape this file:
 *  - after the far end hangs up (adapter unplugged, pty master closed), read() returns 0
 *    and libserialport cannot tell that from "no data" (it configures VMIN=0/VTIME=0, where
 *    0 also means "nothing yet"), so sp_blocking_read*() spin until their timeout. We wait
 *    with poll() ourselves, because only poll() reports POLLHUP, and then read what is
 *    there with sp_nonblocking_read().
 *  - a write on a full buffer can fail with SP_ERR_FAIL and errno EAGAIN; that means
 *    "0 written", not an error.
 */
#include "xport.h"

#include "log.h"
#include "util.h"

#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest USB physical path we accept from sysfs ("1-1.2.3.4.5.6.7" is 15). */

struct xport {
	const struct xport_ops *ops; /* must be first: xport.c dispatches through it */
	struct sp_port *port;
	int fd;                      /* the port's own fd (sp_get_port_handle), for poll() */
	char name[CAP_XPORT_NAME];   /* printable copy, for log messages */
};

/* Logs "<port>: <what>: <libserialport detail>" for a failed sp_* call returning rc. */
static void
log_sp(int level, const char *name, const char *what, enum sp_return rc)
{
	char *msg;

	if (rc != SP_ERR_FAIL) {
		/* only SP_ERR_FAIL carries an OS error; the others have fixed meanings */
		log_msg(level, "serial port %s: %s: %s", name, what,
		    rc == SP_ERR_ARG ? "invalid argument or no such device" :
		    rc == SP_ERR_MEM ? "out of memory" :
		    rc == SP_ERR_SUPP ? "not supported by this port or OS" : "unknown error");
		return;
	}
	msg = sp_last_error_message();
	log_msg(level, "serial port %s: %s: %s", name, what, msg != NULL ? msg : "unknown error");
	sp_free_error_message(msg);
}

static unsigned
ms_left(uint64_t deadline)
{
	uint64_t now = util_ms();

	if (now >= deadline)
		return 0;
	return deadline - now > UINT_MAX ? UINT_MAX : (unsigned)(deadline - now);
}

/* 1 when the line has been hung up (POLLHUP/POLLERR without blocking). */
static int
hung_up(const struct xport *x)
{
	struct pollfd pfd = { .fd = x->fd, .events = 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static int
serial_open(const char *name, unsigned baud, struct xport **out)
{
	struct xport *x = NULL;
	char pname[CAP_XPORT_NAME];
	enum sp_return e;
	int r = XPORT_ERR_OPEN;

	util_sanitize(name, strlen(name), pname, sizeof(pname));
	if (baud == 0 || baud > INT_MAX || strlen(name) >= CAP_XPORT_NAME) {
		log_msg(LOG_ERROR, "serial port %s: invalid name or baud rate %u", pname, baud);
		return XPORT_ERR_ARG;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return XPORT_ERR_NOMEM;
	x->ops = &xport_serial_ops;
	x->fd = -1;
	snprintf(x->name, sizeof(x->name), "%s", pname);

	if ((e = sp_get_port_by_name(name, &x->port)) != SP_OK) {
		x->port = NULL;
		log_sp(LOG_ERROR, pname, "not found; check `station ports` and the cable", e);
		r = e == SP_ERR_MEM ? XPORT_ERR_NOMEM : XPORT_ERR_NOTFOUND;
		goto out;
	}
	if ((e = sp_open(x->port, SP_MODE_READ_WRITE)) != SP_OK) {
		log_sp(LOG_ERROR, pname, "cannot open (in use, or no permission: add the user to group dialout)", e);
		goto out;
	}
	if ((e = sp_set_baudrate(x->port, (int)baud)) != SP_OK ||
	    (e = sp_set_bits(x->port, 8)) != SP_OK ||
	    (e = sp_set_parity(x->port, SP_PARITY_NONE)) != SP_OK ||
	    (e = sp_set_stopbits(x->port, 1)) != SP_OK ||
	    (e = sp_set_flowcontrol(x->port, SP_FLOWCONTROL_NONE)) != SP_OK) {
		log_sp(LOG_ERROR, pname, "cannot configure 8N1 without flow control", e);
		goto out;
	}
	/* Some boards hold themselves in reset or stay silent until DTR/RTS are asserted. */
	if ((e = sp_set_dtr(x->port, SP_DTR_ON)) != SP_OK ||
	    (e = sp_set_rts(x->port, SP_RTS_ON)) != SP_OK) {
		log_sp(LOG_ERROR, pname, "cannot assert DTR/RTS", e);
		goto out;
	}
	/* Whatever arrived before we opened (boot noise, a previous session's tail) is not an
	 * answer to anything we will send. */
	if ((e = sp_flush(x->port, SP_BUF_INPUT)) != SP_OK)
		log_sp(LOG_WARN, pname, "cannot discard stale input", e);
	if ((e = sp_get_port_handle(x->port, &x->fd)) != SP_OK || x->fd < 0) {
		log_sp(LOG_ERROR, pname, "no file descriptor", e);
		goto out;
	}
	log_msg(LOG_DEBUG, "serial port %s: open at %u baud 8N1", pname, baud);
	*out = x;
	x = NULL; /* owned by caller */
	r = XPORT_OK;
out:
	if (x != NULL) {
		if (x->port != NULL) {
			sp_close(x->port); /* fails harmlessly when it was never opened */
			sp_free_port(x->port);
		}
		free(x);
	}
	return r;
}

static int
serial_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	size_t done = 0;
	unsigned left;
	enum sp_return e;

	while (done < n) {
		/* libserialport reads a timeout of 0 as "forever" */
		if ((left = ms_left(deadline)) == 0) {
			log_msg(LOG_WARN, "serial port %s: write timed out after %u ms (%zu of %zu bytes sent)",
			    x->name, timeout_ms, done, n);
			return XPORT_ERR_TIMEOUT;
		}
		e = sp_blocking_write(x->port, p + done, n - done, left);
		if (e == SP_ERR_FAIL && sp_last_error_code() == EAGAIN)
			e = 0; /* full buffer reported as an error: nothing written, try again */
		if (e < 0) {
			if (hung_up(x)) {
				log_msg(LOG_WARN, "serial port %s: device went away while writing", x->name);
				return XPORT_ERR_HANGUP;
			}
			log_sp(LOG_ERROR, x->name, "write failed", e);
			return XPORT_ERR_IO;
		}
		if (e == 0 && hung_up(x)) {
			log_msg(LOG_WARN, "serial port %s: device went away while writing", x->name);
			return XPORT_ERR_HANGUP;
		}
		done += (size_t)e;
	}
	return XPORT_OK;
}

static int
serial_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	struct pollfd pfd;
	enum sp_return e;
	unsigned left;
	int pr;

	for (;;) {
		pfd.fd = x->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		left = ms_left(deadline);
		if ((pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left)) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERROR, "serial port %s: poll: %s", x->name, strerror(errno));
			return XPORT_ERR_IO;
		}
		if (pr == 0)
			return XPORT_ERR_TIMEOUT;
		if (pfd.revents & POLLNVAL) {
			log_msg(LOG_ERROR, "serial port %s: descriptor no longer valid", x->name);
			return XPORT_ERR_IO;
		}
		/* Data first: a driver may still deliver bytes that arrived before the hang-up. */
		if (pfd.revents & POLLIN) {
			e = sp_nonblocking_read(x->port, p, cap);
			if (e > 0) {
				*got = (size_t)e;
				return XPORT_OK;
			}
			if (e < 0 && !(pfd.revents & (POLLHUP | POLLERR))) {
				if (sp_last_error_code() == EIO && hung_up(x))
					goto hangup;
				log_sp(LOG_ERROR, x->name, "read failed", e);
				return XPORT_ERR_IO;
			}
		}
		if (pfd.revents & (POLLHUP | POLLERR))
			goto hangup;
		/* POLLIN and 0 bytes without a hang-up: raced with nothing we know of; wait on. */
		if (ms_left(deadline) == 0)
			return XPORT_ERR_TIMEOUT;
	}
hangup:
	log_msg(LOG_WARN, "serial port %s: device went away (unplugged or board closed the line)",
	    x->name);
	return XPORT_ERR_HANGUP;
}

static void
serial_close(struct xport *x)
{
	enum sp_return e;
	int gone;

	if (x == NULL)
		return;
	gone = hung_up(x); /* before the fd is closed (and its number possibly reused) */
	/* After a hang-up, closing may report EIO; that is expected and not worth a word. */
	if ((e = sp_close(x->port)) != SP_OK && !gone)
		log_sp(LOG_DEBUG, x->name, "close", e);
	sp_free_port(x->port);
	free(x);
}

const struct xport_ops xport_serial_ops = {
	.scheme = "serial",
	.open = serial_open,
	.write = serial_write,
	.read = serial_read,
	.close = serial_close,
};

/*
 * Physical USB port path of tty `name` from sysfs: /sys/class/tty/<name>/device resolves to
 * .../usb1/1-1/1-1.3/1-1.3:1.0/ttyUSB0; the USB device directory is the last component that
 * looks like "bus-port[.port...]" (the interface "1-1.3:1.0" has a colon and is skipped).
 * Under umockdev, /sys is the testbed's, so this works for simulated adapters too.
 * Returns 0 and fills out, or -1 when the path cannot be found.
 */
static int
usb_path_of(const char *name, char *out, size_t cap)
{
	char link[PATH_MAX], *real = NULL, *comp, *save = NULL;
	const char *best = NULL, *s;
	int r = -1, ok;

	if (snprintf(link, sizeof(link), "/sys/class/tty/%s/device", name) >= (int)sizeof(link))
		return -1;
	if ((real = realpath(link, NULL)) == NULL)
		return -1;
	for (comp = strtok_r(real, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
		/* digits '-' digits ('.' digits)* */
		s = comp;
		ok = *s >= '0' && *s <= '9';
		while (*s >= '0' && *s <= '9')
			s++;
		ok = ok && *s++ == '-';
		while (ok && *s != '\0') {
			ok = *s >= '0' && *s <= '9';
			while (*s >= '0' && *s <= '9')
				s++;
			if (*s == '.' && s[1] != '\0')
				s++;
			else if (*s != '\0')
				ok = 0;
		}
		if (ok && strlen(comp) < CAP_USB_PATH)
			best = comp;
	}
	if (best != NULL && strlen(best) < cap) {
		snprintf(out, cap, "%s", best);
		r = 0;
	}
	free(real);
	return r;
}

static void
copy_untrusted(char *dst, size_t cap, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	/* USB descriptors are whatever the adapter says they are: bound, then make printable */
	util_sanitize(src, strnlen(src, CAP_XPORT_DESC - 1), dst, cap);
}

/*
 * Fills one xport_info for p. Returns 0, or -1 when the port must be skipped (a name we
 * could not pass back to xport_open unchanged).
 */
static int
fill_info(struct sp_port *p, struct xport_info *in)
{
	const char *name = sp_get_port_name(p);
	int bus = -1, addr = -1, vid = -1, pid = -1;
	char real_name[CAP_XPORT_NAME];

	memset(in, 0, sizeof(*in));
	if (name == NULL || strnlen(name, CAP_XPORT_NAME) >= CAP_XPORT_NAME || !util_printable(name)) {
		util_sanitize(name != NULL ? name : "", name != NULL ? strnlen(name, 64) : 0,
		    real_name, sizeof(real_name));
		log_msg(LOG_WARN, "ignoring serial port with an unusable name '%s'", real_name);
		return -1;
	}
	snprintf(in->name, sizeof(in->name), "%s", name);
	in->usb_vid = in->usb_pid = -1;
	if (sp_get_port_transport(p) != SP_TRANSPORT_USB) {
		copy_untrusted(in->product, sizeof(in->product), sp_get_port_description(p));
		return 0;
	}
	in->is_usb = 1;
	if (sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK && vid >= 0 && vid <= 0xffff &&
	    pid >= 0 && pid <= 0xffff) {
		in->usb_vid = vid;
		in->usb_pid = pid;
	}
	copy_untrusted(in->serial, sizeof(in->serial), sp_get_port_usb_serial(p));
	copy_untrusted(in->manufacturer, sizeof(in->manufacturer), sp_get_port_usb_manufacturer(p));
	copy_untrusted(in->product, sizeof(in->product), sp_get_port_usb_product(p));
	/* libserialport knows bus and address, but the address changes on every re-plug; the
	 * physical path is what identifies a fixture. */
	if (strncmp(name, "/dev/", 5) != 0 ||
	    usb_path_of(name + 5, in->usb_path, sizeof(in->usb_path)) != 0) {
		in->usb_path[0] = '\0';
		if (sp_get_port_usb_bus_address(p, &bus, &addr) != SP_OK)
			bus = addr = -1;
		log_msg(LOG_DEBUG, "serial port %s: no USB port path in sysfs (bus %d address %d)",
		    in->name, bus, addr);
	}
	return 0;
}

/*
 * Lists the system's serial ports into out[0..cap): USB adapters first, sorted by physical
 * path, then the others by name. Every string is bounded and printable. *n gets the number
 * found (may exceed cap; then only the first cap in sort order are filled).
 * Returns XPORT_OK, XPORT_ERR_ARG, XPORT_ERR_NOMEM or XPORT_ERR_IO (enumeration failed).
 */
int
xport_serial_list(struct xport_info *out, size_t cap, size_t *n)
{
	struct sp_port **list = NULL;
	struct xport_info *all = NULL;
	size_t count = 0, used = 0, i;
	enum sp_return e;
	int r = XPORT_ERR_IO;

	if (n == NULL || (out == NULL && cap != 0))
		return XPORT_ERR_ARG;
	if ((e = sp_list_ports(&list)) != SP_OK) {
		list = NULL;
		/* no /sys/class/tty at all (containers, empty umockdev testbeds): no ports */
		if (e == SP_ERR_FAIL && sp_last_error_code() == ENOENT) {
			log_msg(LOG_DEBUG, "no /sys/class/tty: no serial ports");
			*n = 0;
			r = XPORT_OK;
			goto out;
		}
		log_sp(LOG_ERROR, "(all)", "cannot list serial ports", e);
		r = e == SP_ERR_MEM ? XPORT_ERR_NOMEM : XPORT_ERR_IO;
		goto out;
	}
	while (list[count] != NULL)
		count++;
	/* sort everything before cutting at cap, so the first cap are always the same ones */
	if (count > 0 && (all = calloc(count, sizeof(*all))) == NULL) {
		r = XPORT_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (fill_info(list[i], &all[used]) == 0)
			used++;
	}
	if (used > 1)
		qsort(all, used, sizeof(*all), xport_info_cmp);
	for (i = 0; i < used && i < cap; i++)
		out[i] = all[i];
	*n = used;
	r = XPORT_OK;
out:
	free(all);
	if (list != NULL)
		sp_free_port_list(list);
	return r;
}
