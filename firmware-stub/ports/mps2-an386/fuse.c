/* fuse.c: chip ID and debug-lock fuse in the OTP page; see fuse.h. */
#include "fuse.h"

#include "flash.h"

#define OTP_BASE 0u
#define OTP_MAGIC 0x3150544Fu /* "OTP1" */
#define OTP_ID_OFF 0u         /* magic u32, then the ID */
#define OTP_LOCK_OFF 256u     /* the fuse word: 0xFFFFFFFF open, 0 blown */

static int
read_u32(uint32_t off, uint32_t *v)
{
	uint8_t b[4];

	if (flash_read(off, b, 4) != 0)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int
fuse_chip_id(uint8_t id[FUSE_CHIP_ID_LEN], int (*rng)(void *ctx, uint8_t *out, size_t n),
    void *rctx)
{
	uint8_t page[4 + FUSE_CHIP_ID_LEN];
	uint32_t magic;
	size_t i;

	if (read_u32(OTP_BASE + OTP_ID_OFF, &magic) != 0)
		return -1;
	if (magic != OTP_MAGIC) {
		page[0] = (uint8_t)OTP_MAGIC;
		page[1] = (uint8_t)(OTP_MAGIC >> 8);
		page[2] = (uint8_t)(OTP_MAGIC >> 16);
		page[3] = (uint8_t)(OTP_MAGIC >> 24);
		if (rng(rctx, page + 4, FUSE_CHIP_ID_LEN) != 0 ||
		    flash_program(OTP_BASE + OTP_ID_OFF + 4, page + 4, FUSE_CHIP_ID_LEN) != 0 ||
		    flash_program(OTP_BASE + OTP_ID_OFF, page, 4) != 0)
			return -1;
	}
	if (flash_read(OTP_BASE + OTP_ID_OFF, page, sizeof(page)) != 0 ||
	    read_u32(OTP_BASE + OTP_ID_OFF, &magic) != 0 || magic != OTP_MAGIC)
		return -1;
	for (i = 0; i < FUSE_CHIP_ID_LEN; i++)
		id[i] = page[4 + i];
	return 0;
}

int
fuse_lock_debug(void)
{
	static const uint8_t blown[4] = { 0, 0, 0, 0 };

	if (flash_program(OTP_BASE + OTP_LOCK_OFF, blown, sizeof(blown)) != 0)
		return -1;
	return fuse_debug_locked() ? 0 : -1;
}

int
fuse_debug_locked(void)
{
	uint32_t v;

	return read_u32(OTP_BASE + OTP_LOCK_OFF, &v) == 0 && v == 0;
}
