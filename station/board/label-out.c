/* label-out.c: the printer backends' dispatch and the device-file backend; see label-out.h. */
#include "label-out.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

const struct label_out_ops *
label_out_for(const struct label_profile *lp)
{
	switch (lp->output) {
	case LABEL_OUT_TCP: return &label_out_tcp;
	case LABEL_OUT_CUPS: return &label_out_cups;
	case LABEL_OUT_DEVICE: return &label_out_device;
	default: return NULL;
	}
}

void
label_out_describe(const struct label_profile *lp, char *out, size_t cap)
{
	switch (lp->output) {
	case LABEL_OUT_TCP: snprintf(out, cap, "tcp:%s:%u", lp->printer, lp->port); break;
	case LABEL_OUT_CUPS: snprintf(out, cap, "cups:%s", lp->printer); break;
	case LABEL_OUT_DEVICE: snprintf(out, cap, "%s", lp->printer); break;
	default: snprintf(out, cap, "dir"); break;
	}
}

unsigned
label_out_left(uint64_t deadline)
{
	uint64_t now = util_ms();

	return now >= deadline ? 0 : (unsigned)(deadline - now);
}

/* A printer on a device file: a character device (usblp, a serial printer) or a FIFO (a
 * print pipeline). Opened without blocking, so that a FIFO nobody reads fails at once. */
static int
device_send(const struct label_profile *lp, const uint8_t *buf, size_t n, char *why, size_t cap)
{
	uint64_t deadline = util_ms() + lp->timeout;
	struct pollfd pfd;
	struct stat st;
	size_t off = 0;
	ssize_t w;
	int fd, r = -1;

	if ((fd = open(lp->printer, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		util_why(why, cap, "cannot open the printer %s: %s", lp->printer, errno == ENXIO ?
		    "nothing reads it (printer off?)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		util_why(why, cap, "%s is not a printer device (a character device or a FIFO)",
		    lp->printer);
		goto out;
	}
	while (off < n) {
		if ((w = write(fd, buf + off, n - off)) > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			util_why(why, cap, "writing to the printer %s: %s", lp->printer, strerror(errno));
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (label_out_left(deadline) == 0 ||
		    poll(&pfd, 1, (int)label_out_left(deadline)) == 0) {
			util_why(why, cap, "the printer %s took %zu of %zu bytes in %u ms (jammed or off?)",
			    lp->printer, off, n, lp->timeout);
			goto out;
		}
	}
	r = 0;
out:
	close(fd);
	return r;
}

const struct label_out_ops label_out_device = { "device", device_send };
