/*
 * test-verify-body.c: station/audit/verify-body.c, the verifier's reader of entry bodies. Its
 * fast scan must give exactly the member values json_loads(body, 0) + json_object_get give
 * (the reference it replaced, issue #14), for the bodies the signer writes and for edited ones:
 * duplicate keys, escapes, whitespace, numbers, nesting, trailing bytes, non-objects, invalid
 * JSON. Every body is also checked with each prefix cut off (truncated input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify-int.h"

static const char *const keys[] = { "product", "cert_serial", "commitment", "pubkey_sha256",
	"issuer", "mode", "fw_version", "fw_sha256" };

static void
same_as_jansson(struct vbody *b, const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	size_t i;

	vbody_parse(b, body);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(j, keys[i]);
		const char *want = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(vbody_get(b, keys[i]), want) != 0)
			fail_msg("body '%s' key %s: got '%s', jansson '%s'", body, keys[i],
			    vbody_get(b, keys[i]), want);
	}
	json_decref(j);
}

static const char *const bodies[] = {
	"{}",
	"{\"product\":\"thermostat-v2\"}",
	"{\"cert_serial\":\"0a1b\",\"der_hex\":\"3082\",\"issuer\":\"ab\",\"product\":\"p\","
	"\"pubkey_sha256\":\"ff\"}",
	"{\"cert_serial\":\"01\",\"checks\":[\"chain_sha256_installed\",\"key_proven\"],"
	"\"fw_sha256\":\"9f\",\"fw_version\":\"1.0.0\",\"product\":\"p\"}",
	"{\"label\":\"printed\",\"lock\":{\"debug_locked\":true,\"state\":\"LOCKED\","
	"\"write_refused\":true},\"product\":\"p\"}",
	"{\"mode\":\"admin\",\"module\":\"/usr/lib/softhsm/libsofthsm2.so\",\"token\":\"t\"}",
	"{\"fail\":0,\"lookup_misses\":12,\"lookups\":1000,\"pass\":3}",
	/* duplicate keys: the last wins */
	"{\"product\":\"x\",\"product\":\"y\"}",
	"{\"product\":\"x\",\"product\":1}",
	"{\"product\":1,\"product\":\"x\"}",
	/* not strings */
	"{\"product\":null,\"cert_serial\":true,\"commitment\":[\"a\"],\"issuer\":{\"a\":\"b\"}}",
	"{\"product\":-1,\"mode\":1.5,\"issuer\":1e3,\"fw_version\":0}",
	"{\"product\":01}",
	"{\"product\":12345678901234567890123}",
	"{\"product\":-0}",
	/* escapes and whitespace: jansson's */
	"{\"product\":\"a\\\"b\"}",
	"{\"product\":\"\\u0041\"}",
	"{\"\\u0070roduct\":\"sneaky\"}",
	"{\"product\": \"spaced\"}",
	" {\"product\":\"lead\"}",
	"{\"product\":\"trail\"} ",
	"{\"product\":\"trail\"}x",
	"{\"product\":\"a\"}{\"product\":\"b\"}",
	/* structure */
	"{\"product\":\"a\",}",
	"{,\"product\":\"a\"}",
	"{\"product\"\"a\"}",
	"{\"product\":\"a\"",
	"{\"product\":[1,2,]}",
	"{\"a\":[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]],\"product\":\"deep\"}",
	"{\"a\":{\"product\":\"nested\"},\"product\":\"top\"}",
	"{\"a\":{\"product\":\"nested only\"}}",
	"[\"product\",\"x\"]",
	"\"product\"",
	"",
	"{\"\":\"empty key\",\"product\":\"\"}",
	"{\"product\":\"tab\there\"}",
	"{\"product\":\"caf\xc3\xa9\"}",
	"{\"product\":\"bad \xff utf8\"}",
	"{\"product\":truex}",
	"{\"product\":nul}",
};

static void
test_bodies(void **st)
{
	struct vbody b;
	char cut[512];
	size_t i, k;

	(void)st;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		same_as_jansson(&b, bodies[i]);
		for (k = 0; k < strlen(bodies[i]) && k < sizeof(cut) - 1; k++) {
			memcpy(cut, bodies[i], k);
			cut[k] = '\0';
			same_as_jansson(&b, cut);
		}
	}
	vbody_parse(&b, NULL);
	assert_string_equal(vbody_get(&b, "product"), "");
	vbody_free(&b);
	vbody_free(&b); /* twice: a no-op */
}

/* A body at the size cap, and one past it (jansson reads both). */
static void
test_large(void **st)
{
	size_t n = CAP_AUDIT_BODY + 100;
	char *s = malloc(n + 64);
	struct vbody b;

	(void)st;
	assert_non_null(s);
	memset(&b, 0, sizeof(b));
	strcpy(s, "{\"der_hex\":\"");
	memset(s + 12, 'a', n - 40);
	strcpy(s + 12 + n - 40, "\",\"product\":\"big\"}");
	same_as_jansson(&b, s);
	s[CAP_AUDIT_BODY - 30] = '\0';
	strcat(s, "\",\"product\":\"cap\"}");
	same_as_jansson(&b, s);
	vbody_free(&b);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
