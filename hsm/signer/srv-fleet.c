/* srv-fleet.c: the signer's side of the fleet registry (docs/fleet.md): the forwarder child it
 * starts and restarts; see srv.h. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet-registry.h"
#include "forward.h"
#include "log.h"
#include "registry.h"
#include "srv.h"
#include "util.h"


static void
spawn(struct srv *s)
{
	pid_t parent = getpid(), pid;
	int fd;

	s->fwd_starts++;
	if ((pid = fork()) < 0) {
		log_warn("cannot start the fleet forwarder: %s; trying again in 30 s", strerror(errno));
		s->fwd_next_ms = util_ms() + 30000;
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
		s->fwd_next_ms = util_ms() + (s->fwd_starts > 5 ? 30000 : 1000);
	}
	if (s->fwd_next_ms != UINT64_MAX && util_ms() >= s->fwd_next_ms)
		spawn(s);
}

void
srv_fleet_stop(struct srv *s)
{
	int st;

	if (s->fwd_pid > 0) {
		/* it ships what is left for up to 3 s (forward.c); a registry that does not answer
		 * does not hold the station's stop longer than 5 s */
		uint64_t until = util_ms() + 5000;

		(void)kill((pid_t)s->fwd_pid, SIGTERM);
		while (waitpid((pid_t)s->fwd_pid, &st, WNOHANG) == 0) {
			if (util_ms() >= until) {
				(void)kill((pid_t)s->fwd_pid, SIGKILL);
				(void)waitpid((pid_t)s->fwd_pid, &st, 0);
				break;
			}
			usleep(20000);
		}
		s->fwd_pid = 0;
	}
	fleet_close(s->fleet);
	s->fleet = NULL;
	free(s->blocks);
	s->blocks = NULL;
	s->nblocks = s->ablocks = 0;
}

int
srv_fleet_wait_ms(const struct srv *s)
{
	return s->prof.fleet ? 1000 : -1;
}

/* ---- leases ---- */

static int registry(struct srv *s);

static int
add_lease(void *ctx, const struct reg_lease *l)
{
	struct srv *s = ctx;
	int64_t t;

	if (l->quota) {
		if (strcmp(l->scope, s->lot) != 0)
			return 0;
		s->quota_leased += l->count;
		if ((t = audit_time_ms(l->time)) >= 0 && t / 1000 + l->ttl_s > s->quota_until)
			s->quota_until = t / 1000 + l->ttl_s;
		return 0;
	}
	if (strcmp(l->scope, s->prof.cert.product) != 0)
		return 0;
	if (s->nblocks == s->ablocks) {
		size_t na = s->ablocks ? s->ablocks * 2 : 16;
		void *nb = realloc(s->blocks, na * sizeof(*s->blocks));

		if (nb == NULL)
			return AUDIT_ERR_NOMEM;
		s->blocks = nb;
		s->ablocks = na;
	}
	s->blocks[s->nblocks][0] = l->first;
	s->blocks[s->nblocks][1] = l->count;
	s->blocks[s->nblocks][2] = l->id;
	s->nblocks++;
	s->block_total += l->count;
	return 0;
}

int
srv_fleet_session(struct srv *s)
{
	if (!s->prof.fleet)
		return 0;
	s->nblocks = 0;
	s->block_total = s->quota_leased = s->quota_until = 0;
	if (reg_fleet_leases(s->audit, add_lease, s) != 0)
		return -1;
	/* a fork recorded, or a registry ahead of the record, stops issuing from the first board,
	 * not from the next lease (an unreachable registry is tried again when a lease is due) */
	(void)registry(s);
	return 0;
}

/* The registry connection for a lease, opened when needed; -1 with s->fleet_why while it cannot
 * be (tried again at most every 10 s). */
static int
registry(struct srv *s)
{
	char conninfo[4096];
	uint64_t log_size = 0, cp_size = 0;
	int64_t next = 0, forks = 0;
	int r;

	if (s->fleet != NULL)
		return 0;
	if (util_ms() < s->fleet_retry_ms)
		return -1;
	s->fleet_retry_ms = util_ms() + 10000;
	if (forward_conninfo(&s->prof, conninfo, sizeof(conninfo), s->fleet_why,
	        sizeof(s->fleet_why)) != 0)
		return -1;
	r = fleet_open(conninfo, &s->fleet, s->fleet_why, sizeof(s->fleet_why));
	util_wipe(conninfo, sizeof(conninfo));
	if (r != FLEET_OK)
		return -1;
	/* a record restored from an old backup would use serials and quota it already used */
	if (fleet_next_seq(s->fleet, s->prof.station_id[0] ? s->prof.station_id : s->who.station,
	        &next, s->fleet_why, sizeof(s->fleet_why)) != 0 ||
	    fleet_station_forks(s->fleet, s->prof.station_id[0] ? s->prof.station_id : s->who.station,
	        &forks, s->fleet_why, sizeof(s->fleet_why)) != 0 ||
	    reg_log_sizes(s->audit, &log_size, &cp_size) != 0) {
		fleet_close(s->fleet);
		s->fleet = NULL;
		return -1;
	}
	if (forks > 0) {
		s->fleet_behind = 1;
		snprintf(s->fleet_why, sizeof(s->fleet_why), "the fleet registry recorded %lld fork(s) of "
		    "this station's history (a database restored or edited?): it must not issue "
		    "(docs/fleet.md)", (long long)forks);
		log_error("%s", s->fleet_why);
	} else if ((uint64_t)next > log_size) {
		s->fleet_behind = 1;
		snprintf(s->fleet_why, sizeof(s->fleet_why), "database restored from an old backup? The "
		    "fleet registry holds %lld entries of this station's log, the database %llu; it "
		    "must not issue (docs/fleet.md)", (long long)next, (unsigned long long)log_size);
		log_error("%s", s->fleet_why);
	}
	return 0;
}

static void
registry_failed(struct srv *s)
{
	fleet_close(s->fleet);
	s->fleet = NULL;
	s->fleet_retry_ms = util_ms() + 10000;
}

/* Asks the registry for a lease and records it (entry fleet.lease). 0, or -1 (s->fleet_why). */
static int
lease(struct srv *s, int quota)
{
	struct fleet_lease l;
	const char *station = s->prof.station_id[0] ? s->prof.station_id : s->who.station;
	const char *scope = quota ? s->lot : s->prof.cert.product;
	int64_t held = 0;
	int r;

	if (registry(s) != 0 || s->fleet_behind)
		return -1;
	if (quota) {
		r = fleet_lease_quota(s->fleet, station, scope, (int64_t)s->prof.fleet_quota_lease,
		    (unsigned)s->prof.fleet_lease_ttl, &l, s->fleet_why, sizeof(s->fleet_why));
		if (r == FLEET_ERR_NOLOT &&
		    (r = fleet_declare_lot(s->fleet, station, scope, (int64_t)s->prof.quota, &held,
		         s->fleet_why, sizeof(s->fleet_why))) == FLEET_OK) {
			if ((unsigned long)held != s->prof.quota)
				log_warn("lot %s: the fleet registry holds a quota of %lld (declared first by "
				    "another station), not this profile's %lu; the fleet's holds", scope,
				    (long long)held, s->prof.quota);
			r = fleet_lease_quota(s->fleet, station, scope, (int64_t)s->prof.fleet_quota_lease,
			    (unsigned)s->prof.fleet_lease_ttl, &l, s->fleet_why, sizeof(s->fleet_why));
		}
	} else
		r = fleet_lease_serials(s->fleet, station, scope, (int64_t)s->prof.fleet_serial_block,
		    (unsigned)s->prof.fleet_lease_ttl, &l, s->fleet_why, sizeof(s->fleet_why));
	if (r != FLEET_OK) {
		/* a fork recorded: the registry takes nothing more from this station, nor should it
		 * issue (it says so first) */
		if (r == FLEET_ERR_FORK)
			s->fleet_behind = 1;
		else if (r != FLEET_ERR_EXHAUSTED)
			registry_failed(s);
		return -1;
	}
	if (audit_log(s->audit, &s->who, "fleet.lease", NULL, NULL, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}",
	        "kind", quota ? "quota" : "serials", "scope", scope, "first", (json_int_t)l.first,
	        "count", (json_int_t)l.count, "ttl_s", (json_int_t)s->prof.fleet_lease_ttl,
	        "lease", (json_int_t)l.id)) != 0) {
		snprintf(s->fleet_why, sizeof(s->fleet_why), "the registry leased %s but the audit "
		    "database could not record it", quota ? "quota" : "serials");
		/* not asked again at once: a failing disk must not drain the lot's quota */
		s->fleet_retry_ms = util_ms() + 10000;
		fleet_close(s->fleet);
		s->fleet = NULL;
		return -1;
	}
	log_info("fleet lease %lld: %s %lld %s %s", (long long)l.id, quota ? "quota" : "serials",
	    (long long)l.count, quota ? "certificates of lot" : "numbers of", scope);
	/* as srv_fleet_session will read it back from the record (now as its time) */
	{
		struct reg_lease rl;

		memset(&rl, 0, sizeof(rl));
		rl.quota = quota;
		snprintf(rl.scope, sizeof(rl.scope), "%s", scope);
		util_utc_now(rl.time, sizeof(rl.time));
		rl.id = l.id;
		rl.first = l.first;
		rl.count = l.count;
		rl.ttl_s = (int64_t)s->prof.fleet_lease_ttl;
		return add_lease(s, &rl) == 0 ? 0 : -1;
	}
}

int
srv_fleet_serial(struct srv *s, int64_t *expect_n, int64_t *number, int64_t *lease_id, char *why,
    size_t cap)
{
	int64_t n = 0, pos;
	size_t i;

	*number = 0;
	if (!s->prof.fleet)
		return 0;
	if (s->fleet_behind) {
		snprintf(why, cap, "%s", s->fleet_why);
		return -1;
	}
	if (reg_serial_next(s->audit, s->prof.cert.product, &n) != 0) {
		snprintf(why, cap, "cannot read the serial counter from the audit database");
		return -1;
	}
	/* a new block before the last one runs out: the line does not wait on the registry */
	if (n + (int64_t)s->prof.fleet_serial_block / 4 > s->block_total)
		(void)lease(s, 0);
	if (s->fleet_behind) {
		snprintf(why, cap, "%s", s->fleet_why);
		return -1;
	}
	if (n > s->block_total) {
		snprintf(why, cap, "no product serial left in this station's leases (%lld leased) and "
		    "the fleet registry leases none: %s", (long long)s->block_total, s->fleet_why);
		return -1;
	}
	for (i = 0, pos = n; i < s->nblocks; i++) {
		if (pos <= s->blocks[i][1]) {
			*expect_n = n;
			*number = s->blocks[i][0] + pos - 1;
			*lease_id = s->blocks[i][2];
			return 0;
		}
		pos -= s->blocks[i][1];
	}
	snprintf(why, cap, "the serial blocks do not add up (internal error)");
	return -1;
}

int
srv_fleet_quota(struct srv *s, char *why, size_t cap)
{
	int64_t now = (int64_t)time(NULL);

	if (!s->prof.fleet)
		return 0;
	if (s->fleet_behind) {
		snprintf(why, cap, "%s", s->fleet_why);
		return -1;
	}
	if ((int64_t)s->lot_used + (int64_t)s->prof.fleet_quota_lease / 4 >= s->quota_leased ||
	    now >= s->quota_until)
		(void)lease(s, 1);
	if (s->fleet_behind) {
		snprintf(why, cap, "%s", s->fleet_why);
		return -1;
	}
	if ((int64_t)s->lot_used >= s->quota_leased) {
		snprintf(why, cap, "lot %s: this station has used the %lld certificates of the lot's "
		    "fleet quota leased to it, and the fleet registry leases no more: %s", s->lot,
		    (long long)s->quota_leased, s->fleet_why);
		return -1;
	}
	if (now >= s->quota_until) {
		snprintf(why, cap, "lot %s: this station's quota lease expired and the fleet registry "
		    "does not renew it: %s", s->lot, s->fleet_why);
		return -1;
	}
	return 0;
}
