/*
 * xport-tcp.c: the raw TCP backend of xport.h: a fixture behind an Ethernet serial device
 * server in "TCP server" (raw socket) mode, named "tcp:HOST:PORT". Bytes pass unchanged; the
 * line settings (baud, 8N1) are the device server's configuration, not ours (for a server that
 * takes them over the connection, see xport-rfc2217.c). Connecting and socket I/O: xport-net.c.
 */
#include "xport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "xport-net.h"

struct xport {
	const struct xport_ops *ops; /* must be first: xport.c dispatches through it */
	int fd;
	char name[CAP_XPORT_NAME];   /* printable copy, for log messages */
};

/* baud is not ours to set on a raw TCP port: the device server's configuration is. */
static int
tcp_open(const char *name, unsigned baud, struct xport **out)
{
	struct xport *x;
	int r;

	if (strnlen(name, CAP_XPORT_NAME) >= CAP_XPORT_NAME)
		return XPORT_ERR_ARG;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return XPORT_ERR_NOMEM;
	x->ops = &xport_tcp_ops;
	util_sanitize(name, strlen(name), x->name, sizeof(x->name));
	if ((r = xport_net_connect(name, &x->fd)) != XPORT_OK) {
		free(x);
		return r;
	}
	log_debug("%s: connected (raw TCP; the device server sets the line, %u baud expected)",
	    x->name, baud);
	*out = x; /* owned by caller */
	return XPORT_OK;
}

static int
tcp_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	return xport_net_send(x->fd, x->name, p, n, timeout_ms);
}

static int
tcp_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	return xport_net_recv(x->fd, x->name, p, cap, got, timeout_ms);
}

static void
tcp_close(struct xport *x)
{
	if (x == NULL)
		return;
	close(x->fd);
	free(x);
}

const struct xport_ops xport_tcp_ops = {
	.scheme = "tcp",
	.open = tcp_open,
	.write = tcp_write,
	.read = tcp_read,
	.close = tcp_close,
};
