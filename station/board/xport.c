/*
 * xport.c: backend-independent half of xport.h (dispatch and error names).
 *
 * struct xport is defined by each backend; every definition must start with
 * `const struct xport_ops *ops`, which is how these wrappers find the backend without
 * knowing the rest of the layout (C11 6.7.2.1p15: a pointer to a struct, suitably
 * converted, points to its first member).
 */
#include "xport.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const struct xport_ops *
ops_of(const struct xport *x)
{
	return *(const struct xport_ops *const *)(const void *)x;
}

/*
 * Opens name through ops (see struct xport_ops::open). *out is set only on success and is
 * owned by the caller (xport_close). Returns XPORT_ERR_ARG on a NULL argument, otherwise
 * whatever the backend returns.
 */
int
xport_open(const struct xport_ops *ops, const char *name, unsigned baud, struct xport **out)
{
	if (ops == NULL || ops->open == NULL || name == NULL || out == NULL)
		return XPORT_ERR_ARG;
	return ops->open(name, baud, out);
}

/* Writes all n bytes or fails; see struct xport_ops::write. */
int
xport_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	if (x == NULL || (p == NULL && n != 0))
		return XPORT_ERR_ARG;
	return ops_of(x)->write(x, p, n, timeout_ms);
}

/* Reads 1..cap bytes; see struct xport_ops::read. *got is set only on XPORT_OK. */
int
xport_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	if (x == NULL || p == NULL || cap == 0 || got == NULL)
		return XPORT_ERR_ARG;
	return ops_of(x)->read(x, p, cap, got, timeout_ms);
}

/* Closes x and frees it; NULL is a no-op. */
void
xport_close(struct xport *x)
{
	if (x == NULL)
		return;
	ops_of(x)->close(x);
}

/* Static English name of an xport_rc (never NULL, also for unknown codes). */
const char *
xport_strerror(int rc)
{
	switch (rc) {
	case XPORT_OK:
		return "success";
	case XPORT_ERR_NOTFOUND:
		return "no such port";
	case XPORT_ERR_OPEN:
		return "port cannot be opened or configured";
	case XPORT_ERR_IO:
		return "I/O error on the port";
	case XPORT_ERR_HANGUP:
		return "device went away (unplugged or far end closed)";
	case XPORT_ERR_TIMEOUT:
		return "timed out";
	case XPORT_ERR_ARG:
		return "invalid argument";
	case XPORT_ERR_NOMEM:
		return "out of memory";
	default:
		return "unknown transport error";
	}
}

/* See xport.h: USB first, by physical path as a technician counts fixtures ("1-1.10" after
 * "1-1.9", strverscmp), then the rest by name. */
int
xport_info_cmp(const void *va, const void *vb)
{
	const struct xport_info *a = va, *b = vb;
	int c;

	if (a->is_usb != b->is_usb)
		return a->is_usb ? -1 : 1;
	if (a->is_usb && (c = strverscmp(a->usb_path, b->usb_path)) != 0)
		return c;
	return strverscmp(a->name, b->name);
}

/* See xport.h. */
int
xport_list(struct xport_info *out, size_t cap, size_t *n)
{
	size_t ns = 0, nu = 0, k;
	int r;

	if ((r = xport_serial_list(out, cap, &ns)) != XPORT_OK)
		return r;
	k = ns < cap ? ns : cap;
	if ((r = xport_usb_list(out + k, cap - k, &nu)) != XPORT_OK)
		return r;
	*n = ns + nu;
	k += nu < cap - k ? nu : cap - k;
	qsort(out, k, sizeof(*out), xport_info_cmp);
	return XPORT_OK;
}

/* See xport.h. */
const struct xport_ops *
xport_ops_for(const char *name)
{
	if (strncmp(name, "usb:", 4) == 0)
		return &xport_usb_ops;
	if (strncmp(name, "tcp:", 4) == 0)
		return &xport_tcp_ops;
	if (strncmp(name, "rfc2217:", 8) == 0)
		return &xport_rfc2217_ops;
	return &xport_serial_ops;
}
