/*
 * fuzz-fleet-export.c: libFuzzer target for `station fleet verify --from DIR` (station/fleet/
 * fleet-read.c's export reader and fleet-verify.c's checks), whose input is an export anyone may
 * have edited. The input is split at each "\x1e\n" into the tables' files, in fleet-read.h's
 * table order (stations.jsonl, entries.jsonl, ... leases.jsonl, then schema 5's cred_commitments.jsonl
 * and ssids.jsonl, last so that the older inputs keep their meaning; missing ones are empty), written
 * into a private directory, and verified: any outcome but a crash, a leak or an abort is fine;
 * the counts must stay consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet-read.h"
#include "fleet-verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(void *ctx, enum fleet_finding kind, const char *station, long long seq, const char *what)
{
	long long *n = ctx;

	if (station == NULL || what == NULL)
		abort();
	n[kind]++;
}

static char dir[64];

static void
cleanup(void)
{
	char path[128];
	int t;

	for (t = 0; t < FT_N; t++) {
		snprintf(path, sizeof(path), "%s/%s.jsonl", dir, fleet_read_spec((enum fleet_table)t)->name);
		unlink(path);
	}
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_verify_sum sum;
	struct fleet_src *src = NULL;
	long long n[3] = { 0, 0, 0 };
	char path[128], why[512];
	size_t off = 0;
	int t;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-fleet-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(cleanup);
	}
	for (t = 0; t < FT_N; t++) {
		const uint8_t *end = NULL;
		size_t len = 0, i;
		FILE *fp;

		for (i = off; i + 1 < size; i++)
			if (data[i] == 0x1e && data[i + 1] == '\n') {
				end = data + i;
				break;
			}
		if (off < size)
			len = end != NULL ? (size_t)(end - (data + off)) : size - off;
		snprintf(path, sizeof(path), "%s/%s.jsonl", dir, fleet_read_spec((enum fleet_table)t)->name);
		if ((fp = fopen(path, "wb")) == NULL)
			abort();
		if (len > 0 && fwrite(data + off, 1, len, fp) != len)
			abort();
		fclose(fp);
		off = end != NULL ? (size_t)(end - data) + 2 : size;
	}
	if (fleet_read_open_dir(dir, &src, why, sizeof(why)) != FR_OK)
		return 0;
	if (fleet_verify_run(src, quiet, n, &sum, why, sizeof(why)) == FR_OK &&
	    (sum.problems != n[FV_PROBLEM] || sum.conflicts != n[FV_CONFLICT] || sum.forks != n[FV_FORK]))
		abort();
	fleet_read_close(src);
	return 0;
}
