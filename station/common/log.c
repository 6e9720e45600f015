/* log.c: stderr diagnostics with a program prefix; see log.h. */
#include "log.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *g_prog = "station";
static int g_level = LOG_INFO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_init(const char *progname, int level)
{
	g_prog = progname;
	g_level = level;
}

void
log_set_level(int level)
{
	g_level = level;
}

static void
vlog(int level, const char *suffix, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	if (level > g_level)
		return;
	pthread_mutex_lock(&g_lock);
	fprintf(stderr, "%s: ", g_prog);
	if (level <= LOG_WARN)
		fprintf(stderr, "%s: ", names[level]);
	vfprintf(stderr, fmt, ap);
	if (suffix != NULL && *suffix != '\0')
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
	pthread_mutex_unlock(&g_lock);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_openssl(int level, const char *fmt, ...)
{
	char detail[512] = "", one[256];
	unsigned long e;
	size_t used = 0;
	va_list ap;

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (used + strlen(one) + 3 < sizeof(detail)) {
			used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s",
			    used ? "; " : "", one);
		}
	}
	va_start(ap, fmt);
	vlog(level, used ? detail : "(no OpenSSL detail)", fmt, ap);
	va_end(ap);
}
