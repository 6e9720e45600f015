/*
 * test-privsep.c: privsep.h. Mode selection, user lookup, the text for `station ca info`, and,
 * when run as root, the switch itself: in a forked child, become the station user (or `nobody`
 * where scripts/users.sh has not been run), then check the ids, that root cannot be regained,
 * and that the process is hardened (not dumpable, no core, no_new_privs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"
#include "util.h"

static const char *const check_name[] = {
	"all held",
	"privsep_switch failed",
	"getuid/geteuid/getgid/getegid are not the target's",
	"setuid(0) succeeded after the switch",
	"supplementary groups are not the ones asked for",
	"privsep_harden failed",
	"PR_GET_DUMPABLE is not 0",
	"/proc/self/status is not owned by root (the sign of a non-dumpable process)",
	"/proc/self/status does not show NoNewPrivs: 1",
	"RLIMIT_CORE is not 0",
	"developer mode changed the uid",
	"privsep_become_signer in developer mode did something",
	"privsep_become_signer in service mode: not the signer user with its own group only",
};

static struct privsep_id target;

static void
expect_held(int rc)
{
	if (rc != 0)
		fail_msg("check %d: %s", rc, rc > 0 && (size_t)rc < sizeof(check_name) /
		    sizeof(check_name[0]) ? check_name[rc] : "?");
}

static int
nnp_line(void *ctx, const char *line)
{
	(void)ctx;
	return strcmp(line, "NoNewPrivs:\t1") == 0;
}

/* Dumpable off, core 0, no_new_privs, seen from inside. 0 or the check number. */
static int
check_hardened(void)
{
	struct rlimit rl;
	struct stat st;

	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 6;
	/* /proc/<pid>/status has no "Dumpable" line; what dumpable 0 changes there is the owner of
	 * the process's /proc files, which becomes root (kernel task_dump_owner). Only telling
	 * when the process is not root itself. */
	if (stat("/proc/self/status", &st) != 0 || (getuid() != 0 && st.st_uid != 0))
		return 7;
	if (util_each_line("/proc/self/status", nnp_line, NULL) != 1)
		return 8;
	if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 9;
	return 0;
}

static int
child_switch(void)
{
	gid_t g[CAP_GROUPS + 8];
	char why[CAP_REASON];
	int n, i, k;

	if (privsep_switch(&target) != 0)
		return 1;
	if (getuid() != target.uid || geteuid() != target.uid || getgid() != target.gid ||
	    getegid() != target.gid)
		return 2;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 3;
	if ((n = getgroups((int)(sizeof(g) / sizeof(g[0])), g)) != (int)target.ngroups)
		return 4;
	for (i = 0; i < n; i++) {
		for (k = 0; k < n && g[k] != target.groups[i]; k++)
			;
		if (k == n)
			return 4;
	}
	if (privsep_harden(why, sizeof(why)) != 0)
		return 5;
	return check_hardened();
}

/* The project's user when scripts/users.sh has run, else nobody. */
static int
pick_target(void)
{
	static const char *const extra[] = { "dialout", "plugdev", NULL };
	char why[CAP_REASON];

	if (privsep_lookup(PRIVSEP_USER_STATION, extra, &target, why, sizeof(why)) == 0)
		return 0;
	return privsep_lookup("nobody", NULL, &target, why, sizeof(why));
}

static void
test_switch_as_root(void **state)
{
	if (geteuid() != 0)
		skip(); /* needs root: CI and `sudo make unit` run it */
	assert_int_equal(pick_target(), 0);
	assert_true(target.uid != 0);
	expect_held(helpers_in_child(child_switch));
}

static struct privsep service;

/* What the signer's child does between fork and exec in service mode. */
static int
child_signer(void)
{
	gid_t g[8];

	if (privsep_become_signer_cb(&service) != 0)
		return 1;
	if (getuid() != service.signer.uid || geteuid() != service.signer.uid ||
	    getgid() != service.signer.gid || getgroups(8, g) != 1 || g[0] != service.signer.gid)
		return 12;
	if (setuid(0) != -1)
		return 3;
	return 0;
}

static void
test_become_signer_as_root(void **state)
{
	char why[CAP_REASON];

	if (geteuid() != 0 || privsep_init(&service, why, sizeof(why)) != 0)
		skip(); /* needs root and the users of scripts/users.sh */
	assert_int_equal(service.mode, PRIVSEP_SERVICE);
	expect_held(helpers_in_child(child_signer));
}

/* The station drop in developer mode: same uid, hardened all the same. */
static int
child_developer(void)
{
	struct privsep ps;
	char why[CAP_REASON];
	uid_t u = getuid();

	memset(&ps, 0, sizeof(ps));
	ps.mode = PRIVSEP_DEVELOPER;
	ps.uid = u;
	if (privsep_become_signer(&ps) != 0 || privsep_become_signer_cb(&ps) != 0 || getuid() != u)
		return 11;
	if (privsep_drop_station(&ps, why, sizeof(why)) != 0)
		return 5;
	if (getuid() != u || geteuid() != u)
		return 10;
	return check_hardened();
}

static void
test_developer_mode_keeps_uid(void **state)
{
	expect_held(helpers_in_child(child_developer));
}

static void
test_init(void **state)
{
	struct privsep ps;
	char why[CAP_REASON] = "";
	int r;

	memset(&ps, 0xa5, sizeof(ps));
	r = privsep_init(&ps, why, sizeof(why));
	if (geteuid() != 0) {
		assert_int_equal(r, 0);
		assert_int_equal(ps.mode, PRIVSEP_DEVELOPER);
		assert_int_equal(ps.uid, getuid());
		return;
	}
	if (r == PRIVSEP_ERR_NOUSER) {
		/* Root without scripts/users.sh: the message says what to do. */
		assert_non_null(strstr(why, "scripts/users.sh"));
		assert_non_null(strstr(why, "make install"));
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(ps.mode, PRIVSEP_SERVICE);
	assert_string_equal(ps.station.name, PRIVSEP_USER_STATION);
	assert_string_equal(ps.signer.name, PRIVSEP_USER_SIGNER);
	assert_true(ps.station.uid != 0 && ps.signer.uid != 0 && ps.station.uid != ps.signer.uid);
	/* The signer keeps its own group only. */
	assert_int_equal(ps.signer.ngroups, 1);
	assert_int_equal(ps.signer.groups[0], ps.signer.gid);
	assert_int_equal(ps.station.groups[0], ps.station.gid);
}

static void
test_lookup(void **state)
{
	static const char *const extra[] = { "no-such-group-station-test", "root", "root", NULL };
	struct privsep_id id;
	char why[CAP_REASON] = "", longname[CAP_USERNAME + 8];

	memset(&id, 0xa5, sizeof(id));
	assert_int_equal(privsep_lookup("no-such-user-station-test", NULL, &id, why, sizeof(why)),
	    PRIVSEP_ERR_NOUSER);
	assert_non_null(strstr(why, "no-such-user-station-test"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(privsep_lookup(longname, NULL, &id, why, sizeof(why)), PRIVSEP_ERR_ARG);
	/* A missing extra group is skipped, a repeated one kept once. */
	assert_int_equal(privsep_lookup("nobody", extra, &id, why, sizeof(why)), 0);
	assert_int_equal(id.ngroups, 2);
	assert_int_equal(id.groups[0], id.gid);
	assert_int_equal(id.groups[1], 0);
}

static void
test_switch_refuses_root_target(void **state)
{
	struct privsep_id id;

	memset(&id, 0, sizeof(id));
	id.ngroups = 1; /* uid 0, gid 0: never a target */
	assert_int_equal(privsep_switch(&id), PRIVSEP_ERR_ARG);
	assert_int_equal(privsep_switch(NULL), PRIVSEP_ERR_ARG);
}

static void
test_describe(void **state)
{
	struct privsep ps;
	char out[CAP_REASON];

	memset(&ps, 0, sizeof(ps));
	ps.mode = PRIVSEP_SERVICE;
	ps.station.uid = 995;
	ps.signer.uid = 999;
	privsep_describe(&ps, out, sizeof(out));
	assert_string_equal(out, "service: station uid 995, signer uid 999");
	assert_int_equal(privsep_station_uid(&ps), 995);
	ps.mode = PRIVSEP_DEVELOPER;
	ps.uid = 1000;
	privsep_describe(&ps, out, sizeof(out));
	assert_string_equal(out, "developer: one uid (1000), the boundary is weaker");
	assert_int_equal(privsep_station_uid(&ps), 1000);
	privsep_describe(&ps, out, 10);
	assert_string_equal(out, "developer");
	assert_string_equal(privsep_strerror(PRIVSEP_ERR_STILL_ROOT),
	    "root could still be regained after the switch");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_switch_refuses_root_target),
		cmocka_unit_test(test_developer_mode_keeps_uid),
		cmocka_unit_test(test_switch_as_root),
		cmocka_unit_test(test_become_signer_as_root),
	};

	log_init("test-privsep", getenv("TEST_VERBOSE") != NULL ? LOG_DEBUG : -1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
