/* privsep.c: privilege separation of the station; see privsep.h. */
#include "privsep.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"

static const char *const fixture_groups[] = { "dialout", "plugdev", NULL };

/* glibc answers "no such entry" with 0 and a NULL result; other NSS modules with one of these. */
static int
not_found(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

/* Grows *buf (4 KiB, doubling) after ERANGE, up to CAP_PW_BUF. 0, or -1 with errno. */
static int
grow(char **buf, size_t *len)
{
	size_t n = *len == 0 ? 4096 : *len * 2;
	char *p;

	if (n > CAP_PW_BUF) {
		errno = ERANGE;
		return -1;
	}
	if ((p = realloc(*buf, n)) == NULL)
		return -1;
	*buf = p;
	*len = n;
	return 0;
}

/* Looks up group name: 1 found (*gid set), 0 no such group, -1 error (errno). */
static int
group_gid(const char *name, gid_t *gid)
{
	struct group g, *res = NULL;
	char *buf = NULL;
	size_t len = 0;
	int e = ERANGE, r = -1;

	while (e == ERANGE) {
		if (grow(&buf, &len) != 0)
			goto out;
		e = getgrnam_r(name, &g, buf, len, &res);
	}
	if (res == NULL) {
		if (!not_found(e)) {
			errno = e;
			goto out;
		}
		r = 0;
		goto out;
	}
	*gid = g.gr_gid;
	r = 1;
out:
	free(buf);
	return r;
}

int
privsep_lookup(const char *name, const char *const *extra, struct privsep_id *out, char *why,
    size_t cap)
{
	struct privsep_id id;
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	size_t len = 0, i, k;
	gid_t g;
	int e = ERANGE, r = PRIVSEP_ERR_LOOKUP, f;

	if (name == NULL || out == NULL || strlen(name) >= sizeof(id.name)) {
		util_why(why, cap, "bad user name");
		return PRIVSEP_ERR_ARG;
	}
	memset(&id, 0, sizeof(id));
	while (e == ERANGE) {
		if (grow(&buf, &len) != 0) {
			util_why(why, cap, "cannot look up user '%s': %s", name, strerror(errno));
			goto out;
		}
		e = getpwnam_r(name, &pw, buf, len, &res);
	}
	if (res == NULL) {
		if (!not_found(e)) {
			util_why(why, cap, "cannot look up user '%s' in the user database: %s", name,
			    strerror(e));
			goto out;
		}
		util_why(why, cap, "there is no system user '%s'", name);
		r = PRIVSEP_ERR_NOUSER;
		goto out;
	}
	snprintf(id.name, sizeof(id.name), "%s", name);
	id.uid = pw.pw_uid;
	id.gid = pw.pw_gid;
	id.groups[0] = pw.pw_gid;
	id.ngroups = 1;
	for (i = 0; extra != NULL && extra[i] != NULL && id.ngroups < CAP_GROUPS; i++) {
		if ((f = group_gid(extra[i], &g)) < 0) {
			util_why(why, cap, "cannot look up group '%s': %s", extra[i], strerror(errno));
			goto out;
		}
		if (f == 0)
			continue; /* no such group on this system: nothing to keep */
		for (k = 0; k < id.ngroups && id.groups[k] != g; k++)
			;
		if (k == id.ngroups)
			id.groups[id.ngroups++] = g;
	}
	*out = id;
	r = 0;
out:
	free(buf);
	return r;
}

int
privsep_init(struct privsep *ps, char *why, size_t cap)
{
	struct privsep p;
	char detail[CAP_REASON];
	int r;

	if (ps == NULL)
		return PRIVSEP_ERR_ARG;
	memset(&p, 0, sizeof(p));
	p.uid = getuid();
	if (geteuid() != 0) {
		p.mode = PRIVSEP_DEVELOPER;
		*ps = p;
		return 0;
	}
	p.mode = PRIVSEP_SERVICE;
	if ((r = privsep_lookup(PRIVSEP_USER_SIGNER, NULL, &p.signer, detail, sizeof(detail))) != 0 ||
	    (r = privsep_lookup(PRIVSEP_USER_STATION, fixture_groups, &p.station, detail,
	        sizeof(detail))) != 0) {
		if (r == PRIVSEP_ERR_NOUSER)
			util_why(why, cap, "started as root, the station runs the signer as system user '%s' "
			    "and itself as '%s', but %s; create them with 'scripts/users.sh' or "
			    "'make install' as root (or start the station as an ordinary user)",
			    PRIVSEP_USER_SIGNER, PRIVSEP_USER_STATION, detail);
		else
			util_why(why, cap, "%s", detail);
		return r;
	}
	/* A user mapped to root would make the whole separation a no-op: refuse it. */
	if (p.signer.uid == 0 || p.station.uid == 0 || p.signer.gid == 0 || p.station.gid == 0 ||
	    p.signer.uid == p.station.uid) {
		util_why(why, cap, "system users '%s' (uid %u) and '%s' (uid %u) must be two distinct users "
		    "other than root, with groups other than root; fix /etc/passwd",
		    PRIVSEP_USER_SIGNER, (unsigned)p.signer.uid, PRIVSEP_USER_STATION,
		    (unsigned)p.station.uid);
		return PRIVSEP_ERR_NOUSER;
	}
	*ps = p;
	return 0;
}

/* Only system calls from here to privsep_become_signer: see privsep.h (between fork and exec). */
int
privsep_switch(const struct privsep_id *id)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (id == NULL || id->ngroups < 1 || id->ngroups > CAP_GROUPS || id->uid == 0 ||
	    id->gid == 0) {
		errno = EINVAL;
		return PRIVSEP_ERR_ARG;
	}
	/* Groups first: once the uid is gone, setgroups/setresgid are no longer allowed. */
	if (setgroups(id->ngroups, id->groups) != 0 || setresgid(id->gid, id->gid, id->gid) != 0 ||
	    setresuid(id->uid, id->uid, id->uid) != 0)
		return PRIVSEP_ERR_SETID;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != id->uid ||
	    eu != id->uid || su != id->uid || rg != id->gid || eg != id->gid || sg != id->gid)
		return PRIVSEP_ERR_STILL_ROOT;
	/* OpenSSH's permanently_set_uid check: a saved root uid (or a kernel that ignored us)
	 * would let this succeed. */
	if (setuid(0) != -1 || setgid(0) != -1) {
		errno = EPERM;
		return PRIVSEP_ERR_STILL_ROOT;
	}
	return 0;
}

int
privsep_become_signer(const struct privsep *ps)
{
	if (ps == NULL)
		return PRIVSEP_ERR_ARG;
	if (ps->mode != PRIVSEP_SERVICE)
		return 0;
	/* ps->signer.groups holds its own group only (privsep_init asks for no extra groups). */
	return privsep_switch(&ps->signer);
}

int
privsep_become_signer_cb(void *arg)
{
	return privsep_become_signer(arg);
}

uid_t
privsep_station_uid(const struct privsep *ps)
{
	return ps->mode == PRIVSEP_SERVICE ? ps->station.uid : ps->uid;
}

int
privsep_harden(char *why, size_t cap)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		util_why(why, cap, "cannot make the process non-dumpable: %s", strerror(errno));
		return PRIVSEP_ERR_HARDEN;
	}
	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		util_why(why, cap, "cannot turn core files off: %s", strerror(errno));
		return PRIVSEP_ERR_HARDEN;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		util_why(why, cap, "cannot set no_new_privs: %s", strerror(errno));
		return PRIVSEP_ERR_HARDEN;
	}
	return 0;
}

int
privsep_drop_station(const struct privsep *ps, char *why, size_t cap)
{
	int r;

	if (ps == NULL)
		return PRIVSEP_ERR_ARG;
	if (ps->mode == PRIVSEP_SERVICE && (r = privsep_switch(&ps->station)) != 0) {
		util_why(why, cap, "cannot switch the station process to system user '%s' (uid %u): %s%s%s",
		    ps->station.name, (unsigned)ps->station.uid, privsep_strerror(r),
		    r == PRIVSEP_ERR_SETID ? ": " : "", r == PRIVSEP_ERR_SETID ? strerror(errno) : "");
		return r;
	}
	return privsep_harden(why, cap);
}

void
privsep_describe(const struct privsep *ps, char *out, size_t cap)
{
	if (out == NULL || cap == 0)
		return;
	if (ps != NULL && ps->mode == PRIVSEP_SERVICE)
		snprintf(out, cap, "service: station uid %u, signer uid %u", (unsigned)ps->station.uid,
		    (unsigned)ps->signer.uid);
	else
		snprintf(out, cap, "developer: one uid (%u), the boundary is weaker",
		    ps != NULL ? (unsigned)ps->uid : (unsigned)getuid());
}

const char *
privsep_strerror(int rc)
{
	switch (rc) {
	case PRIVSEP_OK: return "success";
	case PRIVSEP_ERR_NOUSER: return "a system user of privilege separation is missing";
	case PRIVSEP_ERR_LOOKUP: return "the user database could not be read";
	case PRIVSEP_ERR_SETID: return "the system refused to change the user or group ids";
	case PRIVSEP_ERR_STILL_ROOT: return "root could still be regained after the switch";
	case PRIVSEP_ERR_HARDEN: return "the process could not be hardened";
	case PRIVSEP_ERR_ARG: return "bad argument";
	default: return "unknown privilege separation error";
	}
}
