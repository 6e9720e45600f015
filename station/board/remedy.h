/*
 * remedy.h: what a technician does about each failure code, in one short line. The same words
 * are in the operator guide's table (docs/operator-guide.md "FAIL: what to do"); the unit test
 * test-remedy reads the guide and fails when the two disagree.
 */
#ifndef REMEDY_H
#define REMEDY_H

#include <stddef.h>

/* The short remedy for an E_* code; a generic one ("set it aside for the engineer") for a code
 * this table does not know, never NULL. */
const char *remedy_for(const char *code);

/* 1 when the code means the station itself is in trouble (HSM, record, labels, randomness) or
 * the lot cannot take more boards: the line pauses until an engineer has looked. */
int remedy_stops_line(const char *code);

/* The i-th code of the table (for the guide check), NULL past its end. */
const char *remedy_code_at(size_t i);

#endif
