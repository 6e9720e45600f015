/* cred-wifi.c: a board's Wi-Fi access point credentials and QR text; see cred-wifi.h. */
#include "cred-wifi.h"

#include <openssl/evp.h>
#include <string.h>

#include "cred-rand.h"
#include "password.h"
#include "profile.h"
#include "util.h"

/* 0x21..0x7E: every printable ASCII character but the space. */
static const char printable[] =
    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/* Length of s when it is min..max bytes, each 0x20..0x7E (reading at most max + 1 bytes);
 * else -1. */
static int
text_len(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return -1;
	for (n = 0; n <= max && s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return -1;
	if (n < min || n > max)
		return -1;
	return (int)n;
}

int
wifi_ssid_generate(const char *prefix, unsigned suffix_len, char *out, size_t cap)
{
	char suffix[WIFI_SUFFIX_MAX + 1];
	int pl;

	if ((pl = text_len(prefix, 1, WIFI_PREFIX_MAX)) < 0 || suffix_len < WIFI_SUFFIX_MIN ||
	    suffix_len > WIFI_SUFFIX_MAX || out == NULL || cap <= (size_t)pl + suffix_len)
		return -1;
	if (cred_rand_string(WIFI_SSID_ALPHABET, suffix_len, suffix, sizeof(suffix)) != 0)
		return -1;
	memcpy(out, prefix, (size_t)pl);
	memcpy(out + pl, suffix, suffix_len + 1);
	return 0;
}

int
wifi_passphrase_generate(unsigned alphabet, unsigned len, char *out, size_t cap)
{
	const char *alpha;

	switch (alphabet) {
	case WIFI_ALPHA_PLAIN:
		alpha = PASSWORD_ALPHABET;
		break;
	case WIFI_ALPHA_PRINTABLE:
		alpha = printable;
		break;
	default:
		return -1;
	}
	if (len < WIFI_PASS_MIN || len > WIFI_PASS_MAX || out == NULL)
		return -1;
	/* A passphrase that begins and ends with '"' is drawn again: Android's QR reader
	 * (Settings, WifiNetworkConfig.addQuotationIfNeeded) takes such a value, once unescaped, for
	 * one already quoted and joins with the passphrase without its quotes (1 draw in 8836 with
	 * the printable alphabet). */
	do {
		if (cred_rand_string(alpha, len, out, cap) != 0)
			return -1;
	} while (out[0] == '"' && out[len - 1] == '"');
	return 0;
}

int
wifi_psk(const char *ssid, const char *passphrase, uint8_t psk[WIFI_PSK_LEN])
{
	uint8_t k[WIFI_PSK_LEN];
	int sl, pl;

	if ((sl = text_len(ssid, 1, WIFI_SSID_MAX)) < 0 ||
	    (pl = text_len(passphrase, WIFI_PASS_MIN, WIFI_PASS_MAX)) < 0 || psk == NULL)
		return -1;
	if (PKCS5_PBKDF2_HMAC_SHA1(passphrase, pl, (const unsigned char *)ssid, sl, 4096, sizeof(k), k) != 1) {
		util_wipe(k, sizeof(k));
		return -1;
	}
	memcpy(psk, k, sizeof(k));
	util_wipe(k, sizeof(k));
	return 0;
}

/* Appends s to out at *at with the QR text's escapes; -1 when it does not fit (with a NUL). */
static int
put_escaped(char *out, size_t cap, size_t *at, const char *s)
{
	for (; *s != '\0'; s++) {
		if (strchr("\\;,\":", *s) != NULL) {
			if (*at + 1 >= cap)
				return -1;
			out[(*at)++] = '\\';
		}
		if (*at + 1 >= cap)
			return -1;
		out[(*at)++] = *s;
	}
	return 0;
}

static int
put(char *out, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap - *at)
		return -1;
	memcpy(out + *at, s, n);
	*at += n;
	return 0;
}

int
wifi_qr_payload(const char *ssid, const char *passphrase, unsigned security, char *out, size_t cap)
{
	const char *type;
	size_t at = 0;

	switch (security) {
	case WIFI_SEC_WPA2:
	case WIFI_SEC_WPA2_WPA3:
		type = "WPA";
		break;
	case WIFI_SEC_WPA3:
		type = "SAE";
		break;
	default:
		return -1;
	}
	if (text_len(ssid, 1, WIFI_SSID_MAX) < 0 || text_len(passphrase, WIFI_PASS_MIN, WIFI_PASS_MAX) < 0 ||
	    out == NULL || cap == 0)
		return -1;
	if (put(out, cap, &at, "WIFI:T:") != 0 || put(out, cap, &at, type) != 0 ||
	    put(out, cap, &at, ";S:") != 0 || put_escaped(out, cap, &at, ssid) != 0 ||
	    put(out, cap, &at, ";P:") != 0 || put_escaped(out, cap, &at, passphrase) != 0 ||
	    put(out, cap, &at, ";;") != 0) {
		util_wipe(out, cap);
		return -1;
	}
	out[at] = '\0';
	return 0;
}
