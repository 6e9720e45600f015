/*
 * flash.h: the board's non-volatile memory as the port sees it: FLASH_SECTORS sectors of
 * FLASH_SECTOR bytes that are erased to 0xFF and programmed with NOR rules (a program can only turn
 * bits from 1 to 0). QEMU's mps2 models have no persistent flash, so the sectors live in a host file
 * reached by semihosting (docs/port-mps2.md): each erase or program is one write(2) by QEMU, so it
 * survives QEMU being killed (not a power loss of the host: semihosting has no fsync).
 *
 * Layout: sector 0 is the one-time-programmable page (fuse.h); the A/B record slots (record.h)
 * follow it.
 */
#ifndef FLASH_H
#define FLASH_H

#include <stddef.h>
#include <stdint.h>

#define FLASH_SECTOR 4096u
#define FLASH_SECTORS 5u
#define FLASH_SIZE (FLASH_SECTOR * FLASH_SECTORS)

/* Opens the backing file at path, creating it erased when it does not exist (a new board) and
 * extending a short one with erased sectors. 0, or -1 (the file cannot be opened or written). */
int flash_open(const char *path);
/* Reads n bytes at off; 0, or -1 (out of range, I/O error). */
int flash_read(uint32_t off, void *buf, size_t n);
/* Erases the sectors covering [off, off + n); off and n multiples of FLASH_SECTOR. 0 or -1. */
int flash_erase(uint32_t off, size_t n);
/* Programs n bytes at off with NOR rules (the result is old AND new); 0 or -1. A caller that needs
 * the bytes it wrote reads them back. */
int flash_program(uint32_t off, const void *buf, size_t n);

#endif
