/*
 * p11-pin.c: read the HSM user PIN from a file, the environment or /dev/tty (never argv).
 * The PIN is never logged; every temporary copy is wiped with OPENSSL_cleanse.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "p11.h"


/* Store line[0..n) as the PIN: 1..cap-1 bytes, no NUL inside. */
static int
store_pin(const char *what, const char *line, size_t n, char *pin, size_t cap, size_t *len)
{
	if (n == 0) {
		log_error("HSM PIN from %s is empty; it must hold the user PIN (in a file: on the "
		    "first line)", what);
		return P11_ERR_PINSRC;
	}
	if (n > cap - 1) {
		log_error("HSM PIN from %s is longer than %zu bytes; check that it holds only the "
		    "user PIN", what, cap - 1);
		return P11_ERR_PINSRC;
	}
	if (memchr(line, '\0', n) != NULL) {
		log_error("HSM PIN from %s contains a NUL byte; write the PIN as text", what);
		return P11_ERR_PINSRC;
	}
	memcpy(pin, line, n);
	pin[n] = '\0';
	*len = n;
	return P11_OK;
}

/* Length of the first line of buf[0..n), without its trailing "\r\n" / "\n". */
static size_t
first_line(const char *buf, size_t n)
{
	const char *nl;

	if ((nl = memchr(buf, '\n', n)) != NULL)
		n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return n;
}

/* The first line of a PIN file is the PIN and "\r\n": reading one byte more tells a longer line. */
static int
pin_from_file(const char *path, char *pin, size_t cap, size_t *len)
{
	char buf[CAP_PIN + 3];
	struct stat st;
	size_t used = 0;
	ssize_t got;
	int fd = -1, r = P11_ERR_PINSRC;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		log_error("cannot open HSM PIN file '%s': %s; check [hsm] pin_file= in the profile",
		    path, strerror(errno));
		goto out;
	}
	/* fstat on the open descriptor: no window between the check and the read. */
	if (fstat(fd, &st) == -1) {
		log_error("cannot stat HSM PIN file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("HSM PIN file '%s' is not a regular file; point [hsm] pin_file= at a "
		    "file that holds the PIN", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		log_error("HSM PIN file '%s' is accessible by group or others (mode %04o); "
		    "run: chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (used < sizeof(buf)) {
		if ((got = read(fd, buf + used, sizeof(buf) - used)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("cannot read HSM PIN file '%s': %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	if (used == sizeof(buf) && memchr(buf, '\n', used) == NULL) {
		log_error("HSM PIN file '%s' has no line break in its first %zu bytes: its first line "
		    "is longer than a PIN (at most %d bytes); it should hold only the user PIN", path,
		    sizeof(buf), CAP_PIN);
		goto out;
	}
	r = store_pin("the PIN file", buf, first_line(buf, used), pin, cap, len);
 out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return r;
}

static int
pin_from_env(const char *name, char *val, char *pin, size_t cap, size_t *len)
{
	size_t n = strlen(val);
	int r;

	r = store_pin("the environment", val, n, pin, cap, len);
	/*
	 * Wipe the value in place before unsetenv: the initial environment (and so
	 * /proc/self/environ) and setenv() copies are writable. unsetenv only drops the pointer.
	 */
	OPENSSL_cleanse(val, n);
	if (unsetenv(name) != 0)
		log_warn("could not remove %s from the environment: %s", name, strerror(errno));
	if (r != P11_OK)
		log_error("environment variable %s was removed; set it again with a valid PIN",
		    name);
	return r;
}

static int
pin_from_tty(int fd, char *pin, size_t cap, size_t *len)
{
	static const char prompt[] = "HSM user PIN: ";
	struct termios old, noecho;
	char line[CAP_PIN + 1]; /* the PIN and a '\r' */
	size_t n = 0;
	int restore = 0, toolong = 0, r = P11_ERR_PINSRC;
	ssize_t got;
	char c;

	if (tcgetattr(fd, &old) == -1) {
		log_error("cannot read terminal settings of /dev/tty: %s", strerror(errno));
		goto out;
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == -1) {
		log_error("cannot turn off echo on /dev/tty: %s", strerror(errno));
		goto out;
	}
	restore = 1;
	if (write(fd, prompt, sizeof(prompt) - 1) < 0)
		goto out;
	for (;;) {
		if ((got = read(fd, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("cannot read the PIN from /dev/tty: %s", strerror(errno));
			goto out;
		}
		if (got == 0 || c == '\n')
			break;
		if (n < sizeof(line))
			line[n++] = c;
		else
			toolong = 1;
	}
	(void)!write(fd, "\n", 1);
	if (toolong) {
		log_error("HSM PIN typed at the prompt is longer than %d bytes", CAP_PIN);
		goto out;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	r = store_pin("the prompt", line, n, pin, cap, len);
 out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(&c, sizeof(c));
	return r;
}

int
p11_read_pin(const char *pin_file, const char *env_name, char *pin, size_t cap, size_t *len)
{
	size_t l = 0;
	char *val;
	int fd, r;

	if (pin == NULL || len == NULL || cap < 2) {
		log_error("p11_read_pin: no room for a PIN (internal error)");
		return P11_ERR_ARG;
	}
	if (pin_file != NULL)
		r = pin_from_file(pin_file, pin, cap, &l);
	else if (env_name != NULL && (val = getenv(env_name)) != NULL)
		r = pin_from_env(env_name, val, pin, cap, &l);
	else if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1) {
		if (isatty(fd))
			r = pin_from_tty(fd, pin, cap, &l);
		else
			r = 1;
		close(fd);
	} else
		r = 1;
	if (r == 1) {
		log_error("no HSM PIN source: set [hsm] pin_file= in the profile (a file with "
		    "mode 600), or set the environment variable %s, or run interactively so the "
		    "PIN can be typed at a prompt on /dev/tty", env_name != NULL ? env_name :
		    "configured for the PIN");
		return P11_ERR_PINSRC;
	}
	if (r == P11_OK)
		*len = l;
	return r;
}
