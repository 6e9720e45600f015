/*
 * flow-cred.c: a board's onboarding credentials besides its password (issue #16; PRODUCT §3,
 * docs/protocol.md SET_CREDENTIAL / CONFIRM_CREDENTIAL, docs/signer-protocol.md S-33). For each
 * kind the profile declares the station draws the credential from the CSPRNG, has the signer
 * commit its secret (drawing again on a collision), gives the board only what it must hold (the
 * PSK or the passphrase, the SPAKE2+ verifier), and later has the board confirm each one in
 * constant time, and refuse the same one with a secret byte changed: the station never reads
 * a secret back. The plaintext goes nowhere but the
 * label: not to logs, events or the record.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "cred-matter.h"
#include "cred-wifi.h"
#include "flow-int.h"
#include "label-layout.h"
#include "log.h"
#include "sigproto.h"
#include "util.h"

#define DRAWS 3 /* collisions in a row before the board fails: an HSM fault, not bad luck */

/* The credential in its board form, sent as type (SET_CREDENTIAL or CONFIRM_CREDENTIAL). For a
 * confirmation *match gets the board's answer. 0, or -1 with the result set. */
static int
send_cred(struct fl *f, const struct msg_cred *m, uint8_t type, int *match)
{
	struct msg_confirm_pw_rsp cr;
	const uint8_t *rsp;
	size_t len = 0, rl = 0;
	int r;

	r = msg_enc_cred(m, f->buf, sizeof(f->buf), &len);
	if (r != 0)
		return flow_fail(f, "E_INTERNAL", "cannot encode the credential request");
	r = flow_call(f, type, len, type == MSG_SET_CRED ? f->prof->to.set_identity :
	    f->prof->to.confirm, &rsp, &rl);
	util_wipe(f->buf, len);
	if (r != 0)
		return -1;
	if (type == MSG_SET_CRED)
		return msg_dec_empty(rsp, rl) == 0 ? 0 :
		    flow_fail(f, "E_PROTOCOL", "malformed reply to the credential request");
	if (msg_dec_confirm_pw_rsp(rsp, rl, &cr) != 0)
		return flow_fail(f, "E_PROTOCOL", "malformed reply to the credential check");
	*match = cr.match == 1;
	return 0;
}

/* The board form of the credential of kind (what SET and CONFIRM carry). */
static void
board_form(const struct fl *f, int kind, struct msg_cred *m)
{
	const struct fl_cred *c = &f->cred;

	memset(m, 0, sizeof(*m));
	if (kind == SIGC_WIFI) {
		m->kind = CRED_WIFI;
		snprintf(m->wifi.ssid, sizeof(m->wifi.ssid), "%s", c->ssid);
		m->wifi.akm = (uint8_t)f->prof->wifi.security; /* enum wifi_security == cred_akm */
		if (f->prof->wifi.security == WIFI_SEC_WPA2) {
			/* WPA2-Personal only: the board needs the PSK, not the passphrase */
			memcpy(m->wifi.secret, c->psk, sizeof(c->psk));
			m->wifi.secret_len = sizeof(c->psk);
		} else {
			memcpy(m->wifi.secret, c->passphrase, strlen(c->passphrase));
			m->wifi.secret_len = (uint8_t)strlen(c->passphrase);
		}
	} else {
		m->kind = CRED_MATTER;
		m->matter.discriminator = c->discriminator;
		m->matter.iterations = f->prof->matter.iterations;
		memcpy(m->matter.salt, c->salt, c->salt_len);
		m->matter.salt_len = c->salt_len;
		memcpy(m->matter.verifier, c->verifier, sizeof(c->verifier));
	}
}

/* Draws kind's credential into f->cred and has the signer commit it; public gets its clear
 * part. 0, or -1 with the result set. */
static int
draw(struct fl *f, int kind, char *secret, size_t scap, char *public, size_t pcap)
{
	struct fl_cred *c = &f->cred;
	const struct profile *p = f->prof;
	struct matter_setup ms;
	struct signer_err se;
	int tries, r = -1;

	for (tries = 0; tries < DRAWS; tries++) {
		if (kind == SIGC_WIFI) {
			if (wifi_ssid_generate(p->wifi.ssid_prefix, p->wifi.ssid_suffix, c->ssid,
			        sizeof(c->ssid)) != 0 ||
			    wifi_passphrase_generate(p->wifi.alphabet, p->wifi.length, c->passphrase,
			        sizeof(c->passphrase)) != 0)
				goto random;
			snprintf(secret, scap, "%s", c->passphrase);
			snprintf(public, pcap, "%s", c->ssid);
		} else {
			if (matter_passcode_generate(&c->passcode) != 0 ||
			    matter_discriminator_generate(&c->discriminator) != 0)
				goto random;
			snprintf(secret, scap, "%08u", (unsigned)c->passcode);
			snprintf(public, pcap, "%u", (unsigned)c->discriminator);
		}
		if ((r = signer_commit_cred(f->env->signer, f->hello.chip_id, f->hello.chip_id_len,
		         kind, public, secret, &se)) == 0 || se.detail != SIGR_COLLISION)
			break;
		log_warn("fixture %s: %s credential commitment collision, drawing again", f->fixture,
		    sigp_cred_name(kind));
	}
	if (r != 0)
		return flow_refused(f, &se, "credentials");
	if (kind == SIGC_WIFI) {
		if (wifi_psk(c->ssid, c->passphrase, c->psk) != 0 ||
		    wifi_qr_payload(c->ssid, c->passphrase, p->wifi.security, c->wifi_qr,
		        sizeof(c->wifi_qr)) != 0)
			return flow_fail(f, "E_INTERNAL", "cannot derive the Wi-Fi PSK or QR code");
		return 0;
	}
	c->salt_len = (uint8_t)p->matter.salt_len;
	if (RAND_priv_bytes(c->salt, (int)c->salt_len) != 1)
		goto random;
	memset(&ms, 0, sizeof(ms));
	ms.vendor_id = (uint16_t)p->matter.vendor_id;
	ms.product_id = (uint16_t)p->matter.product_id;
	ms.flow = (uint8_t)p->matter.flow;
	ms.rendezvous = (uint8_t)p->matter.rendezvous;
	ms.discriminator = c->discriminator;
	ms.passcode = c->passcode;
	r = matter_spake2p_verifier(c->passcode, c->salt, c->salt_len, p->matter.iterations,
	    c->verifier) != 0 ||
	    matter_qr_payload(&ms, c->matter_qr, sizeof(c->matter_qr)) != 0 ||
	    matter_manual_code(&ms, c->matter_code, sizeof(c->matter_code)) != 0;
	util_wipe(&ms, sizeof(ms));
	return r ? flow_fail(f, "E_INTERNAL", "cannot compute the Matter verifier or setup codes") :
	    0;
random:
	return flow_fail(f, "E_RANDOM", "the random generator failed; stop the line and call the "
	    "engineer");
}

int
flow_set_creds(struct fl *f)
{
	static const int kinds[] = { SIGC_WIFI, SIGC_MATTER };
	char secret[SIGP_MAX_CRED_SECRET + 1], public[SIGP_MAX_CRED_PUBLIC + 1];
	struct msg_cred m;
	size_t i;
	int r = 0;

	if (!f->prof->wifi.enabled && !f->prof->matter.enabled)
		return 0;
	flow_step(f, "credentials", 30);
	/* Every kind is checked before any is drawn: nothing is committed for a board that cannot
	 * take them all. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = kinds[i];
		uint32_t cap = k == SIGC_WIFI ? CAP_CRED_WIFI : CAP_CRED_MATTER;

		if (!(k == SIGC_WIFI ? f->prof->wifi.enabled : f->prof->matter.enabled))
			continue;
		if (!(f->hello.caps & cap))
			return flow_fail(f, "E_CREDENTIAL", "the board's firmware does not take %s "
			    "credentials (its HELLO lacks the capability), but the product's profile "
			    "declares them: check that the profile matches the product and its firmware",
			    k == SIGC_WIFI ? "Wi-Fi" : "Matter");
		/* P-6: the station never sends more than the board's max_payload (a Wi-Fi
		 * credential, 99 bytes at most, fits every board) */
		if (k == SIGC_MATTER && f->hello.max_payload < MSG_MAX_CRED_MATTER_LEN)
			return flow_fail(f, "E_CREDENTIAL", "the board's firmware announces Matter "
			    "credentials but takes requests of %u bytes only, below the %u of a Matter "
			    "credential (P-6): set it aside for the firmware team",
			    (unsigned)f->hello.max_payload, (unsigned)MSG_MAX_CRED_MATTER_LEN);
	}
	for (i = 0; r == 0 && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = kinds[i];

		if (!(k == SIGC_WIFI ? f->prof->wifi.enabled : f->prof->matter.enabled))
			continue;
		if ((r = draw(f, k, secret, sizeof(secret), public, sizeof(public))) == 0) {
			board_form(f, k, &m);
			r = send_cred(f, &m, MSG_SET_CRED, NULL);
			util_wipe(&m, sizeof(m));
		}
		util_wipe(secret, sizeof(secret));
	}
	return r;
}

/* m with one byte of its secret changed (a PSK or verifier bit flipped, a passphrase character
 * swapped for another printable one): a credential the board was not given. */
static void
decoy_form(struct msg_cred *m)
{
	if (m->kind == CRED_WIFI && m->wifi.akm != AKM_WPA2_PSK)
		m->wifi.secret[0] = m->wifi.secret[0] == 'a' ? 'b' : 'a';
	else if (m->kind == CRED_WIFI)
		m->wifi.secret[0] ^= 1;
	else
		m->matter.verifier[0] ^= 1;
}

int
flow_check_creds(struct fl *f)
{
	static const int kinds[] = { SIGC_WIFI, SIGC_MATTER };
	struct msg_cred m;
	size_t i;
	int match = 0, decoy = 0, r;

	if (!f->prof->wifi.enabled && !f->prof->matter.enabled)
		return 0;
	flow_step(f, "credential-check", 86);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = kinds[i];

		if (!(k == SIGC_WIFI ? f->prof->wifi.enabled : f->prof->matter.enabled))
			continue;
		board_form(f, k, &m);
		r = send_cred(f, &m, MSG_CONFIRM_CRED, &match);
		/* A board that answers match = 1 to anything (a CONFIRM that does not compare, or
		 * no storage at all) would pass the check above: it must also refuse a credential
		 * it was not given (P-54). */
		if (r == 0 && match) {
			decoy_form(&m);
			r = send_cred(f, &m, MSG_CONFIRM_CRED, &decoy);
		}
		util_wipe(&m, sizeof(m));
		if (r != 0)
			return -1;
		if (!match)
			return flow_fail(f, "E_CREDENTIAL_CHECK", "the board does not hold the %s "
			    "credential it was given; its storage is faulty: set it aside",
			    k == SIGC_WIFI ? "Wi-Fi" : "Matter");
		if (decoy)
			return flow_fail(f, "E_CREDENTIAL_CHECK", "the board confirms a %s credential "
			    "it was not given: its firmware does not check credentials; set it aside",
			    k == SIGC_WIFI ? "Wi-Fi" : "Matter");
	}
	return 0;
}

void
flow_cred_label(const struct fl *f, struct label_values *v)
{
	v->wifi_ssid = v->wifi_qr = v->wifi_passphrase = v->matter_qr = v->matter_code = NULL;
	if (f->prof->wifi.enabled) {
		v->wifi_ssid = f->cred.ssid;
		v->wifi_qr = f->cred.wifi_qr;
		v->wifi_passphrase = f->cred.passphrase;
	}
	if (f->prof->matter.enabled) {
		v->matter_qr = f->cred.matter_qr;
		v->matter_code = f->cred.matter_code;
	}
}
