/* sandbox.c: Landlock file rules and a seccomp deny-list for the station; see sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/*
 * Landlock's UAPI, defined here from the kernel's documentation (these values are stable ABI):
 * Debian 12's linux-libc-dev (6.1) describes only ABI 2, and building the sandbox on what the
 * headers know would leave TCP and abstract sockets open on a kernel that can close them
 * (this one offers ABI 7). sandbox_enter uses min(LL_ABI_MAX, the kernel's ABI).
 */
#define LL_ABI_MAX 6 /* the newest ABI whose rights this file uses */
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2 /* ABI 4 */
#define LL_CREATE_RULESET_VERSION (1U << 0)

/* struct landlock_ruleset_attr as of ABI 6; the kernel is given the size of the ABI in use. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

/* Rights a non-directory can carry (others make landlock_add_rule fail with EINVAL). */
#define FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
	LL_FS_IOCTL_DEV)

/* What each access class grants beneath its path (sandbox.h). */
static uint64_t
class_rights(enum sandbox_access a)
{
	switch (a) {
	case SANDBOX_READ: return LL_FS_READ_FILE | LL_FS_READ_DIR;
	case SANDBOX_DEVICES:
		/* open the nodes there for reading and writing and use their ioctls (serial lines,
		 * usbfs); list them (hot-plug); create nothing (no files in /dev/shm) */
		return LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE_FILE | LL_FS_IOCTL_DEV;
	case SANDBOX_SPOOL:
		/* write new files, rename and remove them, never read one: labels hold passwords
		 * (READ_DIR: opening the directory to fsync it; names are serials, not secrets) */
		return LL_FS_MAKE_REG | LL_FS_WRITE_FILE | LL_FS_REMOVE_FILE | LL_FS_TRUNCATE |
		    LL_FS_READ_DIR;
	case SANDBOX_LABELS:
		/* the printer helper: read a label the station names, remove it once printed;
		 * create and write nothing */
		return LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_REMOVE_FILE;
	case SANDBOX_RW:
		/* MAKE_SOCK: under umockdev, libusb's uevent netlink socket becomes a UNIX socket
		 * bound in the testbed ($UMOCKDEV_DIR/event<fd>) */
		return LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR |
		    LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK |
		    LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
	}
	return 0;
}

/* glibc 2.36 has no wrappers for the Landlock system calls. */
static int
ll_create_ruleset(const struct ll_ruleset_attr *attr, size_t size, uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
ll_add_rule(int fd, const struct ll_path_beneath_attr *pb)
{
	return (int)syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, pb, 0U);
}

static int
ll_add_port(int fd, const struct ll_net_port_attr *np)
{
	return (int)syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, np, 0U);
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
	int v = ll_create_ruleset(NULL, 0, LL_CREATE_RULESET_VERSION);

	return v > 0 ? v : 0;
}

int
sandbox_landlock_abi(void)
{
	int k = kernel_abi();

	return k < LL_ABI_MAX ? k : LL_ABI_MAX;
}

/* Every file-system right of ABI abi: all of them are handled, so whatever no rule grants is
 * denied (REFER is handled and never granted: no file moves between directories). */
static uint64_t
fs_handled(int abi)
{
	uint64_t a = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_READ_DIR |
	    LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
	    LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM;

	if (abi >= 2)
		a |= LL_FS_REFER;
	if (abi >= 3)
		a |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a |= LL_FS_IOCTL_DEV;
	return a;
}

/* Adds a rule granting want (within handled) beneath path. 0; 1 when the path does not exist
 * (skipped); -1 on error (why set). */
static int
add_path(int rfd, const char *path, uint64_t want, uint64_t handled, char *why, size_t cap)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd, r = -1;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			log_debug("sandbox: %s does not exist; no rule for it", path);
			return 1;
		}
		util_why(why, cap, "sandbox: cannot open %s for its access rule: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		util_why(why, cap, "sandbox: cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = want & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= FILE_RIGHTS;
	if (ll_add_rule(rfd, &pb) != 0) {
		util_why(why, cap, "sandbox: Landlock refused the rule for %s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* Builds the ruleset for abi (> 0). The ruleset fd, or -1 (why set; SANDBOX_ERR_* in *rc). */
static int
build_ruleset(int abi, const struct sandbox_rule *rules, size_t n, const unsigned *ports,
    size_t nports, int *rc, char *why, size_t cap)
{
	struct ll_net_port_attr np;
	struct ll_ruleset_attr attr;
	uint64_t handled = fs_handled(abi);
	size_t i, size = sizeof(attr.handled_access_fs);
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	/* ABI 4: TCP is handled and no port is granted but the given ones, for connecting only:
	 * the station speaks to its fixtures and its signer only; the label printer helper to its
	 * printer's port (label-printer.h). */
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	/* ABI 6: no connecting to abstract UNIX sockets outside the sandbox (D-Bus, X11, ...) and
	 * no signals to processes outside it (the signer, the parent). */
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if ((fd = ll_create_ruleset(&attr, size, 0)) < 0) {
		util_why(why, cap, "sandbox: Landlock refused to create a ruleset (ABI %d): %s", abi,
		    strerror(errno));
		*rc = SANDBOX_ERR_LANDLOCK;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (add_path(fd, rules[i].path, class_rights(rules[i].access), handled, why, cap) < 0)
			goto fail;
	for (i = 0; abi >= 4 && i < nports; i++) {
		memset(&np, 0, sizeof(np));
		np.allowed_access = LL_NET_CONNECT_TCP;
		np.port = ports[i];
		if (ll_add_port(fd, &np) != 0) {
			util_why(why, cap, "sandbox: Landlock refused the rule for TCP port %u: %s",
			    ports[i], strerror(errno));
			goto fail;
		}
	}
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

/*
 * Landlock restricts TCP (IPPROTO_TCP stream sockets) only: an MPTCP socket (a stream socket of
 * protocol IPPROTO_MPTCP, which falls back to plain TCP on the wire) connected to any port on
 * any host, and UDP reached any host (red-team review of issue #14: both exfiltrate from inside
 * the sandbox). So sockets are limited here: UNIX and netlink (libusb's uevents) as they are;
 * IPv4/IPv6 only as TCP (protocol 0 or IPPROTO_TCP), whose ports Landlock checks; datagram
 * sockets of IPv4/IPv6 only with dns (the printer helper resolves its printer's name for each
 * label, through UDP to the name server); every other family is refused.
 */
static int
socket_rules(scmp_filter_ctx ctx, int dns)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	int e, f, t, p;

	/* families other than AF_UNIX (1), AF_INET (2), AF_INET6 (10), AF_NETLINK (16) */
	if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
	         SCMP_A0(SCMP_CMP_GT, AF_NETLINK))) != 0)
		return e;
	for (f = 0; f < AF_NETLINK; f++)
		if (f != AF_UNIX && f != AF_INET && f != AF_INET6 &&
		    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
		         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f))) != 0)
			return e;
	for (f = 0; f < 2; f++) {
		/* the type's low 4 bits (SOCK_NONBLOCK and SOCK_CLOEXEC are above) */
		for (t = 0; t < 16; t++)
			if (t != SOCK_STREAM && !(dns && t == SOCK_DGRAM) &&
			    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
			         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[f]),
			         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)t))) != 0)
				return e;
		/* protocols: 0 (the type's default), IPPROTO_TCP, IPPROTO_UDP (datagrams, dns only) */
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
		         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[f]),
		         SCMP_A2(SCMP_CMP_GT, IPPROTO_UDP))) != 0)
			return e;
		for (p = 1; p < IPPROTO_UDP; p++)
			if (p != IPPROTO_TCP &&
			    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
			         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[f]),
			         SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)p))) != 0)
				return e;
	}
	return 0;
}

/* Builds the filter (not loaded). NULL with why set. */
static scmp_filter_ctx
build_filter(int dns, char *why, size_t cap)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, e;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		util_why(why, cap, "sandbox: cannot create the seccomp filter (out of memory)");
		return NULL;
	}
	/* NNP on load (libseccomp's default); a system call of another ABI (i386 through int 0x80,
	 * x32 numbers) kills the whole process: a deny-list of x86-64 numbers would let those
	 * through. TSYNC: see sandbox.h (there is one thread; this keeps it so if that changes). */
	if ((e = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		util_why(why, cap, "sandbox: cannot set the seccomp filter attributes: %s", strerror(-e));
		goto fail;
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		if ((nr = seccomp_syscall_resolve_name(denied[i])) == __NR_SCMP_ERROR ||
		    (SANDBOX_PTRACE_ALLOWED && strcmp(denied[i], "ptrace") == 0))
			continue;
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) {
			util_why(why, cap, "sandbox: cannot add the seccomp rule for %s: %s", denied[i],
			    strerror(-e));
			goto fail;
		}
	}
	/* TIOCSTI / TIOCLINUX push input into a terminal: from the operator's terminal, commands
	 * run as root (the kernel compares the command as 32 bits: so does this rule). */
	if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCSTI))) != 0 ||
	    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCLINUX))) != 0) {
		util_why(why, cap, "sandbox: cannot add the seccomp rule for terminal ioctls: %s",
		    strerror(-e));
		goto fail;
	}
	/* clone3 hides its flags behind a pointer, which seccomp cannot read: ENOSYS makes glibc
	 * (2.34+) fall back to clone, whose flags (argument 0 on x86-64 and arm64) are checked. */
	if ((nr = seccomp_syscall_resolve_name("clone3")) != __NR_SCMP_ERROR &&
	    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) != 0) {
		util_why(why, cap, "sandbox: cannot add the seccomp rule for clone3: %s", strerror(-e));
		goto fail;
	}
	for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) != 0) {
			util_why(why, cap, "sandbox: cannot add the seccomp rule for clone: %s", strerror(-e));
			goto fail;
		}
	}
	if ((e = socket_rules(ctx, dns)) != 0) {
		util_why(why, cap, "sandbox: cannot add the seccomp rules for sockets: %s", strerror(-e));
		goto fail;
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int
sandbox_enter(const struct sandbox_rule *rules, size_t nrules, char *why, size_t cap)
{
	return sandbox_enter_ports(rules, nrules, NULL, 0, why, cap);
}

int
sandbox_enter_ports(const struct sandbox_rule *rules, size_t nrules, const unsigned *ports,
    size_t nports, char *why, size_t cap)
{
	return sandbox_enter_net(rules, nrules, ports, nports, 0, why, cap);
}

int
sandbox_enter_net(const struct sandbox_rule *rules, size_t nrules, const unsigned *ports,
    size_t nports, int dns, char *why, size_t cap)
{
	scmp_filter_ctx ctx = NULL;
	size_t i;
	int abi, rfd = -1, n, e, r = SANDBOX_ERR_ARG;

	if (nports > CAP_SANDBOX_PORTS || (nports > 0 && ports == NULL)) {
		util_why(why, cap, "sandbox: bad port list (at most %d ports)", CAP_SANDBOX_PORTS);
		return SANDBOX_ERR_ARG;
	}
	for (i = 0; i < nports; i++) {
		if (ports[i] == 0 || ports[i] > 65535) {
			util_why(why, cap, "sandbox: TCP port %u out of range", ports[i]);
			return SANDBOX_ERR_ARG;
		}
	}
	if ((nrules > 0 && rules == NULL) || nrules > CAP_SANDBOX_PATHS) {
		util_why(why, cap, "sandbox: bad rule list (at most %d paths)", CAP_SANDBOX_PATHS);
		return SANDBOX_ERR_ARG;
	}
	for (i = 0; i < nrules; i++) {
		if (rules[i].path == NULL || class_rights(rules[i].access) == 0) {
			util_why(why, cap, "sandbox: a rule without a path or with an unknown access class");
			return SANDBOX_ERR_ARG;
		}
	}
	if ((n = thread_count()) != 1) {
		util_why(why, cap, n < 0 ? "sandbox: cannot count this process's threads (is /proc mounted?)"
		    : "sandbox: must be entered before any thread is started (%d threads run); Landlock "
		    "would confine this thread only", n);
		return SANDBOX_ERR_THREADS;
	}
	/* Everything that can fail for ordinary reasons is prepared before anything is applied. */
	if ((ctx = build_filter(dns, why, cap)) == NULL) {
		r = SANDBOX_ERR_SECCOMP;
		goto out;
	}
	abi = sandbox_landlock_abi();
	if (abi > 0 && (rfd = build_ruleset(abi, rules, nrules, ports, nports, &r, why, cap)) < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		util_why(why, cap, "sandbox: cannot set no_new_privs: %s", strerror(errno));
		r = SANDBOX_ERR_LANDLOCK;
		goto out;
	}
	if (rfd >= 0 && ll_restrict_self(rfd) != 0) {
		util_why(why, cap, "sandbox: Landlock refused to confine the process: %s", strerror(errno));
		r = SANDBOX_ERR_LANDLOCK;
		goto out;
	}
	if ((e = seccomp_load(ctx)) != 0) {
		util_why(why, cap, "sandbox: the seccomp filter could not be loaded: %s%s", strerror(-e),
		    rfd >= 0 ? " (Landlock is in place)" : "");
		r = SANDBOX_ERR_SECCOMP;
		goto out;
	}
	if (abi == 0) {
		util_why(why, cap, "sandbox: this kernel has no Landlock (Linux >= 5.13 with landlock in "
		    "lsm=): file access is not restricted; the seccomp filter is in place");
		r = SANDBOX_ERR_NOLANDLOCK;
		goto out;
	}
	log_debug("sandbox: Landlock ABI %d (kernel %d), %zu path rules, %zu TCP ports; seccomp "
	    "deny-list loaded", abi, kernel_abi(), nrules, nports);
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
