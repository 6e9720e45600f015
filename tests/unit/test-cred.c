/*
 * test-cred.c: station/cred/: the CSPRNG sampler (and password_generate on it), Wi-Fi SSID,
 * passphrase, PSK (IEEE 802.11 Annex J vectors) and QR text; Matter passcode rules, QR payload
 * and manual pairing code (connectedhomeip's published values), the QR decoder against an
 * independent packer written here, Verhoeff, and the SPAKE2+ verifier (connectedhomeip
 * TestPASESession vector). Distribution checks use a chi-square statistic against a bound a
 * uniform draw exceeds with probability about 1e-6, so they fail for a biased sampler (one is
 * built to show it) and practically never for a correct one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred-matter.h"
#include "cred-rand.h"
#include "cred-wifi.h"
#include "helpers.h"
#include "password.h"
#include "profile.h"

/* Chi-square bounds exceeded by a uniform sample with probability about 1e-6 (Wilson-Hilferty,
 * z = 4.753), by degrees of freedom. */
#define CHI2_DF2 30.3
#define CHI2_DF15 57.4
#define CHI2_DF31 84.2
#define CHI2_DF55 120.3
#define CHI2_DF63 131.7
#define CHI2_DF93 173.0

static double
chi2(const unsigned long *count, size_t k, unsigned long total)
{
	double e = (double)total / (double)k, s = 0;
	size_t i;

	for (i = 0; i < k; i++)
		s += ((double)count[i] - e) * ((double)count[i] - e) / e;
	return s;
}

/* Draws n characters of alphabet through draw() and checks that each is in it, that every
 * symbol appears and that the counts pass the chi-square bound. */
static void
check_alphabet_uniform(const char *alpha, const char *drawn, size_t n, double bound)
{
	unsigned long count[256] = {0};
	size_t k = strlen(alpha), i;
	const char *hit;

	for (i = 0; i < n; i++) {
		hit = memchr(alpha, drawn[i], k);
		if (drawn[i] == '\0' || hit == NULL)
			fail_msg("character 0x%02x is not in the alphabet", (unsigned char)drawn[i]);
		count[hit - alpha]++;
	}
	for (i = 0; i < k; i++)
		if (count[i] == 0)
			fail_msg("'%c' never drawn in %zu draws", alpha[i], n);
	if (chi2(count, k, (unsigned long)n) > bound)
		fail_msg("chi-square %.1f over %zu symbols is above %.1f", chi2(count, k, (unsigned long)n), k, bound);
}

/* ---- the sampler ---- */

static void
rand_below_uniform(void **st)
{
	/* n = 3 * 2^30: folding a 32-bit draw without rejection would give [0, 2^30) twice the
	 * weight of the other two thirds (probabilities 1/2, 1/4, 1/4: chi-square about 375 here). */
	unsigned long count[3] = {0};
	uint32_t r;
	int i;

	(void)st;
	for (i = 0; i < 3000; i++) {
		assert_int_equal(cred_rand_below(3u << 30, &r), 0);
		assert_true(r < 3u << 30);
		count[r >> 30]++;
	}
	assert_true(chi2(count, 3, 3000) < CHI2_DF2);
	/* and the statistic does see that bias */
	count[0] = 1500, count[1] = 750, count[2] = 750;
	assert_true(chi2(count, 3, 3000) > CHI2_DF2);

	r = 77;
	assert_int_equal(cred_rand_below(0, &r), -1);
	assert_int_equal(r, 77);
	assert_int_equal(cred_rand_below(1, &r), 0);
	assert_int_equal(r, 0);
}

static void
rand_string_contract(void **st)
{
	char buf[16];

	(void)st;
	assert_int_equal(cred_rand_string("ab", 0, buf, sizeof(buf)), -1);
	assert_int_equal(cred_rand_string("ab", 16, buf, sizeof(buf)), -1);
	assert_int_equal(cred_rand_string("", 4, buf, sizeof(buf)), -1);
	assert_int_equal(cred_rand_string(NULL, 4, buf, sizeof(buf)), -1);
	assert_int_equal(cred_rand_string("a", 15, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "aaaaaaaaaaaaaaa");
}

static void
password_on_sampler(void **st)
{
	enum { N = 400, LEN = 28 };
	static char all[N * LEN + 1];
	char pw[LEN + 1];
	int i;

	(void)st;
	assert_int_equal(strlen(PASSWORD_ALPHABET), 56);
	assert_null(strpbrk(PASSWORD_ALPHABET, "0O1lI"));
	for (i = 0; i < N; i++) {
		assert_int_equal(password_generate(pw, sizeof(pw), LEN), 0);
		assert_int_equal(strlen(pw), LEN);
		memcpy(all + i * LEN, pw, LEN);
	}
	check_alphabet_uniform(PASSWORD_ALPHABET, all, N * LEN, CHI2_DF55);
	assert_int_equal(password_generate(pw, sizeof(pw), 0), -1);
	assert_int_equal(password_generate(pw, sizeof(pw), sizeof(pw)), -1);
}

/* ---- Wi-Fi ---- */

static void
wifi_psk_annex_j(void **st)
{
	uint8_t psk[32], want[32];

	(void)st;
	/* IEEE 802.11 Annex J.4.2, test vectors 1 and 2 */
	assert_int_equal(wifi_psk("IEEE", "password", psk), 0);
	helpers_hex("f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e", want, sizeof(want));
	assert_memory_equal(psk, want, 32);
	assert_int_equal(wifi_psk("ThisIsASSID", "ThisIsAPassword", psk), 0);
	helpers_hex("0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af", want, sizeof(want));
	assert_memory_equal(psk, want, 32);

	/* out of range: psk stays as it was */
	memset(psk, 0x5a, sizeof(psk));
	assert_int_equal(wifi_psk("IEEE", "passwor", psk), -1);
	assert_int_equal(wifi_psk("IEEE", "0123456789012345678901234567890123456789012345678901234567890123", psk),
	    -1);
	assert_int_equal(wifi_psk("IEEE", "pass\tword", psk), -1);
	assert_int_equal(wifi_psk("", "password", psk), -1);
	assert_int_equal(wifi_psk("012345678901234567890123456789012", "password", psk), -1);
	assert_int_equal(wifi_psk(NULL, "password", psk), -1);
	assert_int_equal(psk[0], 0x5a);
	/* the limits themselves */
	assert_int_equal(wifi_psk("01234567890123456789012345678901", "01234567", psk), 0);
	assert_int_equal(wifi_psk("I", "012345678901234567890123456789012345678901234567890123456789012", psk), 0);
}

static void
wifi_qr_types_and_escapes(void **st)
{
	static const char special[] = "\\;,\":";
	char out[WIFI_QR_MAX + 1], ssid[8], pass[16], want[64];
	size_t i;

	(void)st;
	assert_int_equal(wifi_qr_payload("ACME-7K2QXZ", "abcdEFGH2345", WIFI_SEC_WPA2, out, sizeof(out)), 0);
	assert_string_equal(out, "WIFI:T:WPA;S:ACME-7K2QXZ;P:abcdEFGH2345;;");
	assert_int_equal(wifi_qr_payload("ACME-7K2QXZ", "abcdEFGH2345", WIFI_SEC_WPA2_WPA3, out, sizeof(out)), 0);
	assert_string_equal(out, "WIFI:T:WPA;S:ACME-7K2QXZ;P:abcdEFGH2345;;");
	assert_int_equal(wifi_qr_payload("ACME-7K2QXZ", "abcdEFGH2345", WIFI_SEC_WPA3, out, sizeof(out)), 0);
	assert_string_equal(out, "WIFI:T:SAE;S:ACME-7K2QXZ;P:abcdEFGH2345;;");
	assert_int_equal(wifi_qr_payload("x", "12345678", 0, out, sizeof(out)), -1);
	assert_int_equal(wifi_qr_payload("x", "12345678", 4, out, sizeof(out)), -1);

	/* each special character, in the SSID and in the passphrase */
	for (i = 0; special[i] != '\0'; i++) {
		snprintf(ssid, sizeof(ssid), "a%cb", special[i]);
		snprintf(pass, sizeof(pass), "pass%cword", special[i]);
		assert_int_equal(wifi_qr_payload(ssid, pass, WIFI_SEC_WPA2, out, sizeof(out)), 0);
		snprintf(want, sizeof(want), "WIFI:T:WPA;S:a\\%cb;P:pass\\%cword;;", special[i], special[i]);
		assert_string_equal(out, want);
	}
	/* all together, and what needs no escape (space, '=', '\'', '$') stays as it is */
	assert_int_equal(wifi_qr_payload("a b=c", "\\;,\":'$x", WIFI_SEC_WPA2, out, sizeof(out)), 0);
	assert_string_equal(out, "WIFI:T:WPA;S:a b=c;P:\\\\\\;\\,\\\"\\:'$x;;");
}

static void
wifi_qr_bounds(void **st)
{
	char ssid[WIFI_SSID_MAX + 1], pass[WIFI_PASS_MAX + 1], out[WIFI_QR_MAX + 1];
	size_t need;

	(void)st;
	/* the worst case fits WIFI_QR_MAX exactly */
	memset(ssid, ';', WIFI_SSID_MAX);
	ssid[WIFI_SSID_MAX] = '\0';
	memset(pass, ':', WIFI_PASS_MAX);
	pass[WIFI_PASS_MAX] = '\0';
	assert_int_equal(wifi_qr_payload(ssid, pass, WIFI_SEC_WPA3, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), WIFI_QR_MAX);
	assert_int_equal(wifi_qr_payload(ssid, pass, WIFI_SEC_WPA3, out, sizeof(out) - 1), -1);
	assert_int_equal(out[0], '\0'); /* wiped: it held the passphrase */

	/* one byte short of the NUL, and just enough */
	need = strlen("WIFI:T:WPA;S:net1;P:12345678;;") + 1;
	assert_int_equal(wifi_qr_payload("net1", "12345678", WIFI_SEC_WPA2, out, need - 1), -1);
	assert_int_equal(wifi_qr_payload("net1", "12345678", WIFI_SEC_WPA2, out, need), 0);
	assert_int_equal(wifi_qr_payload("", "12345678", WIFI_SEC_WPA2, out, sizeof(out)), -1);
	assert_int_equal(wifi_qr_payload("net1", "1234567", WIFI_SEC_WPA2, out, sizeof(out)), -1);
	assert_int_equal(wifi_qr_payload("net\n", "12345678", WIFI_SEC_WPA2, out, sizeof(out)), -1);
	assert_int_equal(wifi_qr_payload("net1", "1234567\x7f", WIFI_SEC_WPA2, out, sizeof(out)), -1);
}

static void
wifi_ssid(void **st)
{
	enum { N = 2000 };
	static char all[N * WIFI_SUFFIX_MAX + 1];
	char out[WIFI_SSID_MAX + 1], keep[WIFI_SSID_MAX + 1];
	unsigned len;
	int i;

	(void)st;
	assert_int_equal(strlen(WIFI_SSID_ALPHABET), 32);
	for (len = WIFI_SUFFIX_MIN; len <= WIFI_SUFFIX_MAX; len++) {
		assert_int_equal(wifi_ssid_generate("ACME Thermo-", len, out, sizeof(out)), 0);
		assert_int_equal(strlen(out), strlen("ACME Thermo-") + len);
		assert_memory_equal(out, "ACME Thermo-", strlen("ACME Thermo-"));
		assert_int_equal(strspn(out + strlen("ACME Thermo-"), WIFI_SSID_ALPHABET), len);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(wifi_ssid_generate("P", WIFI_SUFFIX_MAX, out, sizeof(out)), 0);
		memcpy(all + i * WIFI_SUFFIX_MAX, out + 1, WIFI_SUFFIX_MAX);
	}
	check_alphabet_uniform(WIFI_SSID_ALPHABET, all, N * WIFI_SUFFIX_MAX, CHI2_DF31);

	/* the longest: 24 + 8 = 32 octets, and a cap one short of it */
	assert_int_equal(wifi_ssid_generate("012345678901234567890123", 8, out, 33), 0);
	assert_int_equal(strlen(out), 32);
	strcpy(keep, out);
	assert_int_equal(wifi_ssid_generate("012345678901234567890123", 8, out, 32), -1);
	assert_int_equal(wifi_ssid_generate("0123456789012345678901234", 4, out, sizeof(out)), -1);
	assert_int_equal(wifi_ssid_generate("", 6, out, sizeof(out)), -1);
	assert_int_equal(wifi_ssid_generate(NULL, 6, out, sizeof(out)), -1);
	assert_int_equal(wifi_ssid_generate("AB\x01", 6, out, sizeof(out)), -1);
	assert_int_equal(wifi_ssid_generate("AB", 3, out, sizeof(out)), -1);
	assert_int_equal(wifi_ssid_generate("AB", 9, out, sizeof(out)), -1);
	assert_string_equal(out, keep); /* unchanged by the refusals */
}

static void
wifi_passphrase(void **st)
{
	enum { N = 400 };
	static char all[N * WIFI_PASS_MAX + 1];
	char printable[95], out[WIFI_PASS_MAX + 1];
	unsigned len;
	int i;

	(void)st;
	for (i = 0; i < 94; i++)
		printable[i] = (char)(0x21 + i);
	printable[94] = '\0';
	for (len = WIFI_PASS_MIN; len <= WIFI_PASS_MAX; len++) {
		assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PLAIN, len, out, sizeof(out)), 0);
		assert_int_equal(strlen(out), len);
		assert_int_equal(strspn(out, PASSWORD_ALPHABET), len);
		assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PRINTABLE, len, out, sizeof(out)), 0);
		assert_int_equal(strlen(out), len);
		assert_int_equal(strspn(out, printable), len);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PRINTABLE, WIFI_PASS_MAX, out, sizeof(out)), 0);
		memcpy(all + i * WIFI_PASS_MAX, out, WIFI_PASS_MAX);
	}
	check_alphabet_uniform(printable, all, N * WIFI_PASS_MAX, CHI2_DF93);
	for (i = 0; i < N; i++) {
		assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PLAIN, WIFI_PASS_MAX, out, sizeof(out)), 0);
		memcpy(all + i * WIFI_PASS_MAX, out, WIFI_PASS_MAX);
	}
	check_alphabet_uniform(PASSWORD_ALPHABET, all, N * WIFI_PASS_MAX, CHI2_DF55);

	assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PLAIN, 7, out, sizeof(out)), -1);
	assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PLAIN, 64, out, sizeof(out)), -1);
	assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PLAIN, 16, out, 16), -1);
	assert_int_equal(wifi_passphrase_generate(2, 16, out, sizeof(out)), -1);
}

/* Android's QR reader (WifiNetworkConfig.addQuotationIfNeeded) takes a passphrase that begins
 * and ends with '"' for a quoted one and drops the quotes: never drawn. 200 000 draws of 8
 * printable characters would hold about 23 such passphrases (1 in 94^2); none may. */
static void
wifi_passphrase_not_quoted(void **st)
{
	char out[WIFI_PASS_MIN + 1];
	int i, quoted = 0, first = 0;

	(void)st;
	for (i = 0; i < 200000; i++) {
		assert_int_equal(wifi_passphrase_generate(WIFI_ALPHA_PRINTABLE, WIFI_PASS_MIN, out,
		    sizeof(out)), 0);
		quoted += out[0] == '"' && out[WIFI_PASS_MIN - 1] == '"';
		first += out[0] == '"';
	}
	assert_int_equal(quoted, 0);
	assert_true(first > 0); /* '"' is still drawn, only not at both ends */
}

/* ---- Matter: an independent packer (the 88 bits as one __int128) ---- */

/* Field by field (the struct's padding is not part of it). */
static void
assert_same_setup(const struct matter_setup *a, const struct matter_setup *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->vendor_id, b->vendor_id);
	assert_int_equal(a->product_id, b->product_id);
	assert_int_equal(a->flow, b->flow);
	assert_int_equal(a->rendezvous, b->rendezvous);
	assert_int_equal(a->discriminator, b->discriminator);
	assert_int_equal(a->passcode, b->passcode);
}

static void
ref_qr(unsigned version, unsigned vid, unsigned pid, unsigned flow, unsigned rv, unsigned disc, unsigned long pin,
    unsigned pad, char *out)
{
	static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.";
	unsigned __int128 v = 0;
	uint8_t b[11];
	unsigned long chunk;
	int i, j, nb, nc;

	v |= (unsigned __int128)version;
	v |= (unsigned __int128)vid << 3;
	v |= (unsigned __int128)pid << 19;
	v |= (unsigned __int128)flow << 35;
	v |= (unsigned __int128)rv << 37;
	v |= (unsigned __int128)disc << 45;
	v |= (unsigned __int128)pin << 57;
	v |= (unsigned __int128)pad << 84;
	for (i = 0; i < 11; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	strcpy(out, "MT:");
	out += 3;
	for (i = 0; i < 11; i += nb) {
		nb = 11 - i >= 3 ? 3 : 11 - i;
		nc = nb == 3 ? 5 : nb == 2 ? 4 : 2;
		for (chunk = 0, j = nb - 1; j >= 0; j--)
			chunk = chunk << 8 | b[i + j];
		for (j = 0; j < nc; j++, chunk /= 38)
			*out++ = alpha[chunk % 38];
	}
	*out = '\0';
}

static void
matter_qr_published(void **st)
{
	/* connectedhomeip: the example apps' and CI's payload (FFF1/8001, on network), the
	 * setup-payload tool's README (FFF1/8000, BLE), Nordic's (FFF1/8006, BLE), the Darwin
	 * serializer test (FFF1/0001, 0xABC, 12121212), an ESP32 example (65522/32769, 2777). */
	static const struct {
		struct matter_setup s;
		const char *qr, *code;
	} v[] = {
		{{0, 0xFFF1, 0x8001, 0, MATTER_RV_ON_NETWORK, 3840, 20202021}, "MT:-24J0AFN00KA0648G00", "34970112332"},
		{{0, 0xFFF1, 0x8000, 0, MATTER_RV_BLE, 3840, 20202021}, "MT:Y.K9042C00KA0648G00", "34970112332"},
		{{0, 0xFFF1, 0x8006, 0, MATTER_RV_BLE, 3840, 20202021}, "MT:8IXS142C00KA0648G00", "34970112332"},
		{{0, 0xFFF1, 0x0001, 0, MATTER_RV_ON_NETWORK, 0xABC, 12121212}, "MT:-24J06.H14BK9C7R900", NULL},
		{{0, 65522, 32769, 0, MATTER_RV_BLE, 2777, 39267232}, "MT:634J0CEK01938S2KV00", "24393623965"},
	};
	struct matter_setup d;
	char out[MATTER_QR_LEN + 1], code[MATTER_CODE_LONG + 1], ref[32];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(matter_qr_payload(&v[i].s, out, sizeof(out)), 0);
		assert_string_equal(out, v[i].qr);
		ref_qr(0, v[i].s.vendor_id, v[i].s.product_id, v[i].s.flow, v[i].s.rendezvous, v[i].s.discriminator,
		    v[i].s.passcode, 0, ref);
		assert_string_equal(ref, v[i].qr); /* the reference packer agrees */
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(matter_qr_decode(v[i].qr, &d), 0);
		assert_same_setup(&d, &v[i].s);
		if (v[i].code != NULL) {
			assert_int_equal(matter_manual_code(&v[i].s, code, sizeof(code)), 0);
			assert_string_equal(code, v[i].code);
		}
	}
	/* the payload needs 23 bytes */
	assert_int_equal(matter_qr_payload(&v[0].s, out, MATTER_QR_LEN), -1);
}

static void
matter_manual_code_forms(void **st)
{
	struct matter_setup s = {0, 0xFFF1, 0x8000, MATTER_FLOW_STANDARD, MATTER_RV_BLE, 3840, 20202021};
	char code[MATTER_CODE_LONG + 1];

	(void)st;
	/* 3 | 49701 | 1233 | 2 (README breakdown) */
	assert_int_equal(matter_manual_code(&s, code, MATTER_CODE_SHORT + 1), 0);
	assert_string_equal(code, "34970112332");
	assert_int_equal(matter_manual_code(&s, code, MATTER_CODE_SHORT), -1);
	s.flow = MATTER_FLOW_USER_INTENT;
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), 0);
	assert_string_equal(code, "34970112332");
	/* custom flow: the vendor and product IDs follow; vid_pid_present makes digit 1 a 7 */
	s.flow = MATTER_FLOW_CUSTOM;
	assert_int_equal(matter_manual_code(&s, code, MATTER_CODE_LONG), -1);
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), 0);
	assert_string_equal(code, "749701123365521327686");
	/* the smallest short discriminator and passcode: 0 | 00001 | 0000 */
	s.flow = MATTER_FLOW_STANDARD;
	s.discriminator = 0x0FF; /* upper 4 bits 0: the lower 8 are not in the code */
	s.passcode = 1;
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), 0);
	assert_memory_equal(code, "0000010000", 10);
	assert_int_equal(code[10], matter_verhoeff("0000010000"));
	/* refused */
	s.passcode = 11111111; /* 35191106788 with discriminator 3840: a code the SDK also refuses */
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), -1);
	s.passcode = 20202021;
	s.flow = 3;
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), -1);
	s.flow = 0;
	s.discriminator = 4096;
	assert_int_equal(matter_manual_code(&s, code, sizeof(code)), -1);
}

static void
verhoeff(void **st)
{
	static const char *codes[] = {"34970112332", "24393623965", "749701123365521327686", "2363"};
	char c[40], body[40];
	size_t i, j, n;
	int d;

	(void)st;
	assert_int_equal(matter_verhoeff("236"), '3');
	assert_int_equal(matter_verhoeff("0"), '4');
	assert_int_equal(matter_verhoeff("12345"), '1'); /* 123451: a common Verhoeff test value */
	assert_int_equal(matter_verhoeff("3497011233"), '2');
	assert_int_equal(matter_verhoeff(""), -1);
	assert_int_equal(matter_verhoeff(NULL), -1);
	assert_int_equal(matter_verhoeff("12a4"), -1);
	assert_int_equal(matter_verhoeff("123456789012345678901234567890123"), -1); /* 33 digits */
	assert_true(matter_verhoeff("12345678901234567890123456789012") >= '0');
	/* every single-digit error and every adjacent transposition of a valid code is caught */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		n = strlen(codes[i]);
		memcpy(body, codes[i], n - 1);
		body[n - 1] = '\0';
		assert_int_equal(matter_verhoeff(body), codes[i][n - 1]);
		for (j = 0; j < n; j++)
			for (d = '0'; d <= '9'; d++) {
				if (d == codes[i][j])
					continue;
				strcpy(c, codes[i]);
				c[j] = (char)d;
				c[n - 1] = '\0';
				assert_true(j == n - 1 || matter_verhoeff(c) != codes[i][n - 1]);
			}
		for (j = 0; j + 1 < n; j++) {
			if (codes[i][j] == codes[i][j + 1])
				continue;
			strcpy(c, codes[i]);
			c[j] = codes[i][j + 1];
			c[j + 1] = codes[i][j];
			/* the check digit compared: the last one of the swapped string */
			d = c[n - 1];
			c[n - 1] = '\0';
			assert_int_not_equal(matter_verhoeff(c), d);
		}
	}
}

static void
matter_passcode_rules(void **st)
{
	static const uint32_t trivial[] = {
		0, 11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888, 99999999,
		12345678, 87654321,
	};
	struct matter_setup s = {0, 0xFFF1, 0x8001, 0, MATTER_RV_ON_NETWORK, 3840, 0};
	char out[MATTER_QR_LEN + 1], ref[32];
	uint8_t v[MATTER_VERIFIER_LEN];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(trivial) / sizeof(trivial[0]); i++) {
		assert_false(matter_passcode_valid(trivial[i]));
		s.passcode = trivial[i];
		assert_int_equal(matter_qr_payload(&s, out, sizeof(out)), -1);
		assert_int_equal(matter_spake2p_verifier(trivial[i], (const uint8_t *)"SPAKE2P Key Salt", 16, 1000, v),
		    -1);
		/* a payload carrying it is refused too */
		ref_qr(0, 0xFFF1, 0x8001, 0, 4, 3840, trivial[i], 0, ref);
		assert_int_equal(matter_qr_decode(ref, &s), -1);
	}
	assert_true(matter_passcode_valid(1));
	assert_true(matter_passcode_valid(99999998));
	assert_true(matter_passcode_valid(11111112));
	assert_true(matter_passcode_valid(87654320));
	assert_true(matter_passcode_valid(20202021));
	assert_false(matter_passcode_valid(100000000));
	assert_false(matter_passcode_valid(0x7FFFFFF));
	assert_false(matter_passcode_valid(UINT32_MAX));
	/* the range ends still encode and decode */
	s.passcode = 99999998;
	assert_int_equal(matter_qr_payload(&s, out, sizeof(out)), 0);
	s.passcode = 0;
	assert_int_equal(matter_qr_decode(out, &s), 0);
	assert_int_equal(s.passcode, 99999998);
	s.passcode = 1;
	assert_int_equal(matter_qr_payload(&s, out, sizeof(out)), 0);
	assert_int_equal(matter_qr_decode(out, &s), 0);
	assert_int_equal(s.passcode, 1);
}

static void
matter_generate(void **st)
{
	enum { N = 16000 };
	unsigned long pc[16] = {0}, lo[64] = {0}, hi[64] = {0};
	uint32_t p;
	uint16_t d;
	int i;

	(void)st;
	for (i = 0; i < N; i++) {
		assert_int_equal(matter_passcode_generate(&p), 0);
		assert_true(matter_passcode_valid(p));
		pc[(uint64_t)(p - 1) * 16 / MATTER_PASSCODE_MAX]++;
		assert_int_equal(matter_discriminator_generate(&d), 0);
		assert_true(d <= MATTER_DISCRIMINATOR_MAX);
		lo[d & 63]++;
		hi[d >> 6]++;
	}
	/* 16 equal slices of 1..99999998 (the ten trivial values weigh nothing here), and the
	 * discriminator's low and high 6 bits */
	assert_true(chi2(pc, 16, N) < CHI2_DF15);
	assert_true(chi2(lo, 64, N) < CHI2_DF63);
	assert_true(chi2(hi, 64, N) < CHI2_DF63);
}

static void
matter_qr_roundtrip(void **st)
{
	struct matter_setup s, d;
	char out[MATTER_QR_LEN + 1], ref[32];
	uint32_t r;
	int i;

	(void)st;
	for (i = 0; i < 2000; i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(cred_rand_below(65536, &r), 0);
		s.vendor_id = (uint16_t)r;
		assert_int_equal(cred_rand_below(65536, &r), 0);
		s.product_id = (uint16_t)r;
		assert_int_equal(cred_rand_below(3, &r), 0);
		s.flow = (uint8_t)r;
		assert_int_equal(cred_rand_below(256, &r), 0);
		s.rendezvous = (uint8_t)r;
		assert_int_equal(matter_discriminator_generate(&s.discriminator), 0);
		assert_int_equal(matter_passcode_generate(&s.passcode), 0);
		assert_int_equal(matter_qr_payload(&s, out, sizeof(out)), 0);
		ref_qr(0, s.vendor_id, s.product_id, s.flow, s.rendezvous, s.discriminator, s.passcode, 0, ref);
		assert_string_equal(out, ref);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(matter_qr_decode(out, &d), 0);
		assert_same_setup(&d, &s);
	}
}

static void
matter_qr_refused(void **st)
{
	static const char *bad[] = {
		"",
		"MT:",
		"MT:-24J0AFN00KA0648G0",    /* 18 characters */
		"MT:-24J0AFN00KA0648G000",  /* 20 */
		"MT:-24J0AFN00KA0648G00\n", /* a line end */
		"mt:-24J0AFN00KA0648G00",
		"MT-24J0AFN00KA0648G00X",
		"MT:-24j0AFN00KA0648G00",   /* lower case */
		"MT:-24J0AFN00KA0648G 0",
		"MT:-24J0AFN00KA0648G*0",
		"MT:.....FN00KA0648G00",
		"MT:.....AFN00KA0648G00",   /* a 5-digit chunk above 2^24 */
		"MT:-24J0AFN00KA0648...",   /* the 4-digit chunk above 2^16 */
		"MT:-24J0AFN00KA0648G00MT:-24J0AFN00KA0648G00",
	};
	struct matter_setup s = {0, 0xFFF1, 0x8001, 0, 4, 3840, 20202021}, keep;
	char ref[32];
	size_t i;

	(void)st;
	keep = s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (matter_qr_decode(bad[i], &s) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(matter_qr_decode(NULL, &s), -1);
	/* well-formed base-38 of fields the payload may not carry */
	ref_qr(1, 0xFFF1, 0x8001, 0, 4, 3840, 20202021, 0, ref);  /* version 1 */
	assert_int_equal(matter_qr_decode(ref, &s), -1);
	ref_qr(0, 0xFFF1, 0x8001, 3, 4, 3840, 20202021, 0, ref);  /* flow 3 */
	assert_int_equal(matter_qr_decode(ref, &s), -1);
	ref_qr(0, 0xFFF1, 0x8001, 0, 4, 3840, 20202021, 8, ref);  /* padding */
	assert_int_equal(matter_qr_decode(ref, &s), -1);
	ref_qr(0, 0xFFF1, 0x8001, 0, 4, 3840, 100000000, 0, ref); /* passcode out of range */
	assert_int_equal(matter_qr_decode(ref, &s), -1);
	assert_same_setup(&s, &keep); /* unchanged by every refusal */
	/* and the encoder refuses what it cannot write */
	s.version = 1;
	assert_int_equal(matter_qr_payload(&s, ref, sizeof(ref)), -1);
	s = keep;
	s.flow = 3;
	assert_int_equal(matter_qr_payload(&s, ref, sizeof(ref)), -1);
	s = keep;
	s.discriminator = 4096;
	assert_int_equal(matter_qr_payload(&s, ref, sizeof(ref)), -1);
}

static void
matter_spake2p(void **st)
{
	/* connectedhomeip src/protocols/secure_channel/tests/TestPASESession.cpp, test set #01
	 * (also Test_TC_SC_4_1.yaml's PakeVerifier) */
	static const char want_hex[] =
	    "b96170aae803346884724fe9a3b287c30330c2a660375d17bb205a8cf1aecb35"
	    "0457f8ab79ee253ab6a8e46bb09e543ae422736de501e3db37d441fe344920d095"
	    "48e4c18240630c4ff4913c53513839b7c07fcc0627a1b8573a149fcd1fa466cf";
	const uint8_t *salt = (const uint8_t *)"SPAKE2P Key Salt";
	uint8_t want[MATTER_VERIFIER_LEN], v[MATTER_VERIFIER_LEN], v2[MATTER_VERIFIER_LEN], salt32[32];
	EC_GROUP *g;
	EC_POINT *l;

	(void)st;
	assert_int_equal(helpers_hex(want_hex, want, sizeof(want)), MATTER_VERIFIER_LEN);
	assert_int_equal(matter_spake2p_verifier(20202021, salt, 16, 1000, v), 0);
	assert_memory_equal(v, want, MATTER_VERIFIER_LEN);

	/* w0 below 2^248: its first byte 0 must be written (passcode 23, salt 00 01 .. 1f, 1000
	 * iterations: the first passcode with that salt to give one; found and computed with an
	 * independent pure-Python P-256 and hashlib's PBKDF2, which also gives the vector above) */
	{
		static const char pad_hex[] =
		    "0079580f0e638bb9657942676abd13b0739f34145b122653355b4f547f64cf5b"
		    "0471040a5361c45bf252e7306c53d57e71c1126528efcf0d7aea1d57e9fcdd3627"
		    "9e94d4513fb520eef9ae231043a1a05527c2d8aa1ec62fe456b163321dfe648a";
		uint8_t seq[32], pad_want[MATTER_VERIFIER_LEN];
		int i;

		for (i = 0; i < 32; i++)
			seq[i] = (uint8_t)i;
		assert_int_equal(helpers_hex(pad_hex, pad_want, sizeof(pad_want)), MATTER_VERIFIER_LEN);
		assert_int_equal(matter_spake2p_verifier(23, seq, 32, 1000, v2), 0);
		assert_memory_equal(v2, pad_want, MATTER_VERIFIER_LEN);
	}

	/* L is a point of P-256 */
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	l = EC_POINT_new(g);
	assert_int_equal(EC_POINT_oct2point(g, l, v + 32, 65, NULL), 1);
	EC_POINT_free(l);
	EC_GROUP_free(g);

	/* another passcode, salt or iteration count gives another verifier */
	assert_int_equal(matter_spake2p_verifier(20202022, salt, 16, 1000, v2), 0);
	assert_memory_not_equal(v2, v, MATTER_VERIFIER_LEN);
	assert_int_equal(matter_spake2p_verifier(20202021, salt, 16, 1001, v2), 0);
	assert_memory_not_equal(v2, v, MATTER_VERIFIER_LEN);
	memset(salt32, 0x42, sizeof(salt32));
	assert_int_equal(matter_spake2p_verifier(20202021, salt32, 32, 1000, v2), 0);
	assert_memory_not_equal(v2, v, MATTER_VERIFIER_LEN);
	assert_int_equal(v2[32], 0x04);

	/* refused, and out untouched */
	memcpy(v2, v, sizeof(v));
	assert_int_equal(matter_spake2p_verifier(20202021, salt32, 15, 1000, v2), -1);
	assert_int_equal(matter_spake2p_verifier(20202021, salt32, 33, 1000, v2), -1);
	assert_int_equal(matter_spake2p_verifier(20202021, salt32, 16, 999, v2), -1);
	assert_int_equal(matter_spake2p_verifier(20202021, salt32, 16, 100001, v2), -1);
	assert_int_equal(matter_spake2p_verifier(20202021, NULL, 16, 1000, v2), -1);
	assert_int_equal(matter_spake2p_verifier(0, salt32, 16, 1000, v2), -1);
	assert_int_equal(matter_spake2p_verifier(100000000, salt32, 16, 1000, v2), -1);
	assert_memory_equal(v2, v, MATTER_VERIFIER_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rand_below_uniform),
		cmocka_unit_test(rand_string_contract),
		cmocka_unit_test(password_on_sampler),
		cmocka_unit_test(wifi_psk_annex_j),
		cmocka_unit_test(wifi_qr_types_and_escapes),
		cmocka_unit_test(wifi_qr_bounds),
		cmocka_unit_test(wifi_ssid),
		cmocka_unit_test(wifi_passphrase),
		cmocka_unit_test(wifi_passphrase_not_quoted),
		cmocka_unit_test(matter_qr_published),
		cmocka_unit_test(matter_manual_code_forms),
		cmocka_unit_test(verhoeff),
		cmocka_unit_test(matter_passcode_rules),
		cmocka_unit_test(matter_generate),
		cmocka_unit_test(matter_qr_roundtrip),
		cmocka_unit_test(matter_qr_refused),
		cmocka_unit_test(matter_spake2p),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
