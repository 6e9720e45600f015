/*
 * profile-cred.c: the [wifi] and [matter] sections of a profile (issue #16): which onboarding
 * credentials a product's boards get besides the login password, and each one's policy
 * (docs/scripting-guide.md "Onboarding credentials"). A section is declared by its required
 * key (ssid_prefix, vendor_id); the rest have defaults. Every problem is reported at its key's
 * line, or at the section's first line for what only the whole section tells.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile-int.h"
#include "util.h"

void
profile_cred_defaults(struct profile *p)
{
	memset(&p->wifi, 0, sizeof(p->wifi));
	memset(&p->matter, 0, sizeof(p->matter));
	p->wifi.ssid_suffix = 6;
	p->wifi.security = WIFI_SEC_WPA2_WPA3;
	p->wifi.length = 16;
	p->wifi.alphabet = WIFI_ALPHA_PLAIN;
	p->matter.flow = 0;
	p->matter.rendezvous = 2; /* BLE: how most products are commissioned */
	p->matter.iterations = 1000;
	p->matter.salt_len = 32;
}

/* A 16-bit ID written in decimal or 0x hex, min..0xFFFF. */
static int
set_id16(struct pctx *c, unsigned *dst, const char *v, unsigned min, const char *key)
{
	char *end;
	unsigned long x;

	x = strtoul(v, &end, 0);
	if (end == v || *end != '\0' || v[0] == '-' || x < min || x > 0xFFFF) {
		snprintf(c->err, sizeof(c->err), "'%s' must be a number from 0x%04X to 0xFFFF (decimal "
		    "or 0x hex, as in the product's Matter certification), not '%s'", key, min, v);
		return 0;
	}
	*dst = (unsigned)x;
	return 1;
}

/* "ble, on-network": the discovery capabilities of the Matter onboarding payload. */
static int
set_discovery(struct pctx *c, unsigned *dst, const char *v)
{
	char buf[64], *w, *save = NULL;
	unsigned bits = 0;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	memcpy(buf, v, strlen(v) + 1);
	for (w = strtok_r(buf, ", ", &save); w != NULL; w = strtok_r(NULL, ", ", &save)) {
		if (strcmp(w, "softap") == 0)
			bits |= 1;
		else if (strcmp(w, "ble") == 0)
			bits |= 2;
		else if (strcmp(w, "on-network") == 0)
			bits |= 4;
		else
			goto bad;
	}
	if (bits == 0)
		goto bad;
	*dst = bits;
	return 1;
bad:
	snprintf(c->err, sizeof(c->err), "'discovery' lists how a phone finds the board: one or more "
	    "of softap, ble, on-network (comma-separated), not '%s'", v);
	return 0;
}

static int
set_word_of(struct pctx *c, unsigned *dst, const char *v, const char *key,
    const char *const *words, const unsigned *values, size_t n)
{
	char known[128];
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (strcmp(v, words[i]) == 0) {
			*dst = values[i];
			return 1;
		}
	known[0] = '\0';
	for (i = 0; i < n && k < sizeof(known); i++)
		k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", i ? ", " : "", words[i]);
	snprintf(c->err, sizeof(c->err), "unknown %s '%s' (known: %s)", key, v, known);
	return 0;
}

int
profile_cred_kv(struct pctx *c, const char *section, const char *name, const char *v)
{
	static const char *const sec_w[] = { "wpa2", "wpa3", "wpa2-wpa3" };
	static const unsigned sec_v[] = { WIFI_SEC_WPA2, WIFI_SEC_WPA3, WIFI_SEC_WPA2_WPA3 };
	static const char *const alpha_w[] = { "plain", "printable" };
	static const unsigned alpha_v[] = { WIFI_ALPHA_PLAIN, WIFI_ALPHA_PRINTABLE };
	static const char *const flow_w[] = { "standard", "user-intent", "custom" };
	static const unsigned flow_v[] = { 0, 1, 2 };
	struct wifi_profile *w = &c->p->wifi;
	struct matter_profile *m = &c->p->matter;

	if (strcasecmp(section, "wifi") == 0) {
		if (c->w_line == 0)
			c->w_line = c->lineno;
		if (strcmp(name, "ssid_prefix") == 0) {
			if (!util_printable(v) || strlen(v) < 1 || strlen(v) > 24) {
				snprintf(c->err, sizeof(c->err), "'ssid_prefix' must be 1 to 24 printable "
				    "ASCII characters");
				return 0;
			}
			c->w_prefix = c->lineno;
			w->enabled = 1;
			return profile_set_str(c, w->ssid_prefix, sizeof(w->ssid_prefix), v, name);
		}
		if (strcmp(name, "ssid_suffix") == 0)
			return profile_set_u(c, &w->ssid_suffix, v, 4, 8, name);
		if (strcmp(name, "security") == 0)
			return set_word_of(c, &w->security, v, "security", sec_w, sec_v, 3);
		if (strcmp(name, "length") == 0)
			return profile_set_u(c, &w->length, v, 8, 63, name);
		if (strcmp(name, "alphabet") == 0)
			return set_word_of(c, &w->alphabet, v, "alphabet", alpha_w, alpha_v, 2);
		return -1;
	}
	if (strcasecmp(section, "matter") == 0) {
		if (c->m_line == 0)
			c->m_line = c->lineno;
		if (strcmp(name, "vendor_id") == 0) {
			c->m_vid = c->lineno;
			m->enabled = 1;
			return set_id16(c, &m->vendor_id, v, 1, name);
		}
		if (strcmp(name, "product_id") == 0) {
			c->m_pid = c->lineno;
			return set_id16(c, &m->product_id, v, 1, name);
		}
		if (strcmp(name, "flow") == 0)
			return set_word_of(c, &m->flow, v, "flow", flow_w, flow_v, 3);
		if (strcmp(name, "discovery") == 0)
			return set_discovery(c, &m->rendezvous, v);
		if (strcmp(name, "iterations") == 0)
			return profile_set_u(c, &m->iterations, v, 1000, 100000, name);
		if (strcmp(name, "salt_length") == 0)
			return profile_set_u(c, &m->salt_len, v, 16, 32, name);
		return -1;
	}
	return -1;
}

void
profile_cred_finish(struct pctx *c)
{
	struct profile *p = c->p;

	if (c->w_line != 0 && c->w_prefix == 0)
		profile_problem(c, c->w_line, "[wifi] needs ssid_prefix (the start of every board's "
		    "network name; the station adds a random suffix)");
	if (c->m_line != 0 && (c->m_vid == 0 || c->m_pid == 0))
		profile_problem(c, c->m_line, "[matter] needs vendor_id and product_id (from the "
		    "product's Matter certification; 0xFFF1..0xFFF4 are the test vendor IDs)");
	if (!p->wifi.enabled)
		memset(&p->wifi, 0, sizeof(p->wifi));
	if (!p->matter.enabled || c->m_pid == 0)
		memset(&p->matter, 0, sizeof(p->matter));
}
