/*
 * xport-net.c: fixture names of the network backends, their resolution (once, before the
 * sandbox), connecting and socket I/O; see xport-net.h and xport.h.
 *
 * Why resolve at start: the board-facing process is sandboxed before it talks to any board
 * (confine.h); the resolver needs /etc (nsswitch.conf, hosts, resolv.conf) and UDP to a name
 * server, neither of which a process that parses hostile bytes should keep. Addresses are
 * therefore resolved once and kept for the process's life: a device server that changes its
 * address needs the station restarted (docs/operator-guide.md).
 */
#include "xport-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define NET_ADDRS 4 /* addresses kept per host (the first few getaddrinfo gives) */

struct net_host {
	char host[CAP_XPORT_NAME];
	struct sockaddr_storage addr[NET_ADDRS];
	socklen_t len[NET_ADDRS];
	size_t n;
};

/* Written by xport_net_prepare before any worker thread exists, read-only afterwards. */
static struct net_host *hosts;
static size_t nhosts;
static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;

int
xport_is_net(const char *name)
{
	return name != NULL && (strncmp(name, "tcp:", 4) == 0 || strncmp(name, "rfc2217:", 8) == 0);
}

/* A decimal port 1..65535 in s[0..n), no sign, no leading garbage. */
static int
parse_port(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

static int
dns_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-';
}

int
xport_net_parse(const char *name, int range, char *host, size_t hcap, unsigned *lo,
    unsigned *hi, int *rfc2217, char *why, size_t wcap)
{
	const char *h, *he, *p, *dash, *colon;
	unsigned a, b;
	size_t hl, i;
	int is2217;
	char pname[CAP_XPORT_NAME];

	if (name == NULL || host == NULL || lo == NULL || hi == NULL || rfc2217 == NULL)
		return XPORT_ERR_ARG;
	util_sanitize(name, strnlen(name, CAP_XPORT_NAME), pname, sizeof(pname));
	if (strnlen(name, CAP_XPORT_NAME) >= CAP_XPORT_NAME) {
		util_why(why, wcap, "fixture name '%s...' is too long", pname);
		return XPORT_ERR_ARG;
	}
	if (strncmp(name, "tcp:", 4) == 0) {
		is2217 = 0;
		h = name + 4;
	} else if (strncmp(name, "rfc2217:", 8) == 0) {
		is2217 = 1;
		h = name + 8;
	} else {
		util_why(why, wcap, "'%s' is not a network fixture (tcp:HOST:PORT or rfc2217:HOST:PORT)",
		    pname);
		return XPORT_ERR_ARG;
	}
	if (*h == '[') {
		/* [IPv6]:PORT */
		if ((he = strchr(h, ']')) == NULL || he[1] != ':') {
			util_why(why, wcap, "'%s': an IPv6 address is written [ADDRESS]:PORT", pname);
			return XPORT_ERR_ARG;
		}
		h++;
		p = he + 2;
	} else {
		if ((colon = strrchr(h, ':')) == NULL) {
			util_why(why, wcap, "'%s': no port (tcp:HOST:PORT)", pname);
			return XPORT_ERR_ARG;
		}
		he = colon;
		p = colon + 1;
	}
	hl = (size_t)(he - h);
	if (hl == 0 || hl > 253 || hl >= hcap) {
		util_why(why, wcap, "'%s': the host is empty or too long", pname);
		return XPORT_ERR_ARG;
	}
	for (i = 0; i < hl; i++) {
		/* an IPv6 literal also has ':' (and '%' for a zone), only between brackets */
		if (!dns_char(h[i]) && !(name[is2217 ? 8 : 4] == '[' && (h[i] == ':' || h[i] == '%'))) {
			util_why(why, wcap, "'%s': the host may hold letters, digits, '.' and '-' only "
			    "(an IPv6 address goes in brackets)", pname);
			return XPORT_ERR_ARG;
		}
	}
	dash = strchr(p, '-');
	if (dash != NULL && !range) {
		util_why(why, wcap, "'%s': a port range is not allowed here", pname);
		return XPORT_ERR_ARG;
	}
	if (dash == NULL) {
		if (parse_port(p, strlen(p), &a) != 0) {
			util_why(why, wcap, "'%s': the port must be 1..65535", pname);
			return XPORT_ERR_ARG;
		}
		b = a;
	} else if (parse_port(p, (size_t)(dash - p), &a) != 0 ||
	    parse_port(dash + 1, strlen(dash + 1), &b) != 0 || b < a) {
		util_why(why, wcap, "'%s': a port range is FIRST-LAST, both 1..65535, FIRST <= LAST",
		    pname);
		return XPORT_ERR_ARG;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*lo = a;
	*hi = b;
	*rfc2217 = is2217;
	return 0;
}

int
xport_net_expand(const char *name, char (*out)[CAP_XPORT_NAME], size_t cap, size_t *n,
    char *why, size_t wcap)
{
	char host[CAP_XPORT_NAME];
	unsigned lo, hi, p;
	size_t k = 0;
	int is2217, r, v6;

	if ((r = xport_net_parse(name, 1, host, sizeof(host), &lo, &hi, &is2217, why, wcap)) != 0)
		return r;
	if ((size_t)(hi - lo) + 1 > cap) {
		util_why(why, wcap, "'%s' names %u fixtures; at most %zu fit", name, hi - lo + 1, cap);
		return XPORT_ERR_ARG;
	}
	v6 = strchr(host, ':') != NULL;
	for (p = lo; p <= hi; p++) {
		if (snprintf(out[k], CAP_XPORT_NAME, "%s:%s%s%s:%u", is2217 ? "rfc2217" : "tcp",
		        v6 ? "[" : "", host, v6 ? "]" : "", p) >= CAP_XPORT_NAME) {
			util_why(why, wcap, "'%s': the name is too long", name);
			return XPORT_ERR_ARG;
		}
		k++;
	}
	*n = k;
	return 0;
}

/* The literal address host, if it is one (no resolver involved: usable in the sandbox). */
static int
literal(const char *host, struct net_host *h)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h->addr[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->addr[0];

	memset(h, 0, sizeof(*h));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		h->len[0] = sizeof(*s4);
	} else if (strchr(host, '%') == NULL && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		h->len[0] = sizeof(*s6);
	} else {
		return -1;
	}
	snprintf(h->host, sizeof(h->host), "%s", host);
	h->n = 1;
	return 0;
}

/* Resolves host into h (literal, else getaddrinfo). 0, or -1 with why. */
static int
resolve(const char *host, struct net_host *h, char *why, size_t wcap)
{
	struct addrinfo hints, *res = NULL, *ai;
	int e;

	if (literal(host, h) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		util_why(why, wcap, "device server '%s' cannot be resolved: %s; check the name (or give "
		    "its address) and the station's DNS", host, gai_strerror(e));
		return -1;
	}
	memset(h, 0, sizeof(*h));
	snprintf(h->host, sizeof(h->host), "%s", host);
	for (ai = res; ai != NULL && h->n < NET_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(h->addr[0]))
			continue;
		memcpy(&h->addr[h->n], ai->ai_addr, ai->ai_addrlen);
		h->len[h->n] = ai->ai_addrlen;
		h->n++;
	}
	freeaddrinfo(res);
	if (h->n == 0) {
		util_why(why, wcap, "device server '%s' has no IPv4 or IPv6 address", host);
		return -1;
	}
	return 0;
}

int
xport_net_prepare(char *const *names, size_t n, unsigned *ports, size_t pcap, size_t *nports,
    char *why, size_t wcap)
{
	char host[CAP_XPORT_NAME];
	unsigned lo, hi;
	size_t i, j, np = 0;
	int is2217, r;

	if ((names == NULL && n > 0) || nports == NULL || (ports == NULL && pcap > 0))
		return XPORT_ERR_ARG;
	pthread_mutex_lock(&hosts_lock);
	for (i = 0; i < n; i++) {
		if (!xport_is_net(names[i]))
			continue;
		if ((r = xport_net_parse(names[i], 0, host, sizeof(host), &lo, &hi, &is2217, why,
		         wcap)) != 0)
			goto out;
		for (j = 0; j < np && ports[j] != lo; j++)
			;
		if (j == np) {
			if (np >= pcap) {
				util_why(why, wcap, "more than %zu distinct TCP ports among the fixtures", pcap);
				r = XPORT_ERR_ARG;
				goto out;
			}
			ports[np++] = lo;
		}
		for (j = 0; j < nhosts && strcmp(hosts[j].host, host) != 0; j++)
			;
		if (j < nhosts)
			continue;
		if (hosts == NULL && (hosts = calloc(CAP_FIXTURES, sizeof(*hosts))) == NULL) {
			r = XPORT_ERR_NOMEM;
			goto out;
		}
		if (nhosts >= CAP_FIXTURES) {
			util_why(why, wcap, "more than %d device servers", CAP_FIXTURES);
			r = XPORT_ERR_ARG;
			goto out;
		}
		if (resolve(host, &hosts[nhosts], why, wcap) != 0) {
			r = XPORT_ERR_NOTFOUND;
			goto out;
		}
		log_debug("device server %s: %zu address(es), resolved once at start", host,
		    hosts[nhosts].n);
		nhosts++;
	}
	*nports = np;
	r = 0;
out:
	pthread_mutex_unlock(&hosts_lock);
	return r;
}

/* The addresses of host: from the start-up resolution, or the literal itself. */
static int
lookup(const char *host, struct net_host *out)
{
	size_t i;
	int r = -1;

	pthread_mutex_lock(&hosts_lock);
	for (i = 0; i < nhosts; i++) {
		if (strcmp(hosts[i].host, host) == 0) {
			*out = hosts[i];
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&hosts_lock);
	return r == 0 ? 0 : literal(host, out);
}

int
xport_net_left(uint64_t deadline)
{
	uint64_t now = util_ms();

	if (now >= deadline)
		return 0;
	return deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
}

static void
tune(int fd, const char *name)
{
	int one = 1, idle = 10, intvl = 5, cnt = 3;

	/* Frames are small and answered one by one: Nagle would hold each for an ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		log_debug("%s: TCP_NODELAY: %s", name, strerror(errno));
	/* A device server that loses power leaves the connection half-open: keepalive finds it
	 * within ~25 s even while the station only waits. */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0)
		log_debug("%s: keepalive: %s", name, strerror(errno));
}

/* One non-blocking connect to a within the deadline: the fd, or -1 with *err (an errno). */
static int
connect_one(const struct sockaddr_storage *a, socklen_t len, uint64_t deadline, int *err)
{
	struct pollfd pfd;
	socklen_t el = sizeof(*err);
	int fd, pr;

	if ((fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)a, len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		*err = errno;
		close(fd);
		return -1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if ((pr = poll(&pfd, 1, xport_net_left(deadline))) < 0 && errno == EINTR)
			continue;
		break;
	}
	if (pr <= 0) {
		*err = pr == 0 ? ETIMEDOUT : errno;
		close(fd);
		return -1;
	}
	*err = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &el) != 0)
		*err = errno;
	if (*err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
xport_net_connect(const char *name, int *fd)
{
	char host[CAP_XPORT_NAME], pname[CAP_XPORT_NAME], why[CAP_REASON];
	struct net_host h;
	uint64_t deadline = util_ms() + XPORT_NET_CONNECT_MS;
	unsigned port, hi;
	size_t i;
	int is2217, err = 0, s = -1, r;

	util_sanitize(name, strnlen(name, CAP_XPORT_NAME - 1), pname, sizeof(pname));
	if ((r = xport_net_parse(name, 0, host, sizeof(host), &port, &hi, &is2217, why,
	         sizeof(why))) != 0) {
		log_error("%s", why);
		return r;
	}
	if (lookup(host, &h) != 0) {
		log_error("%s: the device server name '%s' was not resolved when the station started "
		    "(names are resolved once, at start); name the fixture with --port", pname, host);
		return XPORT_ERR_NOTFOUND;
	}
	for (i = 0; i < h.n && s < 0; i++) {
		if (h.addr[i].ss_family == AF_INET)
			((struct sockaddr_in *)&h.addr[i])->sin_port = htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&h.addr[i])->sin6_port = htons((uint16_t)port);
		s = connect_one(&h.addr[i], h.len[i], deadline, &err);
	}
	if (s < 0) {
		if (err == ECONNREFUSED)
			log_error("%s: connection refused: nothing listens on port %u of %s; check the "
			    "device server's port settings (TCP server mode, port %u) and that it is "
			    "powered", pname, port, host, port);
		else if (err == ETIMEDOUT)
			log_error("%s: no answer from %s within %u ms; check the device server's address, "
			    "that it is powered, and its network cable", pname, host,
			    XPORT_NET_CONNECT_MS);
		else if (err == EACCES || err == EPERM)
			log_error("%s: connecting to port %u is not allowed (the sandbox grants only the "
			    "ports of fixtures named at start): %s", pname, port, strerror(err));
		else
			log_error("%s: cannot connect to %s port %u: %s; check the device server's "
			    "address, its network cable and the station's network", pname, host, port,
			    strerror(err));
		return XPORT_ERR_OPEN;
	}
	tune(s, pname);
	*fd = s;
	return XPORT_OK;
}

int
xport_net_send(int fd, const char *name, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	struct pollfd pfd;
	size_t done = 0;
	ssize_t w;
	int pr;

	while (done < n) {
		w = send(fd, p + done, n - done, MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			log_warn("%s: the device server closed the connection while we were writing", name);
			return XPORT_ERR_HANGUP;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_error("%s: write failed: %s", name, strerror(errno));
			return XPORT_ERR_IO;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if ((pr = poll(&pfd, 1, xport_net_left(deadline))) < 0 && errno != EINTR) {
			log_error("%s: poll: %s", name, strerror(errno));
			return XPORT_ERR_IO;
		}
		if (pr == 0) {
			log_warn("%s: write timed out after %u ms (%zu of %zu bytes sent)", name, timeout_ms,
			    done, n);
			return XPORT_ERR_TIMEOUT;
		}
	}
	return XPORT_OK;
}

int
xport_net_recv(int fd, const char *name, uint8_t *p, size_t cap, size_t *got,
    unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	struct pollfd pfd;
	ssize_t n;
	int pr;

	for (;;) {
		n = recv(fd, p, cap, 0);
		if (n > 0) {
			*got = (size_t)n;
			return XPORT_OK;
		}
		if (n == 0 || errno == ECONNRESET || errno == EPIPE) {
			log_warn("%s: the device server closed the connection (it was reset, restarted, "
			    "or another client took the port)", name);
			return XPORT_ERR_HANGUP;
		}
		if (errno == ETIMEDOUT) {
			log_warn("%s: the device server stopped answering (keepalive); check its power "
			    "and network cable", name);
			return XPORT_ERR_HANGUP;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_error("%s: read failed: %s", name, strerror(errno));
			return XPORT_ERR_IO;
		}
		if (errno == EINTR)
			continue;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((pr = poll(&pfd, 1, xport_net_left(deadline))) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: poll: %s", name, strerror(errno));
			return XPORT_ERR_IO;
		}
		if (pr == 0)
			return XPORT_ERR_TIMEOUT;
		if (pfd.revents & POLLNVAL) {
			log_error("%s: descriptor no longer valid", name);
			return XPORT_ERR_IO;
		}
	}
}
