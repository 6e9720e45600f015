/*
 * profile-int.h: the profile parser's state and checked setters, shared by profile.c (every
 * section but [label]) and profile-label.c ([label]). Internal to station/common.
 */
#ifndef PROFILE_INT_H
#define PROFILE_INT_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

struct pctx {
	struct profile *p; /* p->path is set: relative paths are next to the profile */
	char err[CAP_REASON]; /* the reason on_kv failed (set by the setters) */
	int seen_product, seen_cert;
	/* Line accounting: inih goes on after a bad line and reports only the first line, so
	 * on_kv records each problem with the line the reader is on (count_lines). */
	FILE *f;
	int lineno, at_bol;
	int first_line;   /* line of the first problem on_kv found, 0 = none */
	char *report;     /* every problem, "file:line: reason\n" each (truncated to repcap) */
	size_t replen, repcap;
	unsigned nproblems;
	/* [label] keys checked against each other once the file is read (profile-label.c) */
	int l_formats, l_send, l_status, l_qr_content;
	int l_width, l_height; /* lines of width_mm, height_mm (0: the default, which the default
	                        * layout may enlarge for the credentials' QR codes) */
	/* [wifi] and [matter] (profile-cred.c): the section's first line and its required keys' */
	int w_line, w_prefix, m_line, m_vid, m_pid;
};

/* The setters: 1 when v was stored into dst, 0 with c->err saying why (dst untouched). */
int profile_set_str(struct pctx *c, char *dst, size_t cap, const char *v, const char *key);
/* A path: relative ones are resolved against the profile's directory. */
int profile_set_path(struct pctx *c, char *dst, size_t cap, const char *v, const char *key);
int profile_set_u(struct pctx *c, unsigned *dst, const char *v, unsigned long min,
    unsigned long max, const char *key);
/* Text with variables {name} of vars[0..nvars) only, braces balanced; 1 or 0 (c->err). */
int profile_check_template(struct pctx *c, const char *v, const char *key,
    const char *const *vars, size_t nvars);
/* Records a problem at line (0: none) besides the one on_kv reports for the current key. */
void profile_problem(struct pctx *c, int line, const char *why);

/* [label] (profile-label.c): the defaults; one key (1 stored, 0 refused with c->err, -1 not a
 * [label] key); and, once the whole file is read, the default layout and the checks between
 * keys, each problem recorded with profile_problem at its key's line. */
void profile_label_defaults(struct label_profile *l);
int profile_label_kv(struct pctx *c, const char *name, const char *v);
void profile_label_finish(struct pctx *c);

/* [wifi] and [matter] (profile-cred.c): the defaults; one key (1 stored, 0 refused with c->err,
 * -1 not a key of these sections); the checks once the whole file is read. */
void profile_cred_defaults(struct profile *p);
int profile_cred_kv(struct pctx *c, const char *section, const char *name, const char *v);
void profile_cred_finish(struct pctx *c);

#endif
