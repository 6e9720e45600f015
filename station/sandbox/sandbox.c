/* sandbox.c: Landlock file rules and a seccomp deny-list for the station; see sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* The newest Landlock ABI the headers we were built with describe; sandbox_enter uses
 * min(this, the kernel's). Debian 12's linux-libc-dev (6.1) stops at 2. */
#if defined(LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF)
#define HDR_ABI 7
#elif defined(LANDLOCK_SCOPE_SIGNAL)
#define HDR_ABI 6
#elif defined(LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define HDR_ABI 5
#elif defined(LANDLOCK_ACCESS_NET_BIND_TCP)
#define HDR_ABI 4
#elif defined(LANDLOCK_ACCESS_FS_TRUNCATE)
#define HDR_ABI 3
#elif defined(LANDLOCK_ACCESS_FS_REFER)
#define HDR_ABI 2
#else
#define HDR_ABI 1
#endif

/* Rights a non-directory can carry (others make landlock_add_rule fail with EINVAL). */
#define FILE_RIGHTS_V1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE)
#define RO_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* MAKE_SOCK: binding a UNIX socket makes a file. The station needs it only under umockdev, whose
 * preload turns libusb's uevent netlink socket into a UNIX socket bound in the testbed
 * ($UMOCKDEV_DIR/event<fd>); in a real rw directory it lets the station make a socket file that
 * nobody trusts, which gains it nothing. */
#define RW_RIGHTS_V1 (RO_RIGHTS | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK)

static void __attribute__((format(printf, 3, 4)))
say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* glibc 2.36 has no wrappers for the Landlock system calls. */
static int
ll_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size, uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
ll_add_rule(int fd, const struct landlock_path_beneath_attr *pb)
{
	return (int)syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, pb, 0U);
}

static int
ll_restrict_self(int fd)
{
	return (int)syscall(SYS_landlock_restrict_self, fd, 0U);
}

/* The kernel's ABI: > 0, or 0 without Landlock (ENOSYS: not built; EOPNOTSUPP: not enabled). */
static int
kernel_abi(void)
{
	int v = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? v : 0;
}

int
sandbox_landlock_abi(void)
{
	int k = kernel_abi();

	return k < HDR_ABI ? k : HDR_ABI;
}

/* Every file-system right of ABI abi: all of them are handled, so whatever no rule grants is
 * denied (REFER is handled and never granted: no file moves between directories). */
static uint64_t
fs_handled(int abi)
{
	uint64_t a = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;

#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		a |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
	if (abi >= 5)
		a |= LANDLOCK_ACCESS_FS_IOCTL_DEV; /* serial and usbfs ioctls need it granted */
#endif
	return a;
}

static uint64_t
file_rights(void)
{
	uint64_t a = FILE_RIGHTS_V1;

#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	a |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
	a |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
#endif
	return a;
}

static uint64_t
rw_rights(void)
{
	uint64_t a = RW_RIGHTS_V1;

#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	a |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
	a |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
#endif
	return a;
}

/* Adds a rule granting want (within handled) beneath path. 0; 1 when the path does not exist
 * (skipped); -1 on error (why set). */
static int
add_path(int rfd, const char *path, uint64_t want, uint64_t handled, char *why, size_t cap)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd, r = -1;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			log_debug("sandbox: %s does not exist; no rule for it", path);
			return 1;
		}
		say(why, cap, "sandbox: cannot open %s for its access rule: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		say(why, cap, "sandbox: cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = want & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= file_rights();
	if (ll_add_rule(rfd, &pb) != 0) {
		say(why, cap, "sandbox: Landlock refused the rule for %s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* Builds the ruleset for abi (> 0). The ruleset fd, or -1 (why set; SANDBOX_ERR_* in *rc). */
static int
build_ruleset(int abi, const char *const *ro, size_t nro, const char *const *rw, size_t nrw,
    int *rc, char *why, size_t cap)
{
	struct landlock_ruleset_attr attr;
	uint64_t handled = fs_handled(abi);
	size_t i;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	/* TCP (handled_access_net, ABI 4) is not handled: the station does not use it today, but
	 * a network label printer or factory system may come, and a silent "connection refused"
	 * would be worse than the gain. Add port rules here when that is settled. */
#ifdef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
	/* ABI 6: no connecting to abstract UNIX sockets outside the sandbox (D-Bus, X11, ...).
	 * LANDLOCK_SCOPE_SIGNAL is left out on purpose: the station must be able to stop its
	 * signer; in service mode a different uid keeps it from signalling anyone else. */
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
#endif
	if ((fd = ll_create_ruleset(&attr, sizeof(attr), 0)) < 0) {
		say(why, cap, "sandbox: Landlock refused to create a ruleset (ABI %d): %s", abi,
		    strerror(errno));
		*rc = SANDBOX_ERR_LANDLOCK;
		return -1;
	}
	for (i = 0; i < nro; i++)
		if (add_path(fd, ro[i], RO_RIGHTS, handled, why, cap) < 0)
			goto fail;
	for (i = 0; i < nrw; i++)
		if (add_path(fd, rw[i], rw_rights(), handled, why, cap) < 0)
			goto fail;
	return fd;
fail:
	close(fd);
	*rc = SANDBOX_ERR_PATH;
	return -1;
}

static int
threads_line(void *ctx, const char *line)
{
	return sscanf(line, "Threads: %d", (int *)ctx) == 1;
}

/* Threads of this process from /proc/self/status; -1 when it cannot be read. */
static int
thread_count(void)
{
	int n = -1;

	return util_each_line("/proc/self/status", threads_line, &n) == 1 ? n : -1;
}

/* The deny-list (sandbox.h). Names unknown to this architecture are skipped. */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev",
	"execve", "execveat",
	"mount", "umount", "umount2", "pivot_root", "chroot",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"bpf", "keyctl", "add_key", "request_key",
	"personality", "unshare", "setns",
	"perf_event_open", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"reboot", "swapon", "swapoff",
	"open_by_handle_at", "uselib", "acct", "quotactl", "iopl", "ioperm",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
	"setgroups", "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32",
	"setresgid32", "setfsuid32", "setfsgid32", "setgroups32",
};

/* clone() flags that make namespaces (CLONE_NEWTIME only exists for clone3/unshare). */
static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
	CLONE_NEWNET,
};

/* Builds the filter (not loaded). NULL with why set. */
static scmp_filter_ctx
build_filter(char *why, size_t cap)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, e;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		say(why, cap, "sandbox: cannot create the seccomp filter (out of memory)");
		return NULL;
	}
	/* NNP on load (libseccomp's default); a system call of another ABI (i386 through int 0x80,
	 * x32 numbers) kills the whole process: a deny-list of x86-64 numbers would let those
	 * through. TSYNC: see sandbox.h (there is one thread; this keeps it so if that changes). */
	if ((e = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		say(why, cap, "sandbox: cannot set the seccomp filter attributes: %s", strerror(-e));
		goto fail;
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		if ((nr = seccomp_syscall_resolve_name(denied[i])) == __NR_SCMP_ERROR ||
		    (SANDBOX_PTRACE_ALLOWED && strcmp(denied[i], "ptrace") == 0))
			continue;
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) {
			say(why, cap, "sandbox: cannot add the seccomp rule for %s: %s", denied[i],
			    strerror(-e));
			goto fail;
		}
	}
	/* clone3 hides its flags behind a pointer, which seccomp cannot read: ENOSYS makes glibc
	 * (2.34+) fall back to clone, whose flags (argument 0 on x86-64 and arm64) are checked. */
	if ((nr = seccomp_syscall_resolve_name("clone3")) != __NR_SCMP_ERROR &&
	    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) != 0) {
		say(why, cap, "sandbox: cannot add the seccomp rule for clone3: %s", strerror(-e));
		goto fail;
	}
	for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) != 0) {
			say(why, cap, "sandbox: cannot add the seccomp rule for clone: %s", strerror(-e));
			goto fail;
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int
sandbox_enter(const char *const *ro, size_t nro, const char *const *rw, size_t nrw, char *why,
    size_t cap)
{
	scmp_filter_ctx ctx = NULL;
	size_t i;
	int abi, rfd = -1, n, e, r = SANDBOX_ERR_ARG;

	if ((nro > 0 && ro == NULL) || (nrw > 0 && rw == NULL) || nro > CAP_SANDBOX_PATHS ||
	    nrw > CAP_SANDBOX_PATHS) {
		say(why, cap, "sandbox: bad path list (at most %d read-only and %d read-write paths)",
		    CAP_SANDBOX_PATHS, CAP_SANDBOX_PATHS);
		return SANDBOX_ERR_ARG;
	}
	for (i = 0; i < nro + nrw; i++) {
		if ((i < nro ? ro[i] : rw[i - nro]) == NULL) {
			say(why, cap, "sandbox: NULL path in the list");
			return SANDBOX_ERR_ARG;
		}
	}
	if ((n = thread_count()) != 1) {
		say(why, cap, n < 0 ? "sandbox: cannot count this process's threads (is /proc mounted?)"
		    : "sandbox: must be entered before any thread is started (%d threads run); Landlock "
		    "would confine this thread only", n);
		return SANDBOX_ERR_THREADS;
	}
	/* Everything that can fail for ordinary reasons is prepared before anything is applied. */
	if ((ctx = build_filter(why, cap)) == NULL) {
		r = SANDBOX_ERR_SECCOMP;
		goto out;
	}
	abi = sandbox_landlock_abi();
	if (abi > 0 && (rfd = build_ruleset(abi, ro, nro, rw, nrw, &r, why, cap)) < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		say(why, cap, "sandbox: cannot set no_new_privs: %s", strerror(errno));
		r = SANDBOX_ERR_LANDLOCK;
		goto out;
	}
	if (rfd >= 0 && ll_restrict_self(rfd) != 0) {
		say(why, cap, "sandbox: Landlock refused to confine the process: %s", strerror(errno));
		r = SANDBOX_ERR_LANDLOCK;
		goto out;
	}
	if ((e = seccomp_load(ctx)) != 0) {
		say(why, cap, "sandbox: the seccomp filter could not be loaded: %s%s", strerror(-e),
		    rfd >= 0 ? " (Landlock is in place)" : "");
		r = SANDBOX_ERR_SECCOMP;
		goto out;
	}
	if (abi == 0) {
		say(why, cap, "sandbox: this kernel has no Landlock (Linux >= 5.13 with landlock in "
		    "lsm=): file access is not restricted; the seccomp filter is in place");
		r = SANDBOX_ERR_NOLANDLOCK;
		goto out;
	}
	log_debug("sandbox: Landlock ABI %d (kernel %d, headers %d), %zu read-only and %zu "
	    "read-write paths; seccomp deny-list loaded", abi, kernel_abi(), HDR_ABI, nro, nrw);
	r = 0;
out:
	if (rfd >= 0)
		close(rfd);
	seccomp_release(ctx);
	return r;
}

const char *
sandbox_strerror(int rc)
{
	switch (rc) {
	case SANDBOX_OK: return "success";
	case SANDBOX_ERR_NOLANDLOCK: return "Landlock is not available: file access is not restricted";
	case SANDBOX_ERR_THREADS: return "the sandbox must be entered before threads start";
	case SANDBOX_ERR_PATH: return "a sandbox path could not be opened";
	case SANDBOX_ERR_LANDLOCK: return "Landlock refused the sandbox";
	case SANDBOX_ERR_SECCOMP: return "the seccomp filter could not be set up";
	case SANDBOX_ERR_ARG: return "bad argument";
	default: return "unknown sandbox error";
	}
}
