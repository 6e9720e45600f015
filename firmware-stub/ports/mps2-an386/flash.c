/* flash.c: NOR-like flash on a semihosting file; see flash.h. */
#include "flash.h"

#include <string.h>

#include "semihost.h"

#define CHUNK 256u

static int fd = -1;

static int
in_range(uint32_t off, size_t n)
{
	return fd >= 0 && off <= FLASH_SIZE && n <= FLASH_SIZE - off;
}

int
flash_open(const char *path)
{
	uint8_t ff[CHUNK];
	long len;
	uint32_t off, k;

	if ((fd = semihost_open(path, SH_RPB)) < 0 && (fd = semihost_open(path, SH_WPB)) < 0)
		return -1;
	if ((len = semihost_flen(fd)) < 0)
		return -1;
	/* a new (or short) part comes erased */
	memset(ff, 0xFF, sizeof(ff));
	for (off = (uint32_t)len; off < FLASH_SIZE; off += k) {
		k = FLASH_SIZE - off < CHUNK ? FLASH_SIZE - off : CHUNK;
		if (semihost_seek(fd, off) != 0 || semihost_write(fd, ff, k) != 0)
			return -1;
	}
	return 0;
}

int
flash_read(uint32_t off, void *buf, size_t n)
{
	if (!in_range(off, n) || semihost_seek(fd, off) != 0)
		return -1;
	return semihost_read(fd, buf, n) == (long)n ? 0 : -1;
}

int
flash_erase(uint32_t off, size_t n)
{
	uint8_t ff[CHUNK];
	size_t i;

	if (!in_range(off, n) || off % FLASH_SECTOR != 0 || n % FLASH_SECTOR != 0)
		return -1;
	memset(ff, 0xFF, sizeof(ff));
	for (i = 0; i < n; i += CHUNK)
		if (semihost_seek(fd, off + (uint32_t)i) != 0 || semihost_write(fd, ff, CHUNK) != 0)
			return -1;
	return 0;
}

int
flash_program(uint32_t off, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint8_t cur[CHUNK];
	size_t i, k, j;

	if (!in_range(off, n))
		return -1;
	for (i = 0; i < n; i += k) {
		k = n - i < CHUNK ? n - i : CHUNK;
		if (flash_read(off + (uint32_t)i, cur, k) != 0)
			return -1;
		for (j = 0; j < k; j++)
			cur[j] &= p[i + j];
		if (semihost_seek(fd, off + (uint32_t)i) != 0 || semihost_write(fd, cur, k) != 0) {
			memset(cur, 0, sizeof(cur));
			return -1;
		}
	}
	memset(cur, 0, sizeof(cur)); /* a record's piece may hold the key */
	return 0;
}
