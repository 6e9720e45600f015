/* srv-fleet.c: the signer's side of the fleet registry (docs/fleet.md): the forwarder child it
 * starts and restarts; see srv.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet-registry.h"
#include "log.h"
#include "srv.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
spawn(struct srv *s)
{
	pid_t parent = getpid(), pid;
	int fd;

	s->fwd_starts++;
	if ((pid = fork()) < 0) {
		log_warn("cannot start the fleet forwarder: %s; trying again in 30 s", strerror(errno));
		s->fwd_next_ms = now_ms() + 30000;
		return;
	}
	if (pid == 0) {
		char *argv[] = { "station-signer", "forward", "--profile", s->prof.path, NULL };

		/* it ends with the signer; it holds none of the station's sockets nor the HSM's */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		for (fd = 3; fd < 1024; fd++)
			(void)close(fd);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* the station starts this process with SIGINT and SIGTERM blocked: the forwarder
		 * must see the SIGTERM that ends it */
		{
			sigset_t none;

			sigemptyset(&none);
			(void)sigprocmask(SIG_SETMASK, &none, NULL);
		}
		execv("/proc/self/exe", argv);
		log_error("cannot start the fleet forwarder: %s", strerror(errno));
		_exit(2);
	}
	s->fwd_pid = (int)pid;
	log_debug("fleet forwarder started (pid %d)", (int)pid);
}

void
srv_fleet_start(struct srv *s)
{
	if (!s->prof.fleet || s->fwd_pid > 0)
		return;
	spawn(s);
}

void
srv_fleet_tick(struct srv *s)
{
	int st = 0;
	pid_t r;

	if (!s->prof.fleet)
		return;
	if (s->fwd_pid > 0) {
		if ((r = waitpid((pid_t)s->fwd_pid, &st, WNOHANG)) == 0 || (r < 0 && errno == EINTR))
			return;
		s->fwd_pid = 0;
		/* 2: its configuration cannot work (said in its own words): not again and again */
		if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
			log_error("the fleet forwarder cannot run (see above); the line goes on with its "
			    "local record and nothing reaches the registry until the station restarts");
			s->fwd_next_ms = UINT64_MAX;
			return;
		}
		log_warn("the fleet forwarder ended (%s %d); starting it again",
		    WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		s->fwd_next_ms = now_ms() + (s->fwd_starts > 5 ? 30000 : 1000);
	}
	if (s->fwd_next_ms != UINT64_MAX && now_ms() >= s->fwd_next_ms)
		spawn(s);
}

void
srv_fleet_stop(struct srv *s)
{
	int st;

	if (s->fwd_pid > 0) {
		(void)kill((pid_t)s->fwd_pid, SIGTERM);
		(void)waitpid((pid_t)s->fwd_pid, &st, 0);
		s->fwd_pid = 0;
	}
	fleet_close(s->fleet);
	s->fleet = NULL;
}

int
srv_fleet_wait_ms(const struct srv *s)
{
	return s->prof.fleet ? 1000 : -1;
}
