/*
 * test-sandbox.c: sandbox.h. A sandbox cannot be left, so every case enters it in a forked
 * child, which checks what it can and cannot do and reports the first failed check as its exit
 * status (0: all held). The parent turns that into a cmocka failure with the check's name.
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
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "util.h"

#define SKIP_NOLANDLOCK 77

/* The child's checks, by exit status. */
static const char *const check_name[] = {
	"all held",
	"sandbox_enter failed",
	"cannot create a file in the read-write directory",
	"cannot write and read back the file in the read-write directory",
	"a file outside the rules could be read (or the error was not EACCES)",
	"ptrace(PTRACE_ATTACH, parent) was not refused with EPERM",
	"execve was not refused with EPERM",
	"a thread could not be started inside the sandbox (clone3 fallback)",
	"clone(CLONE_NEWUSER) was not refused with EPERM",
	"unshare was not refused with EPERM",
	"setuid was not refused with EPERM",
	"a file could be created in a read-only directory",
	"the read-only directory could not be read",
	"a rename between directories was not refused",
	"a process_vm_readv of the parent was not refused with EPERM",
	"ptrace(PTRACE_TRACEME) was not refused with EPERM (Landlock allows it: seccomp's job)",
	"util_write_file (temp, rename, fsync of the directory: how labels are written) failed",
	"a file in the read-write directory could not be overwritten (O_TRUNC) or removed",
};

static char tmpdir[64];
static char rodir[64];

static void
expect_held(int rc)
{
	if (rc == SKIP_NOLANDLOCK)
		skip();
	if (rc != 0)
		fail_msg("check %d: %s", rc, rc > 0 && (size_t)rc < sizeof(check_name) /
		    sizeof(check_name[0]) ? check_name[rc] : "?");
}

static void *
thread_fn(void *arg)
{
	return arg;
}

/* A file outside every rule that exists on any Debian system. */
static const char *
outside_file(void)
{
	return access("/etc/hostname", R_OK) == 0 ? "/etc/hostname" : "/etc/passwd";
}

static int
child_main(void)
{
	const struct sandbox_rule rules[] = { { rodir, SANDBOX_READ }, { tmpdir, SANDBOX_RW } };
	char path[128], path2[128], why[CAP_REASON], buf[8];
	char *const argv[] = { (char *)"/bin/true", NULL };
	struct iovec local, remote;
	pthread_t t;
	void *res = NULL;
	int fd, r;

	r = sandbox_enter(rules, 2, why, sizeof(why));
	if (r == SANDBOX_ERR_NOLANDLOCK)
		return SKIP_NOLANDLOCK;
	if (r != 0) {
		fprintf(stderr, "sandbox_enter: %s\n", why);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	if ((fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return 2;
	if (write(fd, "label", 5) != 5 || lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, 5) != 5 ||
	    memcmp(buf, "label", 5) != 0)
		return 3;
	close(fd);
	errno = 0;
	if (open(outside_file(), O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 4;
	errno = 0;
	if (ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) != -1 || errno != EPERM)
		return 5;
	errno = 0;
	if (execve(argv[0], argv, NULL) != -1 || errno != EPERM)
		return 6;
	if (pthread_create(&t, NULL, thread_fn, path) != 0 || pthread_join(t, &res) != 0 ||
	    res != path)
		return 7;
	errno = 0;
	if (syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0UL) !=
	    -1 || errno != EPERM)
		return 8;
	errno = 0;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 9;
	errno = 0;
	if (setuid(getuid()) != -1 || errno != EPERM)
		return 10;
	snprintf(path2, sizeof(path2), "%s/new", rodir);
	if (open(path2, O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0)
		return 11;
	snprintf(path2, sizeof(path2), "%s/data", rodir);
	if ((fd = open(path2, O_RDONLY | O_CLOEXEC)) < 0 || read(fd, buf, 4) != 4)
		return 12;
	close(fd);
	/* REFER is never granted: no moving a file into another directory (EXDEV, or EACCES). */
	snprintf(path2, sizeof(path2), "%s/sub", tmpdir);
	if (mkdir(path2, 0700) != 0)
		return 2;
	snprintf(path2, sizeof(path2), "%s/sub/f", tmpdir);
	if (rename(path, path2) == 0)
		return 13;
	local.iov_base = buf;
	local.iov_len = 1;
	remote.iov_base = buf;
	remote.iov_len = 1;
	errno = 0;
	if (process_vm_readv(getppid(), &local, 1, &remote, 1, 0) != -1 || errno != EPERM)
		return 14;
	errno = 0;
	if (!SANDBOX_PTRACE_ALLOWED && (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM))
		return 15;
	snprintf(path, sizeof(path), "%s/label.zpl", tmpdir);
	if (util_write_file(path, "^XA^XZ", 6, 0600) != 0 || util_write_file(path, "^XA^XZ", 6, 0600) != 0)
		return 16;
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return 17;
	close(fd);
	if (unlink(path) != 0)
		return 17;
	return 0;
}

static int
dirs_setup(void **state)
{
	char p[128];
	int fd;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-sandbox-rw.XXXXXX");
	snprintf(rodir, sizeof(rodir), "/tmp/test-sandbox-ro.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || mkdtemp(rodir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/data", rodir);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0 || write(fd, "data", 4) != 4)
		return -1;
	close(fd);
	return 0;
}

static int
dirs_teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", tmpdir, rodir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_confines_files_and_syscalls(void **state)
{
	expect_held(helpers_in_child(child_main));
}

static void *
sleeper(void *arg)
{
	char c;

	if (read(*(int *)arg, &c, 1) < 0) /* until the write end closes */
		return NULL;
	return NULL;
}

/* With a second thread running, nothing is applied and the reason names the threads. */
static int
child_threads(void)
{
	const struct sandbox_rule rules[] = { { tmpdir, SANDBOX_RW } };
	char why[CAP_REASON] = "";
	pthread_t t;
	int p[2], r, fd;

	if (pipe(p) != 0 || pthread_create(&t, NULL, sleeper, &p[0]) != 0)
		return 1;
	r = sandbox_enter(rules, 1, why, sizeof(why));
	close(p[1]);
	pthread_join(t, NULL);
	if (r != SANDBOX_ERR_THREADS || strstr(why, "before any thread") == NULL)
		return 2;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 3;
	if ((fd = open(outside_file(), O_RDONLY | O_CLOEXEC)) < 0)
		return 4;
	close(fd);
	return 0;
}

static void
test_refuses_with_threads(void **state)
{
	assert_int_equal(helpers_in_child(child_threads), 0);
}

/* A path that does not exist is skipped, not an error; a NULL path is. */
static int
child_paths(void)
{
	const struct sandbox_rule ro[] = { { "/nonexistent/station-test", SANDBOX_READ },
		{ rodir, SANDBOX_READ } };
	const struct sandbox_rule bad[] = { { NULL, SANDBOX_READ } };
	const struct sandbox_rule badclass[] = { { rodir, (enum sandbox_access)9 } };
	char why[CAP_REASON] = "";
	int r;

	if (sandbox_enter(bad, 1, why, sizeof(why)) != SANDBOX_ERR_ARG ||
	    sandbox_enter(badclass, 1, why, sizeof(why)) != SANDBOX_ERR_ARG)
		return 1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 2;
	r = sandbox_enter(ro, 2, why, sizeof(why));
	if (r == SANDBOX_ERR_NOLANDLOCK)
		return SKIP_NOLANDLOCK;
	if (r != 0) {
		fprintf(stderr, "sandbox_enter: %s\n", why);
		return 3;
	}
	if (open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) >= 0)
		return 4; /* not granted: the read-write dir of the other test */
	return 0;
}

static void
test_paths(void **state)
{
	int rc = helpers_in_child(child_paths);

	if (rc == SKIP_NOLANDLOCK)
		skip();
	assert_int_equal(rc, 0);
}

/* The station's classes: a spool it writes but never reads back (labels), a device tree it may
 * open and use but not create in (/dev), no terminal input injection, no TCP (ABI 4), no
 * abstract UNIX socket or signal outside the sandbox (ABI 6). */
static char spooldir[64], devdir[64];

static int
child_classes(void)
{
	const struct sandbox_rule rules[] = { { spooldir, SANDBOX_SPOOL }, { devdir, SANDBOX_DEVICES } };
	struct sockaddr_in in;
	struct sockaddr_un un;
	char path[128], why[CAP_REASON] = "", c = 0;
	int r, fd, abi = sandbox_landlock_abi();

	r = sandbox_enter(rules, 2, why, sizeof(why));
	if (r == SANDBOX_ERR_NOLANDLOCK)
		return SKIP_NOLANDLOCK;
	if (r != 0) {
		fprintf(stderr, "sandbox_enter: %s\n", why);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/label.zpl", spooldir);
	if (util_write_file(path, "^XA^XZ", 6, 0600) != 0)
		return 2;
	errno = 0;
	if (open(path, O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 3;
	if (unlink(path) != 0)
		return 4;
	snprintf(path, sizeof(path), "%s/node", devdir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return 5;
	close(fd);
	snprintf(path, sizeof(path), "%s/shm-file", devdir);
	errno = 0;
	if (open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0 || errno != EACCES)
		return 6;
	errno = 0;
	if (ioctl(1, TIOCSTI, &c) != -1 || errno != EPERM)
		return 7;
	if (abi >= 4) {
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons(9);
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		errno = 0;
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&in, sizeof(in)) != -1 || errno != EACCES)
			return 8;
		close(fd);
	}
	if (abi >= 6) {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path + 1, "test-sandbox-abstract", 21);
		errno = 0;
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + 22)) != -1 || errno != EPERM)
			return 9;
		close(fd);
		errno = 0;
		if (kill(getppid(), 0) != -1 || errno != EPERM)
			return 10;
	}
	/* Landlock checks TCP only: an MPTCP socket (plain TCP on the wire) reached any port and
	 * UDP any host until seccomp refused them (red-team review of issue #14) */
	errno = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 262 /* IPPROTO_MPTCP */)) >= 0 ||
	    errno != EPERM)
		return 11;
	errno = 0;
	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 || errno != EPERM)
		return 12;
	errno = 0;
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1 /* ICMP */)) >= 0 || errno != EPERM)
		return 12;
	errno = 0;
	if ((fd = socket(40 /* AF_VSOCK */, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 ||
	    errno != EAFNOSUPPORT)
		return 13;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 15 /* NETLINK_KOBJECT_UEVENT */)) < 0)
		return 14;
	close(fd);
	return 0;
}

static const char *const class_check[] = {
	"all held", "sandbox_enter failed", "cannot write a label into the spool",
	"a label could be read back from the spool (or not EACCES)", "cannot remove a spooled file",
	"an existing node in the devices tree could not be opened read-write",
	"a file could be created in the devices tree (or not EACCES)",
	"TIOCSTI was not refused with EPERM", "a TCP connect was not refused with EACCES (ABI 4)",
	"an abstract UNIX socket outside the sandbox was reached (ABI 6)",
	"a process outside the sandbox could be signalled (ABI 6)",
	"an MPTCP socket was not refused with EPERM (it would reach any TCP port)",
	"a UDP or raw IPv4/IPv6 socket was not refused with EPERM",
	"a socket of another family (AF_VSOCK) was not refused with EAFNOSUPPORT",
	"the uevent netlink socket (libusb) was refused",
};

static void
test_classes(void **state)
{
	char p[256];
	int fd, rc, srv;
	struct sockaddr_un un;

	snprintf(spooldir, sizeof(spooldir), "/tmp/test-sandbox-spool.XXXXXX");
	snprintf(devdir, sizeof(devdir), "/tmp/test-sandbox-dev.XXXXXX");
	assert_non_null(mkdtemp(spooldir));
	assert_non_null(mkdtemp(devdir));
	snprintf(p, sizeof(p), "%s/node", devdir);
	assert_true((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	/* a listener the child must not reach */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path + 1, "test-sandbox-abstract", 21);
	assert_true((srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + 22)), 0);
	assert_int_equal(listen(srv, 1), 0);
	rc = helpers_in_child(child_classes);
	close(srv);
	snprintf(p, sizeof(p), "rm -rf '%s' '%s'", spooldir, devdir);
	assert_int_equal(system(p), 0);
	if (rc == SKIP_NOLANDLOCK)
		skip();
	if (rc != 0)
		fail_msg("check %d: %s", rc, rc > 0 && (size_t)rc < sizeof(class_check) /
		    sizeof(class_check[0]) ? class_check[rc] : "?");
}

/* The label printer helper's sandbox (label-printer.h): connecting to its printer's port only
 * (ABI 4: Landlock restricts TCP by port), its labels to read and remove but not create. */
static unsigned port_ok, port_other;
static char labeldir[64];

static int
tcp_to(unsigned port)
{
	struct sockaddr_in in;
	int fd, r;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)port);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	errno = 0;
	r = connect(fd, (struct sockaddr *)&in, sizeof(in));
	close(fd);
	return r == 0 ? 0 : errno;
}

static int
child_printer(void)
{
	const struct sandbox_rule rules[] = { { labeldir, SANDBOX_LABELS } };
	const unsigned ports[] = { port_ok }, bad[] = { 0 };
	char path[128], why[CAP_REASON] = "", buf[8];
	int r, fd;

	if (sandbox_enter_net(rules, 1, bad, 1, 1, why, sizeof(why)) != SANDBOX_ERR_ARG)
		return 1;
	/* as confine_printer: datagrams allowed for the name server */
	r = sandbox_enter_net(rules, 1, ports, 1, 1, why, sizeof(why));
	if (r == SANDBOX_ERR_NOLANDLOCK)
		return SKIP_NOLANDLOCK;
	if (r != 0) {
		fprintf(stderr, "sandbox_enter_ports: %s\n", why);
		return 1;
	}
	if (tcp_to(port_ok) != 0)
		return 2;
	if (sandbox_landlock_abi() >= 4 && tcp_to(port_other) != EACCES)
		return 3;
	snprintf(path, sizeof(path), "%s/TH2-1.zpl", labeldir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || read(fd, buf, sizeof(buf)) != 6)
		return 4;
	close(fd);
	if (unlink(path) != 0)
		return 5;
	snprintf(path, sizeof(path), "%s/new.zpl", labeldir);
	errno = 0;
	if (open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0 || errno != EACCES)
		return 6;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 7;
	close(fd);
	errno = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 262 /* IPPROTO_MPTCP */)) >= 0 ||
	    errno != EPERM)
		return 8;
	return 0;
}

static const char *const printer_check[] = {
	"all held", "sandbox_enter_ports failed (or took port 0)",
	"the printer's port could not be reached", "another TCP port was reached (ABI 4)",
	"a label could not be read", "a printed label could not be removed",
	"a file could be created among the labels (or not EACCES)",
	"a UDP socket (name resolution) was refused",
	"an MPTCP socket was not refused with EPERM (it would reach any TCP port)",
};

static int
listener(unsigned *port)
{
	struct sockaddr_in in;
	socklen_t sl = sizeof(in);
	int fd;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &sl), 0);
	*port = ntohs(in.sin_port);
	return fd;
}

static void
test_printer_ports(void **state)
{
	char p[160];
	int a, b, rc;

	(void)state;
	snprintf(labeldir, sizeof(labeldir), "/tmp/test-sandbox-labels.XXXXXX");
	assert_non_null(mkdtemp(labeldir));
	snprintf(p, sizeof(p), "%s/TH2-1.zpl", labeldir);
	assert_int_equal(util_write_file(p, "^XA^XZ", 6, 0600), 0);
	a = listener(&port_ok);
	b = listener(&port_other);
	rc = helpers_in_child(child_printer);
	close(a);
	close(b);
	snprintf(p, sizeof(p), "rm -rf '%s'", labeldir);
	assert_int_equal(system(p), 0);
	if (rc == SKIP_NOLANDLOCK)
		skip();
	if (rc != 0)
		fail_msg("check %d: %s", rc, rc > 0 && (size_t)rc < sizeof(printer_check) /
		    sizeof(printer_check[0]) ? printer_check[rc] : "?");
}

static void
test_abi_and_strerror(void **state)
{
	int abi = sandbox_landlock_abi();

	assert_true(abi >= 0 && abi <= 6);
	assert_string_equal(sandbox_strerror(SANDBOX_OK), "success");
	assert_non_null(strstr(sandbox_strerror(SANDBOX_ERR_NOLANDLOCK), "not restricted"));
	assert_string_equal(sandbox_strerror(-99), "unknown sandbox error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confines_files_and_syscalls),
		cmocka_unit_test(test_refuses_with_threads),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_printer_ports),
		cmocka_unit_test(test_abi_and_strerror),
	};

	log_init("test-sandbox", getenv("TEST_VERBOSE") != NULL ? LOG_DEBUG : -1);
	return cmocka_run_group_tests(tests, dirs_setup, dirs_teardown);
}
