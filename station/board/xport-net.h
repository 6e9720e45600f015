/*
 * xport-net.h: what the two network backends of xport.h (xport-tcp.c: raw TCP, xport-rfc2217.c:
 * Telnet Com Port Control) share, from xport-net.c: fixture names, the resolution done once
 * before the sandbox, connecting, and socket reads and writes with the xport timeouts.
 * Internal to station/board.
 */
#ifndef XPORT_NET_H
#define XPORT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "xport.h"

/*
 * Connects to the device server that name ("tcp:HOST:PORT" or "rfc2217:HOST:PORT", no range)
 * names, at the address xport_net_prepare resolved (a literal address needs no resolution),
 * within XPORT_NET_CONNECT_MS; the socket is non-blocking, close-on-exec, TCP_NODELAY, with
 * keepalive. *fd is set only on success (owned by the caller). Logs what to check on failure.
 * Returns XPORT_OK; XPORT_ERR_ARG for a malformed name; XPORT_ERR_NOTFOUND for a name that was
 * not resolved at start; XPORT_ERR_OPEN when refused, unreachable or timed out; XPORT_ERR_NOMEM.
 */
int xport_net_connect(const char *name, int *fd);

/* Sends all n bytes on fd within timeout_ms. XPORT_OK, XPORT_ERR_TIMEOUT, XPORT_ERR_HANGUP
 * (the far end closed or reset), XPORT_ERR_IO; logged with name. */
int xport_net_send(int fd, const char *name, const uint8_t *p, size_t n, unsigned timeout_ms);

/* Receives 1..cap bytes from fd, waiting up to timeout_ms for the first. *got is set only on
 * XPORT_OK. XPORT_ERR_TIMEOUT, XPORT_ERR_HANGUP (the far end closed or reset), XPORT_ERR_IO. */
int xport_net_recv(int fd, const char *name, uint8_t *p, size_t cap, size_t *got,
    unsigned timeout_ms);

/* Milliseconds left until deadline (util_ms clock), 0 when passed, at most INT_MAX. */
int xport_net_left(uint64_t deadline);

#endif
