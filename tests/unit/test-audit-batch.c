/*
 * test-audit-batch.c: the signer's group commit (hsm/record/audit.c, audit_batch_begin/end):
 * nothing of a batch is visible to another connection (so not durable) before audit_batch_end;
 * a request that fails inside a batch leaves no trace and does not take the others with it; a
 * transaction SQLite rolled back by itself is reported as lost and nothing after it is written
 * on its own; batches do not nest and take no read snapshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"

static const struct audit_who WHO = { "st-1", "op", "LOT-1" };

struct fx {
	char dir[64], path[96];
	struct audit *a;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-audit-batch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/station.db", f->dir);
	assert_int_equal(audit_open(f->path, &f->a), AUDIT_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	audit_close(f->a);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Entries of kind as another process sees them (its own connection). */
static long
count_kind(const struct fx *f, const char *kind)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM log WHERE kind = ?", -1, &st,
	                     NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
batch_is_durable_only_at_its_end(void **state)
{
	struct fx *f = *state;

	assert_int_equal(audit_batch_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_log(f->a, &WHO, "t.one", "c1", NULL, NULL), AUDIT_OK);
	assert_int_equal(audit_log(f->a, &WHO, "t.one", "c2", NULL, NULL), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.one"), 0);
	assert_int_equal(audit_batch_end(f->a), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.one"), 2);
	/* back to one commit per transaction */
	assert_int_equal(audit_log(f->a, &WHO, "t.after", NULL, NULL, NULL), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.after"), 1);
}

static void
failed_request_leaves_no_trace(void **state)
{
	struct fx *f = *state;
	int64_t seq = -1;

	assert_int_equal(audit_batch_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_log(f->a, &WHO, "t.kept", "c1", NULL, NULL), AUDIT_OK);
	/* a request that appended, then failed and rolled its own transaction back */
	assert_int_equal(audit_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_append(f->a, &WHO, "t.gone", "c2", NULL, NULL, NULL), AUDIT_OK);
	audit_rollback(f->a);
	/* a refused field: nothing appended, the savepoint undone */
	assert_int_not_equal(audit_log(f->a, &WHO, "t.bad\n", "c3", NULL, NULL), AUDIT_OK);
	assert_int_equal(audit_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_append(f->a, &WHO, "t.kept", "c4", NULL, NULL, &seq), AUDIT_OK);
	assert_int_equal(audit_commit(f->a), AUDIT_OK);
	/* the entry numbers stay contiguous: the undone entry's number is reused */
	assert_int_equal(seq, 1);
	audit_rollback(f->a); /* after its commit: a no-op, as outside a batch */
	assert_int_equal(audit_batch_end(f->a), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.kept"), 2);
	assert_int_equal(count_kind(f, "t.gone"), 0);
}

static void
lost_transaction_is_reported(void **state)
{
	struct fx *f = *state;

	assert_int_equal(audit_log(f->a, &WHO, "t.before", NULL, NULL, NULL), AUDIT_OK);
	assert_int_equal(audit_batch_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_log(f->a, &WHO, "t.lost", "c1", NULL, NULL), AUDIT_OK);
	/* what SQLite does by itself on SQLITE_FULL or SQLITE_IOERR */
	assert_int_equal(sqlite3_exec(audit_db(f->a), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	/* later requests of the batch must not be committed on their own */
	assert_int_not_equal(audit_log(f->a, &WHO, "t.lost", "c2", NULL, NULL), AUDIT_OK);
	assert_int_not_equal(audit_batch_end(f->a), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.lost"), 0);
	assert_int_equal(count_kind(f, "t.before"), 1);
	/* and the store works again afterwards */
	assert_int_equal(audit_log(f->a, &WHO, "t.again", NULL, NULL, NULL), AUDIT_OK);
	assert_int_equal(count_kind(f, "t.again"), 1);
}

static void
batches_do_not_nest(void **state)
{
	struct fx *f = *state;

	assert_int_equal(audit_batch_begin(f->a), AUDIT_OK);
	assert_int_equal(audit_batch_begin(f->a), AUDIT_ERR_ARG);
	assert_int_equal(audit_begin_read(f->a), AUDIT_ERR_ARG);
	assert_int_equal(audit_batch_end(f->a), AUDIT_OK);
	assert_int_equal(audit_batch_end(f->a), AUDIT_ERR_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(batch_is_durable_only_at_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_request_leaves_no_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_transaction_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(batches_do_not_nest, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
