/*
 * replay-main.c: runs a libFuzzer target on every regular file of the given directories (or on
 * the given files) without libFuzzer, so any compiler can replay the corpus as a regression test.
 * Exits non-zero when an argument is missing or when no input was found at all; a target that
 * finds a bug aborts, which fails the run.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (16u * 1024 * 1024)

static int
run_file(const char *path, unsigned long *count)
{
	FILE *f;
	uint8_t *buf = NULL;
	long sz;
	size_t n;
	int r = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size the file\n", path);
		goto out;
	}
	if ((unsigned long)sz > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: %ld bytes, above the %u-byte limit\n", path, sz,
		    REPLAY_MAX_INPUT);
		goto out;
	}
	/* malloc(0) may return NULL; one spare byte keeps an empty input a valid pointer. */
	if ((buf = malloc((size_t)sz + 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto out;
	}
	n = fread(buf, 1, (size_t)sz, f);
	if (n != (size_t)sz) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	(void)LLVMFuzzerTestOneInput(buf, n);
	(*count)++;
	r = 0;
out:
	free(buf);
	fclose(f);
	return r;
}

static int
run_dir(const char *dir, unsigned long *count)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[4096];
	int r = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir, de->d_name);
			r = -1;
			continue;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path, count) != 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int
main(int argc, char **argv)
{
	unsigned long count = 0;
	struct stat st;
	int i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s corpus-dir-or-file ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) != 0)
				bad = 1;
		} else if (run_file(argv[i], &count) != 0)
			bad = 1;
	}
	printf("replay: %lu inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no input found; an empty corpus tests nothing\n");
		return 1;
	}
	return bad;
}
