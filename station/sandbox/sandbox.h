/*
 * sandbox.h: confines the board-facing station process after privsep_drop_station (privsep.h),
 * so that a board which takes over its parser reaches as little of the system as possible.
 *
 * Two layers, both inherited by threads created later and kept across fork:
 *  - Landlock: only the given paths, each with its access class (enum sandbox_access);
 *    executing a file, making devices, FIFOs or symlinks and moving files between directories
 *    are refused everywhere. Rules attach to the inodes the paths name when sandbox_enter runs:
 *    give directories for anything created later (a re-plugged adapter is a new /dev node, so
 *    fixtures need /dev, not /dev/ttyUSB0). File descriptors opened before (the signer socket)
 *    keep working: Landlock checks opens, not reads and writes. With ABI 4 no TCP port may be
 *    bound or connected; with ABI 6 no abstract UNIX socket outside the sandbox may be reached
 *    and no process outside it signalled. Uses min(kernel's ABI, 6), whatever the build's
 *    headers know (sandbox_landlock_abi). Not restricted at any ABI: stat, chmod/chown of
 *    reachable files, connect() to a pathname UNIX socket.
 *  - seccomp (libseccomp): a DENY-LIST, not an allow-list. Every system call is allowed except
 *    a list (ptrace, process_vm_*, execve/execveat, mount and the new mount API, pivot_root,
 *    chroot, kexec_*, module loading, bpf, keyrings, personality, unshare/setns and namespace
 *    flags of clone, perf_event_open, userfaultfd, io_uring, reboot, swapon/off, the set*id
 *    family, the TIOCSTI and TIOCLINUX ioctls, sockets other than UNIX, netlink and IPv4/IPv6
 *    TCP: sandbox_enter_net), which fails with EPERM (clone3 with ENOSYS,
 *    so that glibc falls back to clone,
 *    whose flags can be checked). A kernel bug in a system call that is not on the list is still
 *    reachable: the list removes the usual escalation paths, it does not make the process safe.
 *    System calls of another ABI (i386 or x32 on x86-64) kill the process. Sanitizer builds
 *    (make asan) allow ptrace, which LeakSanitizer needs at exit; Landlock still confines it.
 *
 * Threads: Landlock's landlock_restrict_self confines the calling thread only (and threads it
 * creates afterwards). sandbox_enter therefore must be called from the main thread BEFORE any
 * other thread exists (worker threads, the checkpoint scheduler, libusb's event thread, which
 * libusb_init starts); it checks /proc/self/status and refuses with SANDBOX_ERR_THREADS
 * otherwise. The seccomp filter is loaded with TSYNC as well, which is then a no-op safeguard.
 * The signer must have been started before: execve is refused afterwards.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

#include "caps.h"

/* 1 in sanitizer builds: LeakSanitizer stops the process's threads with ptrace at exit to scan
 * their stacks; with ptrace denied it dies ("LeakSanitizer has encountered a fatal error").
 * Sanitizer builds (make asan; never shipped) therefore leave ptrace off the deny-list; Landlock
 * still refuses to trace any process outside the sandbox. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_PTRACE_ALLOWED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_PTRACE_ALLOWED 1
#endif
#endif
#ifndef SANDBOX_PTRACE_ALLOWED
#define SANDBOX_PTRACE_ALLOWED 0
#endif

enum sandbox_rc {
	SANDBOX_OK = 0,
	/* The kernel has no Landlock (too old, or not in lsm= at boot): no_new_privs and the
	 * seccomp filter ARE in place, file access is NOT restricted. The caller may warn and go
	 * on (developer machines), or refuse (a policy that requires it). */
	SANDBOX_ERR_NOLANDLOCK = -1,
	SANDBOX_ERR_THREADS = -2,  /* more than one thread (or /proc unreadable): nothing applied */
	SANDBOX_ERR_PATH = -3,     /* a path could not be opened for its rule: nothing applied */
	SANDBOX_ERR_LANDLOCK = -4, /* Landlock refused the ruleset: no_new_privs at most applied */
	SANDBOX_ERR_SECCOMP = -5,  /* the filter could not be built (nothing applied) or loaded
	                            * (Landlock IS applied): the caller must exit either way */
	SANDBOX_ERR_ARG = -6       /* NULL path, unknown class, or more than CAP_SANDBOX_PATHS */
};

/* What a rule grants beneath its path. */
enum sandbox_access {
	SANDBOX_READ = 1,    /* read files, list directories */
	SANDBOX_DEVICES = 2, /* also open for writing and use device ioctls (ABI 5); create nothing */
	SANDBOX_SPOOL = 3,   /* create regular files, write, rename and remove them, list the
	                      * directory; never read a file */
	SANDBOX_RW = 4,      /* read, write, create and remove files, directories and UNIX sockets */
	SANDBOX_LABELS = 5   /* read files, list the directory, remove files; create and write
	                      * nothing (the label printer helper, label-printer.h) */
};

struct sandbox_rule {
	const char *path;
	enum sandbox_access access;
};

/*
 * Enters the sandbox for the rest of the process's life (there is no way out): sets
 * PR_SET_NO_NEW_PRIVS, restricts the process with Landlock to rules[0..n) (at most
 * CAP_SANDBOX_PATHS), then loads the seccomp deny-list filter. A path that does not exist is
 * skipped (logged at debug level); any other failure to open one is SANDBOX_ERR_PATH. Call from
 * the main thread of a single-threaded process (see the file comment).
 * Returns 0 when both layers are in place; SANDBOX_ERR_NOLANDLOCK when only the seccomp
 * filter is (a warning for the caller); any other code means the caller must not go on to
 * read from boards (exit): which layers are then in place is given with each code above.
 * why gets a sentence for people on every non-zero return (may be NULL).
 */
int sandbox_enter(const struct sandbox_rule *rules, size_t n, char *why, size_t cap);

/*
 * sandbox_enter, with connecting to TCP ports[0..nports) allowed (at most CAP_SANDBOX_PORTS, each
 * 1..65535): Landlock (ABI 4) restricts TCP by port, not by address: any host on those ports.
 * Binding stays refused. Below ABI 4 TCP is not restricted at all (as for sandbox_enter).
 * SANDBOX_ERR_ARG for a bad port list; otherwise as sandbox_enter.
 */
int sandbox_enter_ports(const struct sandbox_rule *rules, size_t n, const unsigned *ports,
    size_t nports, char *why, size_t cap);

/*
 * sandbox_enter_ports, and with dns != 0 IPv4/IPv6 datagram sockets (UDP) are allowed as well,
 * for a process that resolves names after it entered the sandbox (the label printer helper).
 * Without dns (sandbox_enter, sandbox_enter_ports) the only IPv4/IPv6 sockets are TCP: the
 * seccomp filter refuses socket() for datagram, raw and other types, for protocols other than
 * 0 and IPPROTO_TCP (MPTCP and SCTP would escape Landlock's TCP port rules) and, in both
 * cases, for every family but AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK.
 */
int sandbox_enter_net(const struct sandbox_rule *rules, size_t n, const unsigned *ports,
    size_t nports, int dns, char *why, size_t cap);

/* The Landlock ABI sandbox_enter would use: min(kernel's, 6), 0 when the kernel has none.
 * For diagnostics (`station ca info`). */
int sandbox_landlock_abi(void);

const char *sandbox_strerror(int rc);

#endif
