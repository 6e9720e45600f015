/*
 * privsep.h: privilege separation of the station (OpenSSH style, docs/threat-model.md).
 *
 * Two modes, decided once by privsep_init from the effective uid:
 *  - service (started as root, as a system service is): station-signer runs as the system user
 *    "station-signer" (PIN, PKCS#11 session, audit database) and the board-facing station
 *    process, which parses hostile bytes from boards, drops to the system user "station"
 *    (groups: its own, plus dialout and plugdev when they exist, for the fixtures). A board
 *    that takes over the station process then holds neither root nor the signer's files.
 *  - developer (started as an ordinary user, `make demo`): both processes keep that one uid.
 *    The process boundary still keeps PKCS#11 and the PIN out of the station's memory, but the
 *    station could ptrace or signal the signer: the boundary is weaker.
 * In both modes the station hardens itself (not dumpable, no core files, no_new_privs).
 *
 * Order in the station (service mode): privsep_init; start the signer, its child calling
 * privsep_become_signer between fork and exec; privsep_drop_station; sandbox_enter (sandbox.h);
 * only then threads and board I/O. The users come from scripts/users.sh (run by make install).
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include <stddef.h>
#include <sys/types.h>

#include "caps.h"

#define PRIVSEP_USER_STATION "station"
#define PRIVSEP_USER_SIGNER "station-signer"

enum privsep_rc {
	PRIVSEP_OK = 0,
	PRIVSEP_ERR_NOUSER = -1,     /* service mode and a system user is missing */
	PRIVSEP_ERR_LOOKUP = -2,     /* the user or group database could not be read */
	PRIVSEP_ERR_SETID = -3,      /* setgroups/setresgid/setresuid refused */
	PRIVSEP_ERR_STILL_ROOT = -4, /* after the switch, root could be regained: must not go on */
	PRIVSEP_ERR_HARDEN = -5,     /* prctl or setrlimit refused */
	PRIVSEP_ERR_ARG = -6
};

enum privsep_mode { PRIVSEP_DEVELOPER = 0, PRIVSEP_SERVICE = 1 };

/* One identity to switch to. */
struct privsep_id {
	char name[CAP_USERNAME];
	uid_t uid;
	gid_t gid;                          /* primary group */
	gid_t groups[CAP_GROUPS];   /* supplementary groups to keep, groups[0] == gid */
	size_t ngroups;
};

struct privsep {
	enum privsep_mode mode;
	uid_t uid;                  /* developer mode: the one uid of both processes */
	struct privsep_id station;  /* service mode only */
	struct privsep_id signer;   /* service mode only */
};

/*
 * Decides the mode: service when the effective uid is 0, else developer. In service mode looks
 * up PRIVSEP_USER_STATION and PRIVSEP_USER_SIGNER (getpwnam_r) and the fixture groups dialout
 * and plugdev (added to the station user's groups when they exist). Changes no credential.
 * Returns 0 with *ps filled; PRIVSEP_ERR_NOUSER when a user is missing (why says to run
 * scripts/users.sh or make install as root); PRIVSEP_ERR_LOOKUP when the database could not be
 * read (why has the errno text). *ps is set only on success.
 */
int privsep_init(struct privsep *ps, char *why, size_t cap);

/*
 * Looks up the system user name: uid, primary group, and groups = { primary group } plus each
 * of the extra groups (NULL-terminated list of names, may be NULL) that exists, at most
 * CAP_GROUPS in all. PRIVSEP_ERR_NOUSER when name has no entry; PRIVSEP_ERR_LOOKUP
 * when the database could not be read; PRIVSEP_ERR_ARG for a name too long. *out only on success.
 */
int privsep_lookup(const char *name, const char *const *extra, struct privsep_id *out, char *why,
    size_t cap);

/*
 * Switches every uid and gid of the calling process to id for good: setgroups(id->groups),
 * setresgid(gid x3), setresuid(uid x3), then checks that getresuid/getresgid show only id and
 * that setuid(0) and setgid(0) now fail. Needs root (CAP_SETUID/CAP_SETGID). Only system calls:
 * safe between fork and exec, also in a child of a multi-threaded process (no allocation, no
 * lock, no logging). Returns 0; PRIVSEP_ERR_SETID when a call was refused (errno kept);
 * PRIVSEP_ERR_STILL_ROOT when root could be regained. On error the process is in an unknown
 * mix of identities: it must exit (_exit in a child).
 */
int privsep_switch(const struct privsep_id *id);

/*
 * For the child that is about to exec station-signer (between fork and exec): service mode,
 * privsep_switch to the signer user with its own group only; developer mode, nothing.
 * Same codes and same async-signal-safety as privsep_switch.
 */
int privsep_become_signer(const struct privsep *ps);

/* privsep_become_signer shaped as a hook that takes void * (arg: a const struct privsep *), for
 * a launcher that calls it between fork and exec without knowing this header. */
int privsep_become_signer_cb(void *arg);

/* The uid the board-facing process runs under once privsep_drop_station has run: the station
 * user's in service mode, the caller's in developer mode (what the signer is told to expect). */
uid_t privsep_station_uid(const struct privsep *ps);

/*
 * For the board-facing station process, before it reads anything from a board and before it
 * starts threads (glibc applies set*id to every thread, but the sandbox must come first anyway):
 * service mode, privsep_switch to the station user (keeping dialout and plugdev); both modes,
 * then privsep_harden. Returns 0 or the code of the step that failed, with why for people;
 * on error the process must exit.
 */
int privsep_drop_station(const struct privsep *ps, char *why, size_t cap);

/*
 * Hardens the calling process: PR_SET_DUMPABLE 0 (no ptrace by same-uid processes, /proc/self
 * owned by root, no core), RLIMIT_CORE 0 (soft and hard), PR_SET_NO_NEW_PRIVS 1 (no privilege
 * gained through exec of a set-uid program or file capabilities). 0 or PRIVSEP_ERR_HARDEN with
 * why (errno text).
 */
int privsep_harden(char *why, size_t cap);

/* The mode for people (`station ca info`): "service: station uid N, signer uid M" or
 * "developer: one uid (N), the boundary is weaker". Truncated to cap. */
void privsep_describe(const struct privsep *ps, char *out, size_t cap);

const char *privsep_strerror(int rc);

#endif
