/*
 * xport.h: byte transports between the station and a board: serial via libserialport
 * (xport-serial.c), USB bulk via libusb (xport-usb.c), and fixtures behind an Ethernet serial
 * device server: raw TCP (xport-tcp.c) and RFC 2217 (xport-rfc2217.c, Telnet Com Port Control),
 * each a file behind struct xport_ops; xport-net.c holds what the network two share.
 * Transports move bytes only; framing is frame.c's job. Not thread-safe per handle: one worker
 * owns one handle.
 */
#ifndef XPORT_H
#define XPORT_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"

/* Errors (negative). */
enum xport_rc {
	XPORT_OK = 0,
	XPORT_ERR_NOTFOUND = -1, /* no such port */
	XPORT_ERR_OPEN = -2,     /* exists but cannot be opened/configured */
	XPORT_ERR_IO = -3,       /* read/write failed */
	XPORT_ERR_HANGUP = -4,   /* the device went away (unplugged, far end closed) */
	XPORT_ERR_TIMEOUT = -5,
	XPORT_ERR_ARG = -6,
	XPORT_ERR_NOMEM = -7
};

/* What a technician and a script need to know about a fixture's adapter. */
struct xport_info {
	char name[CAP_XPORT_NAME];      /* what to pass to xport_open, e.g. "/dev/ttyUSB0" */
	char usb_path[CAP_XPORT_NAME];  /* physical location "bus-port[.port...]", e.g. "1-3.2"; "" if not USB */
	char serial[CAP_XPORT_DESC];    /* adapter USB serial number, "" if none */
	char product[CAP_XPORT_DESC];   /* USB product string or description */
	char manufacturer[CAP_XPORT_DESC];
	int usb_vid, usb_pid;           /* -1 when not USB */
	int is_usb;
	int is_bulk;                    /* a board on USB bulk ("usb:<path>"), not a serial adapter */
};

struct xport;

struct xport_ops {
	const char *scheme; /* "serial" */
	int (*open)(const char *name, unsigned baud, struct xport **out);
	/* Writes all n bytes or fails; XPORT_ERR_TIMEOUT after timeout_ms. */
	int (*write)(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms);
	/* Reads 1..cap bytes; waits up to timeout_ms for the first byte, then returns what is
	 * available. XPORT_ERR_TIMEOUT when nothing came; XPORT_ERR_HANGUP when the device is gone. */
	int (*read)(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms);
	void (*close)(struct xport *x);
};

extern const struct xport_ops xport_serial_ops;

/* Lists serial ports (USB adapters first, sorted by usb_path, then the others by name) into
 * out[0..cap). *n gets the number found (may exceed cap; only cap are filled). */
int xport_serial_list(struct xport_info *out, size_t cap, size_t *n);

extern const struct xport_ops xport_usb_ops;

/* Lists boards on USB bulk (a vendor interface 0xFF/0x50/0x01 with a bulk OUT and IN
 * endpoint, docs/protocol.md P-8), named "usb:<path>", like xport_serial_list. No USB stack
 * means none listed, not an error. */
int xport_usb_list(struct xport_info *out, size_t cap, size_t *n);

/* Both lists, sorted by xport_info_cmp (USB by physical path first, then the rest by name). */
int xport_list(struct xport_info *out, size_t cap, size_t *n);
int xport_info_cmp(const void *a, const void *b);

extern const struct xport_ops xport_tcp_ops;
extern const struct xport_ops xport_rfc2217_ops;

/* Connecting to a device server gives up after this long (refused is at once). */
#define XPORT_NET_CONNECT_MS 3000u

/* 1 when name is a network fixture ("tcp:..." or "rfc2217:..."), whether well-formed or not. */
int xport_is_net(const char *name);

/*
 * Parses a network fixture name: "tcp:HOST:PORT" or "rfc2217:HOST:PORT", HOST an IPv4 literal,
 * "[IPv6 literal]" or a DNS name (1..253 of A-Z a-z 0-9 . -), PORT 1..65535; with range != 0
 * also "...:P1-P2" (P1 <= P2). host gets HOST without brackets (cap at least CAP_XPORT_NAME),
 * *lo and *hi the ports (equal without a range), *rfc2217 1 for "rfc2217:". Outputs are set
 * only on success. Returns 0, or XPORT_ERR_ARG (with why, when not NULL, saying what is wrong).
 */
int xport_net_parse(const char *name, int range, char *host, size_t hcap, unsigned *lo,
    unsigned *hi, int *rfc2217, char *why, size_t wcap);

/*
 * Expands a network fixture name with a port range ("tcp:HOST:P1-P2") into one name per port,
 * out[0..*n), at most cap (a longer range is XPORT_ERR_ARG, why says so); a name without a range
 * gives itself. Returns 0 or XPORT_ERR_ARG (why set).
 */
int xport_net_expand(const char *name, char (*out)[CAP_XPORT_NAME], size_t cap, size_t *n,
    char *why, size_t wcap);

/*
 * Before the sandbox (no name resolution, no /etc after it): resolves the HOST of every network
 * name among names[0..n) once (getaddrinfo; literals need none) and keeps the addresses for
 * xport_open for the rest of the process's life (names are resolved once, at start), and puts
 * the distinct TCP ports they use into ports[0..*nports) (at most pcap): what the sandbox must
 * let the station connect to. Other names are skipped. Call from one thread, before any open.
 * Returns 0; XPORT_ERR_ARG (a malformed name, or more ports than pcap); XPORT_ERR_NOTFOUND (a
 * name does not resolve); XPORT_ERR_NOMEM. why says which name and what to check.
 */
int xport_net_prepare(char *const *names, size_t n, unsigned *ports, size_t pcap,
    size_t *nports, char *why, size_t wcap);

/* The backend for a name from xport_list or the command line: "usb:..." is USB bulk, "tcp:..."
 * raw TCP, "rfc2217:..." RFC 2217, anything else a serial port. */
const struct xport_ops *xport_ops_for(const char *name);

/* Convenience wrappers over x's ops. */
int xport_open(const struct xport_ops *ops, const char *name, unsigned baud, struct xport **out);
int xport_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms);
int xport_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms);
void xport_close(struct xport *x); /* NULL is a no-op */
const char *xport_strerror(int rc);

#endif
