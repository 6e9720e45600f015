/* semihost.c: Arm semihosting calls; see semihost.h. */
#include "semihost.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C
#define SYS_GET_CMDLINE 0x15
#define SYS_EXIT 0x18
#define SYS_ELAPSED 0x30
#define SYS_TICKFREQ 0x31
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

/* r0 = operation, r1 = parameter block; the result comes back in r0. */
static long
semihost_call(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return (long)(int32_t)r0;
}

static size_t
semihost_strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

int
semihost_open(const char *path, int mode)
{
	uint32_t a[3];

	a[0] = (uint32_t)(uintptr_t)path;
	a[1] = (uint32_t)mode;
	a[2] = (uint32_t)semihost_strlen(path);
	return (int)semihost_call(SYS_OPEN, a);
}

long
semihost_read(int fd, void *buf, size_t n)
{
	uint32_t a[3];
	long left;

	a[0] = (uint32_t)fd;
	a[1] = (uint32_t)(uintptr_t)buf;
	a[2] = (uint32_t)n;
	/* SYS_READ returns the number of bytes NOT read */
	left = semihost_call(SYS_READ, a);
	if (left < 0 || (unsigned long)left > n)
		return -1;
	return (long)n - left;
}

int
semihost_write(int fd, const void *buf, size_t n)
{
	uint32_t a[3];

	a[0] = (uint32_t)fd;
	a[1] = (uint32_t)(uintptr_t)buf;
	a[2] = (uint32_t)n;
	return semihost_call(SYS_WRITE, a) == 0 ? 0 : -1;
}

int
semihost_seek(int fd, uint32_t pos)
{
	uint32_t a[2];

	a[0] = (uint32_t)fd;
	a[1] = pos;
	return semihost_call(SYS_SEEK, a) == 0 ? 0 : -1;
}

long
semihost_flen(int fd)
{
	uint32_t a[1];

	a[0] = (uint32_t)fd;
	return semihost_call(SYS_FLEN, a);
}

void
semihost_close(int fd)
{
	uint32_t a[1];

	a[0] = (uint32_t)fd;
	(void)semihost_call(SYS_CLOSE, a);
}

int
semihost_cmdline(char *buf, size_t cap)
{
	uint32_t a[2];

	if (cap < 2)
		return -1;
	a[0] = (uint32_t)(uintptr_t)buf;
	a[1] = (uint32_t)(cap - 1);
	if (semihost_call(SYS_GET_CMDLINE, a) != 0 || a[1] >= cap)
		return -1;
	buf[a[1]] = '\0';
	return 0;
}

void
semihost_puts(const char *s)
{
	(void)semihost_call(SYS_WRITE0, s);
}

uint64_t
semihost_elapsed_us(void)
{
	static long freq;
	uint32_t a[2] = { 0, 0 };
	uint64_t t;

	if (freq == 0 && (freq = semihost_call(SYS_TICKFREQ, 0)) <= 0)
		freq = -1;
	if (freq < 0 || semihost_call(SYS_ELAPSED, a) != 0)
		return 0;
	t = (uint64_t)a[0] | (uint64_t)a[1] << 32;
	return freq >= 1000000 ? t / (uint64_t)(freq / 1000000) : t * (uint64_t)(1000000 / freq);
}

void
semihost_exit(int status)
{
	/* AArch32: r1 is the reason itself, not a block; any other reason than ApplicationExit
	 * makes QEMU exit with status 1 */
	(void)semihost_call(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT :
	    ADP_STOPPED_RUNTIME_ERROR));
	for (;;)
		;
}
