/*
 * conform-cred.c: the checks of the onboarding credentials (docs/protocol.md P-53, P-54):
 * SET_CREDENTIAL and CONFIRM_CREDENTIAL of each kind the board announces in HELLO caps
 * (CAP_CRED_WIFI, CAP_CRED_MATTER), in each state the run passes through: refused in BLANK, set,
 * confirmed, a mismatch, a replacement, refused values with no effect, a kind not announced,
 * still there and settable in KEYED and CERTIFIED, refused (and still confirmed) in LOCKED. A
 * board that announces no kind gets every cred.* check skipped. The credentials are random test
 * values the tool forgets; nothing is recorded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "conform-int.h"
#include "util.h"

static const uint32_t kind_cap[3] = { 0, CAP_CRED_WIFI, CAP_CRED_MATTER };
static const char *const kind_name[3] = { "?", "Wi-Fi", "Matter" };

/* 1 when the board announces the kind. */
static int
has_kind(const struct cx *c, uint8_t kind)
{
	return (c->hello.caps & kind_cap[kind]) != 0;
}

/* Skips name when the board announces no kind; 1 when it was skipped. */
static int
skip_none(struct cx *c, const char *name)
{
	if (has_kind(c, CRED_WIFI) || has_kind(c, CRED_MATTER))
		return 0;
	cx_skip(c, name, "the board announces no credential kind (HELLO caps bits 9, 10)");
	return 1;
}

/* Fresh random credentials: a WPA2/WPA3 passphrase of 20 characters (alt: a WPA2 PSK of 32 raw
 * bytes and another SSID) and a Matter verifier (alt: another salt and w0). */
static void
make_wifi(struct msg_cred *m, int alt)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789 !~";
	uint8_t r[MSG_WIFI_PSK_LEN];
	size_t i;

	(void)RAND_bytes(r, sizeof(r));
	memset(m, 0, sizeof(*m));
	m->kind = CRED_WIFI;
	snprintf(m->wifi.ssid, sizeof(m->wifi.ssid), "CONFORM-%02X%02X%s", r[0], r[1],
	    alt ? "-2" : "");
	if (alt) {
		m->wifi.akm = AKM_WPA2_PSK;
		memcpy(m->wifi.secret, r, sizeof(r));
		m->wifi.secret_len = MSG_WIFI_PSK_LEN;
	} else {
		m->wifi.akm = AKM_WPA2_WPA3;
		for (i = 0; i < 20; i++)
			m->wifi.secret[i] = (uint8_t)alpha[r[i] % (sizeof(alpha) - 1)];
		m->wifi.secret_len = 20;
	}
	util_wipe(r, sizeof(r));
}

static void
make_matter(struct msg_cred *m, int alt)
{
	memset(m, 0, sizeof(*m));
	m->kind = CRED_MATTER;
	m->matter.discriminator = alt ? 0 : 4095;
	m->matter.iterations = alt ? MSG_MIN_MATTER_ITER : MSG_MAX_MATTER_ITER;
	m->matter.salt_len = alt ? MSG_MIN_MATTER_SALT : MSG_MAX_MATTER_SALT;
	(void)RAND_bytes(m->matter.salt, m->matter.salt_len);
	(void)RAND_bytes(m->matter.verifier, sizeof(m->matter.verifier));
	m->matter.verifier[MSG_MATTER_W0_LEN] = 0x04; /* L uncompressed (the board checks only this) */
}

static void
make_cred(struct msg_cred *m, uint8_t kind, int alt)
{
	if (kind == CRED_WIFI)
		make_wifi(m, alt);
	else
		make_matter(m, alt);
}

/* Sends SET_CREDENTIAL or CONFIRM_CREDENTIAL of m (encoded by the tool's codec). */
static int
call_cred(struct cx *c, uint8_t type, const struct msg_cred *m)
{
	uint8_t p[MSG_MAX_CRED_MATTER_LEN];
	size_t len = 0;
	int r;

	r = msg_enc_cred(m, p, sizeof(p), &len) == PRC_OK ? cs_call(&c->s, type, p, len) : CS_IO;
	util_wipe(p, sizeof(p));
	return r;
}

/* CONFIRM_CREDENTIAL of m: its match (0/1), or -1 when the answer was not a match response (seen
 * says what came). */
static int
confirm_of(struct cx *c, const struct msg_cred *m, char *seen, size_t cap)
{
	struct msg_confirm_pw_rsp rsp;
	int r;

	r = call_cred(c, MSG_CONFIRM_CRED, m);
	if (cs_is_response(&c->s, r, MSG_CONFIRM_CRED) &&
	    msg_dec_confirm_pw_rsp(c->s.rpay, c->s.rlen, &rsp) == PRC_OK)
		return rsp.match;
	cs_describe(&c->s, r, seen, cap);
	return -1;
}

/* SET_CREDENTIAL of m: 0 for an empty response, -1 otherwise (seen set). */
static int
set_of(struct cx *c, const struct msg_cred *m, char *seen, size_t cap)
{
	int r = call_cred(c, MSG_SET_CRED, m);

	if (cs_is_response(&c->s, r, MSG_SET_CRED) && c->s.rlen == 0)
		return 0;
	cs_describe(&c->s, r, seen, cap);
	return -1;
}

/* Appends to a report's seen text (cut at cap). */
static void add(char *seen, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
add(char *seen, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(seen);
	va_list ap;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(seen + n, cap - n, fmt, ap);
	va_end(ap);
}

void
cx_cred_blank(struct cx *c)
{
	static const char exp[] = "SET_CREDENTIAL and CONFIRM_CREDENTIAL of each kind announced: "
	    "ERROR BAD_STATE (P-53, P-54)";
	char seen[240] = "", d[120];
	struct msg_cred m;
	uint8_t k, t;
	int r, bad = 0;

	if (!cx_sel(c, "cred.blank") || skip_none(c, "cred.blank"))
		return;
	cx_begin(c);
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!has_kind(c, k))
			continue;
		make_cred(&m, k, 0);
		for (t = MSG_SET_CRED; t <= MSG_CONFIRM_CRED; t++) {
			r = call_cred(c, t, &m);
			if (!cs_is_error(&c->s, r, PERR_BAD_STATE, t)) {
				cs_describe(&c->s, r, d, sizeof(d));
				add(seen, sizeof(seen), "%s%s", bad++ ? "; " : "", kind_name[k]);
				add(seen, sizeof(seen), " %s: %s", t == MSG_SET_CRED ? "SET" : "CONFIRM", d);
			}
		}
		util_wipe(&m, sizeof(m));
	}
	cx_report(c, "cred.blank", bad ? CONFORM_FAIL : CONFORM_PASS, exp, "%s",
	    bad ? seen : "BAD_STATE each");
}

/* Bad payloads of a kind, each refused with its code; none may change what is stored. */
static int
refusals(struct cx *c, uint8_t kind, char *seen, size_t cap)
{
	struct msg_cred m;
	uint8_t p[MSG_MAX_CRED_MATTER_LEN + 1];
	size_t len = 0, i;
	char d[120];
	int r, bad = 0;
	static const struct {
		uint8_t kind;
		const char *what;
		size_t at;    /* byte of the encoded payload changed (or, with cut, the new length) */
		uint8_t to;
		uint16_t code;
	} cases[] = {
		/* Wi-Fi: kind 1, ssid length at 1 (the tool's SSIDs are 13 or 15 bytes), akm, ... */
		{ CRED_WIFI, "akm 4", 0, 4, PERR_BAD_ARG },
		{ CRED_WIFI, "a passphrase byte 7f", 1, 0x7f, PERR_BAD_LENGTH },
		{ CRED_WIFI, "secret length 7", 2, 7, PERR_BAD_ARG },
		{ CRED_WIFI, "secret length 64", 2, 64, PERR_BAD_LENGTH },
		{ CRED_WIFI, "ssid length 33", 3, 33, PERR_BAD_LENGTH },
		{ CRED_WIFI, "kind 3", 4, 3, PERR_BAD_ARG },
		/* Matter: kind 2, discriminator 1-2, iterations 3-6, salt length 7 */
		{ CRED_MATTER, "discriminator 4096", 1, 0x10, PERR_BAD_ARG },
		{ CRED_MATTER, "iterations 999", 5, 0x03, PERR_BAD_ARG },
		{ CRED_MATTER, "salt length 15", 7, 15, PERR_BAD_ARG },
		{ CRED_MATTER, "salt length 33", 7, 33, PERR_BAD_LENGTH },
		{ CRED_MATTER, "L not starting with 04", 8, 0x02, PERR_BAD_ARG },
		{ CRED_MATTER, "a byte after the verifier", 9, 0, PERR_BAD_LENGTH },
	};

	make_cred(&m, kind, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].kind != kind)
			continue;
		if (msg_enc_cred(&m, p, sizeof(p) - 1, &len) != PRC_OK)
			return -1;
		if (kind == CRED_WIFI) {
			size_t sl = p[1], akm = 2 + sl, slen = akm + 1;

			switch (cases[i].at) {
			case 0: p[akm] = 4; break;
			case 1: p[slen + 1 + 3] = 0x7f; break;
			case 2: p[slen] = cases[i].to; break;
			case 3: p[1] = 33; break;
			default: p[0] = 3; break;
			}
		} else {
			size_t sl = p[7];

			switch (cases[i].at) {
			case 1: p[1] = 0x10; p[2] = 0x00; break;
			case 5: p[3] = 0; p[4] = 0; p[5] = 0x03; p[6] = 0xe7; break;
			case 7: p[7] = cases[i].to; break;
			case 8: p[8 + sl + MSG_MATTER_W0_LEN] = cases[i].to; break;
			default: p[len++] = 0; break;
			}
		}
		r = cs_call(&c->s, MSG_SET_CRED, p, len);
		if (!cs_is_error(&c->s, r, cases[i].code, MSG_SET_CRED)) {
			cs_describe(&c->s, r, d, sizeof(d));
			add(seen, cap, "%s%s", bad++ ? "; " : "", cases[i].what);
			add(seen, cap, ": %s (expected %s)", d, proto_errname(cases[i].code));
		}
	}
	util_wipe(&m, sizeof(m));
	util_wipe(p, sizeof(p));
	return bad ? -1 : 0;
}

void
cx_cred_identified(struct cx *c)
{
	char seen[400], d[160];
	struct msg_cred m, x;
	uint8_t k;
	int ok, r, m1, m2;

	static const char *const names[] = { "cred.set", "cred.confirm", "cred.mismatch",
		"cred.replace", "cred.refuse", "cred.unsupported" };
	size_t i;

	c->have_cred[CRED_WIFI] = c->have_cred[CRED_MATTER] = 0;
	if (!has_kind(c, CRED_WIFI) && !has_kind(c, CRED_MATTER)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)skip_none(c, names[i]);
		return;
	}
	/* cred.set: an empty response, the state unchanged */
	cx_begin(c);
	seen[0] = '\0';
	ok = 1;
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!has_kind(c, k))
			continue;
		make_cred(&c->cred[k], k, 0);
		if (set_of(c, &c->cred[k], d, sizeof(d)) != 0) {
			add(seen, sizeof(seen), "%s%s", ok ? "" : "; ", kind_name[k]);
			add(seen, sizeof(seen), ": %s%s", d, "");
			ok = 0;
			continue;
		}
		c->have_cred[k] = 1;
		add(seen, sizeof(seen), "%s%s: set", seen[0] ? ", " : "", kind_name[k]);
	}
	/* P-6: a board that announces Matter takes its longest request */
	if (has_kind(c, CRED_MATTER) && c->hello.max_payload < MSG_MAX_CRED_MATTER_LEN) {
		snprintf(seen, sizeof(seen), "Matter announced with max_payload %u, below %u",
		    c->hello.max_payload, (unsigned)MSG_MAX_CRED_MATTER_LEN);
		ok = 0;
	}
	if (ok && (cx_hello(c, NULL, d, sizeof(d)) != 0 || c->state != ST_IDENTIFIED)) {
		snprintf(seen, sizeof(seen), "then HELLO: %s", c->state >= 0 ?
		    proto_statename((unsigned)c->state) : d);
		ok = 0;
	}
	cx_report(c, "cred.set", ok ? CONFORM_PASS : CONFORM_FAIL, "SET_CREDENTIAL of each kind "
	    "announced: an empty response, the state unchanged (P-53; Matter: max_payload >= 137, "
	    "P-6)", "%s", seen);

	/* cred.confirm: match 1 */
	cx_begin(c);
	seen[0] = '\0';
	ok = c->have_cred[CRED_WIFI] || c->have_cred[CRED_MATTER];
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!c->have_cred[k])
			continue;
		r = confirm_of(c, &c->cred[k], d, sizeof(d));
		if (r != 1)
			ok = 0;
		add(seen, sizeof(seen), "%s%s: ", seen[0] ? ", " : "", kind_name[k]);
		add(seen, sizeof(seen), "%s%s", r < 0 ? d : r ? "match 1" : "match 0", "");
	}
	if (!c->have_cred[CRED_WIFI] && !c->have_cred[CRED_MATTER])
		cx_skip(c, "cred.confirm", "no credential was set");
	else
		cx_report(c, "cred.confirm", ok ? CONFORM_PASS : CONFORM_FAIL, "CONFIRM_CREDENTIAL of "
		    "what was set: match 1 (P-54)", "%s", seen);

	/* cred.mismatch: one field changed, match 0 as a normal response */
	cx_begin(c);
	seen[0] = '\0';
	ok = 1;
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!c->have_cred[k])
			continue;
		x = c->cred[k];
		if (k == CRED_WIFI) /* another printable character */
			x.wifi.secret[x.wifi.secret_len - 1] =
			    x.wifi.secret[x.wifi.secret_len - 1] == 'A' ? 'B' : 'A';
		else
			x.matter.verifier[MSG_MATTER_VERIFIER_LEN - 1] ^= 0x01;
		m1 = confirm_of(c, &x, d, sizeof(d));
		x = c->cred[k];
		if (k == CRED_WIFI)
			x.wifi.ssid[0] = x.wifi.ssid[0] == 'C' ? 'D' : 'C';
		else
			x.matter.discriminator ^= 1;
		m2 = m1 < 0 ? -1 : confirm_of(c, &x, d, sizeof(d));
		util_wipe(&x, sizeof(x));
		if (m1 != 0 || m2 != 0)
			ok = 0;
		add(seen, sizeof(seen), "%s%s: ", seen[0] ? "; " : "", kind_name[k]);
		if (m1 < 0 || m2 < 0)
			add(seen, sizeof(seen), "%s%s", d, "");
		else {
			char mm[96];

			snprintf(mm, sizeof(mm), "secret changed: match %d, %s changed: match %d", m1,
			    k == CRED_WIFI ? "ssid" : "discriminator", m2);
			add(seen, sizeof(seen), "%s%s", mm, "");
		}
	}
	if (!c->have_cred[CRED_WIFI] && !c->have_cred[CRED_MATTER])
		cx_skip(c, "cred.mismatch", "no credential was set");
	else
		cx_report(c, "cred.mismatch", ok ? CONFORM_PASS : CONFORM_FAIL, "CONFIRM_CREDENTIAL "
		    "with one field changed: match 0, a normal response (P-54)", "%s", seen);

	/* cred.replace: a second SET of a kind replaces the first */
	cx_begin(c);
	seen[0] = '\0';
	ok = 1;
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!c->have_cred[k])
			continue;
		make_cred(&m, k, 1);
		if (set_of(c, &m, d, sizeof(d)) != 0) {
			add(seen, sizeof(seen), "%s%s: SET ", seen[0] ? "; " : "", kind_name[k]);
			add(seen, sizeof(seen), "%s%s", d, "");
			ok = 0;
			util_wipe(&m, sizeof(m));
			continue;
		}
		m1 = confirm_of(c, &m, d, sizeof(d));
		m2 = m1 < 0 ? -1 : confirm_of(c, &c->cred[k], d, sizeof(d));
		if (m1 != 1 || m2 != 0)
			ok = 0;
		if (m1 < 0 || m2 < 0) {
			add(seen, sizeof(seen), "%s%s: ", seen[0] ? "; " : "", kind_name[k]);
			add(seen, sizeof(seen), "%s%s", d, "");
		} else {
			char mm[80];

			snprintf(mm, sizeof(mm), "%s: the new one match %d, the old one match %d",
			    kind_name[k], m1, m2);
			add(seen, sizeof(seen), "%s%s", seen[0] ? "; " : "", mm);
		}
		c->cred[k] = m; /* what the board holds now */
		util_wipe(&m, sizeof(m));
	}
	if (!c->have_cred[CRED_WIFI] && !c->have_cred[CRED_MATTER])
		cx_skip(c, "cred.replace", "no credential was set");
	else
		cx_report(c, "cred.replace", ok ? CONFORM_PASS : CONFORM_FAIL, "a second "
		    "SET_CREDENTIAL of a kind: the new one matches, the old one no more (P-53)", "%s",
		    seen);

	/* cred.refuse: bad values and lengths, each refused, nothing changed */
	cx_begin(c);
	seen[0] = '\0';
	ok = 1;
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!c->have_cred[k])
			continue;
		if (refusals(c, k, seen, sizeof(seen)) != 0)
			ok = 0;
		else if ((r = confirm_of(c, &c->cred[k], d, sizeof(d))) != 1) {
			add(seen, sizeof(seen), "%sthen the %s credential set before: ", seen[0] ? "; " :
			    "", kind_name[k]);
			add(seen, sizeof(seen), "%s%s", r < 0 ? d : "match 0 (changed by a refusal)", "");
			ok = 0;
		}
	}
	if (!c->have_cred[CRED_WIFI] && !c->have_cred[CRED_MATTER])
		cx_skip(c, "cred.refuse", "no credential was set");
	else
		cx_report(c, "cred.refuse", ok ? CONFORM_PASS : CONFORM_FAIL, "SET_CREDENTIAL with "
		    "values out of range: BAD_ARG, lengths and charset: BAD_LENGTH; the credential "
		    "set before still matches (P-11, P-31, P-53, §3.10)", "%s", ok ? "each refused, "
		    "nothing changed" : seen);

	/* cred.unsupported: the kind not announced */
	cx_begin(c);
	if (has_kind(c, CRED_WIFI) && has_kind(c, CRED_MATTER)) {
		cx_skip(c, "cred.unsupported", "the board announces both kinds");
		return;
	}
	k = has_kind(c, CRED_WIFI) ? CRED_MATTER : CRED_WIFI;
	make_cred(&m, k, 1); /* the shorter Matter form (121 bytes): a board of 128 takes it (P-6) */
	r = call_cred(c, MSG_SET_CRED, &m);
	ok = cs_is_error(&c->s, r, PERR_UNSUPPORTED, MSG_SET_CRED);
	cs_describe(&c->s, r, seen, sizeof(seen));
	if (ok) {
		r = call_cred(c, MSG_CONFIRM_CRED, &m);
		ok = cs_is_error(&c->s, r, PERR_UNSUPPORTED, MSG_CONFIRM_CRED);
		cs_describe(&c->s, r, d, sizeof(d));
		snprintf(seen, sizeof(seen), "SET and CONFIRM: %s", d);
	}
	util_wipe(&m, sizeof(m));
	cx_report(c, "cred.unsupported", ok ? CONFORM_PASS : CONFORM_FAIL, "SET_CREDENTIAL and "
	    "CONFIRM_CREDENTIAL of the kind not announced: ERROR UNSUPPORTED (P-53)", "%s: %s",
	    kind_name[k], seen);
}

void
cx_cred_state(struct cx *c, const char *name)
{
	char seen[240] = "", d[160];
	uint8_t k;
	int ok = 1, r, any = 0, locked = strcmp(name, "cred.locked") == 0;

	if (!cx_sel(c, name) || skip_none(c, name))
		return;
	cx_begin(c);
	for (k = CRED_WIFI; k <= CRED_MATTER; k++) {
		if (!c->have_cred[k])
			continue;
		any = 1;
		if (locked) {
			r = call_cred(c, MSG_SET_CRED, &c->cred[k]);
			if (!cs_is_error(&c->s, r, PERR_LOCKED, MSG_SET_CRED)) {
				cs_describe(&c->s, r, d, sizeof(d));
				add(seen, sizeof(seen), "%s%s SET: ", seen[0] ? "; " : "", kind_name[k]);
				add(seen, sizeof(seen), "%s (expected LOCKED)%s", d, "");
				ok = 0;
			}
		} else if (set_of(c, &c->cred[k], d, sizeof(d)) != 0) {
			add(seen, sizeof(seen), "%s%s SET: ", seen[0] ? "; " : "", kind_name[k]);
			add(seen, sizeof(seen), "%s%s", d, "");
			ok = 0;
		}
		if (locked && k == CRED_MATTER) {
			/* no passcode oracle on a shipped board (P-54) */
			r = call_cred(c, MSG_CONFIRM_CRED, &c->cred[k]);
			if (!cs_is_error(&c->s, r, PERR_LOCKED, MSG_CONFIRM_CRED)) {
				cs_describe(&c->s, r, d, sizeof(d));
				add(seen, sizeof(seen), "%s%s CONFIRM: ", seen[0] ? "; " : "", kind_name[k]);
				add(seen, sizeof(seen), "%s (expected LOCKED)%s", d, "");
				ok = 0;
			}
		} else if ((r = confirm_of(c, &c->cred[k], d, sizeof(d))) != 1) {
			add(seen, sizeof(seen), "%s%s CONFIRM: ", seen[0] ? "; " : "", kind_name[k]);
			add(seen, sizeof(seen), "%s%s", r < 0 ? d : "match 0", "");
			ok = 0;
		}
	}
	if (!any) {
		cx_skip(c, name, "no credential was set");
		return;
	}
	cx_report(c, name, ok ? CONFORM_PASS : CONFORM_FAIL, locked ?
	    "SET_CREDENTIAL: ERROR LOCKED; CONFIRM_CREDENTIAL of what was set: Wi-Fi match 1, Matter "
	    "ERROR LOCKED (P-21, P-53, P-54)" : "SET_CREDENTIAL of the same credential again: an empty response; "
	    "CONFIRM_CREDENTIAL: match 1 (P-53, P-54)", "%s", ok ? "as documented" : seen);
}
