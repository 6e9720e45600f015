/*
 * xport-usb.c: the USB bulk backend of xport.h on libusb-1.0. A board that speaks the
 * protocol natively over USB (docs/protocol.md P-8) shows a vendor-specific interface, class
 * 0xFF, subclass 0x50, protocol 0x01, with one bulk OUT and one bulk IN endpoint; the frames
 * are the same bytes as on a serial line, carried in any number of transfers.
 *
 * Names: "usb:<bus>-<port>[.<port>...]", the physical position (`station ports` lists them),
 * so a fixture keeps its name whatever address the bus assigns on re-plug.
 *
 * Each handle has its own libusb context: one worker owns one handle, and nothing is shared
 * between threads. Every descriptor field comes from the device and is checked before use.
 */
#include "xport.h"

#include "log.h"
#include "util.h"

#include <libusb.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USB_IF_CLASS 0xff
#define USB_IF_SUBCLASS 0x50 /* 'P', provisioning */
#define USB_IF_PROTOCOL 0x01 /* protocol v1 frames */

struct xport {
	const struct xport_ops *ops; /* must be first: xport.c dispatches through it */
	libusb_context *ctx;
	libusb_device_handle *h;
	int iface;
	unsigned char ep_out, ep_in;
	uint8_t in[CAP_USB_IN];      /* what the last IN transfer brought beyond what was read */
	size_t in_off, in_len;
	char name[CAP_XPORT_NAME];   /* printable copy, for log messages */
};

/* The provisioning interface of the active configuration: its number and bulk endpoints. */
struct prov_if {
	int number;
	unsigned char ep_out, ep_in;
};

static int
find_interface(libusb_device *dev, struct prov_if *pi)
{
	struct libusb_config_descriptor *cfg = NULL;
	int i, a, e, found = 0;

	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != 0)
		return 0;
	for (i = 0; i < cfg->bNumInterfaces && !found; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];

		for (a = 0; a < itf->num_altsetting && !found; a++) {
			const struct libusb_interface_descriptor *d = &itf->altsetting[a];

			if (d->bInterfaceClass != USB_IF_CLASS || d->bInterfaceSubClass != USB_IF_SUBCLASS ||
			    d->bInterfaceProtocol != USB_IF_PROTOCOL || d->bAlternateSetting != 0)
				continue;
			pi->number = d->bInterfaceNumber;
			pi->ep_out = pi->ep_in = 0;
			for (e = 0; e < d->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];

				if ((ep->bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK)
					continue;
				if ((ep->bEndpointAddress & 0x80) && pi->ep_in == 0)
					pi->ep_in = ep->bEndpointAddress;
				else if (!(ep->bEndpointAddress & 0x80) && pi->ep_out == 0)
					pi->ep_out = ep->bEndpointAddress;
			}
			found = pi->ep_in != 0 && pi->ep_out != 0;
		}
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

/* "bus-p1.p2..." of dev into out; -1 when the path cannot be had. */
static int
usb_path(libusb_device *dev, char *out, size_t cap)
{
	uint8_t ports[CAP_USB_PORTS];
	int n, i, off;

	if ((n = libusb_get_port_numbers(dev, ports, CAP_USB_PORTS)) <= 0)
		return -1;
	off = snprintf(out, cap, "%u-%u", libusb_get_bus_number(dev), ports[0]);
	for (i = 1; i < n && off > 0 && (size_t)off < cap; i++)
		off += snprintf(out + off, cap - (size_t)off, ".%u", ports[i]);
	return off > 0 && (size_t)off < cap ? 0 : -1;
}

static const char *
usb_err(int e)
{
	return libusb_strerror((enum libusb_error)e);
}

int
xport_usb_list(struct xport_info *out, size_t cap, size_t *n)
{
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	struct libusb_device_descriptor dd;
	struct prov_if pi;
	ssize_t cnt, i;
	size_t k = 0;
	int e;

	*n = 0;
	if ((e = libusb_init(&ctx)) != 0) {
		/* No USB stack (a VM, a container): no USB boards, not an error. */
		log_debug("libusb: %s; no USB bulk boards are listed", usb_err(e));
		return XPORT_OK;
	}
	if ((cnt = libusb_get_device_list(ctx, &list)) < 0) {
		log_debug("libusb: cannot list devices: %s", usb_err((int)cnt));
		libusb_exit(ctx);
		return XPORT_OK;
	}
	for (i = 0; i < cnt; i++) {
		struct xport_info *x;
		char path[CAP_XPORT_NAME - 8];

		if (libusb_get_device_descriptor(list[i], &dd) != 0 || !find_interface(list[i], &pi) ||
		    usb_path(list[i], path, sizeof(path)) != 0)
			continue;
		if (k < cap) {
			x = &out[k];
			memset(x, 0, sizeof(*x));
			snprintf(x->name, sizeof(x->name), "usb:%s", path);
			snprintf(x->usb_path, sizeof(x->usb_path), "%s", path);
			snprintf(x->product, sizeof(x->product), "USB bulk board (interface %d)", pi.number);
			x->usb_vid = dd.idVendor;
			x->usb_pid = dd.idProduct;
			x->is_usb = 1;
			x->is_bulk = 1;
		}
		k++;
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	*n = k;
	return XPORT_OK;
}

static int
usb_open(const char *name, unsigned baud, struct xport **out)
{
	struct xport *x;
	libusb_device **list = NULL;
	libusb_device *dev = NULL;
	struct prov_if pi;
	ssize_t cnt, i;
	char path[CAP_XPORT_NAME];
	int e, r = XPORT_ERR_NOTFOUND;

	(void)baud; /* a bulk pipe has no line rate */
	if (strncmp(name, "usb:", 4) != 0 || strlen(name) >= CAP_XPORT_NAME)
		return XPORT_ERR_ARG;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return XPORT_ERR_NOMEM;
	x->ops = &xport_usb_ops;
	x->iface = -1;
	util_sanitize(name, strlen(name), x->name, sizeof(x->name));
	if ((e = libusb_init(&x->ctx)) != 0) {
		log_error("USB board %s: libusb: %s", x->name, usb_err(e));
		x->ctx = NULL;
		r = XPORT_ERR_OPEN;
		goto out;
	}
	if ((cnt = libusb_get_device_list(x->ctx, &list)) < 0)
		cnt = 0;
	for (i = 0; i < cnt && dev == NULL; i++) {
		if (usb_path(list[i], path, sizeof(path)) == 0 && strcmp(path, name + 4) == 0 &&
		    find_interface(list[i], &pi))
			dev = list[i];
	}
	if (dev == NULL) {
		log_error("USB board %s: not found; check `station ports` and the cable", x->name);
		goto out;
	}
	r = XPORT_ERR_OPEN;
	if ((e = libusb_open(dev, &x->h)) != 0) {
		log_error("USB board %s: cannot open: %s (no permission: add a udev rule for the "
		    "board's VID:PID)", x->name, usb_err(e));
		x->h = NULL;
		goto out;
	}
	(void)libusb_set_auto_detach_kernel_driver(x->h, 1);
	if ((e = libusb_claim_interface(x->h, pi.number)) != 0) {
		log_error("USB board %s: cannot claim interface %d: %s (another program holds it?)",
		    x->name, pi.number, usb_err(e));
		goto out;
	}
	x->iface = pi.number;
	x->ep_out = pi.ep_out;
	x->ep_in = pi.ep_in;
	*out = x;
	x = NULL;
	r = XPORT_OK;
out:
	if (list != NULL)
		libusb_free_device_list(list, 1);
	if (x != NULL)
		x->ops->close(x);
	return r;
}

static int
map_err(const struct xport *x, int e, const char *what)
{
	if (e == LIBUSB_ERROR_NO_DEVICE)
		return XPORT_ERR_HANGUP;
	if (e == LIBUSB_ERROR_TIMEOUT)
		return XPORT_ERR_TIMEOUT;
	log_error("USB board %s: %s: %s", x->name, what, usb_err(e));
	return XPORT_ERR_IO;
}

static int
usb_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	size_t off = 0;
	int done, e, chunk;

	while (off < n) {
		uint64_t now = util_ms();
		unsigned left = now >= deadline ? 0 : (unsigned)(deadline - now);

		if (left == 0)
			return XPORT_ERR_TIMEOUT;
		chunk = n - off > INT_MAX ? INT_MAX : (int)(n - off);
		done = 0;
		/* libusb takes a non-const buffer for both directions; OUT does not write it. */
		e = libusb_bulk_transfer(x->h, x->ep_out, (unsigned char *)(uintptr_t)(p + off), chunk,
		    &done, left);
		if (done > 0)
			off += (size_t)done;
		if (e != 0 && !(e == LIBUSB_ERROR_TIMEOUT && off < n && done > 0))
			return map_err(x, e, "bulk OUT");
	}
	return XPORT_OK;
}

static int
usb_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	int done, e;
	size_t n;

	while (x->in_off == x->in_len) {
		uint64_t now = util_ms();

		x->in_off = x->in_len = 0;
		done = 0;
		e = libusb_bulk_transfer(x->h, x->ep_in, x->in, (int)sizeof(x->in), &done,
		    now >= deadline ? 1 : (unsigned)(deadline - now));
		if (done > 0 && (size_t)done <= sizeof(x->in))
			x->in_len = (size_t)done; /* data that came with a timeout still counts */
		else if (e != 0)
			return map_err(x, e, "bulk IN");
		else if (util_ms() >= deadline)
			return XPORT_ERR_TIMEOUT; /* zero-length packets until the deadline */
	}
	n = x->in_len - x->in_off < cap ? x->in_len - x->in_off : cap;
	memcpy(p, x->in + x->in_off, n);
	x->in_off += n;
	*got = n;
	return XPORT_OK;
}

static void
usb_close(struct xport *x)
{
	if (x->h != NULL) {
		if (x->iface >= 0)
			(void)libusb_release_interface(x->h, x->iface);
		libusb_close(x->h);
	}
	if (x->ctx != NULL)
		libusb_exit(x->ctx);
	util_wipe(x, sizeof(*x));
	free(x);
}

const struct xport_ops xport_usb_ops = {
	.scheme = "usb",
	.open = usb_open,
	.write = usb_write,
	.read = usb_read,
	.close = usb_close,
};
