/* label-out-tcp.c: a printer's raw TCP port (9100), with the Zebra ~HS status; see label-out.h. */
#include "label-out.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps.h"
#include "label-zhs.h"
#include "util.h"

#define STATUS_POLL_MS 200

/* Connects to host:port within the deadline. The socket (non-blocking), or -1 with why. */
static int
dial(const struct label_profile *lp, uint64_t deadline, char *why, size_t cap)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8], host[CAP_PATH];
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, e, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", lp->port);
	/* [v6 address] as given in the profile: getaddrinfo wants it bare */
	snprintf(host, sizeof(host), "%s", lp->printer);
	if (host[0] == '[' && strlen(host) > 2) {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		util_why(why, cap, "cannot find the printer %s: %s", lp->printer, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		         ai->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			sl = sizeof(err);
			if (poll(&pfd, 1, (int)label_out_left(deadline)) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
				break;
			if (err == 0)
				err = ETIMEDOUT;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		util_why(why, cap, "cannot reach the printer %s:%u: %s (is it on and on the network?)",
		    lp->printer, lp->port, strerror(err ? err : EHOSTUNREACH));
	return fd;
}

static int
send_all(int fd, const uint8_t *buf, size_t n, uint64_t deadline)
{
	struct pollfd pfd;
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = send(fd, buf + off, n - off, MSG_NOSIGNAL)) > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (label_out_left(deadline) == 0 || poll(&pfd, 1, (int)label_out_left(deadline)) == 0)
			return errno = ETIMEDOUT, -1;
	}
	return 0;
}

/* ~HS: the printer's status. 0 with *st, or -1 with why. */
static int
query(int fd, const struct label_profile *lp, uint64_t deadline, struct label_zhs *st, char *why,
    size_t cap)
{
	uint8_t buf[CAP_PRINTER_REPLY];
	struct pollfd pfd;
	size_t n = 0;
	ssize_t got;
	int r;

	if (send_all(fd, (const uint8_t *)"~HS\r\n", 5, deadline) != 0) {
		util_why(why, cap, "the printer %s:%u stopped taking data: %s", lp->printer, lp->port,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (label_out_left(deadline) == 0 || poll(&pfd, 1, (int)label_out_left(deadline)) == 0) {
			util_why(why, cap, "the printer %s:%u did not answer its status query (~HS) in %u "
			    "ms; if it is not a Zebra printer set [label] status = none", lp->printer,
			    lp->port, lp->timeout);
			return -1;
		}
		if ((got = recv(fd, buf + n, sizeof(buf) - n, 0)) < 0 && (errno == EAGAIN ||
		        errno == EINTR))
			continue;
		if (got <= 0) {
			util_why(why, cap, "the printer %s:%u closed the connection during its status "
			    "query", lp->printer, lp->port);
			return -1;
		}
		n += (size_t)got;
		if ((r = label_zhs_parse(buf, n, st)) == 0)
			return 0;
		if (r < 0 || n == sizeof(buf)) {
			util_why(why, cap, "the printer %s:%u answered its status query (~HS) with "
			    "something else; if it is not a Zebra printer set [label] status = none",
			    lp->printer, lp->port);
			return -1;
		}
	}
}

/* Every byte sent was acknowledged by the peer (nothing left in the send queue). */
static int
drained(int fd, uint64_t deadline)
{
	int left = 0;

	for (;;) {
		if (ioctl(fd, SIOCOUTQ, &left) != 0)
			return -1;
		if (left == 0)
			return 0;
		if (label_out_left(deadline) == 0)
			return errno = ETIMEDOUT, -1;
		usleep(10000);
	}
}

static int
tcp_send(const struct label_profile *lp, const uint8_t *buf, size_t n, char *why, size_t cap)
{
	uint64_t deadline = util_ms() + lp->timeout;
	struct label_zhs st;
	const char *bad;
	int fd, r = -1;

	if ((fd = dial(lp, deadline, why, cap)) < 0)
		return -1;
	if (lp->status == LABEL_STATUS_ZEBRA) {
		if (query(fd, lp, deadline, &st, why, cap) != 0)
			goto out;
		if ((bad = label_zhs_problem(&st)) != NULL) {
			util_why(why, cap, "the printer %s:%u reports %s; fix it, then reprint",
			    lp->printer, lp->port, bad);
			goto out;
		}
	}
	if (send_all(fd, buf, n, deadline) != 0) {
		util_why(why, cap, "the printer %s:%u did not take the label: %s", lp->printer, lp->port,
		    errno == ETIMEDOUT ? "timed out (jammed or off?)" : strerror(errno));
		goto out;
	}
	if (lp->status == LABEL_STATUS_ZEBRA) {
		/* printed: nothing left in its buffer, no label left to print, no problem */
		for (;;) {
			usleep(STATUS_POLL_MS * 1000);
			if (query(fd, lp, deadline, &st, why, cap) != 0)
				goto out;
			if ((bad = label_zhs_problem(&st)) != NULL) {
				util_why(why, cap, "the printer %s:%u reports %s after the label was sent: it "
				    "may not have printed; fix it, then reprint", lp->printer, lp->port, bad);
				goto out;
			}
			if (st.formats == 0 && st.remaining == 0 && !st.partial)
				break;
			if (label_out_left(deadline) < STATUS_POLL_MS) {
				util_why(why, cap, "the printer %s:%u did not finish the label in %u ms "
				    "(jammed?); check it, then reprint", lp->printer, lp->port, lp->timeout);
				goto out;
			}
		}
	} else if (drained(fd, deadline) != 0) {
		util_why(why, cap, "the printer %s:%u did not take the whole label in %u ms (jammed or "
		    "off?)", lp->printer, lp->port, lp->timeout);
		goto out;
	}
	(void)shutdown(fd, SHUT_WR);
	r = 0;
out:
	close(fd);
	return r;
}

const struct label_out_ops label_out_tcp = { "tcp", tcp_send };
