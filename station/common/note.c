/* note.c: C2SP signed notes and checkpoints; see note.h. */
#include "note.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char EMDASH[] = "\xe2\x80\x94 "; /* U+2014 and a space */
#define EMDASH_LEN 4

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
note_b64enc(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	if (n > (cap / 4) * 3 || (n + 2) / 3 * 4 + 1 > cap)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = B64[v >> 18];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = B64[(v >> 6) & 63];
		out[o++] = B64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = B64[v >> 18];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
note_b64dec(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0, pad = 0;

	if (n == 0 || n % 4 != 0)
		return n == 0 ? 0 : -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return -1;
	for (i = 0; i < n; i += 4) {
		int a = b64val(in[i]), b = b64val(in[i + 1]), c, d;
		int last = i + 4 == n;

		c = (last && pad == 2) ? 0 : b64val(in[i + 2]);
		d = (last && pad >= 1) ? 0 : b64val(in[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		/* Canonical: the pad bits must be zero. */
		if (last && pad == 2 && (b & 15) != 0)
			return -1;
		if (last && pad == 1 && (c & 3) != 0)
			return -1;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
		if (!(last && pad >= 1))
			out[o++] = (uint8_t)((c & 3) << 6 | d);
	}
	return (long)o;
}

int
note_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (need > n - i - 1)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, above U+10FFFF, C1 controls. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
note_origin(const char *station_id, char *out, size_t cap)
{
	const char *p;
	int n;

	if (station_id == NULL || *station_id == '\0')
		return NOTE_ERR_ARG;
	for (p = station_id; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '+')
			return NOTE_ERR_ARG;
	n = snprintf(out, cap, "station/%s", station_id);
	if (n < 0 || (size_t)n >= cap || n > CAP_ORIGIN)
		return NOTE_ERR_ARG;
	return NOTE_OK;
}

int
note_body(const char *origin, uint64_t size, const uint8_t root[32], char *out, size_t cap,
    size_t *len)
{
	char b64[45];
	int n;

	if (strlen(origin) == 0 || strlen(origin) > CAP_ORIGIN || strchr(origin, '\n') != NULL)
		return NOTE_ERR_ARG;
	note_b64enc(root, 32, b64, sizeof(b64));
	n = snprintf(out, cap, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	if (n < 0 || (size_t)n >= cap)
		return NOTE_ERR_ARG;
	*len = (size_t)n;
	return NOTE_OK;
}

/* Signed-note type 0x02 is ECDSA on P-256 only; another curve would make notes that other
 * verifiers reject. */
static int
is_p256(EVP_PKEY *k)
{
	char g[32];

	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(k, g, sizeof(g), NULL) != 1) {
		ERR_clear_error();
		return 0;
	}
	return strcmp(g, "prime256v1") == 0;
}

int
note_key_id(EVP_PKEY *pub, const char *name, uint8_t id[4])
{
	unsigned char *der = NULL;
	uint8_t dg[32], buf[CAP_ORIGIN + 2 + 32];
	size_t nl, rl = 32;
	int n, ok;

	if (pub == NULL)
		return NOTE_ERR_ARG;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_ED25519) {
		/* type 0x01: SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4] */
		if (name == NULL || (nl = strlen(name)) == 0 || nl > CAP_ORIGIN)
			return NOTE_ERR_ARG;
		memcpy(buf, name, nl);
		buf[nl] = '\n';
		buf[nl + 1] = NOTE_SIG_ED25519;
		if (EVP_PKEY_get_raw_public_key(pub, buf + nl + 2, &rl) != 1 || rl != 32 ||
		    EVP_Digest(buf, nl + 2 + 32, dg, NULL, EVP_sha256(), NULL) != 1) {
			ERR_clear_error();
			return NOTE_ERR_CRYPTO;
		}
		memcpy(id, dg, 4);
		return NOTE_OK;
	}
	if (!is_p256(pub))
		return NOTE_ERR_ARG;
	/* type 0x02: SHA-256(DER SPKI)[:4] */
	if ((n = i2d_PUBKEY(pub, &der)) <= 0)
		return NOTE_ERR_CRYPTO;
	ok = EVP_Digest(der, (size_t)n, dg, NULL, EVP_sha256(), NULL) == 1;
	OPENSSL_free(der);
	if (!ok)
		return NOTE_ERR_CRYPTO;
	memcpy(id, dg, 4);
	return NOTE_OK;
}

int
note_assemble(const char *body, const char *name, const uint8_t id[4], const uint8_t *sig,
    size_t siglen, char *out, size_t cap, size_t *len)
{
	uint8_t blob[4 + CAP_NOTE_SIG];
	char b64[(4 + CAP_NOTE_SIG + 2) / 3 * 4 + 1];
	int n;

	if (siglen == 0 || siglen > CAP_NOTE_SIG)
		return NOTE_ERR_ARG;
	memcpy(blob, id, 4);
	memcpy(blob + 4, sig, siglen);
	if (note_b64enc(blob, 4 + siglen, b64, sizeof(b64)) < 0)
		return NOTE_ERR_ARG;
	n = snprintf(out, cap, "%s\n%s%s %s\n", body, EMDASH, name, b64);
	if (n < 0 || (size_t)n >= cap || (size_t)n > CAP_NOTE)
		return NOTE_ERR_ARG;
	*len = (size_t)n;
	return NOTE_OK;
}

static int
syntax(char *why, size_t wcap, const char *what)
{
	if (why != NULL && wcap > 0)
		snprintf(why, wcap, "%s", what);
	return NOTE_ERR_SYNTAX;
}

/* Next line of s[*off..end) without its '\n' (which must be there). */
static int
next_line(const char *s, size_t end, size_t *off, const char **line, size_t *llen)
{
	const char *nl;

	if (*off >= end || (nl = memchr(s + *off, '\n', end - *off)) == NULL)
		return -1;
	*line = s + *off;
	*llen = (size_t)(nl - (s + *off));
	*off += *llen + 1;
	return 0;
}

static int
parse_size(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0'); /* 19 digits cannot overflow 2^64 */
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

int
note_parse(const char *text, size_t len, struct note_checkpoint *out, char *why, size_t wcap)
{
	struct note_checkpoint *cp;
	const char *line;
	size_t off = 0, llen, sep, i;
	int r = NOTE_ERR_SYNTAX;
	long dl;

	if (text == NULL || len == 0 || len > CAP_NOTE)
		return syntax(why, wcap, "empty, or longer than a checkpoint can be");
	if (!note_text_ok(text, len))
		return syntax(why, wcap, "not valid UTF-8 text, or holds a control character");
	if (text[len - 1] != '\n')
		return syntax(why, wcap, "does not end with a newline");
	/* The text ends at the last empty line (signed-note §Format). */
	for (sep = len - 1; sep > 0; sep--)
		if (text[sep] == '\n' && text[sep - 1] == '\n')
			break;
	if (sep == 0)
		return syntax(why, wcap, "no blank line before the signatures");
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return NOTE_ERR_CRYPTO;
	cp->text_len = sep; /* text[0..sep) ends with the text's own '\n' */
	if (next_line(text, cp->text_len, &off, &line, &llen) != 0 || llen == 0 ||
	    llen > CAP_ORIGIN) {
		r = syntax(why, wcap, "missing or over-long origin line");
		goto out;
	}
	for (i = 0; i < llen; i++)
		if ((unsigned char)line[i] < 0x21 || (unsigned char)line[i] > 0x7e) {
			r = syntax(why, wcap, "origin is not printable ASCII without spaces");
			goto out;
		}
	memcpy(cp->origin, line, llen);
	cp->origin[llen] = '\0';
	if (next_line(text, cp->text_len, &off, &line, &llen) != 0 ||
	    parse_size(line, llen, &cp->size) != 0) {
		r = syntax(why, wcap, "tree size is not a decimal number without leading zeros");
		goto out;
	}
	if (next_line(text, cp->text_len, &off, &line, &llen) != 0 || llen != 44 ||
	    (dl = note_b64dec(line, llen, cp->root, sizeof(cp->root))) != 32) {
		r = syntax(why, wcap, "root hash is not 32 bytes of base64");
		goto out;
	}
	if (off != cp->text_len) {
		r = syntax(why, wcap, "extension lines after the root hash are not accepted");
		goto out;
	}
	off = sep + 1;
	while (off < len) {
		struct note_sig *sg;
		uint8_t blob[4 + CAP_NOTE_SIG];
		const char *sp;
		size_t nl;

		if (cp->nsigs >= CAP_NOTE_SIGS) {
			r = syntax(why, wcap, "more signature lines than accepted");
			goto out;
		}
		if (next_line(text, len, &off, &line, &llen) != 0 || llen < EMDASH_LEN + 3 ||
		    memcmp(line, EMDASH, EMDASH_LEN) != 0) {
			r = syntax(why, wcap, "a signature line does not start with an em dash and a space");
			goto out;
		}
		line += EMDASH_LEN;
		llen -= EMDASH_LEN;
		if ((sp = memchr(line, ' ', llen)) == NULL || sp == line ||
		    (nl = (size_t)(sp - line)) > CAP_ORIGIN || memchr(line, '+', nl) != NULL) {
			r = syntax(why, wcap, "a signature line has no valid key name");
			goto out;
		}
		sg = &cp->sigs[cp->nsigs];
		memcpy(sg->name, line, nl);
		sg->name[nl] = '\0';
		dl = note_b64dec(sp + 1, llen - nl - 1, blob, sizeof(blob));
		if (dl < 5) {
			r = syntax(why, wcap, "a signature is not base64 of a key ID and a signature");
			goto out;
		}
		memcpy(sg->key_id, blob, 4);
		sg->sig_len = (size_t)dl - 4;
		memcpy(sg->sig, blob + 4, sg->sig_len);
		cp->nsigs++;
	}
	if (cp->nsigs == 0) {
		r = syntax(why, wcap, "no signature line");
		goto out;
	}
	memcpy(out, cp, sizeof(*cp));
	r = NOTE_OK;
out:
	free(cp);
	return r;
}

int
note_verify(const char *text, const struct note_checkpoint *cp, EVP_PKEY *pub)
{
	uint8_t id[4];
	EVP_MD_CTX *md;
	size_t i;
	int found = 0, ed = 0, r;

	if (pub == NULL || ((ed = EVP_PKEY_get_base_id(pub) == EVP_PKEY_ED25519) == 0 && !is_p256(pub)))
		return NOTE_ERR_ARG;
	if ((r = note_key_id(pub, cp->origin, id)) != 0)
		return r;
	for (i = 0; i < cp->nsigs; i++) {
		const struct note_sig *sg = &cp->sigs[i];
		int ok;

		/* signed-note: signatures of unknown keys (name or ID differ) are ignored. */
		if (strcmp(sg->name, cp->origin) != 0 || memcmp(sg->key_id, id, 4) != 0)
			continue;
		found = 1;
		if ((md = EVP_MD_CTX_new()) == NULL)
			return NOTE_ERR_CRYPTO;
		/* Ed25519 is one-shot over the text itself (no digest); a signature is 64 bytes. */
		ok = (!ed || sg->sig_len == 64) &&
		    EVP_DigestVerifyInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, pub) == 1 &&
		    EVP_DigestVerify(md, sg->sig, sg->sig_len, (const unsigned char *)text,
		        cp->text_len) == 1;
		EVP_MD_CTX_free(md);
		ERR_clear_error();
		if (!ok)
			return NOTE_ERR_SIG;
	}
	return found ? NOTE_OK : NOTE_ERR_NOKEY;
}

EVP_PKEY *
note_load_pubkey_pem(const char *pem, size_t len)
{
	EVP_PKEY *k = NULL;
	BIO *b;

	if (len == 0 || len > CAP_PEM || len > INT32_MAX)
		return NULL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k != NULL && !is_p256(k) && EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	ERR_clear_error();
	return k;
}

const char *
note_strerror(int rc)
{
	switch (rc) {
	case NOTE_OK: return "success";
	case NOTE_ERR_SYNTAX: return "not a well-formed checkpoint";
	case NOTE_ERR_SIG: return "checkpoint signature does not verify";
	case NOTE_ERR_NOKEY: return "checkpoint carries no signature of the audit key";
	case NOTE_ERR_ARG: return "value cannot be put in a checkpoint";
	case NOTE_ERR_CRYPTO: return "cryptographic library failure";
	default: return "unknown checkpoint error";
	}
}
