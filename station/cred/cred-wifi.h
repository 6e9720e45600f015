/*
 * cred-wifi.h: the credentials of a board's own Wi-Fi access point ([wifi] in the profile,
 * struct wifi_profile): a unique SSID, a random passphrase, the WPA2 PSK derived from them, and
 * the text of the "join this network" QR code printed on the label. Pure functions: no I/O;
 * randomness from the OS CSPRNG without bias (cred-rand.h).
 *
 * The QR text follows the ZXing "Barcode Contents" convention that Android and iOS cameras read:
 *   WIFI:T:<type>;S:<ssid>;P:<passphrase>;;
 * with '\', ';', ',', '"' and ':' in the SSID and passphrase escaped by a backslash.
 * T:WPA is written for WPA2 and for WPA2/WPA3 transition access points (phones negotiate WPA3
 * when they can); T:SAE for a WPA3-only access point. Caveat: T:SAE is what Android's parser
 * (WifiUriParser) maps to WPA3-SAE; no primary source says that iOS reads it, so a WPA3-only
 * product should check its phones (a transition-mode AP with T:WPA is read everywhere).
 * Caveat: an SSID made only of hex digits may be taken for hex by old readers (the ZXing
 * Barcode Scanner app); the text is written unquoted. A passphrase never has 64 characters, so
 * it is never taken for a raw PSK.
 */
#ifndef CRED_WIFI_H
#define CRED_WIFI_H

#include <stddef.h>
#include <stdint.h>

/* The random part of an SSID: digits and capitals without look-alikes (no 0/O, 1/I), 32
 * symbols, 5 bits each. */
#define WIFI_SSID_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define WIFI_SSID_MAX 32        /* octets (IEEE 802.11) */
#define WIFI_PREFIX_MAX 24
#define WIFI_SUFFIX_MIN 4
#define WIFI_SUFFIX_MAX 8
#define WIFI_PASS_MIN 8         /* IEEE 802.11 Annex J.4.1: 8..63 printable characters */
#define WIFI_PASS_MAX 63
#define WIFI_PSK_LEN 32
/* Room for the longest QR text: every SSID and passphrase character escaped. */
#define WIFI_QR_MAX (sizeof("WIFI:T:WPA;S:;P:;;") - 1 + 2 * WIFI_SSID_MAX + 2 * WIFI_PASS_MAX)

/* SSID = prefix + suffix_len characters uniform over WIFI_SSID_ALPHABET, NUL-terminated, into
 * out. 0, or -1 (out unchanged) when prefix is NULL, empty, longer than WIFI_PREFIX_MAX or has a
 * byte outside 0x20..0x7E, when suffix_len is outside WIFI_SUFFIX_MIN..WIFI_SUFFIX_MAX, when
 * cap cannot hold the SSID and its NUL, or when the CSPRNG fails. */
int wifi_ssid_generate(const char *prefix, unsigned suffix_len, char *out, size_t cap);

/* A passphrase of len characters (WIFI_PASS_MIN..WIFI_PASS_MAX), each uniform over the
 * alphabet: WIFI_ALPHA_PLAIN (enum wifi_alphabet, profile.h) is the password alphabet
 * (PASSWORD_ALPHABET, no look-alikes, nothing the QR text escapes); WIFI_ALPHA_PRINTABLE is
 * 0x21..0x7E (94 symbols, the space left out), except that a passphrase beginning and ending
 * with '"' is never drawn (Android's reader would take the quotes for quoting and drop them).
 * NUL-terminated into out. 0, or -1 when the
 * alphabet is unknown, len is out of range, cap <= len or the CSPRNG fails (out is then
 * wiped). The passphrase is a secret: the caller wipes it. */
int wifi_passphrase_generate(unsigned alphabet, unsigned len, char *out, size_t cap);

/* The WPA2 pre-shared key PBKDF2-HMAC-SHA1(passphrase, ssid, 4096, 32) (IEEE 802.11 J.4.1)
 * into psk. 0, or -1 (psk unchanged) when ssid is not 1..WIFI_SSID_MAX bytes, the passphrase
 * not WIFI_PASS_MIN..WIFI_PASS_MAX characters of 0x20..0x7E, or OpenSSL fails. */
int wifi_psk(const char *ssid, const char *passphrase, uint8_t psk[WIFI_PSK_LEN]);

/* The label's QR text "WIFI:T:<WPA|SAE>;S:<ssid>;P:<passphrase>;;" (see above) into out,
 * NUL-terminated; security is enum wifi_security (profile.h). 0, or -1 when security is
 * unknown, the SSID is not 1..WIFI_SSID_MAX bytes of 0x20..0x7E, the passphrase not
 * WIFI_PASS_MIN..WIFI_PASS_MAX of them, or the text does not fit in cap (WIFI_QR_MAX + 1 is
 * always enough); on failure out is wiped. The text holds the passphrase: the caller wipes it. */
int wifi_qr_payload(const char *ssid, const char *passphrase, unsigned security, char *out, size_t cap);

#endif
