/* util.c: see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"

char *
util_hex(const uint8_t *p, size_t n, char *out, size_t cap)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	if (cap == 0)
		return out;
	if (n > (cap - 1) / 2)
		n = (cap - 1) / 2;
	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int
util_hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), i;
	int hi, lo;

	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = util_hexdigit((unsigned char)s[2 * i])) < 0 ||
		    (lo = util_hexdigit((unsigned char)s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int
util_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

void
util_sanitize(const char *s, size_t n, char *out, size_t cap)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < n && i + 1 < cap && s[i] != '\0'; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) ? '?' : s[i];
	out[i] = '\0';
}

int
util_read_file(const char *path, size_t cap, uint8_t **buf, size_t *n)
{
	struct stat st;
	uint8_t *b = NULL;
	ssize_t got;
	size_t off = 0;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto out;
	if ((size_t)st.st_size > cap) {
		r = -2;
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (off < (size_t)st.st_size) {
		got = read(fd, b + off, (size_t)st.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			goto out;
		off += (size_t)got;
	}
	b[off] = '\0';
	*buf = b;
	b = NULL;
	*n = off;
	r = 0;
out:
	free(b);
	close(fd);
	return r;
}

int
util_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = write(fd, p + off, n - off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

int
util_write_file(const char *path, const void *buf, size_t n, unsigned mode)
{
	char tmp[4096], dir[4096];
	int fd, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return errno = ENAMETOOLONG, -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0)
		return -1;
	if (util_write_all(fd, buf, n) != 0)
		goto fail;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
util_each_line(const char *path, int (*fn)(void *ctx, const char *line), void *ctx)
{
	char line[CAP_LINE];
	size_t n;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		if ((n = strlen(line)) > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		r = fn(ctx, line);
	}
	if (r == 0 && ferror(f))
		r = -1;
	fclose(f);
	return r;
}

int
util_sibling(const char *path, const char *name, char *out, size_t cap)
{
	const char *sl = strrchr(path, '/');
	int dl = sl != NULL ? (int)(sl - path) + 1 : 0; /* the directory with its '/' */
	int n = snprintf(NULL, 0, "%.*s%s", dl, path, name);

	if (n < 0 || (size_t)n >= cap)
		return -1;
	snprintf(out, cap, "%.*s%s", dl, path, name);
	return 0;
}

void
util_utc_now(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char b[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%03ldZ", b, ts.tv_nsec / 1000000);
}

uint64_t
util_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
util_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

int
util_exe_dir(char *out, size_t cap)
{
	char buf[4096];
	ssize_t n;
	char *slash;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (strlen(buf) >= cap)
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

void
util_why(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}
