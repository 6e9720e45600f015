/*
 * test-profile.c: station/common/profile.c: what a profile must not get past profile_load (issue
 * #12: each would spend a serial per board before failing, or write outside the label
 * directory, or inject ZPL), the file:line of each problem, the label directory check, and
 * label_write_zpl never writing through an existing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "label.h"
#include "profile.h"

/* A valid profile; line numbers below (one a line: subject_cn is line 16). */
static const char *const good[] = {
	"[station]",                                          /* 1 */
	"database = station.db",                              /* 2 */
	"label_dir = labels",                                 /* 3 */
	"[hsm]",                                              /* 4 */
	"token = pkcs11:token=t",                             /* 5 */
	"ca_key = pkcs11:token=t;object=ca",                  /* 6 */
	"commit_key = pkcs11:token=t;object=c",               /* 7 */
	"ca_cert = ca.pem",                                   /* 8 */
	"[product]",                                          /* 9 */
	"serial_prefix = TH2-",                               /* 10 */
	"name = thermostat-v2",                               /* 11 */
	"model = TH2_DEMO",                                   /* 12 */
	"[firmware]",                                         /* 13 */
	"allow = 1.4.2 sha256:9569b8b18a02db118a3a551f428c5c205162a609b17beb17d61a689dbabca802",
	"[certificate]",                                      /* 15 */
	"subject_cn = {serial}",                              /* 16 */
	"san_uri = urn:example:device:{model}:{serial}:{chip}:{product}", /* 17 */
	NULL,
};

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-profile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes the good profile with line `at` (counted as in good[]) replaced by repl (NULL: as is)
 * and extra appended. */
static void
write_profile(int at, const char *repl, const char *extra)
{
	FILE *f = fopen(path, "w");
	int i;

	assert_non_null(f);
	for (i = 0; good[i] != NULL; i++) {
		fprintf(f, "%s\n", i + 1 == at && repl != NULL ? repl : good[i]);
	}
	if (extra != NULL)
		fputs(extra, f);
	assert_int_equal(fclose(f), 0);
}

/* Loads and expects a refusal whose first line starts "path:line: " and holds want. */
static void
refused(int line, const char *want)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[2048], pre[160];

	assert_non_null(p);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), -1);
	snprintf(pre, sizeof(pre), "%s:%d: ", path, line);
	if (strncmp(err, pre, strlen(pre)) != 0 || strstr(err, want) == NULL)
		fail_msg("want '%s...%s', got '%s'", pre, want, err);
	assert_null(strchr(err, '\n'));
	free(p);
}

static void
test_good(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p->serial_prefix, "TH2-");
	assert_string_equal(p->cert.subject_cn, "{serial}");
	free(p);
}

static void
test_unknown_variable(void **state)
{
	(void)state;
	write_profile(16, "subject_cn = {serail}", NULL);
	refused(16, "unknown variable {serail}");
	write_profile(17, "san_uri = urn:x:{lot}", NULL);
	refused(17, "unknown variable {lot}");
	write_profile(16, "subject_cn = {}", NULL);
	refused(16, "unknown variable {}");
}

static void
test_unbalanced(void **state)
{
	(void)state;
	write_profile(16, "subject_cn = {serial", NULL);
	refused(16, "without its '}'");
	write_profile(16, "subject_cn = {se{rial}", NULL);
	refused(16, "without its '}'");
	write_profile(16, "subject_cn = serial}", NULL);
	refused(16, "without its '{'");
}

static void
test_prefix(void **state)
{
	static const char *const bad[] = { "serial_prefix = ../../PWN-", "serial_prefix = a/b",
		"serial_prefix = ..", "serial_prefix = TH2^XA", "serial_prefix = TH~2",
		"serial_prefix = TH 2", "serial_prefix = TH.2", "serial_prefix = TH2\x01" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_profile(10, bad[i], NULL);
		refused(10, "'serial_prefix' may hold only letters, digits, '-' and '_'");
	}
	write_profile(11, "name = thermo^FS", NULL);
	refused(11, "'name' may hold only");
	write_profile(12, "model = ../x", NULL);
	refused(12, "'model' may hold only");
}

/* inih goes on after a bad line: the first problem keeps its own line and key. */
static void
test_wrong_key_line(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[2048], want[512];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, "[extra]\nfoo=1\nbar=2\n");
	refused(19, "unknown key 'foo' in section [extra]");
	assert_int_equal(profile_load_all(path, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:19: unknown key 'foo' in section [extra]\n"
	    "%s:20: unknown key 'bar' in section [extra]", path, path);
	assert_string_equal(err, want);
	free(p);
}

static void
test_label_dir(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024], ld[160];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	snprintf(ld, sizeof(ld), "%s/labels", dir);
	assert_string_equal(p->label_dir, ld);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1); /* missing */
	assert_non_null(strstr(err, "cannot be used"));
	assert_int_equal(mkdir(ld, 0700), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), 0);
	assert_int_equal(chmod(ld, 0770), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by its group or by everyone"));
	assert_int_equal(chmod(ld, 0500), 0);
	if (geteuid() != 0) { /* root may write anyway */
		assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not writable"));
	}
	assert_int_equal(chmod(ld, 0700), 0);
	assert_int_equal(rmdir(ld), 0);
	assert_int_equal(symlink(dir, ld), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	free(p);
}

static void
test_label_exclusive(void **state)
{
	char file[192], out[256], buf[64];
	int fd;
	ssize_t n;
	struct stat st;

	(void)state;
	assert_int_equal(label_write_zpl(dir, "p", "TH2-00000001", "pw", out, sizeof(out)), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second label for the serial, a planted file, a planted link: never written through */
	assert_int_equal(label_write_zpl(dir, "p", "TH2-00000001", "pw2", NULL, 0), -1);
	snprintf(file, sizeof(file), "%s/TH2-00000002.zpl", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "planted", 7), 7);
	close(fd);
	assert_int_equal(label_write_zpl(dir, "p", "TH2-00000002", "pw", NULL, 0), -1);
	fd = open(file, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "planted", 7);
	snprintf(out, sizeof(out), "%s/victim", dir);
	snprintf(file, sizeof(file), "%s/TH2-00000003.zpl", dir);
	assert_int_equal(symlink(out, file), 0);
	assert_int_equal(label_write_zpl(dir, "p", "TH2-00000003", "pw", NULL, 0), -1);
	assert_int_equal(access(out, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbalanced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_exclusive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
