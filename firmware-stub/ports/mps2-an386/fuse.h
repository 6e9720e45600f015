/*
 * fuse.h: the one-time-programmable page (flash sector 0) of the reference port: the chip's unique
 * ID and the debug-lock fuse. On a real part the unique ID is burnt at the chip factory and read
 * from a ROM register, and the debug lock is an option byte or fuse that disables SWD/JTAG in
 * hardware. QEMU models neither: here the ID is drawn from the entropy source at the first boot of
 * a new backing file (that is the part's "manufacture"), and the fuse is a word that programming
 * can only clear: once locked, it stays locked, across restarts, whatever the record says.
 */
#ifndef FUSE_H
#define FUSE_H

#include <stddef.h>
#include <stdint.h>

#define FUSE_CHIP_ID_LEN 12

/* Reads the chip ID into id (FUSE_CHIP_ID_LEN bytes); on a blank page draws one with rng and
 * programs it first. 0, or -1 (flash or rng failure: the board cannot identify itself). */
int fuse_chip_id(uint8_t id[FUSE_CHIP_ID_LEN], int (*rng)(void *ctx, uint8_t *out, size_t n),
    void *rctx);
/* Blows the debug-lock fuse; 0 when it reads back blown, -1 otherwise. */
int fuse_lock_debug(void);
/* 1 when the debug-lock fuse is blown, 0 when not (or unreadable). */
int fuse_debug_locked(void);

#endif
