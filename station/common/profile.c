/* profile.c: INI product profile (libinih); see profile.h. */
#include "profile.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile-int.h"
#include "proto.h"
#include "util.h"


int
profile_set_str(struct pctx *c, char *dst, size_t cap, const char *v, const char *key)
{
	if (strlen(v) >= cap) {
		snprintf(c->err, sizeof(c->err), "value of '%s' is too long (max %zu characters)", key,
		    cap - 1);
		return 0;
	}
	if (!util_printable(v)) {
		snprintf(c->err, sizeof(c->err), "value of '%s' holds control characters", key);
		return 0;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

/* Safe for a file name and a ZPL field: letters, digits, '-' and '_' (no '/', '.', '^', '~',
 * spaces or control characters). */
static int
safe_word(const char *v)
{
	const char *q;

	for (q = v; *q != '\0'; q++) {
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		    *q == '-' || *q == '_'))
			return 0;
	}
	return 1;
}

static int
set_word(struct pctx *c, char *dst, size_t cap, const char *v, const char *key)
{
	if (v[0] == '\0' || !safe_word(v)) {
		snprintf(c->err, sizeof(c->err), "'%s' may hold only letters, digits, '-' and '_' (it "
		    "goes into label file names and ZPL labels), not '%.64s'", key, v);
		return 0;
	}
	return profile_set_str(c, dst, cap, v, key);
}

int
profile_check_template(struct pctx *c, const char *v, const char *key, const char *const *vars,
    size_t nvars)
{
	const char *q, *end;
	char known[128];
	size_t i, n, k = 0;

	for (q = v; *q != '\0'; q++) {
		if (*q == '}') {
			snprintf(c->err, sizeof(c->err), "'%s' has a '}' without its '{'", key);
			return 0;
		}
		if (*q != '{')
			continue;
		if ((end = strpbrk(q + 1, "{}")) == NULL || *end == '{') {
			snprintf(c->err, sizeof(c->err), "'%s' has a '{' without its '}'", key);
			return 0;
		}
		n = (size_t)(end - q - 1);
		for (i = 0; i < nvars; i++)
			if (strlen(vars[i]) == n && memcmp(vars[i], q + 1, n) == 0)
				break;
		if (i == nvars) {
			known[0] = '\0';
			for (i = 0; i < nvars && k < sizeof(known); i++)
				k += (size_t)snprintf(known + k, sizeof(known) - k, "%s{%s}", i ? ", " : "",
				    vars[i]);
			snprintf(c->err, sizeof(c->err), "'%s' uses the unknown variable {%.*s} (known: "
			    "%s)", key, (int)(n > 32 ? 32 : n), q + 1, known);
			return 0;
		}
		q = end;
	}
	return 1;
}

/* A certificate template: text with {serial}, {chip}, {model} or {product}, braces balanced. */
static int
set_template(struct pctx *c, char *dst, size_t cap, const char *v, const char *key)
{
	static const char *const vars[] = { "serial", "chip", "model", "product" };

	if (!profile_check_template(c, v, key, vars, sizeof(vars) / sizeof(vars[0])))
		return 0;
	return profile_set_str(c, dst, cap, v, key);
}

int
profile_set_path(struct pctx *c, char *dst, size_t cap, const char *v, const char *key)
{
	char tmp[CAP_PATH * 2];

	if (v[0] == '/')
		return profile_set_str(c, dst, cap, v, key);
	if (util_sibling(c->p->path, v, tmp, sizeof(tmp)) != 0) {
		snprintf(c->err, sizeof(c->err), "value of '%s' is too long (max %zu characters)", key,
		    cap - 1);
		return 0;
	}
	return profile_set_str(c, dst, cap, tmp, key);
}

static int
set_uint(struct pctx *c, unsigned long *dst, const char *v, unsigned long min, unsigned long max,
    const char *key)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || x < min || x > max) {
		snprintf(c->err, sizeof(c->err), "'%s' must be a whole number from %lu to %lu, not '%s'",
		    key, min, max, v);
		return 0;
	}
	*dst = x;
	return 1;
}

int
profile_set_u(struct pctx *c, unsigned *dst, const char *v, unsigned long min, unsigned long max,
    const char *key)
{
	unsigned long x;

	if (!set_uint(c, &x, v, min, max, key))
		return 0;
	*dst = (unsigned)x;
	return 1;
}

/* "0", "90s", "10m", "2h" or plain seconds, up to a week -> seconds */
/* yes / no */
static int
set_yesno(struct pctx *c, int *dst, const char *v, const char *key)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
		*dst = strcmp(v, "yes") == 0;
		return 1;
	}
	snprintf(c->err, sizeof(c->err), "%s must be yes or no, not '%s'", key, v);
	return 0;
}

static int
set_duration(struct pctx *c, unsigned long *dst, const char *v, const char *key)
{
	char *end;
	unsigned long x, mul = 1;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (*end == 's' || *end == 'm' || *end == 'h') {
		mul = *end == 'm' ? 60 : *end == 'h' ? 3600 : 1;
		end++;
	}
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || x > 604800UL / mul) {
		snprintf(c->err, sizeof(c->err), "'%s' must be a duration such as 90s, 10m or 2h (at "
		    "most a week; 0 turns it off), not '%s'", key, v);
		return 0;
	}
	*dst = x * mul;
	return 1;
}

static int
add_allow(struct pctx *c, const char *v)
{
	struct fw_allow *a;
	char ver[64], hex[128];

	/* "1.4.2 sha256:<64 hex>" */
	if (c->p->nallow >= CAP_ALLOWLIST) {
		snprintf(c->err, sizeof(c->err), "too many firmware allow entries (max %d)", CAP_ALLOWLIST);
		return 0;
	}
	if (sscanf(v, "%63s sha256:%127s", ver, hex) != 2 || strlen(ver) > 32 ||
	    util_unhex(hex, (a = &c->p->allow[c->p->nallow])->digest, 32) != 32) {
		snprintf(c->err, sizeof(c->err),
		    "firmware allow entry must read '<version> sha256:<64 hex digits>', not '%s'", v);
		return 0;
	}
	memcpy(a->version, ver, strlen(ver) + 1);
	c->p->nallow++;
	return 1;
}

static int
set_key_types(struct pctx *c, const char *v)
{
	char buf[256], *tok, *save = NULL;
	unsigned mask = 0;

	if (!profile_set_str(c, buf, sizeof(buf), v, "key_types"))
		return 0;
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "ec-p256") == 0)
			mask |= ISSUE_KEY_EC_P256;
		else if (strcmp(tok, "ec-p384") == 0)
			mask |= ISSUE_KEY_EC_P384;
		else if (strcmp(tok, "rsa") == 0)
			mask |= ISSUE_KEY_RSA;
		else {
			snprintf(c->err, sizeof(c->err),
			    "unknown key type '%s' (known: ec-p256, ec-p384, rsa)", tok);
			return 0;
		}
	}
	if (mask == 0) {
		snprintf(c->err, sizeof(c->err), "key_types is empty");
		return 0;
	}
	c->p->cert.key_types = mask;
	/* The key the board is asked to make: the first allowed, in order of preference. */
	c->p->key_type = (mask & ISSUE_KEY_EC_P256) ? KEY_EC_P256 :
	    (mask & ISSUE_KEY_EC_P384) ? KEY_EC_P384 : KEY_RSA_2048;
	return 1;
}

static int
set_eku(struct pctx *c, const char *v)
{
	char buf[128], *tok, *save = NULL;

	if (!profile_set_str(c, buf, sizeof(buf), v, "eku"))
		return 0;
	c->p->cert.eku_client_auth = c->p->cert.eku_server_auth = 0;
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "clientAuth") == 0)
			c->p->cert.eku_client_auth = 1;
		else if (strcmp(tok, "serverAuth") == 0)
			c->p->cert.eku_server_auth = 1;
		else if (strcmp(tok, "none") != 0) {
			snprintf(c->err, sizeof(c->err),
			    "unknown eku '%s' (known: clientAuth, serverAuth, none)", tok);
			return 0;
		}
	}
	return 1;
}

#define KEY(s, k) (strcasecmp(section, s) == 0 && strcmp(name, k) == 0)

static int
handle_kv(void *user, const char *section, const char *name, const char *v)
{
	struct pctx *c = user;
	struct profile *p = c->p;
	struct issue_profile *ip = &p->cert;
	struct step_timeouts *t = &p->to;
	unsigned long ul;

	if (KEY("station", "id"))
		return profile_set_str(c, p->station_id, sizeof(p->station_id), v, name);
	if (KEY("station", "database"))
		return profile_set_path(c, p->database, sizeof(p->database), v, name);
	if (KEY("station", "operator"))
		return profile_set_str(c, p->operator_name, sizeof(p->operator_name), v, name);
	if (KEY("station", "lot"))
		return profile_set_str(c, p->lot, sizeof(p->lot), v, name);
	if (KEY("station", "label_dir"))
		return profile_set_path(c, p->label_dir, sizeof(p->label_dir), v, name);
	if (KEY("station", "baud"))
		return profile_set_u(c, &p->baud, v, 1200, 4000000, name);
	if (KEY("hsm", "module"))
		return profile_set_str(c, p->module, sizeof(p->module), v, name);
	if (KEY("hsm", "token"))
		return profile_set_str(c, p->token_uri, sizeof(p->token_uri), v, name);
	if (KEY("hsm", "ca_key"))
		return profile_set_str(c, p->ca_key_uri, sizeof(p->ca_key_uri), v, name);
	if (KEY("hsm", "audit_key"))
		return profile_set_str(c, p->audit_key_uri, sizeof(p->audit_key_uri), v, name);
	if (KEY("hsm", "audit_key_type")) {
		if (strcmp(v, "auto") == 0 || strcmp(v, "ed25519") == 0 || strcmp(v, "ec-p256") == 0)
			return profile_set_str(c, p->audit_key_type, sizeof(p->audit_key_type), v, name);
		snprintf(c->err, sizeof(c->err), "unknown audit_key_type '%s' (known: auto, ed25519, "
		    "ec-p256)", v);
		return 0;
	}
	if (KEY("hsm", "max_loaded_keys")) {
		p->max_loaded_set = 1;
		return profile_set_u(c, &p->max_loaded_keys, v, 0, CAP_P11_KEYS, name);
	}
	if (KEY("hsm", "allow_imported_keys"))
		return set_yesno(c, &p->allow_imported_keys, v, name);
	if (KEY("conform", "test"))
		return set_yesno(c, &p->conform_test, v, name);
	if (KEY("hsm", "commit_key"))
		return profile_set_str(c, p->commit_key_uri, sizeof(p->commit_key_uri), v, name);
	if (KEY("hsm", "pin_file"))
		return profile_set_path(c, p->pin_file, sizeof(p->pin_file), v, name);
	if (KEY("hsm", "ca_cert"))
		return profile_set_path(c, p->ca_cert, sizeof(p->ca_cert), v, name);
	if (KEY("hsm", "root_cert"))
		return profile_set_path(c, p->root_cert, sizeof(p->root_cert), v, name);
	if (KEY("product", "name")) {
		c->seen_product = 1;
		return set_word(c, ip->product, sizeof(ip->product), v, name);
	}
	if (KEY("product", "model"))
		return set_word(c, p->model, sizeof(p->model), v, name);
	if (KEY("product", "serial_prefix"))
		return set_word(c, p->serial_prefix, sizeof(p->serial_prefix), v, name);
	if (KEY("product", "serial_digits"))
		return profile_set_u(c, &p->serial_digits, v, 4, 12, name);
	if (KEY("product", "quota"))
		return set_uint(c, &p->quota, v, 1, 1000000000UL, name);
	if (KEY("product", "total"))
		return set_uint(c, &p->total, v, 1, 4000000000UL, name);
	if (KEY("product", "certs_per_chip"))
		return set_uint(c, &p->certs_per_chip, v, 1, 100, name);
	if (KEY("firmware", "allow"))
		return add_allow(c, v);
	if (KEY("password", "length"))
		return profile_set_u(c, &p->pw_length, v, 12, MSG_MAX_PASSWORD, name);
	if (KEY("password", "verifier_iterations"))
		return profile_set_u(c, &p->pw_iterations, v, MSG_MIN_PW_ITER, MSG_MAX_PW_ITER, name);
	if (KEY("certificate", "subject_cn")) {
		c->seen_cert = 1;
		return set_template(c, ip->subject_cn, sizeof(ip->subject_cn), v, name);
	}
	if (KEY("certificate", "subject_o"))
		return set_template(c, ip->subject_o, sizeof(ip->subject_o), v, name);
	if (KEY("certificate", "subject_ou"))
		return set_template(c, ip->subject_ou, sizeof(ip->subject_ou), v, name);
	if (KEY("certificate", "subject_serial"))
		return set_template(c, ip->subject_serial, sizeof(ip->subject_serial), v, name);
	if (KEY("certificate", "san_uri"))
		return set_template(c, ip->san_uri, sizeof(ip->san_uri), v, name);
	if (KEY("certificate", "san_dns"))
		return set_template(c, ip->san_dns, sizeof(ip->san_dns), v, name);
	if (KEY("certificate", "validity_days"))
		return profile_set_u(c, &ip->validity_days, v, 0, CAP_VALIDITY_DAYS, name);
	if (KEY("certificate", "key_types"))
		return set_key_types(c, v);
	if (KEY("certificate", "rsa_min_bits"))
		return profile_set_u(c, &ip->rsa_min_bits, v, 2048, 16384, name);
	if (KEY("certificate", "eku"))
		return set_eku(c, v);
	if (KEY("audit", "checkpoint_entries"))
		return set_uint(c, &p->checkpoint_entries, v, 0, 100000000UL, name);
	if (KEY("audit", "checkpoint_interval"))
		return set_duration(c, &p->checkpoint_interval, v, name);
	if (KEY("fleet", "registry")) {
		/* the profile is readable and its digest goes into the log: a password belongs in
		 * registry_file, a client certificate (sslcert/sslkey) in files of their own */
		if (strstr(v, "password") != NULL) {
			snprintf(c->err, sizeof(c->err), "[fleet] registry must not hold a password (the "
			    "profile is not secret); put the connection string in a file named by "
			    "registry_file, or use a client certificate (sslcert, sslkey)");
			return 0;
		}
		p->fleet = 1;
		return profile_set_str(c, p->fleet_registry, sizeof(p->fleet_registry), v, name);
	}
	if (KEY("fleet", "registry_file")) {
		p->fleet = 1;
		return profile_set_path(c, p->fleet_registry_file, sizeof(p->fleet_registry_file), v,
		    name);
	}
	if (KEY("fleet", "serial_block"))
		return set_uint(c, &p->fleet_serial_block, v, 1, 1000000UL, name);
	if (KEY("fleet", "quota_lease"))
		return set_uint(c, &p->fleet_quota_lease, v, 1, 1000000UL, name);
	if (KEY("fleet", "lease_ttl")) {
		if (!set_duration(c, &p->fleet_lease_ttl, v, name))
			return 0;
		if (p->fleet_lease_ttl > 0)
			return 1;
		snprintf(c->err, sizeof(c->err), "lease_ttl must be above 0");
		return 0;
	}
	if (strcasecmp(section, "timeouts") == 0) {
		unsigned *dst = strcmp(name, "hello") == 0 ? &t->hello :
		    strcmp(name, "set_identity") == 0 ? &t->set_identity :
		    strcmp(name, "gen_key") == 0 ? &t->gen_key :
		    strcmp(name, "object") == 0 ? &t->object :
		    strcmp(name, "install") == 0 ? &t->install :
		    strcmp(name, "prove") == 0 ? &t->prove :
		    strcmp(name, "confirm_password") == 0 ? &t->confirm :
		    strcmp(name, "lock") == 0 ? &t->lock : NULL;
		if (strcmp(name, "retries") == 0)
			return profile_set_u(c, &t->retries, v, 0, 10, name);
		if (dst != NULL) {
			if (!set_uint(c, &ul, v, 50, 60000, name))
				return 0;
			*dst = (unsigned)ul;
			return 1;
		}
	}
	if (strcasecmp(section, "label") == 0) {
		int r = profile_label_kv(c, name, v);

		if (r >= 0)
			return r;
	}
	if (strcasecmp(section, "wifi") == 0 || strcasecmp(section, "matter") == 0) {
		int r = profile_cred_kv(c, section, name, v);

		if (r >= 0)
			return r;
	}
	snprintf(c->err, sizeof(c->err), "unknown key '%s' in section [%s]", name, section);
	return 0;
}

void
profile_problem(struct pctx *c, int line, const char *why)
{
	int n;

	c->nproblems++;
	if (c->report == NULL || c->replen >= c->repcap)
		return;
	if (line > 0)
		n = snprintf(c->report + c->replen, c->repcap - c->replen, "%s%s:%d: %s",
		    c->replen ? "\n" : "", c->p->path, line, why);
	else
		n = snprintf(c->report + c->replen, c->repcap - c->replen, "%s%s: %s",
		    c->replen ? "\n" : "", c->p->path, why);
	c->replen = n < 0 ? c->repcap : c->replen + (size_t)n;
	if (c->replen > c->repcap)
		c->replen = c->repcap;
}

/* Each key's problem is reported at the line the key is on, with its own reason (inih goes on
 * after a failed line, so a later key must not overwrite an earlier key's reason). */
static int
on_kv(void *user, const char *section, const char *name, const char *v)
{
	struct pctx *c = user;

	c->err[0] = '\0';
	if (handle_kv(user, section, name, v))
		return 1;
	if (c->first_line == 0)
		c->first_line = c->lineno;
	profile_problem(c, c->lineno, c->err[0] ? c->err : "invalid value");
	return 0;
}

/* inih's reader: fgets that counts lines (a line longer than inih's buffer comes in pieces). */
static char *
count_lines(char *buf, int size, void *stream)
{
	struct pctx *c = stream;
	char *r = fgets(buf, size, c->f);

	if (r == NULL)
		return NULL;
	if (c->at_bol)
		c->lineno++;
	c->at_bol = strchr(buf, '\n') != NULL;
	return r;
}

static void
defaults(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->station_id, sizeof(p->station_id), "station-1");
	snprintf(p->audit_key_type, sizeof(p->audit_key_type), "auto");
	snprintf(p->operator_name, sizeof(p->operator_name), "unknown");
	snprintf(p->lot, sizeof(p->lot), "LOT-1");
	snprintf(p->module, sizeof(p->module), "/usr/lib/softhsm/libsofthsm2.so");
	p->baud = 115200;
	p->serial_digits = 8;
	p->quota = 1000;
	p->total = 1000000;
	p->certs_per_chip = 3;
	p->pw_length = 12;
	p->pw_iterations = 10000;
	p->cert.validity_days = 0;
	p->cert.key_types = ISSUE_KEY_EC_P256;
	p->cert.rsa_min_bits = 2048;
	p->cert.eku_client_auth = 1;
	p->key_type = KEY_EC_P256;
	p->checkpoint_entries = 1000;
	p->checkpoint_interval = 600;
	p->fleet_serial_block = 100;
	p->fleet_quota_lease = 50;
	p->fleet_lease_ttl = 8 * 3600;
	profile_label_defaults(&p->label);
	profile_cred_defaults(p);
	/* docs/protocol.md P-8 defaults */
	p->to = (struct step_timeouts){ .hello = 500, .set_identity = 3000, .gen_key = 10000,
		.object = 1000, .install = 3000, .prove = 3000, .confirm = 3000, .lock = 2000,
		.retries = 3 };
}

static int
file_digest(const char *path, uint8_t out[32], char *err, size_t errcap)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int r;

	if ((r = util_read_file(path, CAP_PROFILE_BYTES, &buf, &n)) != 0) {
		snprintf(err, errcap, "%s: cannot read the profile (%s)", path,
		    r == -2 ? "larger than 64 KiB" : strerror(errno));
		return -1;
	}
	r = EVP_Digest(buf, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
	free(buf);
	if (r != 0)
		snprintf(err, errcap, "%s: cannot hash the profile", path);
	return r;
}

/* Parses path into *out; problems go to err: only the first (all == 0) or every one, one a line. */
static int
load(const char *path, struct profile *out, char *err, size_t errcap, int all)
{
	struct profile *p = NULL;
	struct pctx c;
	char rep[CAP_REASON * 8], *first_nl;
	int line, r = -1;

	if ((p = malloc(sizeof(*p))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	defaults(p);
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.at_bol = 1;
	rep[0] = '\0';
	c.report = rep;
	c.repcap = sizeof(rep);
	if (strlen(path) >= sizeof(p->path)) {
		snprintf(err, errcap, "profile path too long");
		goto out;
	}
	memcpy(p->path, path, strlen(path) + 1);
	if (file_digest(path, p->digest, err, errcap) != 0)
		goto out;
	if ((c.f = fopen(path, "r")) == NULL) {
		snprintf(err, errcap, "%s: cannot open the profile: %s", path, strerror(errno));
		goto out;
	}
	line = ini_parse_stream(count_lines, &c, on_kv, &c);
	fclose(c.f);
	if (line < 0) {
		snprintf(err, errcap, "%s: cannot parse the profile (out of memory)", path);
		goto out;
	}
	if (line > 0 && (c.first_line == 0 || line < c.first_line)) {
		/* inih's first error is a line it could not parse: no handler call saw it. */
		char again[sizeof(rep)];

		snprintf(again, sizeof(again), "%s", rep);
		c.replen = 0;
		rep[0] = '\0';
		profile_problem(&c, line, "syntax error (expected [section], key = value or a comment)");
		if (again[0])
			c.replen += (size_t)snprintf(rep + c.replen, sizeof(rep) - c.replen, "\n%s",
			    again);
		if (c.replen >= sizeof(rep))
			c.replen = sizeof(rep) - 1;
	}
	profile_cred_finish(&c);
	profile_label_finish(&c);
	/* Required keys: a profile without them would issue certificates nobody can interpret. */
	/* A key refused above looks missing here: name missing keys only when none was refused. */
	if (c.nproblems == 0 && (!c.seen_product || p->model[0] == '\0' || p->serial_prefix[0] == '\0' ||
	    p->database[0] == '\0' || p->ca_cert[0] == '\0' || p->token_uri[0] == '\0' ||
	    p->ca_key_uri[0] == '\0' || p->commit_key_uri[0] == '\0' || !c.seen_cert))
		profile_problem(&c, 0, "missing required keys; a profile needs [product] name, model, "
		    "serial_prefix; [station] database; [hsm] token, ca_key, commit_key, ca_cert; "
		    "[certificate] subject_cn");
	if (p->fleet_registry[0] != '\0' && p->fleet_registry_file[0] != '\0')
		profile_problem(&c, 0, "[fleet] has both registry and registry_file; keep one");
	if (p->nallow == 0)
		profile_problem(&c, 0, "[firmware] has no 'allow' entry; no board could pass (ETSI EN 303 "
		    "645 5.7)");
	if (p->label_dir[0] == '\0' &&
	    util_sibling(path, "labels", p->label_dir, sizeof(p->label_dir)) != 0)
		profile_problem(&c, 0, "profile directory path too long");
	if (c.nproblems > 0) {
		if (!all && (first_nl = strchr(rep, '\n')) != NULL)
			*first_nl = '\0';
		snprintf(err, errcap, "%s", rep);
		goto out;
	}
	memcpy(out, p, sizeof(*p));
	r = 0;
out:
	free(p);
	return r;
}

int
profile_load(const char *path, struct profile *out, char *err, size_t errcap)
{
	return load(path, out, err, errcap, 0);
}

int
profile_load_all(const char *path, struct profile *out, char *err, size_t errcap)
{
	return load(path, out, err, errcap, 1);
}

int
profile_override(struct profile *p, const char *lot, const char *op)
{
	if ((lot && (!lot[0] || strlen(lot) >= sizeof(p->lot) || !util_printable(lot))) ||
	    (op && (!op[0] || strlen(op) >= sizeof(p->operator_name) || !util_printable(op))))
		return -1;
	if (lot)
		snprintf(p->lot, sizeof(p->lot), "%s", lot);
	if (op)
		snprintf(p->operator_name, sizeof(p->operator_name), "%s", op);
	return 0;
}

int
profile_fw_allowed(const struct profile *p, const char *version, const uint8_t digest[32])
{
	unsigned i;

	for (i = 0; i < p->nallow; i++) {
		if (strcmp(p->allow[i].version, version) == 0 &&
		    CRYPTO_memcmp(p->allow[i].digest, digest, 32) == 0)
			return (int)i;
	}
	return -1;
}

int
profile_check_label_dir(const struct profile *p, long other_uid, char *err, size_t errcap)
{
	struct stat st;

	if (lstat(p->label_dir, &st) != 0) {
		snprintf(err, errcap, "%s: the label directory '%s' cannot be used: %s; create it "
		    "(mode 0700, owned by the user the station runs as)", p->path, p->label_dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "%s: the label directory '%s' is not a directory (a symbolic "
		    "link or a file); point label_dir at a real directory", p->path, p->label_dir);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0 && (other_uid < 0 ||
	    st.st_uid != (uid_t)other_uid)) {
		snprintf(err, errcap, "%s: the label directory '%s' belongs to uid %ld, not to the "
		    "user the station runs as (uid %ld) nor root; chown it", p->path, p->label_dir,
		    (long)st.st_uid, (long)geteuid());
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errcap, "%s: the label directory '%s' is writable by its group or by "
		    "everyone (mode %03o); the labels hold passwords: chmod go-w it", p->path,
		    p->label_dir, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (access(p->label_dir, W_OK | X_OK) != 0) {
		snprintf(err, errcap, "%s: the label directory '%s' is not writable by this user "
		    "(uid %ld): %s; fix its owner or mode", p->path, p->label_dir, (long)geteuid(),
		    strerror(errno));
		return -1;
	}
	return 0;
}
