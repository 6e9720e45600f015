/* signer-client.c: start and talk to station-signer; see signer.h. */
#include "signer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cursor.h"
#include "log.h"
#include "sigproto.h"
#include "util.h"

struct signer {
	int fd;
	pid_t pid;
	pthread_mutex_t lock;
	uint8_t buf[CAP_SIGNER_MSG];
};

static void __attribute__((format(printf, 4, 5)))
set_err(struct signer_err *e, int status, int detail, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->status = status;
	e->detail = detail;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

int
signer_program(char *path, size_t cap)
{
	const char *env = getenv("STATION_SIGNER");
	char dir[CAP_PATH];

	if (env != NULL && *env != '\0')
		return snprintf(path, cap, "%s", env) < (int)cap ? 0 : -1;
	if (util_exe_dir(dir, sizeof(dir)) != 0)
		return -1;
	/* Build tree: next to station; installed: PREFIX/libexec/station/. */
	if (snprintf(path, cap, "%s/station-signer", dir) < (int)cap && access(path, X_OK) == 0)
		return 0;
	if (snprintf(path, cap, "%s/../libexec/station/station-signer", dir) >= (int)cap)
		return -1;
	return access(path, X_OK) == 0 ? 0 : -1;
}

/* One round trip: body in s->buf[0..len) -> reply in s->buf. Caller holds the lock. */
static int
roundtrip(struct signer *s, size_t len, size_t *rlen, struct signer_err *err)
{
	struct cur c;
	uint8_t st = 0, detail = 0;
	const uint8_t *text;
	size_t tl = 0;
	int r;

	if (sigp_send(s->fd, s->buf, len) != 0 ||
	    (r = sigp_recv(s->fd, s->buf, sizeof(s->buf), rlen)) != 0) {
		set_err(err, SIGST_INTERNAL, 0,
		    "the signer process stopped answering (%s); see its messages above and restart the station",
		    errno ? strerror(errno) : "connection closed");
		return -1;
	}
	cur_init(&c, s->buf, *rlen);
	if (cur_u8(&c, &st) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "empty reply from the signer");
		return -1;
	}
	if (st == SIGST_OK)
		return 0;
	if (cur_u8(&c, &detail) != 0 || cur_lbytes16(&c, 0, CAP_REASON - 1, &text, &tl) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "malformed error reply from the signer");
		return -1;
	}
	if (err != NULL) {
		err->status = st;
		err->detail = detail;
		util_sanitize((const char *)text, tl, err->text, sizeof(err->text));
	}
	return -1;
}

int
signer_start(const char *profile_path, struct signer **out, struct signer_err *err)
{
	char prog[CAP_PATH + 64], fdarg[16];
	struct signer *s = NULL;
	int sv[2] = { -1, -1 };
	size_t rl = 0;

	if (signer_program(prog, sizeof(prog)) != 0) {
		set_err(err, SIGST_STARTUP, 0, "%s",
		    "cannot find the station-signer program next to station; reinstall (make install) or set STATION_SIGNER");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		set_err(err, SIGST_STARTUP, 0, "cannot create the signer socket: %s", strerror(errno));
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fd = sv[0];
	if ((s->pid = fork()) < 0) {
		set_err(err, SIGST_STARTUP, 0, "cannot start the signer: %s", strerror(errno));
		goto fail;
	}
	if (s->pid == 0) {
		/* The child keeps only its end of the socket, as fd 3. When it already is fd 3
		 * (the station was started with stdin closed), dup2 is a no-op that leaves
		 * FD_CLOEXEC set: clear it, or the signer would read whatever it opens as fd 3. */
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sv[1], 3) < 0)
			_exit(127);
		snprintf(fdarg, sizeof(fdarg), "3");
		execl(prog, "station-signer", "serve", "--fd", fdarg, "--profile", profile_path,
		    (char *)NULL);
		fprintf(stderr, "station: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	sv[1] = -1;
	pthread_mutex_lock(&s->lock);
	s->buf[0] = SIGOP_HELLO;
	if (roundtrip(s, 1, &rl, err) != 0) {
		pthread_mutex_unlock(&s->lock);
		goto fail;
	}
	pthread_mutex_unlock(&s->lock);
	*out = s;
	return 0;
fail:
	if (sv[1] >= 0)
		close(sv[1]);
	signer_stop(s);
	return -1;
}

void
signer_stop(struct signer *s)
{
	int st;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd); /* the signer exits on EOF */
	if (s->pid > 0)
		while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
			;
	pthread_mutex_destroy(&s->lock);
	util_wipe(s->buf, sizeof(s->buf));
	free(s);
}

int
signer_pid(const struct signer *s)
{
	return (int)s->pid;
}

int
signer_issue(struct signer *s, const struct signer_issue *rq, uint8_t **cert,
    size_t *certlen, char *cert_serial, size_t cscap, struct signer_err *err)
{
	struct wcur w;
	struct cur c;
	const uint8_t *der;
	size_t rl = 0, dl = 0;
	char serial[128];
	uint8_t st;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	wcur_init(&w, s->buf, sizeof(s->buf));
	wcur_u8(&w, SIGOP_ISSUE);
	wcur_str(&w, rq->lot);
	wcur_str(&w, rq->operator_name);
	wcur_str(&w, rq->chip_hex);
	wcur_str(&w, rq->serial);
	wcur_str(&w, rq->model);
	wcur_lbytes8(&w, rq->nonce, rq->nonce_len);
	wcur_lbytes16(&w, rq->csr, rq->csr_len);
	if (w.err != 0) {
		set_err(err, SIGST_REQUEST, 0, "%s", "issuance request too large or not printable");
		goto out;
	}
	if (roundtrip(s, w.off, &rl, err) != 0)
		goto out;
	cur_init(&c, s->buf, rl);
	if (cur_u8(&c, &st) != 0 || cur_lbytes16(&c, 1, CAP_CERT_DER, &der, &dl) != 0 ||
	    cur_str(&c, 1, 64, serial, sizeof(serial)) != 0 || cur_end(&c) != 0 ||
	    strlen(serial) >= cscap) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "malformed issuance reply from the signer");
		goto out;
	}
	if ((*cert = malloc(dl)) == NULL) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "out of memory");
		goto out;
	}
	memcpy(*cert, der, dl);
	*certlen = dl;
	memcpy(cert_serial, serial, strlen(serial) + 1);
	r = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
signer_commit_pw(struct signer *s, const char *password, uint8_t out[32],
    struct signer_err *err)
{
	struct wcur w;
	struct cur c;
	const uint8_t *mac;
	size_t rl = 0;
	uint8_t st;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	wcur_init(&w, s->buf, sizeof(s->buf));
	wcur_u8(&w, SIGOP_COMMIT_PW);
	wcur_str(&w, password);
	if (w.err != 0) {
		set_err(err, SIGST_REQUEST, 0, "%s", "password not encodable");
		goto out;
	}
	if (roundtrip(s, w.off, &rl, err) != 0)
		goto out;
	cur_init(&c, s->buf, rl);
	if (cur_u8(&c, &st) != 0 || cur_bytes(&c, 32, &mac) != 0 || cur_end(&c) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "malformed commitment reply from the signer");
		goto out;
	}
	memcpy(out, mac, 32);
	r = 0;
out:
	util_wipe(s->buf, w.off); /* the request held the password */
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Requests with no fields and a single lbytes16 reply. */
static int
blob_call(struct signer *s, uint8_t op, uint8_t **out, size_t *outlen, struct signer_err *err)
{
	struct cur c;
	const uint8_t *p;
	size_t rl = 0, n = 0;
	uint8_t st;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	s->buf[0] = op;
	if (roundtrip(s, 1, &rl, err) != 0)
		goto out;
	cur_init(&c, s->buf, rl);
	if (cur_u8(&c, &st) != 0 || cur_lbytes16(&c, 0, CAP_SIGNER_MSG, &p, &n) != 0 ||
	    cur_end(&c) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "malformed reply from the signer");
		goto out;
	}
	if ((*out = malloc(n + 1)) == NULL)
		goto out;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	*outlen = n;
	r = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
signer_info(struct signer *s, char **json, struct signer_err *err)
{
	size_t n;

	return blob_call(s, SIGOP_INFO, (uint8_t **)json, &n, err);
}

int
signer_crl(struct signer *s, uint8_t **der, size_t *len, struct signer_err *err)
{
	return blob_call(s, SIGOP_CRL, der, len, err);
}

int
signer_checkpoint(struct signer *s, char **note, struct signer_err *err)
{
	size_t n;

	return blob_call(s, SIGOP_CHECKPOINT, (uint8_t **)note, &n, err);
}
