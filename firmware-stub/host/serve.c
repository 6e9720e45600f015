/* serve.c: boards behind a simulated Ethernet serial device server; see serve.h. */
#include "serve.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "telnet.h"

struct slot {
	struct board b;
	unsigned index;
	int lfd, cfd;           /* listening socket; the connection (-1: none) */
	int rfc2217;
	struct telnet tn;       /* the Telnet state of the connection (rfc2217) */
	volatile int *stop;
	pthread_t tid;
	int started;
};

/* The board's transmit on an RFC 2217 connection: data bytes escaped (0xFF doubled). */
static int
telnet_tx(void *ctx, const uint8_t *p, size_t n)
{
	struct slot *s = ctx;
	uint8_t buf[1024];
	size_t used = 0, k;

	while (n > 0) {
		k = telnet_escape(p, n, buf, sizeof(buf), &used);
		if (s->cfd < 0 || board_write_all(s->cfd, buf, k) != 0)
			return -1;
		p += used;
		n -= used;
	}
	return 0;
}

static void
drop(struct slot *s)
{
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
	s->b.fd = -1;
}

static void
take(struct slot *s, int fd)
{
	int one = 1;

	/* a device server has one client per port: the newest wins */
	drop(s);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->cfd = fd;
	s->b.fd = fd;
	if (s->rfc2217)
		telnet_init(&s->tn, 1);
}

/* Bytes from the connection: through Telnet (rfc2217) into the board. */
static void
input(struct slot *s, const uint8_t *p, size_t n)
{
	uint8_t data[TELNET_FEED_MAX];
	size_t dl = 0;
	int r;

	if (!s->rfc2217) {
		if (board_feed(&s->b, p, n) == 1)
			drop(s); /* --hang-up-at: the device server drops the connection mid-step */
		return;
	}
	r = telnet_input(&s->tn, p, n, data, sizeof(data), &dl);
	if (s->tn.outlen > 0 && board_write_all(s->cfd, s->tn.out, s->tn.outlen) != 0)
		r = -1;
	s->tn.outlen = 0;
	if (dl > 0 && s->cfd >= 0 && board_feed(&s->b, data, dl) == 1)
		r = -1;
	OPENSSL_cleanse(data, sizeof(data)); /* P-44: the Telnet layer's copy of a request */
	if (r != 0)
		drop(s);
}

static void *
board_main(void *arg)
{
	struct slot *s = arg;
	struct pollfd pfd[2];
	uint8_t buf[TELNET_FEED_MAX];
	ssize_t n;
	int fd, fresh;

	while (!*s->stop) {
		pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->cfd, .events = POLLIN };
		if (poll(pfd, 2, 200) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		fresh = 0;
		if (pfd[0].revents & POLLIN) {
			if ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				take(s, fd);
				fresh = 1;
			}
		}
		if (fresh || s->cfd < 0 || !(pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(s->cfd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			drop(s); /* the station closed: wait for the next one */
			continue;
		}
		input(s, buf, (size_t)n);
		OPENSSL_cleanse(buf, (size_t)n); /* P-44: the port's own copy of a request */
	}
	drop(s);
	return NULL;
}

static void
raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		fprintf(stderr, "firmware-stub: warning: only %lu file descriptors (need %u); raise "
		    "the hard limit (ulimit -Hn)\n", (unsigned long)rl.rlim_cur, need);
}

static int
listen_on(const struct serve_cfg *c, unsigned port)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int fd = -1, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if ((e = getaddrinfo(c->host, ps, &hints, &res)) != 0) {
		fprintf(stderr, "firmware-stub: cannot resolve %s: %s\n", c->host, gai_strerror(e));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4) != 0) {
		fprintf(stderr, "firmware-stub: cannot listen on %s port %u: %s\n", c->host, port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Runs argv as a child and waits for it, forwarding SIGINT/SIGTERM; or waits for one. */
static int
wait_end(char *const argv[], const sigset_t *set, int *status)
{
	struct timespec ts = { 0, 100 * 1000000L };
	pid_t pid = -1, w;
	int sig, st = 0;

	*status = 0;
	if (argv != NULL) {
		if ((pid = fork()) < 0) {
			perror("firmware-stub: fork");
			return -1;
		}
		if (pid == 0) {
			sigprocmask(SIG_UNBLOCK, set, NULL);
			execvp(argv[0], argv);
			fprintf(stderr, "firmware-stub: cannot run %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
	}
	for (;;) {
		sig = sigtimedwait(set, NULL, &ts);
		if (pid < 0) {
			if (sig == SIGINT || sig == SIGTERM)
				return 0;
			continue;
		}
		if (sig == SIGINT || sig == SIGTERM)
			kill(pid, sig);
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("firmware-stub: waitpid");
			return -1;
		}
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	return 0;
}

int
serve_run(const struct serve_cfg *c, char *const argv[], int *status)
{
	struct slot *s = NULL;
	pthread_attr_t attr;
	volatile int stop = 0;
	char path[600];
	sigset_t set, old;
	unsigned i;
	int r = -1;

	if (c->n < 1 || c->n > SERVE_MAX_BOARDS || c->port < 1 || c->port + c->n - 1 > 65535) {
		fprintf(stderr, "firmware-stub: serve: 1..%d boards on ports 1..65535\n",
		    SERVE_MAX_BOARDS);
		return -1;
	}
	/* a listening and a connected socket per board, the flash files, stdio and a margin */
	raise_nofile(2 * c->n + 64);
	if ((s = calloc(c->n, sizeof(*s))) == NULL)
		return -1;
	for (i = 0; i < c->n; i++)
		s[i].lfd = s[i].cfd = -1;
	for (i = 0; i < c->n; i++) {
		snprintf(path, sizeof(path), "%s/board-%u.flash", c->dir, i);
		if (board_open(&s[i].b, path, c->o) != 0)
			goto out;
		board_faults(&s[i].b, c->fc, i);
		s[i].index = i;
		s[i].rfc2217 = c->rfc2217;
		s[i].stop = &stop;
		s[i].cfd = -1;
		if (c->rfc2217) {
			s[i].b.tx = telnet_tx;
			s[i].b.tx_ctx = &s[i];
		}
		if ((s[i].lfd = listen_on(c, c->port + i)) < 0)
			goto out;
	}
	/* the board threads never take SIGINT/SIGTERM/SIGCHLD: this thread waits for them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	for (i = 0; i < c->n; i++) {
		s[i].started = pthread_create(&s[i].tid, &attr, board_main, &s[i]) == 0;
		if (!s[i].started) {
			fprintf(stderr, "firmware-stub: cannot start the thread of board %u\n", i);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	if (i == c->n) {
		/* with COMMAND, stdout is the command's (a station's JSON events) */
		if (argv == NULL && c->n > 1)
			printf("listening %s:%u-%u\n", c->host, c->port, c->port + c->n - 1);
		else if (argv == NULL)
			printf("listening %s:%u\n", c->host, c->port);
		fflush(stdout);
		r = wait_end(argv, &set, status);
	}
	stop = 1;
	for (i = 0; i < c->n; i++)
		if (s[i].started)
			pthread_join(s[i].tid, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	for (i = 0; s != NULL && i < c->n; i++) {
		board_end(&s[i].b);
		if (s[i].lfd >= 0)
			close(s[i].lfd);
		if (s[i].cfd >= 0)
			close(s[i].cfd);
	}
	free(s);
	return r;
}
