/*
 * srv-cred.c: COMMIT_CRED (docs/signer-protocol.md S-33; issue #16). The station draws each
 * onboarding credential the product declares ([wifi], [matter] of the signer's own profile) and
 * shows the signer its secret once; the signer keeps only an HMAC under the HSM's commit key,
 * domain-separated by kind so that one kind's secret never commits as another's:
 *
 *     wifi:   HMAC-SHA-256(commit key, "SPv1-cred" 0x00 "wifi" 0x00 passphrase)
 *     matter: HMAC-SHA-256(commit key, "SPv1-cred" 0x00 "matter" 0x00 discriminator 0x00 passcode)
 *
 * A Matter setup code is the pair: its commitment covers the discriminator too, so that a
 * COLLISION tells a station guessing passcodes only about a 39-bit pair (a near-useless oracle),
 * and honest collisions of 27-bit passcodes stay 4096 times rarer. A Wi-Fi passphrase (about
 * 92 bits) is committed alone, so that no two boards share one whatever their SSIDs. A
 * commitment (or SSID) already recorded is a collision: the station draws that credential again.
 * ISSUE waits until every declared kind is committed.
 */
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred-matter.h"
#include "cred-wifi.h"
#include "log.h"
#include "password.h"
#include "registry.h"
#include "util.h"

#define DOMAIN "SPv1-cred"

unsigned
srv_cred_needed(const struct srv *s)
{
	return (s->prof.wifi.enabled ? 1u << SIGC_WIFI : 0) |
	    (s->prof.matter.enabled ? 1u << SIGC_MATTER : 0);
}

void
srv_cred_list(unsigned kinds, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", kinds & (1u << SIGC_WIFI) ? "wifi" : "",
	    (kinds & (1u << SIGC_WIFI)) && (kinds & (1u << SIGC_MATTER)) ? "," : "",
	    kinds & (1u << SIGC_MATTER) ? "matter" : "");
}

/* 0x21..0x7E, the passphrase alphabet of [wifi] alphabet = printable */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

/* The kind's rules for what the station sent, the signer's profile's among them (the SSID's
 * prefix and suffix, the passphrase's length and alphabet; a passcode Matter allows: not
 * 00000000, 11111111, ..., 99999999, 12345678 or 87654321): NULL when they hold, else why not.
 * The station can still give a board something else; what the record claims is the profile's. */
static const char *
cred_shape(const struct srv *s, const struct sigp_req *q)
{
	const struct wifi_profile *w = &s->prof.wifi;
	const char *pub = q->cred_public, *sec = q->cred_secret;
	size_t pl = strlen(pub), sl = strlen(sec), wl = strlen(w->ssid_prefix);

	if (q->cred_kind == SIGC_WIFI)
		return pl != wl + w->ssid_suffix || strncmp(pub, w->ssid_prefix, wl) != 0 ||
		    strspn(pub + wl, WIFI_SSID_ALPHABET) != w->ssid_suffix ?
		    "the SSID is not the profile's prefix and random suffix" :
		    sl != w->length || !(w->alphabet == WIFI_ALPHA_PLAIN ?
		    strspn(sec, PASSWORD_ALPHABET) == sl : printable(sec)) ?
		    "the passphrase is not of the profile's length and alphabet" : NULL;
	if (pl < 1 || pl > 4 || strspn(pub, "0123456789") != pl || (pl > 1 && pub[0] == '0') ||
	    strtoul(pub, NULL, 10) > 4095)
		return "a Matter discriminator is a number from 0 to 4095";
	if (sl != 8 || strspn(sec, "0123456789") != sl)
		return "a Matter passcode is 8 digits";
	return !matter_passcode_valid((uint32_t)strtoul(sec, NULL, 10)) ?
	    "a Matter passcode the specification forbids" : NULL;
}

void
srv_commit_cred(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	struct srv_attempt *at = srv_att_find(s, chip);
	const char *kind = sigp_cred_name(q->cred_kind), *bad;
	uint8_t msg[sizeof(DOMAIN) + 8 + SIGP_MAX_CRED_PUBLIC + 1 + SIGP_MAX_CRED_SECRET], mac[32];
	char hex[65];
	size_t ml = sizeof(mac), n;
	unsigned bit = 1u << q->cred_kind;
	int r;

	if (at == NULL || (at->creds & bit) || at->cert_serial[0] != '\0')
		return srv_refuse(s, p, "request.refused", q->op, chip, at ? at->serial : NULL,
		    SIGST_STATE, at == NULL ? SIGR_NOT_ALLOCATED : SIGR_SEQUENCE, "%s", at == NULL ?
		    "no serial is allocated to this chip in this session" : at->creds & bit ?
		    "this board's credential of that kind is already committed" :
		    "this board's certificate is issued: no credential may follow it");
	if (!(srv_cred_needed(s) & bit))
		return srv_refuse(s, p, "request.refused", q->op, chip, at->serial, SIGST_POLICY,
		    SIGR_SEQUENCE, "the product's profile declares no %s credential", kind);
	if ((bad = cred_shape(s, q)) != NULL)
		return srv_refuse(s, p, "request.refused", q->op, chip, at->serial, SIGST_REQUEST,
		    SIGR_NONE, "%s", bad);
	/* "SPv1-cred" 0x00 kind 0x00 [discriminator 0x00] secret; the lengths are the codec's */
	n = (size_t)snprintf((char *)msg, sizeof(msg), "%s%c%s%c", DOMAIN, 0, kind, 0);
	if (q->cred_kind == SIGC_MATTER) {
		memcpy(msg + n, q->cred_public, strlen(q->cred_public));
		n += strlen(q->cred_public);
		msg[n++] = 0;
	}
	memcpy(msg + n, q->cred_secret, strlen(q->cred_secret));
	n += strlen(q->cred_secret);
	r = p11_sign(s->p11, s->commit_key, CKM_SHA256_HMAC, msg, n, mac, &ml);
	util_wipe(msg, sizeof(msg));
	if (r != 0 || ml != sizeof(mac)) {
		p->status = SIGST_HSM;
		snprintf(p->text, sizeof(p->text), "the HSM could not compute the credential commitment");
		return;
	}
	r = reg_cred_commit(s->audit, &s->who, at->serial, chip, kind, q->cred_public,
	    util_hex(mac, sizeof(mac), hex, sizeof(hex)));
	util_wipe(mac, sizeof(mac));
	if (r == 0) {
		at->creds |= bit;
	} else if (r == AUDIT_ERR_CONSTRAINT) {
		/* Two boards would share a secret (or an SSID): the station draws again. */
		srv_refuse(s, p, "request.refused", q->op, chip, at->serial, SIGST_POLICY,
		    SIGR_COLLISION, "%s credential commitment or SSID already recorded; draw again",
		    kind);
	} else {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot record the credential commitment");
	}
}
