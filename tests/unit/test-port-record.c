/*
 * test-port-record.c: the A/B record of the mps2-an386 port (firmware-stub/ports/mps2-an386/
 * record.c) on a flash in RAM with the port's NOR rules (erase to 0xFF, programming clears bits)
 * and a power cut after any number of bytes written: after a cut at every point of a store, the
 * next boot loads either the record before it or the new one, never anything else; a damaged
 * newest slot gives the previous record; a slot of another record size is not loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device.h"
#include "../../firmware-stub/ports/mps2-an386/flash.h"
#include "../../firmware-stub/ports/mps2-an386/record.h"

/* The part: FLASH_SIZE bytes, and a budget of bytes that may still be written before the power
 * goes (-1: no cut). */
static uint8_t part[FLASH_SIZE];
static long budget = -1;
static unsigned long written;

static int
put(uint32_t off, uint8_t v)
{
	if (budget == 0)
		return -1;
	if (budget > 0)
		budget--;
	part[off] = v;
	written++;
	return 0;
}

int
flash_open(const char *path)
{
	return -1; /* not used: the test owns the part */
}

int
flash_read(uint32_t off, void *buf, size_t n)
{
	if (off > FLASH_SIZE || n > FLASH_SIZE - off)
		return -1;
	memcpy(buf, part + off, n);
	return 0;
}

int
flash_erase(uint32_t off, size_t n)
{
	size_t i;

	if (off > FLASH_SIZE || n > FLASH_SIZE - off || off % FLASH_SECTOR || n % FLASH_SECTOR)
		return -1;
	for (i = 0; i < n; i++)
		if (put(off + (uint32_t)i, 0xFF) != 0)
			return -1;
	return 0;
}

int
flash_program(uint32_t off, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t i;

	if (off > FLASH_SIZE || n > FLASH_SIZE - off)
		return -1;
	for (i = 0; i < n; i++)
		if (put(off + (uint32_t)i, part[off + i] & p[i]) != 0)
			return -1;
	return 0;
}

/* A record whose content says which one it is. */
static void
make(struct dev_persist *ps, uint8_t tag)
{
	memset(ps, 0, sizeof(*ps));
	ps->magic = DEV_PERSIST_MAGIC;
	ps->state = (uint8_t)(tag % 5);
	snprintf(ps->serial, sizeof(ps->serial), "SN-%03u", tag);
	memset(ps->key, tag, 64);
	ps->key_len = 64;
}

static void
erase_all(void)
{
	memset(part, 0xFF, sizeof(part));
	budget = -1;
}

static void
test_blank(void **state)
{
	static struct dev_persist ps;
	uint32_t seq = 7;
	char slot = '-';

	erase_all();
	assert_int_equal(record_load(&ps, &slot, &seq), 0);
	assert_int_equal(slot, '-');
}

static void
test_store_load(void **state)
{
	static struct dev_persist a, got;
	uint32_t seq = 0;
	char slot = 0;
	uint8_t i;

	erase_all();
	assert_int_equal(record_load(&got, &slot, &seq), 0);
	for (i = 1; i <= 5; i++) {
		make(&a, i);
		assert_int_equal(record_store(&a), 0);
		assert_int_equal(record_load(&got, &slot, &seq), 1);
		assert_memory_equal(&got, &a, sizeof(a));
		assert_int_equal(seq, i);
		/* each store goes to the slot that did not hold the record */
		assert_int_equal(slot, i % 2 ? 'A' : 'B');
	}
	assert_int_equal(record_slot_offset('A'), FLASH_SECTOR);
	assert_true(record_slot_offset('B') > record_slot_offset('A'));
}

/* A cut after k bytes of the store of `new` over `old`, for k every `step` bytes up to the whole
 * store: the next boot has old or new. */
static void
test_power_cut(void **state)
{
	static struct dev_persist older, old, new, got;
	unsigned long total, k, step = 61, n_old = 0, n_new = 0;
	uint32_t seq = 0;
	char slot = 0;
	int r;

	make(&older, 9);
	make(&old, 1);
	make(&new, 2);
	erase_all();
	assert_int_equal(record_load(&got, &slot, &seq), 0);
	/* both slots written: a store into the wrong one would bring back `older` */
	assert_int_equal(record_store(&older), 0);
	assert_int_equal(record_store(&old), 0);
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	written = 0;
	{
		static uint8_t saved[FLASH_SIZE];

		memcpy(saved, part, sizeof(part));
		assert_int_equal(record_store(&new), 0);
		total = written;
		for (k = 0; k <= total + step; k += step) {
			memcpy(part, saved, sizeof(part));
			assert_int_equal(record_load(&got, &slot, &seq), 1); /* the boot before */
			budget = (long)k;
			r = record_store(&new);
			budget = -1;
			assert_int_equal(record_load(&got, &slot, &seq), 1);
			if (memcmp(&got, &new, sizeof(got)) == 0) {
				n_new++;
				assert_int_equal(seq, 3);
			} else {
				assert_memory_equal(&got, &old, sizeof(got));
				assert_int_equal(seq, 2);
				assert_int_not_equal(r, 0); /* a store that says 0 is on the part */
				n_old++;
			}
		}
	}
	/* both outcomes were seen: the cut points span the whole store */
	assert_true(n_old > 0);
	assert_true(n_new > 0);
}

static void
test_damaged_newest(void **state)
{
	static struct dev_persist a, b, got;
	uint32_t seq = 0, off;
	char slot = 0;

	make(&a, 1);
	make(&b, 2);
	erase_all();
	assert_int_equal(record_load(&got, &slot, &seq), 0);
	assert_int_equal(record_store(&a), 0);
	assert_int_equal(record_store(&b), 0);
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	off = record_slot_offset(slot);
	/* one bit of the body: CRC */
	part[off + REC_HDR_SPACE + 100] ^= 0x10;
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	assert_memory_equal(&got, &a, sizeof(a));
	part[off + REC_HDR_SPACE + 100] ^= 0x10;
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	assert_memory_equal(&got, &b, sizeof(b));
	/* one bit of the header (the sequence number): header CRC */
	part[off + 8] ^= 0x01;
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	assert_memory_equal(&got, &a, sizeof(a));
	/* both damaged: a blank board */
	part[record_slot_offset(slot) + REC_HDR_SPACE] ^= 0x01;
	assert_int_equal(record_load(&got, &slot, &seq), 0);
}

/* A slot written for another record size (another core configuration) is not loaded. */
static void
test_other_size(void **state)
{
	static struct dev_persist a, got;
	uint32_t seq = 0, off, len, crc;
	char slot = 0;

	make(&a, 3);
	erase_all();
	assert_int_equal(record_load(&got, &slot, &seq), 0);
	assert_int_equal(record_store(&a), 0);
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	off = record_slot_offset(slot);
	memcpy(&len, part + off + 12, 4); /* body_len */
	assert_int_equal(len, sizeof(struct dev_persist));
	len -= 4;
	memcpy(part + off + 12, &len, 4);
	/* a header that is whole and consistent, for a record of another size */
	crc = crc32_ieee(part + off, 20);
	memcpy(part + off + 20, &crc, 4);
	assert_int_equal(record_load(&got, &slot, &seq), 0);
	/* the same header with the right size loads again: the size alone refused it */
	len += 4;
	memcpy(part + off + 12, &len, 4);
	crc = crc32_ieee(part + off, 20);
	memcpy(part + off + 20, &crc, 4);
	assert_int_equal(record_load(&got, &slot, &seq), 1);
	assert_memory_equal(&got, &a, sizeof(a));
}

/* A slot holding a layout-2 record (firmware before the credentials) is loaded migrated to layout
 * 3 without credentials (record_load returns 2); one whose record's own CRC is wrong is passed on
 * as it is (1), for the core to treat as damaged. */
static void
test_layout2_slot(void **state)
{
	static struct dev_persist a, l2, got;
	uint32_t seq = 0, off, hdr[6], crc;
	char slot = 0;
	int bad;

	for (bad = 0; bad < 2; bad++) {
		make(&a, 5); /* BLANK: a record whose fields check */
		dev_record_seal(&a);
		assert_int_equal(dev_record_check(&a), DEV_REC_OK);
		/* a's layout-2 form: the same bytes up to the chain, then layout 2's CRC */
		memset(&l2, 0, sizeof(l2));
		memcpy(&l2, &a, DEV_PERSIST_L2_SIZE - 4);
		l2.layout = 2;
		l2.size = DEV_PERSIST_L2_SIZE;
		crc = crc32_ieee((const uint8_t *)&l2, DEV_PERSIST_L2_SIZE - 4) ^ (uint32_t)bad;
		memcpy((uint8_t *)&l2 + DEV_PERSIST_L2_SIZE - 4, &crc, 4);
		erase_all();
		off = record_slot_offset('A');
		memcpy(part + off + REC_HDR_SPACE, &l2, DEV_PERSIST_L2_SIZE);
		hdr[0] = 0x52325053u; /* SP2R */
		hdr[1] = 1;
		hdr[2] = 5;
		hdr[3] = DEV_PERSIST_L2_SIZE;
		hdr[4] = crc32_ieee((const uint8_t *)&l2, DEV_PERSIST_L2_SIZE);
		hdr[5] = crc32_ieee((const uint8_t *)hdr, 20);
		memcpy(part + off, hdr, sizeof(hdr));
		memset(&got, 0x77, sizeof(got));
		assert_int_equal(record_load(&got, &slot, &seq), bad ? 1 : 2);
		assert_int_equal(slot, 'A');
		assert_int_equal(seq, 5);
		if (bad) {
			assert_int_equal(dev_record_check(&got), DEV_REC_LAYOUT);
			continue;
		}
		assert_int_equal(dev_record_check(&got), DEV_REC_OK);
		assert_memory_equal(&got, &a, sizeof(a));
		/* stored again, it is a layout-3 slot, the newer one */
		assert_int_equal(record_store(&got), 0);
		assert_int_equal(record_load(&got, &slot, &seq), 1);
		assert_int_equal(slot, 'B');
		assert_int_equal(seq, 6);
		assert_memory_equal(&got, &a, sizeof(a));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_store_load),
		cmocka_unit_test(test_power_cut),
		cmocka_unit_test(test_damaged_newest),
		cmocka_unit_test(test_other_size),
		cmocka_unit_test(test_layout2_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
