/* events.c: JSON events and text lines for scripts and people; see events.h. */
#include "events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "remedy.h"
#include "sigproto.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int json_mode, stamp_mode;
static FILE *text_out; /* NULL: stdout */

void
events_init(int json, int stamp)
{
	json_mode = json;
	stamp_mode = stamp;
}

int
events_json(void)
{
	return json_mode;
}

void
events_text_to(FILE *f)
{
	pthread_mutex_lock(&out_lock);
	text_out = f;
	pthread_mutex_unlock(&out_lock);
}

/* RFC 3339 in UTC with milliseconds: 2026-11-30T05:41:07.123Z */
static void
rfc3339(char *out, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, cap - n, ".%03uZ", (unsigned)(tv.tv_usec / 1000) % 1000u);
}

void
events_emit(const char *name, json_t *fields)
{
	char when[40], *s;

	if (!json_mode) {
		json_decref(fields);
		return;
	}
	if (fields == NULL && (fields = json_object()) == NULL)
		return;
	rfc3339(when, sizeof(when));
	/* "event" and "time" first: a person reading the stream sees them at the start. */
	json_object_set_new(fields, "time", json_string(when));
	json_object_set_new(fields, "event", json_string(name));
	pthread_mutex_lock(&out_lock);
	if ((s = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS)) != NULL) {
		puts(s);
		free(s);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	json_decref(fields);
}

static void
vtext(const char *fmt, va_list ap)
{
	struct tm tm;
	time_t t = time(NULL);
	char hms[16];

	FILE *f;

	pthread_mutex_lock(&out_lock);
	f = text_out != NULL ? text_out : stdout;
	if (stamp_mode) {
		localtime_r(&t, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		fprintf(f, "%s ", hms);
	}
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&out_lock);
}

void
events_text(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vtext(fmt, ap);
	va_end(ap);
}

void
events_error(int exit_code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "station: %s\n", msg);
	events_emit("error", json_pack("{s:i,s:s}", "exit", exit_code, "message", msg));
}

void
events_checkpoint(const char *trigger, int ok, uint64_t size, const char *text)
{
	if (ok)
		events_emit("checkpoint", json_pack("{s:s,s:b,s:I,s:s}", "trigger", trigger, "ok", 1,
		    "size", (json_int_t)size, "note", text));
	else
		events_emit("checkpoint", json_pack("{s:s,s:b,s:s}", "trigger", trigger, "ok", 0,
		    "reason", text));
}

const char *
events_duration(uint64_t ms, char *buf, size_t cap)
{
	if (ms < 1000)
		snprintf(buf, cap, "%llu ms", (unsigned long long)ms);
	else
		snprintf(buf, cap, "%.1f s", (double)ms / 1000.0);
	return buf;
}

static const char *
verdict(const struct flow_result *r)
{
	return r->pass ? (r->again ? "DONE" : "PASS") : "FAIL";
}

/* What became of the board's label, when one was made (issue #13): the "label" event and, in
 * text mode, a line after the result. A void label is always announced, a kept one (printer
 * failure) says how to reprint it. */
static void
label_news(const char *fixture, const struct flow_result *r)
{
	if (r->label_state == SIGL_NONE && !r->label_void)
		return;
	if (json_mode) {
		events_emit("label", json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "fixture", fixture,
		    "serial", r->serial, "state", sigp_label_name(r->label_state), "void", r->label_void,
		    "path", r->label, "preview", r->preview, "reason", r->label_note));
		return;
	}
	if (r->label_void && r->label_state == SIGL_PRINTED)
		events_text("%-10s LABEL %s VOID: its board failed; throw the printed label away", fixture,
		    r->serial);
	else if (r->label_void && r->label_state == SIGL_NONE)
		events_text("%-10s LABEL %s VOID: its board failed; throw away the label printed for it "
		    "earlier", fixture, r->serial);
	else if (r->label_void)
		events_text("%-10s LABEL %s VOID: its board failed; the label was not printed and is "
		    "removed (if anything printed it from the label directory, throw it away)", fixture,
		    r->serial);
	else if (r->label_state == SIGL_KEPT)
		events_text("%-10s LABEL %s NOT PRINTED: %s; kept: 'station label reprint %s' once the "
		    "printer is fixed", fixture, r->serial, r->label_note, r->serial);
}

void
events_result(const char *fixture, const char *port, const struct flow_result *r, int recorded)
{
	char d[32];

	label_news(fixture, r);
	if (json_mode) {
		events_emit("result", json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
		    "s:I,s:I,s:b,s:b,s:s,s:b}", "fixture", fixture, "port", port, "result", verdict(r), "step",
		    r->step, "code", r->code, "reason", r->reason, "remedy", r->pass ? "" :
		    remedy_for(r->code), "chip_id", r->chip_hex, "serial", r->serial, "cert_serial",
		    r->cert_serial, "label", r->label, "fw_version", r->fw_version, "elapsed_ms",
		    (json_int_t)r->elapsed_ms, "retransmits", (json_int_t)r->retransmits, "recorded",
		    recorded, "void", r->void_serial, "label_state", sigp_label_name(r->label_state),
		    "label_void", r->label_void));
		return;
	}
	if (r->pass)
		events_text("%-10s %s  %s  %s", fixture, verdict(r), r->serial,
		    events_duration(r->elapsed_ms, d, sizeof(d)));
	else
		events_text("%-10s FAIL  %s at %s: %s", fixture, r->code, r->step, remedy_for(r->code));
	log_info("fixture %s: %s%s%s", fixture, verdict(r), r->pass ? "" : ": ", r->reason);
}
