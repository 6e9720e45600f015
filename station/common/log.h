/*
 * log.h: diagnostics to stderr for people (library code never writes to stdout).
 * Never pass a secret (PIN, password, key) to these functions.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Program name shown as prefix ("station", "station-signer"); set once in main. */
void log_init(const char *progname, int level);
void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs fmt plus the drained OpenSSL error queue (as "...: <reason>; <reason>"). */
void log_openssl(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
