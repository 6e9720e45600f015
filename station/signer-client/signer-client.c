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

/* One socket to the signer, one request in flight on it. */
struct chan {
	int fd;
	int busy;
	uint8_t buf[CAP_SIGNER_MSG];
};

/* The signer's sockets are a pool: a call takes a free one, so the requests of several fixtures
 * are in flight at once and the signer can record them with one durable commit (issue #14). */
struct signer {
	pid_t pid;
	int separated;
	pthread_mutex_t lock; /* guards busy flags */
	pthread_cond_t freed;
	unsigned nch;
	struct chan ch[CAP_SIGNER_CHANNELS];
};

/* Waits for a free channel and takes it. */
static struct chan *
chan_take(struct signer *s)
{
	struct chan *c = NULL;
	unsigned i;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (i = 0; i < s->nch && c == NULL; i++)
			if (!s->ch[i].busy)
				c = &s->ch[i];
		if (c != NULL)
			break;
		pthread_cond_wait(&s->freed, &s->lock);
	}
	c->busy = 1;
	pthread_mutex_unlock(&s->lock);
	return c;
}

static void
chan_give(struct signer *s, struct chan *c)
{
	pthread_mutex_lock(&s->lock);
	c->busy = 0;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

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

/* One request and its reply, on a channel of its own. The reply's blob (if any) is copied into a
 * malloc'd, NUL-terminated buffer *blob (caller frees); p->blob is cleared. 0, or -1 with err
 * (the signer's refusal, or why it could not be asked). */
static int
call(struct signer *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **blob,
    struct signer_err *err)
{
	struct chan *c = chan_take(s);
	size_t len = 0, rl = 0;
	int r = -1, x;

	if ((x = sigp_enc_req(q, c->buf, sizeof(c->buf), &len)) != 0) {
		set_err(err, SIGST_REQUEST, 0, "cannot encode the %s request: %s", sigp_op_name(q->op),
		    proto_strerror(x));
		goto out;
	}
	if (sigp_send(c->fd, c->buf, len) != 0 || sigp_recv(c->fd, c->buf, sizeof(c->buf), &rl) != 0) {
		set_err(err, SIGST_INTERNAL, 0, "the signer process stopped answering (%s); see its "
		    "messages above and restart the station", errno ? strerror(errno) :
		    "connection closed");
		goto out;
	}
	if ((x = sigp_dec_rsp(q->op, c->buf, rl, p)) != 0) {
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
	p->blob = NULL; /* pointed into c->buf */
	util_wipe(c->buf, len > rl ? len : rl); /* a request may hold a password */
	chan_give(s, c);
	return r;
}

int
signer_raw(struct signer *s, const uint8_t *body, size_t len, struct sigp_rsp *p,
    struct signer_err *err)
{
	struct chan *c = chan_take(s);
	size_t rl = 0;
	int r = -1;

	if (len == 0 || len > sizeof(c->buf) || sigp_send(c->fd, body, len) != 0 ||
	    sigp_recv(c->fd, c->buf, sizeof(c->buf), &rl) != 0 ||
	    sigp_dec_rsp(body[0], c->buf, rl, p) != 0) {
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
	chan_give(s, c);
	return r;
}

int
signer_call(struct signer *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **blob,
    struct signer_err *err)
{
	return call(s, q, p, blob, err);
}

/* In the child, between fork and exec (async-signal-safe calls only): the signer's ends of the
 * nch sockets become fds 3 .. 3+nch-1, without FD_CLOEXEC, and nothing else is inherited. They
 * are first copied above that range (close-on-exec copies), so that no dup2 overwrites an end
 * that is still to be moved. 0 or -1. */
static int
child_fds(int sv[][2], unsigned nch)
{
	int hi[CAP_SIGNER_CHANNELS];
	unsigned i;

	for (i = 0; i < nch; i++)
		if ((hi[i] = fcntl(sv[i][1], F_DUPFD_CLOEXEC, 3 + (int)nch)) < 0)
			return -1;
	for (i = 0; i < nch; i++)
		if (dup2(hi[i], 3 + (int)i) < 0)
			return -1;
	return 0;
}

int
signer_start(const char *profile_path, const struct signer_opts *o, struct signer **out,
    struct signer_err *err)
{
	char prog[CAP_PATH + 64], uidarg[24], charg[16];
	struct signer *s = NULL;
	struct sigp_req q;
	struct sigp_rsp p;
	int sv[CAP_SIGNER_CHANNELS][2];
	unsigned i, nch;

	if (signer_program(prog, sizeof(prog)) != 0) {
		set_err(err, SIGST_STARTUP, 0, "%s",
		    "cannot find the station-signer program next to station; reinstall (make install) or set STATION_SIGNER");
		return -1;
	}
	/* A provisioning or verifying station works on many fixtures at once; an admin command
	 * asks one thing at a time. */
	nch = o->mode == SIGMODE_ADMIN ? 1 : CAP_SIGNER_CHANNELS;
	for (i = 0; i < CAP_SIGNER_CHANNELS; i++)
		sv[i][0] = sv[i][1] = -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_err(err, SIGST_STARTUP, 0, "out of memory");
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	s->nch = nch;
	for (i = 0; i < CAP_SIGNER_CHANNELS; i++)
		s->ch[i].fd = -1;
	for (i = 0; i < nch; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]) != 0) {
			set_err(err, SIGST_STARTUP, 0, "cannot create the signer socket: %s",
			    strerror(errno));
			goto fail;
		}
		s->ch[i].fd = sv[i][0];
	}
	if ((s->pid = fork()) < 0) {
		set_err(err, SIGST_STARTUP, 0, "cannot start the signer: %s", strerror(errno));
		goto fail;
	}
	if (s->pid == 0) {
		/* The child keeps only its ends of the sockets, as fds 3.. (child_fds). */
		if (child_fds(sv, nch) != 0)
			_exit(127);
		/* Service mode: the signer becomes its own user before it runs (privsep.h). */
		if (o->become != NULL && o->become(o->become_arg) != 0)
			_exit(126);
		snprintf(uidarg, sizeof(uidarg), "%ld", o->station_uid);
		snprintf(charg, sizeof(charg), "%u", nch);
		execl(prog, "station-signer", "serve", "--fd", "3", "--channels", charg, "--profile",
		    profile_path, "--mode", o->mode == SIGMODE_ADMIN ? "admin" :
		    o->mode == SIGMODE_VERIFY ? "verify" : "run", "--station-uid", uidarg,
		    o->operator_name ? "--operator" : (char *)NULL, o->operator_name, (char *)NULL);
		fprintf(stderr, "station: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	for (i = 0; i < nch; i++) {
		close(sv[i][1]);
		sv[i][1] = -1;
	}
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
	for (i = 0; i < nch; i++)
		if (sv[i][1] >= 0)
			close(sv[i][1]);
	signer_stop(s);
	return -1;
}

int
signer_end(struct signer *s, struct rusage *ru)
{
	struct rusage own;
	pid_t w = -1;
	unsigned i;
	int st;

	if (s == NULL)
		return -1;
	for (i = 0; i < CAP_SIGNER_CHANNELS; i++)
		if (s->ch[i].fd >= 0)
			close(s->ch[i].fd); /* the signer exits on EOF */
	/* wait4: the usage of this child alone (RUSAGE_CHILDREN would add the label printer
	 * helper's), for the run's summary (issue #14). */
	if (s->pid > 0)
		while ((w = wait4(s->pid, &st, 0, &own)) < 0 && errno == EINTR)
			;
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->lock);
	for (i = 0; i < CAP_SIGNER_CHANNELS; i++)
		util_wipe(s->ch[i].buf, sizeof(s->ch[i].buf));
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
signer_commit_cred(struct signer *s, const uint8_t *chip, size_t chip_len, int kind,
    const char *public, const char *secret, struct signer_err *err)
{
	struct sigp_req *q = req_new(SIGOP_COMMIT_CRED, chip, chip_len);

	if (q != NULL) {
		q->cred_kind = (uint8_t)kind;
		snprintf(q->cred_public, sizeof(q->cred_public), "%s", public);
		snprintf(q->cred_secret, sizeof(q->cred_secret), "%s", secret);
	}
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
