/* record.c: A/B slots of the persisted record; see record.h. */
#include "record.h"

#include <string.h>

#include "flash.h"

#define REC_MAGIC 0x52325053u /* "SP2R" */
#define REC_LAYOUT 1u
#define SLOT_SECTORS ((REC_HDR_SPACE + sizeof(struct dev_persist) + FLASH_SECTOR - 1) / FLASH_SECTOR)
#define SLOT_SIZE ((uint32_t)(SLOT_SECTORS * FLASH_SECTOR))
#define SLOT_BASE(i) (FLASH_SECTOR + (uint32_t)(i) * SLOT_SIZE)

/* 1 + 2 slots must fit the part (negative array size otherwise) */
typedef char record_fits[(FLASH_SECTOR + 2 * SLOT_SIZE <= FLASH_SIZE) ? 1 : -1];

struct record_hdr {
	uint32_t magic;
	uint32_t layout;
	uint32_t seq;
	uint32_t body_len;
	uint32_t body_crc;
	uint32_t hdr_crc; /* over the fields above */
};

static int cur = -1;      /* slot holding the current record, -1 none */
static uint32_t cur_seq;

static uint32_t
hdr_crc(const struct record_hdr *h)
{
	return crc32_ieee((const uint8_t *)h, offsetof(struct record_hdr, hdr_crc));
}

/* 1 when slot i holds a whole record (read into ps, its sequence number in *seq), 2 when it held
 * a layout-2 record (firmware before the credentials) that ps now holds migrated to the core's
 * layout (dev_record_migrate, §4.1 of docs/protocol.md), else 0. A layout-2 body whose own CRC
 * is wrong is passed on as it is (1): the core then treats it as damaged. */
static int
slot_read(int i, struct dev_persist *ps, uint32_t *seq)
{
	struct record_hdr h;

	if (flash_read(SLOT_BASE(i), &h, sizeof(h)) != 0 || h.magic != REC_MAGIC ||
	    h.layout != REC_LAYOUT || h.hdr_crc != hdr_crc(&h) ||
	    (h.body_len != sizeof(*ps) && h.body_len != DEV_PERSIST_L2_SIZE))
		return 0;
	memset(ps, 0, sizeof(*ps));
	if (flash_read(SLOT_BASE(i) + REC_HDR_SPACE, ps, h.body_len) != 0 ||
	    crc32_ieee((const uint8_t *)ps, h.body_len) != h.body_crc)
		return 0;
	*seq = h.seq;
	if (h.body_len == DEV_PERSIST_L2_SIZE)
		return dev_record_migrate(ps, h.body_len) ? 2 : 1;
	return 1;
}

int
record_load(struct dev_persist *ps, char *slot, uint32_t *seq)
{
	uint32_t sa = 0, sb = 0;
	int a, b;

	a = slot_read(0, ps, &sa);
	b = slot_read(1, ps, &sb); /* leaves ps holding B when B is valid */
	if (a && (!b || sa > sb))
		a = slot_read(0, ps, &sa);
	else
		a = 0;
	if (!a && !b) {
		cur = -1;
		cur_seq = 0;
		return 0;
	}
	cur = a ? 0 : 1;
	cur_seq = a ? sa : sb;
	*slot = a ? 'A' : 'B';
	*seq = cur_seq;
	return a ? a : b;
}

/* 1 when slot i holds exactly h and ps (read back in small pieces: no second copy of the record). */
static int
slot_verify(int i, const struct record_hdr *h, const struct dev_persist *ps)
{
	const uint8_t *p = (const uint8_t *)ps;
	uint8_t piece[256];
	struct record_hdr rh;
	size_t off, k;
	int same = 1;

	if (flash_read(SLOT_BASE(i), &rh, sizeof(rh)) != 0 || memcmp(&rh, h, sizeof(rh)) != 0)
		return 0;
	for (off = 0; off < sizeof(*ps) && same; off += k) {
		k = sizeof(*ps) - off < sizeof(piece) ? sizeof(*ps) - off : sizeof(piece);
		if (flash_read(SLOT_BASE(i) + REC_HDR_SPACE + (uint32_t)off, piece, k) != 0 ||
		    memcmp(piece, p + off, k) != 0)
			same = 0;
	}
	memset(piece, 0, sizeof(piece)); /* it may hold part of the key */
	return same;
}

uint32_t
record_slot_offset(char slot)
{
	return SLOT_BASE(slot == 'B' ? 1 : 0);
}

int
record_store(const struct dev_persist *ps)
{
	struct record_hdr h;
	int next = cur == 0 ? 1 : 0;

	memset(&h, 0, sizeof(h));
	h.magic = REC_MAGIC;
	h.layout = REC_LAYOUT;
	h.seq = cur_seq + 1;
	h.body_len = sizeof(*ps);
	h.body_crc = crc32_ieee((const uint8_t *)ps, sizeof(*ps));
	h.hdr_crc = hdr_crc(&h);
	/* the header goes last: until it is programmed, the slot is not a record */
	if (flash_erase(SLOT_BASE(next), SLOT_SIZE) != 0 ||
	    flash_program(SLOT_BASE(next) + REC_HDR_SPACE, ps, sizeof(*ps)) != 0 ||
	    flash_program(SLOT_BASE(next), &h, sizeof(h)) != 0 || !slot_verify(next, &h, ps))
		return -1;
	cur = next;
	cur_seq = h.seq;
	return 0;
}
