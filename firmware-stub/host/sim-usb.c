/*
 * sim-usb.c: a simulated board on USB bulk (docs/protocol.md P-8), behind sim-usb.h.
 *
 * The station talks to /dev/bus/usb/001/NNN through unmodified libusb; umockdev redirects
 * the node to a file and sends every ioctl on it to handle(), on the testbed's worker thread
 * (testing-transports notes §2). handle() plays the kernel's usbdevfs: it takes URBs,
 * writes bulk OUT data into a socketpair whose other end is the board's "line", fills bulk
 * IN URBs from what the board wrote back, and hands completed URBs to the reaps.
 *
 * Everything here runs on that one worker thread (the handler and the GSources it attaches
 * to the worker's context), so no locks. Measured umockdev behaviours shape it:
 *  - libusb polls the node, a regular file, which is always "ready", and then reaps with
 *    REAPURBNDELAY in a loop. The second empty reap in a row is therefore parked for up to
 *    PARK_MS (or until a URB completes) instead of answered at once, which keeps the station
 *    from spinning without delaying the reap that ends each pass of libusb's event loop.
 *  - URB memory is written back to the client only when a reap completes, so URBs can be
 *    completed at any time in between.
 *  - Each URB belongs to the client (process fd) that submitted it and is only ever reaped,
 *    discarded or filled for that client; a client that went away (a station killed mid-
 *    transfer) leaves URBs that are dropped, never handed to the next station.
 * The board unplugs by closing its end: from then on every ioctl fails with ENODEV, which
 * libusb reports as LIBUSB_ERROR_NO_DEVICE, as for a real unplug.
 *
 * Re-plug (sim_usb_replug, hotplug runs) hands over a new line from another thread: the only
 * shared field, `pending`, is under a mutex; the worker swaps lines at its next ioctl. Each
 * client is tagged with the generation of the line it first talked to (GObject data), so that
 * a client of an earlier generation never reaches the new board.
 */
#include "sim-usb.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/usbdevice_fs.h>

#define PARK_MS 5
#define RX_CAP 65536 /* board -> station bytes not yet taken by an IN URB */

/* Vendor interface 0xFF/0x50/0x01, bulk OUT 0x01 and IN 0x81 of 512 bytes, VID:PID 1209:0001
 * (pid.codes test PID): device descriptor then the whole configuration, little-endian. */
#define BOARD_DESCRIPTORS "12010002000000400912010000010102030109022000010100803209040000" \
	"02FF5001000705010200020007058102000200"

/* A submitted URB: its data (the client's struct, resolved) and the client it belongs to. */
struct urb {
	UMockdevIoctlData *d;
	UMockdevIoctlClient *owner;
};

struct sim_usb {
	UMockdevIoctlBase *handler;
	GMainContext *ctx;      /* the worker's, learnt at the first ioctl */
	GSource *watch;         /* on hfd, while the board is there and rx has room */
	int hfd;                /* harness end of the board's line */
	int gone;               /* the board closed its end: the device is unplugged */
	GQueue pending_in;      /* struct urb of IN URBs waiting for data, oldest first */
	GQueue reapable;        /* completed struct urb, oldest first */
	UMockdevIoctlClient *parked;
	UMockdevIoctlData *parked_arg;
	GSource *park_timer;
	unsigned empty_reaps;   /* empty reaps in a row */
	unsigned gen;           /* generation of the line, 1.. (worker thread) */
	pthread_mutex_t mu;     /* guards pending only */
	int pending;            /* harness end of a new line from sim_usb_replug, -1: none */
	uint8_t rx[RX_CAP];
	size_t rx_len;
};

#define GEN_KEY "sim-usb-gen"

static void start_watch(struct sim_usb *u);

static struct usbdevfs_urb *
urb_of(UMockdevIoctlData *d)
{
	return (struct usbdevfs_urb *)(void *)d->data;
}

static void
urb_free(struct urb *x)
{
	g_object_unref(x->d);
	g_object_unref(x->owner);
	g_free(x);
}

/* Drops the URBs of clients that are gone (their memory cannot be written back any more). */
static void
prune(GQueue *q)
{
	GList *l = q->head, *next;

	for (; l != NULL; l = next) {
		struct urb *x = l->data;

		next = l->next;
		if (!umockdev_ioctl_client_get_connected(x->owner)) {
			g_queue_delete_link(q, l);
			urb_free(x);
		}
	}
}

/* Removes and returns the oldest URB of client c in q (NULL: none). */
static struct urb *
take(GQueue *q, UMockdevIoctlClient *c)
{
	GList *l;

	for (l = q->head; l != NULL; l = l->next) {
		struct urb *x = l->data;

		if (x->owner == c) {
			g_queue_delete_link(q, l);
			return x;
		}
	}
	return NULL;
}

void
sim_usb_describe(GString *s, const char *hub, unsigned port, unsigned devnum, unsigned index)
{
	g_string_append_printf(s, "P: %s/1-1.%u\nN: bus/usb/001/%03u\nE: SUBSYSTEM=usb\n"
	    "E: DEVTYPE=usb_device\nE: DEVNAME=/dev/bus/usb/001/%03u\nE: BUSNUM=001\n"
	    "E: DEVNUM=%03u\nA: busnum=1\nA: devnum=%u\nA: devpath=1.%u\nA: speed=480\n"
	    "A: idVendor=1209\nA: idProduct=0001\nA: bcdDevice=0100\nA: bConfigurationValue=1\n"
	    "A: bNumInterfaces= 1\nA: manufacturer=firmware-stub\nA: product=Provisioning board\n"
	    "A: serial=SIMUSB%04u\nA: dev=189:%u\nH: descriptors=" BOARD_DESCRIPTORS "\n\n", hub, port,
	    devnum, devnum, devnum, devnum, port, index, devnum - 1);
}

/* Answers the parked reap: its client's oldest completed URB, or "nothing yet" (EAGAIN), or
 * ENODEV once the board is gone. Only when force or when it has a URB to hand. */
static void
unpark(struct sim_usb *u, int force)
{
	struct urb *x;
	UMockdevIoctlClient *c = u->parked;

	if (c == NULL)
		return;
	x = take(&u->reapable, c);
	if (x == NULL && !force && !u->gone)
		return;
	u->parked = NULL;
	if (u->park_timer != NULL) {
		g_source_destroy(u->park_timer);
		g_source_unref(u->park_timer);
		u->park_timer = NULL;
	}
	if (x != NULL) {
		umockdev_ioctl_data_set_ptr(u->parked_arg, 0, x->d);
		urb_free(x);
		u->empty_reaps = 0;
		umockdev_ioctl_client_complete(c, 0, 0);
	} else {
		umockdev_ioctl_client_complete(c, -1, u->gone ? ENODEV : EAGAIN);
	}
	g_object_unref(u->parked_arg);
	u->parked_arg = NULL;
	g_object_unref(c);
}

static gboolean
park_expired(gpointer p)
{
	struct sim_usb *u = p;

	/* The source is finished by returning G_SOURCE_REMOVE; unpark must not destroy it. */
	g_source_unref(u->park_timer);
	u->park_timer = NULL;
	unpark(u, 1);
	return G_SOURCE_REMOVE;
}

static void
complete(struct sim_usb *u, struct urb *x, int status, int actual)
{
	urb_of(x->d)->status = status;
	urb_of(x->d)->actual_length = actual;
	g_queue_push_tail(&u->reapable, x); /* takes x */
	unpark(u, 0);
}

/* Moves board bytes into waiting IN URBs of live clients (a short transfer ends each). */
static void
service_in(struct sim_usb *u)
{
	struct urb *x;
	struct usbdevfs_urb *urb;
	size_t n;

	prune(&u->pending_in);
	while (u->rx_len > 0 && (x = g_queue_pop_head(&u->pending_in)) != NULL) {
		urb = urb_of(x->d);
		n = urb->buffer_length > 0 ? (size_t)urb->buffer_length : 0;
		if (n > u->rx_len)
			n = u->rx_len;
		memcpy(urb->buffer, u->rx, n);
		memmove(u->rx, u->rx + n, u->rx_len - n);
		u->rx_len -= n;
		complete(u, x, 0, (int)n);
	}
	if (u->watch == NULL && u->rx_len < RX_CAP)
		start_watch(u); /* room again after a full buffer */
}

/*
 * The board went away, as the kernel handles an unplug: URBs in flight complete with -ENODEV
 * and stay reapable (USBDEVFS_CAP_REAP_AFTER_DISCONNECT), which is how libusb learns of it
 * here (a real usbfs fd would also poll POLLERR; an emulated node is a plain file); every
 * other ioctl, and a reap with nothing left, fails with ENODEV.
 */
static void
unplug(struct sim_usb *u)
{
	struct urb *x;

	u->gone = 1;
	if (u->watch != NULL) {
		g_source_destroy(u->watch);
		g_source_unref(u->watch);
		u->watch = NULL;
	}
	while ((x = g_queue_pop_head(&u->pending_in)) != NULL) {
		urb_of(x->d)->status = -ENODEV;
		urb_of(x->d)->actual_length = 0;
		g_queue_push_tail(&u->reapable, x);
	}
	unpark(u, 1);
}

static gboolean
on_board_data(gint fd, GIOCondition cond, gpointer p)
{
	struct sim_usb *u = p;
	ssize_t n;

	(void)cond;
	n = read(fd, u->rx + u->rx_len, RX_CAP - u->rx_len);
	if (n > 0) {
		u->rx_len += (size_t)n;
		if (u->rx_len < RX_CAP) {
			service_in(u);
			return G_SOURCE_CONTINUE;
		}
		/* Full (the station is not reading): stop watching, or the fd, still readable,
		 * would spin this thread; service_in watches again once there is room. */
		g_source_unref(u->watch);
		u->watch = NULL;
		service_in(u);
		return G_SOURCE_REMOVE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	/* EOF: the board closed the line (unplugged itself). unplug() destroys the watch: take
	 * our reference out of its hands first. */
	g_source_unref(u->watch);
	u->watch = NULL;
	unplug(u);
	return G_SOURCE_REMOVE;
}

static void
start_watch(struct sim_usb *u)
{
	if (u->watch != NULL || u->gone)
		return;
	if (u->ctx == NULL)
		u->ctx = g_main_context_ref_thread_default();
	u->watch = g_unix_fd_source_new(u->hfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(u->watch, G_SOURCE_FUNC(on_board_data), u, NULL);
	g_source_attach(u->watch, u->ctx);
}

/*
 * Station -> board: bulk OUT data into the board's line. The board reads all the time and a
 * request is small, so a full socket buffer is brief: wait for room up to OUT_WAIT_MS (this
 * blocks the worker, acceptable in a test harness). -ENODEV when the board has closed its
 * end (unplugged), -EPROTO when it does not take the bytes.
 */
#define OUT_WAIT_MS 200

static int
to_board(struct sim_usb *u, const uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = u->hfd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		if ((w = send(u->hfd, p, n, MSG_NOSIGNAL)) > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return -ENODEV;
		if (w < 0 && errno == EAGAIN && poll(&pfd, 1, OUT_WAIT_MS) == 1 &&
		    (pfd.revents & POLLOUT))
			continue;
		return -EPROTO;
	}
	return 0;
}

static void
submit(struct sim_usb *u, UMockdevIoctlClient *c, UMockdevIoctlData *d)
{
	struct usbdevfs_urb *urb = urb_of(d);
	UMockdevIoctlData *buf = NULL;
	GError *err = NULL;
	struct urb *x;
	int r = 0;

	if (urb->buffer_length < 0 || urb->buffer_length > 1 << 20 ||
	    (urb->buffer_length > 0 && (buf = umockdev_ioctl_data_resolve(d,
	        offsetof(struct usbdevfs_urb, buffer), (gsize)urb->buffer_length, &err)) == NULL)) {
		g_clear_error(&err);
		umockdev_ioctl_client_complete(c, -1, EINVAL);
		return;
	}
	if (buf != NULL)
		g_object_unref(buf); /* d keeps it; urb->buffer points at the local copy */
	if (urb->type == USBDEVFS_URB_TYPE_BULK && (urb->endpoint & 0x80) == 0 &&
	    (r = to_board(u, urb->buffer, (size_t)urb->buffer_length)) == -ENODEV) {
		unplug(u); /* the board closed its end before the watch saw it */
		umockdev_ioctl_client_complete(c, -1, ENODEV);
		return;
	}
	x = g_new0(struct urb, 1);
	x->d = g_object_ref(d); /* held until reaped */
	x->owner = g_object_ref(c);
	u->empty_reaps = 0;
	prune(&u->reapable);
	if (urb->type == USBDEVFS_URB_TYPE_BULK && (urb->endpoint & 0x80) == 0)
		complete(u, x, r, r == 0 ? urb->buffer_length : 0);
	else if (urb->type == USBDEVFS_URB_TYPE_BULK) {
		g_queue_push_tail(&u->pending_in, x);
		service_in(u);
	} else {
		complete(u, x, -EPIPE, 0); /* control/interrupt/iso: stall; the board has none */
	}
	umockdev_ioctl_client_complete(c, 0, 0);
}

static void
reap(struct sim_usb *u, UMockdevIoctlClient *c, UMockdevIoctlData *d)
{
	struct urb *x;

	if ((x = take(&u->reapable, c)) != NULL) {
		umockdev_ioctl_data_set_ptr(d, 0, x->d);
		urb_free(x);
		u->empty_reaps = 0;
		umockdev_ioctl_client_complete(c, 0, 0);
		return;
	}
	if (u->gone) {
		umockdev_ioctl_client_complete(c, -1, ENODEV);
		return;
	}
	/* The first empty reap ends a pass of libusb's event loop: answer it at once. */
	if (u->empty_reaps++ == 0 || u->parked != NULL) {
		umockdev_ioctl_client_complete(c, -1, EAGAIN);
		return;
	}
	u->parked = g_object_ref(c);
	u->parked_arg = g_object_ref(d);
	u->park_timer = g_timeout_source_new(PARK_MS);
	g_source_set_callback(u->park_timer, park_expired, u, NULL);
	g_source_attach(u->park_timer, u->ctx);
}

static void
discard(struct sim_usb *u, UMockdevIoctlClient *c)
{
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(c);
	gulong addr = 0;
	GList *l;

	if (arg->data_len >= (gint)sizeof(addr))
		memcpy(&addr, arg->data, sizeof(addr));
	for (l = u->pending_in.head; l != NULL; l = l->next) {
		struct urb *x = l->data;

		if (x->owner == c && x->d->client_addr == addr) {
			g_queue_delete_link(&u->pending_in, l);
			complete(u, x, -ENOENT, 0);
			umockdev_ioctl_client_complete(c, 0, 0);
			return;
		}
	}
	umockdev_ioctl_client_complete(c, -1, EINVAL);
}

/* Takes a line handed over by sim_usb_replug: the old one is unplugged (its clients' URBs
 * complete with ENODEV) and closed, the new generation starts empty. Worker thread. */
static void
take_pending(struct sim_usb *u)
{
	int fd;

	pthread_mutex_lock(&u->mu);
	fd = u->pending;
	u->pending = -1;
	pthread_mutex_unlock(&u->mu);
	if (fd < 0)
		return;
	if (!u->gone)
		unplug(u);
	close(u->hfd);
	u->hfd = fd;
	u->gone = 0;
	u->rx_len = 0;
	u->empty_reaps = 0;
	u->gen++;
}

/* A client of an earlier generation: only its own completed URBs, then ENODEV forever. */
static void
stale_client(struct sim_usb *u, UMockdevIoctlClient *c, gulong req)
{
	UMockdevIoctlData *d;
	struct urb *x;
	GError *err = NULL;

	if ((req == USBDEVFS_REAPURB || req == USBDEVFS_REAPURBNDELAY) &&
	    (x = take(&u->reapable, c)) != NULL) {
		d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(c), 0, _IOC_SIZE(req), &err);
		if (d != NULL) {
			umockdev_ioctl_data_set_ptr(d, 0, x->d);
			urb_free(x);
			g_object_unref(d);
			umockdev_ioctl_client_complete(c, 0, 0);
			return;
		}
		g_clear_error(&err);
		urb_free(x);
	}
	umockdev_ioctl_client_complete(c, -1, ENODEV);
}

static gboolean
handle(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer p)
{
	struct sim_usb *u = p;
	gulong req = umockdev_ioctl_client_get_request(c);
	UMockdevIoctlData *d = NULL;
	GError *err = NULL;
	unsigned gen;

	(void)h;
	take_pending(u);
	gen = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(c), GEN_KEY));
	if (gen == 0) {
		gen = u->gen;
		g_object_set_data(G_OBJECT(c), GEN_KEY, GUINT_TO_POINTER(gen));
	}
	if (gen != u->gen) {
		stale_client(u, c, req);
		return TRUE;
	}
	start_watch(u);
	if (u->gone && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY) {
		umockdev_ioctl_client_complete(c, -1, ENODEV);
		return TRUE;
	}
	if (req == USBDEVFS_DISCARDURB) {
		discard(u, c);
		return TRUE;
	}
	if (_IOC_SIZE(req) > 0 && (d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(c), 0,
	        _IOC_SIZE(req), &err)) == NULL) {
		g_clear_error(&err);
		umockdev_ioctl_client_complete(c, -1, EFAULT);
		return TRUE;
	}
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES:
		*(guint32 *)(void *)d->data = USBDEVFS_CAP_BULK_CONTINUATION |
		    USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
		    USBDEVFS_CAP_ZERO_PACKET;
		umockdev_ioctl_client_complete(c, 0, 0);
		break;
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESET:
	case USBDEVFS_RESETEP:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_DISCONNECT_CLAIM:
	case USBDEVFS_IOCTL:
		umockdev_ioctl_client_complete(c, 0, 0);
		break;
	case USBDEVFS_GETDRIVER:
		umockdev_ioctl_client_complete(c, -1, ENODATA); /* no kernel driver bound */
		break;
	case USBDEVFS_SUBMITURB:
		submit(u, c, d);
		break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		reap(u, c, d);
		break;
	default:
		umockdev_ioctl_client_complete(c, -1, ENOTTY);
		break;
	}
	if (d != NULL)
		g_object_unref(d);
	return TRUE;
}

int
sim_usb_attach(UMockdevTestbed *tb, const char *devnode, struct sim_usb **out, int *board_fd)
{
	struct sim_usb *u;
	GError *err = NULL;
	int sv[2];

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	u->gen = 1;
	u->pending = -1;
	pthread_mutex_init(&u->mu, NULL);
	g_queue_init(&u->pending_in);
	g_queue_init(&u->reapable);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		fprintf(stderr, "sim: %s: socketpair: %s\n", devnode, strerror(errno));
		free(u);
		return -1;
	}
	u->hfd = sv[0];
	(void)fcntl(u->hfd, F_SETFL, fcntl(u->hfd, F_GETFL) | O_NONBLOCK);
	u->handler = g_object_new(UMOCKDEV_TYPE_IOCTL_BASE, NULL);
	g_signal_connect(u->handler, "handle-ioctl", G_CALLBACK(handle), u);
	if (!umockdev_testbed_attach_ioctl(tb, devnode, u->handler, &err)) {
		fprintf(stderr, "sim: %s: cannot attach the usbdevfs handler: %s\n", devnode,
		    err != NULL ? err->message : "?");
		g_clear_error(&err);
		close(sv[1]);
		sim_usb_free(u);
		return -1;
	}
	*board_fd = sv[1];
	*out = u;
	return 0;
}

int
sim_usb_replug(struct sim_usb *u, int *board_fd)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		fprintf(stderr, "sim: USB re-plug: socketpair: %s\n", strerror(errno));
		return -1;
	}
	(void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&u->mu);
	if (u->pending >= 0)
		close(u->pending); /* re-plugged twice before any client came: the older one goes */
	u->pending = sv[0];
	pthread_mutex_unlock(&u->mu);
	*board_fd = sv[1];
	return 0;
}

void
sim_usb_shutdown(struct sim_usb *u)
{
	if (u == NULL)
		return;
	if (u->hfd >= 0)
		(void)shutdown(u->hfd, SHUT_RDWR); /* a board blocked in read() sees EOF */
	pthread_mutex_lock(&u->mu);
	if (u->pending >= 0)
		(void)shutdown(u->pending, SHUT_RDWR);
	pthread_mutex_unlock(&u->mu);
}

void
sim_usb_free(struct sim_usb *u)
{
	struct urb *x;

	if (u == NULL)
		return;
	/* Called after the testbed (and its worker thread) is gone: nothing runs concurrently. */
	if (u->watch != NULL) {
		g_source_destroy(u->watch);
		g_source_unref(u->watch);
	}
	if (u->park_timer != NULL) {
		g_source_destroy(u->park_timer);
		g_source_unref(u->park_timer);
	}
	if (u->parked != NULL)
		g_object_unref(u->parked);
	if (u->parked_arg != NULL)
		g_object_unref(u->parked_arg);
	while ((x = g_queue_pop_head(&u->pending_in)) != NULL)
		urb_free(x);
	while ((x = g_queue_pop_head(&u->reapable)) != NULL)
		urb_free(x);
	if (u->ctx != NULL)
		g_main_context_unref(u->ctx);
	if (u->handler != NULL)
		g_object_unref(u->handler);
	if (u->hfd >= 0)
		close(u->hfd);
	if (u->pending >= 0)
		close(u->pending);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
