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
#include <sys/resource.h>
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
	int separated;
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

/* One request and its reply, under the lock. The reply's blob (if any) is copied into a
 * malloc'd, NUL-terminated buffer *blob (caller frees); p->blob is cleared. 0, or -1 with err
 * (the signer's refusal, or why it could not be asked). */
static int
call(struct signer *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **blob,
    struct signer_err *err)
{
	size_t len = 0, rl = 0;
	int r = -1, x;

	pthread_mutex_lock(&s->lock);
	if ((x = sigp_enc_req(q, s->buf, sizeof(s->buf), &len)) != 0) {
		set_err(err, SIGST_REQUEST, 0, "cannot encode the %s request: %s", sigp_op_name(q->op),
		    proto_strerror(x));
		goto out;
	}
	if (sigp_send(s->fd, s->buf, len) != 0 || sigp_recv(s->fd, s->buf, sizeof(s->buf), &rl) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "the signer process stopped answering (%s); see its "
		    "messages above and restart the station", errno ? strerror(errno) :
		    "connection closed");
		goto out;
	}
	if ((x = sigp_dec_rsp(q->op, s->buf, rl, p)) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "malformed %s reply from the signer: %s",
		    sigp_op_name(q->op), proto_strerror(x));
		goto out;
	}
	if (p->status != SIGST_OK) {
		if (err != NULL) {
			err->status = p->status;
			err->detail = p->detail;
			util_sanitize(p->text, strlen(p->text), err->text, sizeof(err->text));
		}
		goto out;
	}
	if (blob != NULL) {
		if ((*blob = malloc(p->blob_len + 1)) == NULL) {
			set_err(err, SIGST_INTERNAL, 0, "%s", "out of memory");
			goto out;
		}
		if (p->blob_len > 0)
			memcpy(*blob, p->blob, p->blob_len);
		(*blob)[p->blob_len] = '\0';
	}
	r = 0;
out:
	p->blob = NULL; /* pointed into s->buf */
	util_wipe(s->buf, len > rl ? len : rl); /* a request may hold a password */
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
signer_raw(struct signer *s, const uint8_t *body, size_t len, struct sigp_rsp *p,
    struct signer_err *err)
{
	size_t rl = 0;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	if (len == 0 || len > sizeof(s->buf) || sigp_send(s->fd, body, len) != 0 ||
	    sigp_recv(s->fd, s->buf, sizeof(s->buf), &rl) != 0 ||
	    sigp_dec_rsp(body[0], s->buf, rl, p) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "%s", "no well-formed reply to the raw request");
		goto out;
	}
	if (p->status != SIGST_OK && err != NULL) {
		err->status = p->status;
		err->detail = p->detail;
		util_sanitize(p->text, strlen(p->text), err->text, sizeof(err->text));
	}
	r = p->status == SIGST_OK ? 0 : -1;
out:
	p->blob = NULL;
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
signer_call(struct signer *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **blob,
    struct signer_err *err)
{
	return call(s, q, p, blob, err);
}

int
signer_start(const char *profile_path, const struct signer_opts *o, struct signer **out,
    struct signer_err *err)
{
	char prog[CAP_PATH + 64], uidarg[24];
	struct signer *s = NULL;
	struct sigp_req q;
	struct sigp_rsp p;
	int sv[2] = { -1, -1 };

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
		/* Service mode: the signer becomes its own user before it runs (privsep.h). */
		if (o->become != NULL && o->become(o->become_arg) != 0)
			_exit(126);
		snprintf(uidarg, sizeof(uidarg), "%ld", o->station_uid);
		execl(prog, "station-signer", "serve", "--fd", "3", "--profile", profile_path,
		    "--mode", o->mode == SIGMODE_ADMIN ? "admin" : o->mode == SIGMODE_VERIFY ? "verify" :
		    "run", "--station-uid", uidarg,
		    o->operator_name ? "--operator" : (char *)NULL, o->operator_name, (char *)NULL);
		fprintf(stderr, "station: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	sv[1] = -1;
	memset(&q, 0, sizeof(q));
	q.op = SIGOP_HELLO;
	q.version = SIGP_VERSION;
	if (call(s, &q, &p, NULL, err) != 0)
		goto fail;
	if (p.mode != o->mode) {
		set_err(err, SIGST_STARTUP, 0, "the signer started in another mode than asked");
		goto fail;
	}
	s->separated = p.separated;
	*out = s;
	return 0;
fail:
	if (sv[1] >= 0)
		close(sv[1]);
	signer_stop(s);
	return -1;
}

int
signer_end(struct signer *s, struct rusage *ru)
{
	struct rusage own;
	pid_t w = -1;
	int st;

	if (s == NULL)
		return -1;
	if (s->fd >= 0)
		close(s->fd); /* the signer exits on EOF */
	/* wait4: the usage of this child alone (RUSAGE_CHILDREN would add the label printer
	 * helper's), for the run's summary (issue #14). */
	if (s->pid > 0)
		while ((w = wait4(s->pid, &st, 0, &own)) < 0 && errno == EINTR)
			;
	pthread_mutex_destroy(&s->lock);
	util_wipe(s->buf, sizeof(s->buf));
	free(s);
	if (w <= 0)
		return -1;
	if (ru != NULL)
		*ru = own;
	return 0;
}

void
signer_stop(struct signer *s)
{
	(void)signer_end(s, NULL);
}

int
signer_pid(const struct signer *s)
{
	return (int)s->pid;
}

int
signer_separated(const struct signer *s)
{
	return s->separated;
}

static struct sigp_req *
req_new(uint8_t op, const uint8_t *chip, size_t chip_len)
{
	struct sigp_req *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->op = op;
	if (chip != NULL && chip_len <= sizeof(q->board.chip)) {
		memcpy(q->board.chip, chip, chip_len);
		q->board.chip_len = (uint8_t)chip_len;
	}
	return q;
}

/* Runs q (freed here) and copies the reply out; the common tail of the calls below. */
static int
run(struct signer *s, struct sigp_req *q, struct sigp_rsp *out, uint8_t **blob, size_t *blen,
    struct signer_err *err)
{
	struct sigp_rsp *p = calloc(1, sizeof(*p));
	int r = -1;

	if (q == NULL || p == NULL)
		set_err(err, SIGST_INTERNAL, 0, "%s", "out of memory");
	else if ((r = call(s, q, p, blob, err)) == 0) {
		if (blen != NULL)
			*blen = p->blob_len;
		if (out != NULL)
			*out = *p;
	}
	if (q != NULL)
		util_wipe(q, sizeof(*q));
	free(q);
	free(p);
	return r;
}

int
signer_session(struct signer *s, const char *lot, const char *operator_name,
    struct sigp_lot *out, struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_SESSION, NULL, 0);
	struct sigp_rsp p;

	if (q != NULL) {
		snprintf(q->lot, sizeof(q->lot), "%s", lot);
		snprintf(q->operator_name, sizeof(q->operator_name), "%s", operator_name);
	}
	if (run(s, q, &p, NULL, NULL, err) != 0)
		return -1;
	*out = p.lot;
	return 0;
}

int
signer_lot(struct signer *s, uint8_t op, const char *lot, struct sigp_lot *out,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(op, NULL, 0);
	struct sigp_rsp p;

	if (q != NULL)
		snprintf(q->lot, sizeof(q->lot), "%s", lot);
	if (run(s, q, &p, NULL, NULL, err) != 0)
		return -1;
	*out = p.lot;
	return 0;
}

int
signer_board(struct signer *s, const struct sigp_board *b, struct signer_board *out,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_BOARD, NULL, 0);
	struct sigp_rsp p;

	if (q != NULL)
		q->board = *b;
	if (run(s, q, &p, NULL, NULL, err) != 0)
		return -1;
	out->disposition = p.disposition;
	memcpy(out->serial, p.serial, sizeof(out->serial));
	memcpy(out->cert_serial, p.cert_serial, sizeof(out->cert_serial));
	return 0;
}

int
signer_commit_pw(struct signer *s, const uint8_t *chip, size_t chip_len, const char *password,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_COMMIT_PW, chip, chip_len);

	if (q != NULL)
		snprintf(q->password, sizeof(q->password), "%s", password);
	return run(s, q, NULL, NULL, NULL, err);
}

int
signer_issue(struct signer *s, const uint8_t *chip, size_t chip_len, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *csr, size_t csr_len, uint8_t **cert, size_t *certlen,
    char *cert_serial, size_t cscap, struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_ISSUE, chip, chip_len);
	struct sigp_rsp p;

	if (q != NULL && nonce_len <= sizeof(q->nonce)) {
		memcpy(q->nonce, nonce, nonce_len);
		q->nonce_len = (uint8_t)nonce_len;
		q->csr = csr;
		q->csr_len = csr_len;
	}
	if (run(s, q, &p, cert, certlen, err) != 0)
		return -1;
	snprintf(cert_serial, cscap, "%s", p.cert_serial);
	return 0;
}

int
signer_cert(struct signer *s, const uint8_t *chip, size_t chip_len, uint8_t **der, size_t *len,
    struct signer_err *err)
{
	return run(s, req_new(SIGOP_CERT, chip, chip_len), NULL, der, len, err);
}

int
signer_report(struct signer *s, const struct sigp_req *event, struct signer_err *err)
{
	struct sigp_req *q = calloc(1, sizeof(*q));

	if (q != NULL)
		*q = *event;
	return run(s, q, NULL, NULL, NULL, err);
}

int
signer_info(struct signer *s, char **json, struct signer_err *err)
{
	return run(s, req_new(SIGOP_INFO, NULL, 0), NULL, (uint8_t **)json, NULL, err);
}

int
signer_crl(struct signer *s, uint8_t **der, size_t *len, struct signer_err *err)
{
	struct sigp_req *q;
	struct sigp_rsp p;
	uint8_t *buf = NULL, *chunk = NULL;
	size_t have = 0, total = 0, n = 0;

	/* The CRL comes in chunks of one signed CRL: offset 0 has the signer sign it. */
	do {
		if ((q = req_new(SIGOP_CRL, NULL, 0)) != NULL)
			q->offset = (uint32_t)have;
		if (run(s, q, &p, &chunk, &n, err) != 0)
			goto fail;
		if (have == 0) {
			total = p.total;
			if ((buf = malloc(total)) == NULL) {
				set_err(err, SIGST_INTERNAL, 0, "%s", "out of memory");
				goto fail;
			}
		}
		if (p.total != total || n == 0 || n > total - have) {
			set_err(err, SIGST_INTERNAL, 0, "%s", "the signer sent an inconsistent CRL chunk");
			goto fail;
		}
		memcpy(buf + have, chunk, n);
		have += n;
		free(chunk);
		chunk = NULL;
	} while (have < total);
	*der = buf;
	*len = total;
	return 0;
fail:
	free(chunk);
	free(buf);
	return -1;
}

int
signer_checkpoint(struct signer *s, int force, const char *trigger, char **note, uint64_t *size,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_CHECKPOINT, NULL, 0);
	struct sigp_rsp p;
	uint8_t *text = NULL;

	if (q != NULL) {
		q->force = force != 0;
		snprintf(q->trigger, sizeof(q->trigger), "%s", trigger);
	}
	if (run(s, q, &p, &text, NULL, err) != 0)
		return -1;
	if (!p.signed_now) {
		free(text);
		return 1;
	}
	*size = (uint64_t)p.size_hi << 32 | p.size_lo;
	*note = (char *)text;
	return 0;
}

int
signer_lookup(struct signer *s, const uint8_t *chip, size_t chip_len, struct signer_record *out,
    struct signer_err *err)
{
	struct sigp_rsp p;
	uint8_t *der = NULL;
	size_t n = 0;

	if (run(s, req_new(SIGOP_LOOKUP, chip, chip_len), &p, &der, &n, err) != 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->kind = p.kind;
	memcpy(out->serial, p.serial, sizeof(out->serial));
	memcpy(out->cert_serial, p.cert_serial, sizeof(out->cert_serial));
	memcpy(out->reason, p.reason, sizeof(out->reason));
	memcpy(out->challenge, p.challenge, p.challenge_len); /* the codec held it to SIGP_CHALLENGE */
	out->challenge_len = p.challenge_len;
	if (n > 0) {
		out->cert = der; /* owned by the caller */
		out->cert_len = n;
	} else
		free(der);
	return 0;
}

int
signer_checked(struct signer *s, const uint8_t *chip, size_t chip_len, int ok, const char *fixture,
    const char *code, const char *reason, const uint8_t *sig, size_t sig_len,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_CHECKED, chip, chip_len);

	if (q != NULL && sig_len > sizeof(q->sig)) {
		free(q);
		set_err(err, SIGST_REQUEST, 0, "a proof of %zu bytes is more than the %d a CHECKED carries",
		    sig_len, SIGP_MAX_SIG);
		return -1;
	}
	if (q != NULL) {
		q->ok = ok != 0;
		if (sig_len > 0)
			memcpy(q->sig, sig, sig_len);
		q->sig_len = (uint16_t)sig_len;
		snprintf(q->board.fixture, sizeof(q->board.fixture), "%s", fixture ? fixture : "");
		snprintf(q->code, sizeof(q->code), "%s", code ? code : "");
		snprintf(q->reason, sizeof(q->reason), "%s", reason ? reason : "");
	}
	return run(s, q, NULL, NULL, NULL, err);
}

int
signer_release(struct signer *s, const uint8_t *chip, size_t chip_len, const char *reason,
    struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_RELEASE, chip, chip_len);

	if (q != NULL)
		snprintf(q->reason, sizeof(q->reason), "%s", reason ? reason : "");
	return run(s, q, NULL, NULL, NULL, err);
}
