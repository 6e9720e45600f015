/* label.c: ZPL product labels; see label.h. */
#include "label.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

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
	r = util_write_file(file, zpl, (size_t)n, 0600);
	util_wipe(zpl, sizeof(zpl));
	if (r == 0 && path != NULL)
		snprintf(path, cap, "%s", file);
	return r;
}
