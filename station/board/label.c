/* label.c: ZPL product labels; see label.h. */
#include "label.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Creates path, which must not exist (a file or link planted there is never written through),
 * mode 0600. A partial file is removed. 0 or -1 (errno). */
static int
write_new(const char *path, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w = -1;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return -1;
	while (off < n) {
		if ((w = write(fd, buf + off, n - off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = w == 0 ? EIO : errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return errno = saved, -1;
}

int
label_write_zpl(const char *dir, const char *product, const char *serial,
    const char *password, char *path, size_t cap)
{
	char file[1024], zpl[1024];
	int n, r;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (snprintf(file, sizeof(file), "%s/%s.zpl", dir, serial) >= (int)sizeof(file))
		return errno = ENAMETOOLONG, -1;
	/* ^BQ draws the QR code in the printer itself; the payload is the onboarding string a
	 * companion app scans. Serial and password are charset-checked printable ASCII without '^'
	 * or '~' (ZPL control characters): serials come from the profile, passwords from an
	 * alphanumeric alphabet. */
	if (strpbrk(serial, "^~") != NULL || strpbrk(password, "^~") != NULL)
		return errno = EINVAL, -1;
	n = snprintf(zpl, sizeof(zpl),
	    "^XA\n^CI28\n^FO30,30^A0N,32,32^FD%s^FS\n^FO30,80^A0N,28,28^FDS/N: %s^FS\n"
	    "^FO30,120^A0N,28,28^FDPassword: %s^FS\n^FO420,20^BQN,2,5^FDQA,S:%s;P:%s;^FS\n^XZ\n",
	    product, serial, password, serial, password);
	if (n < 0 || n >= (int)sizeof(zpl))
		return errno = ENAMETOOLONG, -1;
	r = write_new(file, zpl, (size_t)n);
	util_wipe(zpl, sizeof(zpl));
	if (r == 0 && path != NULL)
		snprintf(path, cap, "%s", file);
	return r;
}
