/* label-printer.c: the label printer helper process and its client; see label-printer.h. */
#include "label-printer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "label-out.h"
#include "label.h"
#include "log.h"
#include "util.h"

struct label_printer {
	int fd;
	pid_t pid;
	pthread_mutex_t lock; /* one request at a time: fixtures take turns */
};

int
label_printer_dec_req(const char *buf, size_t n, char *serial, size_t cap)
{
	size_t i, len;

	if (n < 7 || n > LABEL_PRINTER_MSG || memcmp(buf, "PRINT ", 6) != 0)
		return -1;
	len = n - 6;
	if (len < 1 || len > CAP_SERIAL || len >= cap)
		return -1;
	for (i = 6; i < n; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '-' || buf[i] == '_'))
			return -1;
	memcpy(serial, buf + 6, len);
	serial[len] = '\0';
	return 0;
}

/* Reads serial's spooled label (the [label] send format) into a new buffer. 0; 2 when there is
 * none; -1 with why. */
static int
read_label(const struct profile *p, const char *serial, uint8_t **out, size_t *len, char *why,
    size_t cap)
{
	size_t max = p->label.send == LABEL_FMT_PNG ? CAP_LABEL_PNG : CAP_LABEL_ZPL, off = 0;
	char path[CAP_PATH];
	struct stat st;
	uint8_t *buf;
	ssize_t got;
	int fd;

	if (label_path(p->label_dir, serial, p->label.send, path, sizeof(path)) != 0) {
		util_why(why, cap, "the label path of %s is too long", serial);
		return -1;
	}
	/* O_NOFOLLOW: a link planted in the spool is not followed to another file */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 2;
		util_why(why, cap, "cannot open the label %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > max || (buf = malloc((size_t)st.st_size)) == NULL) {
		util_why(why, cap, "the label %s is not a regular file of 1 to %zu bytes", path, max);
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size) {
		if ((got = read(fd, buf + off, (size_t)st.st_size - off)) < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		off += (size_t)got;
	}
	close(fd);
	if (off != (size_t)st.st_size) {
		util_wipe(buf, (size_t)st.st_size);
		free(buf);
		util_why(why, cap, "cannot read the label %s", path);
		return -1;
	}
	*out = buf;
	*len = off;
	return 0;
}

int
label_printer_once(const struct profile *p, const char *serial, char *why, size_t cap)
{
	const struct label_out_ops *ops = label_out_for(&p->label);
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (ops == NULL) {
		util_why(why, cap, "[label] output = dir: labels are not sent anywhere");
		return 1;
	}
	if ((r = read_label(p, serial, &buf, &len, why, cap)) != 0)
		return r == 2 ? 2 : 1;
	r = ops->send(&p->label, buf, len, why, cap);
	util_wipe(buf, len);
	free(buf);
	if (r != 0)
		return 1;
	/* Printed: the spool copy is the password's last one and goes. */
	if (label_unspool(p->label_dir, serial) != 0)
		log_warn("label %s printed but not removed from %s: %s; remove it", serial,
		    p->label_dir, strerror(errno));
	return 0;
}

/* The helper's loop: one request, one reply, until the station closes its end. */
static void
serve(const struct profile *p, int fd)
{
	char req[LABEL_PRINTER_MSG], rsp[LABEL_PRINTER_MSG], serial[CAP_SERIAL + 1];
	char why[CAP_REASON] = "", down[CAP_REASON] = "";
	uint64_t down_until = 0;
	ssize_t n;
	int r;

	for (;;) {
		if ((n = recv(fd, req, sizeof(req), 0)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (label_printer_dec_req(req, (size_t)n, serial, sizeof(serial)) != 0) {
			snprintf(rsp, sizeof(rsp), "KEPT the printer helper got a malformed request");
		} else if (util_ms() < down_until) {
			/* a printer that is off costs the line one timeout, not one per board */
			snprintf(rsp, sizeof(rsp), "KEPT %s (tried %llu ms ago)", down,
			    (unsigned long long)(util_ms() + p->label.timeout - down_until));
		} else if ((r = label_printer_once(p, serial, why, sizeof(why))) == 0) {
			snprintf(rsp, sizeof(rsp), "OK");
		} else if (r == 2) {
			snprintf(rsp, sizeof(rsp), "KEPT no label of %s in the spool", serial);
		} else {
			snprintf(down, sizeof(down), "%s", why);
			down_until = util_ms() + p->label.timeout;
			snprintf(rsp, sizeof(rsp), "KEPT %s", why);
		}
		if (send(fd, rsp, strlen(rsp), MSG_NOSIGNAL) < 0)
			return;
	}
}

int
label_printer_start(const struct profile *p, int (*confine)(void *arg, char *why, size_t cap),
    void *arg, struct label_printer **out, char *why, size_t cap)
{
	struct label_printer *lp;
	char cwhy[CAP_REASON];
	int sv[2];
	pid_t pid;

	if ((lp = calloc(1, sizeof(*lp))) == NULL) {
		util_why(why, cap, "out of memory");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		util_why(why, cap, "cannot create the printer helper's socket: %s", strerror(errno));
		free(lp);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		util_why(why, cap, "cannot start the printer helper: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(lp);
		return -1;
	}
	if (pid == 0) {
		/* Nothing of the station but its end of the socket: not the signer's socket, not a
		 * fixture (stdin, stdout and stderr stay for diagnostics). The line's stop signals
		 * are the station's: the helper ends when the station closes the socket. */
		close(sv[0]);
		if (sv[1] != 3 && (dup2(sv[1], 3) < 0 || close(sv[1]) != 0))
			_exit(127);
		(void)close_range(4, ~0U, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		if (confine != NULL && confine(arg, cwhy, sizeof(cwhy)) < 0) {
			fprintf(stderr, "station: the label printer helper cannot confine itself: %s\n",
			    cwhy);
			_exit(126);
		}
		serve(p, 3);
		_exit(0);
	}
	close(sv[1]);
	lp->fd = sv[0];
	lp->pid = pid;
	pthread_mutex_init(&lp->lock, NULL);
	*out = lp;
	return 0;
}

int
label_printer_print(struct label_printer *lp, const char *serial, char *note, size_t cap)
{
	char req[LABEL_PRINTER_MSG], rsp[LABEL_PRINTER_MSG + 1];
	ssize_t n = -1;
	size_t i;
	int r = -1;

	if (snprintf(req, sizeof(req), "PRINT %s", serial) >= (int)sizeof(req)) {
		util_why(note, cap, "the serial is too long for the printer helper");
		return 1;
	}
	pthread_mutex_lock(&lp->lock);
	if (lp->fd >= 0 && send(lp->fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req))
		while ((n = recv(lp->fd, rsp, sizeof(rsp) - 1, 0)) < 0 && errno == EINTR)
			;
	pthread_mutex_unlock(&lp->lock);
	if (n <= 0) {
		util_why(note, cap, "the label printer helper stopped; the label is kept");
		return -1;
	}
	rsp[n] = '\0';
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)rsp[i] < 0x20 || (unsigned char)rsp[i] > 0x7e)
			rsp[i] = '?';
	if (strcmp(rsp, "OK") == 0)
		r = 0;
	else if (strncmp(rsp, "KEPT ", 5) == 0) {
		util_why(note, cap, "%s", rsp + 5);
		r = 1;
	} else {
		util_why(note, cap, "the label printer helper answered something else");
		r = 1;
	}
	return r;
}

int
label_printer_pid(const struct label_printer *lp)
{
	return lp != NULL ? (int)lp->pid : -1;
}

void
label_printer_stop(struct label_printer *lp)
{
	int st;

	if (lp == NULL)
		return;
	if (lp->fd >= 0)
		close(lp->fd);
	while (waitpid(lp->pid, &st, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_destroy(&lp->lock);
	free(lp);
}
