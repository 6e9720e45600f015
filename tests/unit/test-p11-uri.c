/*
 * test-p11-uri.c: RFC 7512 URI parser (every rejection class, over-long fields) and p11_ckr_name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "p11.h"

static int
parse(const char *s, struct p11_uri *u)
{
	return p11_uri_parse(s, u);
}

static void
expect_reject(const char *s)
{
	struct p11_uri u;

	memset(&u, 0xa5, sizeof(u));
	if (parse(s, &u) != P11_ERR_URI)
		fail_msg("accepted: %s", s);
	/* out is untouched on failure */
	assert_int_equal(u.token[0], (char)0xa5);
}

static void
test_empty_and_scheme(void **state)
{
	struct p11_uri u;

	assert_int_equal(parse("pkcs11:", &u), P11_OK);
	assert_string_equal(u.token, "");
	assert_string_equal(u.object, "");
	assert_int_equal(u.id_len, 0);
	assert_int_equal(u.type, -1);
	assert_int_equal(u.slot_id, -1);
	assert_int_equal(parse("PKCS11:token=a", &u), P11_OK);
	assert_string_equal(u.token, "a");
	assert_int_equal(parse("PkCs11:object=b", &u), P11_OK);
	assert_string_equal(u.object, "b");
	/* an empty query is allowed by the grammar */
	assert_int_equal(parse("pkcs11:token=a?", &u), P11_OK);

	expect_reject("");
	expect_reject("pkcs11");
	expect_reject("pkcs12:token=a");
	expect_reject("file:///etc/passwd");
	expect_reject(" pkcs11:token=a");
	assert_int_equal(p11_uri_parse(NULL, &u), P11_ERR_URI);
	assert_int_equal(p11_uri_parse("pkcs11:", NULL), P11_ERR_URI);
}

/* RFC 7512 section 3.3 examples that this parser accepts. */
static void
test_rfc_examples(void **state)
{
	static const uint8_t id1[] = { 0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91 };
	struct p11_uri u;

	assert_int_equal(parse("pkcs11:object=my-pubkey;type=public", &u), P11_OK);
	assert_string_equal(u.object, "my-pubkey");
	assert_int_equal(u.type, CKO_PUBLIC_KEY);

	assert_int_equal(parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
	    "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;"
	    "id=%69%95%3E%5C%F4%BD%EC%91;serial=", &u), P11_OK);
	assert_string_equal(u.token, "The Software PKCS#11 Softtoken");
	assert_string_equal(u.manufacturer, "Snake Oil, Inc.");
	assert_string_equal(u.model, "1.0");
	assert_string_equal(u.object, "my-certificate");
	assert_int_equal(u.type, CKO_CERTIFICATE);
	assert_int_equal(u.id_len, sizeof(id1));
	assert_memory_equal(u.id, id1, sizeof(id1));
	assert_string_equal(u.serial, "");

	assert_int_equal(parse("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;"
	    "object=my-certificate;type=cert", &u), P11_OK);
	assert_string_equal(u.token, "A name with a substring %;");

	assert_int_equal(parse("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;"
	    "object=my-certificate;type=cert", &u), P11_OK);
	assert_string_equal(u.token, "Name with a small A with acute: \xc3\xa1");
}

/* RFC 7512 section 3.3 examples this station refuses on purpose. */
static void
test_rfc_examples_refused(void **state)
{
	/* PIN and module in the query */
	expect_reject("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");
	expect_reject("pkcs11:token=Software%20PKCS%2311%20softtoken;"
	    "manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin");
	expect_reject("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11");
	expect_reject("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1");
	/* attributes we do not support */
	expect_reject("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;"
	    "id=%01%02%03%Ba%dd%Ca%ff");
	expect_reject("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;"
	    "library-description=Soft%20Token%20Library;library-version=1.23");
	expect_reject("pkcs11:slot-description=Sun%20Metaslot");
	expect_reject("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"
	    "?pin-source=file:/etc/token-pin&vendor-bbb=value-b");
}

static void
test_percent_and_id(void **state)
{
	static const uint8_t id2[] = { 0x01, 0x02, 0x03, 0xba, 0xdd, 0xca, 0xff };
	static const uint8_t id3[] = { 0x00, 'a', 0x00 };
	struct p11_uri u;

	assert_int_equal(parse("pkcs11:id=%01%02%03%Ba%dd%Ca%ff", &u), P11_OK);
	assert_int_equal(u.id_len, sizeof(id2));
	assert_memory_equal(u.id, id2, sizeof(id2));
	/* NUL bytes are fine in an id; literal unreserved characters are their own bytes */
	assert_int_equal(parse("pkcs11:id=%00a%00", &u), P11_OK);
	assert_int_equal(u.id_len, 3);
	assert_memory_equal(u.id, id3, 3);
	assert_int_equal(parse("pkcs11:object=a%2Fb%3Bc%3Fd", &u), P11_OK);
	assert_string_equal(u.object, "a/b;c?d");
	/* empty string attribute = not given; empty id = not given */
	assert_int_equal(parse("pkcs11:object=;id=", &u), P11_OK);
	assert_string_equal(u.object, "");
	assert_int_equal(u.id_len, 0);

	expect_reject("pkcs11:object=a%");
	expect_reject("pkcs11:object=a%4");
	expect_reject("pkcs11:object=a%4g");
	expect_reject("pkcs11:object=a%g4");
	expect_reject("pkcs11:object=%%41");
	expect_reject("pkcs11:object=a%00b");
	expect_reject("pkcs11:token=%00");
	expect_reject("pkcs11:id=%zz");
	/* characters that must be percent-encoded */
	expect_reject("pkcs11:token=My Token");
	expect_reject("pkcs11:object=a/b");
	expect_reject("pkcs11:object=a\"b");
	expect_reject("pkcs11:object=a\nb");
	expect_reject("pkcs11:object=\x80");
	expect_reject("pkcs11:object=a#b");
}

static void
test_type_and_slot(void **state)
{
	struct p11_uri u;

	assert_int_equal(parse("pkcs11:type=private", &u), P11_OK);
	assert_int_equal(u.type, CKO_PRIVATE_KEY);
	assert_int_equal(parse("pkcs11:type=secret-key", &u), P11_OK);
	assert_int_equal(u.type, CKO_SECRET_KEY);
	assert_int_equal(parse("pkcs11:type=data", &u), P11_OK);
	assert_int_equal(u.type, CKO_DATA);
	assert_int_equal(parse("pkcs11:type=%70rivate", &u), P11_OK);
	assert_int_equal(u.type, CKO_PRIVATE_KEY);
	assert_int_equal(parse("pkcs11:slot-id=0", &u), P11_OK);
	assert_int_equal(u.slot_id, 0);
	assert_int_equal(parse("pkcs11:slot-id=1234567890", &u), P11_OK);
	assert_int_equal(u.slot_id, 1234567890L);
	assert_int_equal(parse("pkcs11:slot-id=9223372036854775807", &u), P11_OK);

	expect_reject("pkcs11:type=");
	expect_reject("pkcs11:type=Private");
	expect_reject("pkcs11:type=secret");
	expect_reject("pkcs11:type=privatekey-of-a-very-long-name");
	expect_reject("pkcs11:slot-id=");
	expect_reject("pkcs11:slot-id=-1");
	expect_reject("pkcs11:slot-id=+1");
	expect_reject("pkcs11:slot-id=1a");
	expect_reject("pkcs11:slot-id=9223372036854775808");
	expect_reject("pkcs11:slot-id=99999999999999999999");
}

static void
test_structure(void **state)
{
	expect_reject("pkcs11:token");
	expect_reject("pkcs11:;token=a");
	expect_reject("pkcs11:token=a;");
	expect_reject("pkcs11:token=a;;object=b");
	expect_reject("pkcs11:=a");
	expect_reject("pkcs11:Token=a");
	expect_reject("pkcs11:x-vendor=a");
	expect_reject("pkcs11:token=a;token=b");
	expect_reject("pkcs11:id=%01;id=%02");
	expect_reject("pkcs11:type=cert;type=cert");
	expect_reject("pkcs11:slot-manufacturer=a");
	/* query attributes */
	expect_reject("pkcs11:token=a?pin-value=1234");
	expect_reject("pkcs11:token=a?pin-source=file:/pin");
	expect_reject("pkcs11:token=a?module-path=/x.so");
	expect_reject("pkcs11:token=a?module-name=x");
	expect_reject("pkcs11:token=a?x-vendor=1");
	expect_reject("pkcs11:token=a?&");
	expect_reject("pkcs11:token=a?=");
	expect_reject("pkcs11:token=a?pin-value");
	expect_reject("pkcs11:token=a?x=1&pin-value=2");
	expect_reject("pkcs11:token=a?x=a b");
}

static void
test_lengths(void **state)
{
	char buf[512], obj64[65], id64[64 * 3 + 1];
	struct p11_uri u;
	size_t i;

	/* token, manufacturer, model, serial, object: CAP_P11_URI_VALUE decoded bytes */
	memset(obj64, 'x', 64);
	obj64[64] = '\0';
	snprintf(buf, sizeof(buf), "pkcs11:token=%s;manufacturer=%s;model=%s;serial=%s",
	    obj64, obj64, obj64, obj64);
	assert_int_equal(parse(buf, &u), P11_OK);
	assert_int_equal(strlen(u.token), 64);
	assert_int_equal(strlen(u.serial), 64);
	snprintf(buf, sizeof(buf), "pkcs11:token=%sx", obj64);
	expect_reject(buf);
	snprintf(buf, sizeof(buf), "pkcs11:manufacturer=%sx", obj64);
	expect_reject(buf);
	snprintf(buf, sizeof(buf), "pkcs11:model=%sx", obj64);
	expect_reject(buf);
	snprintf(buf, sizeof(buf), "pkcs11:serial=%sx", obj64);
	expect_reject(buf);
	/* object: CAP_P11_URI_VALUE */
	snprintf(buf, sizeof(buf), "pkcs11:object=%s", obj64);
	assert_int_equal(parse(buf, &u), P11_OK);
	assert_int_equal(strlen(u.object), 64);
	snprintf(buf, sizeof(buf), "pkcs11:object=%sx", obj64);
	expect_reject(buf);
	/* the limit applies to decoded bytes: 64 encoded spaces are 192 characters but fit */
	strcpy(buf, "pkcs11:token=");
	for (i = 0; i < 64; i++)
		strcat(buf, "%20");
	assert_int_equal(parse(buf, &u), P11_OK);
	strcat(buf, "%20");
	expect_reject(buf);
	/* id: sizeof(u.id) bytes */
	for (i = 0; i < 64; i++)
		memcpy(id64 + 3 * i, "%ff", 3);
	id64[3 * 64] = '\0';
	snprintf(buf, sizeof(buf), "pkcs11:id=%s", id64);
	assert_int_equal(parse(buf, &u), P11_OK);
	assert_int_equal(u.id_len, 64);
	snprintf(buf, sizeof(buf), "pkcs11:id=%s%%00", id64);
	expect_reject(buf);
}

static void
test_long_input(void **state)
{
	static char big[100000];
	struct p11_uri u;

	memcpy(big, "pkcs11:object=", 14);
	memset(big + 14, 'a', sizeof(big) - 15);
	expect_reject(big);
	memset(big + 7, ';', sizeof(big) - 8);
	expect_reject(big);
	/* many valid-looking but repeated attributes */
	memset(big, 0, sizeof(big));
	strcpy(big, "pkcs11:");
	while (strlen(big) < sizeof(big) - 20)
		strcat(big, "type=cert;");
	strcat(big, "type=cert");
	expect_reject(big);
	assert_int_equal(parse("pkcs11:token=t;manufacturer=m;serial=s;model=o;object=b;id=i;"
	    "type=private;slot-id=5", &u), P11_OK);
}

static void
test_ckr_name(void **state)
{
	assert_string_equal(p11_ckr_name(CKR_OK), "CKR_OK");
	assert_string_equal(p11_ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
	assert_string_equal(p11_ckr_name(0xa0), "CKR_PIN_INCORRECT");
	assert_string_equal(p11_ckr_name(CKR_DEVICE_REMOVED), "CKR_DEVICE_REMOVED");
	assert_string_equal(p11_ckr_name(CKR_SESSION_HANDLE_INVALID), "CKR_SESSION_HANDLE_INVALID");
	assert_string_equal(p11_ckr_name(CKR_UNWRAPPING_KEY_HANDLE_INVALID),
	    "CKR_UNWRAPPING_KEY_HANDLE_INVALID");
	assert_string_equal(p11_ckr_name(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	    "CKR_CRYPTOKI_ALREADY_INITIALIZED");
	assert_string_equal(p11_ckr_name(CKR_PUBLIC_KEY_INVALID), "CKR_PUBLIC_KEY_INVALID");
	assert_string_equal(p11_ckr_name(CKR_FUNCTION_REJECTED), "CKR_FUNCTION_REJECTED");
	assert_string_equal(p11_ckr_name(CKR_VENDOR_DEFINED), "CKR_VENDOR_DEFINED");
	assert_string_equal(p11_ckr_name(0x4), "CKR_0x00000004");
	assert_string_equal(p11_ckr_name(0x80000001UL), "CKR_0x80000001");
	assert_string_equal(p11_strerror(P11_ERR_PIN),
	    "HSM refused the PIN (incorrect, locked or invalid)");
	assert_string_equal(p11_strerror(P11_OK), "success");
	assert_string_equal(p11_strerror(-1000), "unknown PKCS#11 layer error");
}

/* Every defined code between 0 and 0x200 has a real name. */
static void
test_ckr_table_complete(void **state)
{
	static const CK_RV all[] = {
		0x0, 0x1, 0x2, 0x3, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0x10, 0x11, 0x12, 0x13, 0x1b,
		0x20, 0x21, 0x30, 0x31, 0x32, 0x40, 0x41, 0x50, 0x51, 0x54, 0x60, 0x62, 0x63, 0x64,
		0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x70, 0x71, 0x82, 0x90, 0x91, 0xa0, 0xa1, 0xa2,
		0xa3, 0xa4, 0xb0, 0xb1, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xc0, 0xc1, 0xd0, 0xd1,
		0xe0, 0xe1, 0xe2, 0xf0, 0xf1, 0xf2, 0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x110,
		0x112, 0x113, 0x114, 0x115, 0x120, 0x121, 0x130, 0x140, 0x150, 0x160, 0x170, 0x180,
		0x190, 0x191, 0x1a0, 0x1a1, 0x1b0, 0x1b1, 0x1c0, 0x1c1, 0x1c2, 0x1c3, 0x1c4, 0x200,
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strncmp(p11_ckr_name(all[i]), "CKR_0x", 6) == 0)
			fail_msg("no name for 0x%lx", (unsigned long)all[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_scheme),
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_rfc_examples_refused),
		cmocka_unit_test(test_percent_and_id),
		cmocka_unit_test(test_type_and_slot),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_ckr_name),
		cmocka_unit_test(test_ckr_table_complete),
	};

	/* Rejections log by design; keep the test output readable unless asked. */
	log_init("test-p11-uri", getenv("TEST_VERBOSE") != NULL ? LOG_DEBUG : -1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
