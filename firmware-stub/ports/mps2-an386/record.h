/*
 * record.h: the device core's persisted record (struct dev_persist) in two flash slots, A and B,
 * each a header and the record's bytes. A store writes the slot that does not hold the current
 * record, with the next sequence number: erase, program the body, program the header last (it
 * carries the CRC-32 of the body and its own), read back. At boot the valid slot with the highest
 * sequence number wins. A store cut at any instant (power loss, QEMU killed) leaves the other
 * slot, the previous record, untouched: the board comes back with the old record or the new one,
 * never a mix.
 *
 * The body is the core's struct as it is; a change of its size makes an old slot invalid (the board
 * then starts BLANK) unless a migration reads the old layout: a slot of the layout-2 record's size
 * (before the credentials) is migrated when it is loaded; see docs/port-mps2.md.
 */
#ifndef RECORD_H
#define RECORD_H

#include "device.h"

#define REC_HDR_SPACE 64u

/* Loads the current record into ps; returns 1 (loaded), 2 (loaded from a slot of the layout-2
 * record and migrated to the core's layout: store it before dev_init, §4.1), 0 (no valid slot: a
 * blank board), -1 (flash unreadable). *slot and *seq say which slot was used (for the boot line). */
int record_load(struct dev_persist *ps, char *slot, uint32_t *seq);
/* Flash offset of slot 'A' or 'B' (for the boot line and tests that damage a slot on purpose). */
uint32_t record_slot_offset(char slot);
/* Stores ps in the other slot; 0, or -1 (the write or its read-back failed: the previous record is
 * still the current one). */
int record_store(const struct dev_persist *ps);

#endif
