/*
 * semihost.h: Arm semihosting calls (BKPT 0xAB) of the mps2-an386 reference port. Under QEMU
 * (-semihosting-config enable=on,target=native) they reach the host: the port uses them for the
 * file that stands in for the board's flash, for its entropy and for a boot line on the console.
 * A real board has none of this: see docs/port-mps2.md. Without a semihosting host the BKPT
 * faults (HardFault), so a port image built with this file needs QEMU or a debugger attached.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* Open mode numbers of SYS_OPEN (the fopen() mode strings "rb", "r+b", "w+b"). */
#define SH_RB 1
#define SH_RPB 3
#define SH_WPB 7

/* Opens path with one of SH_*; returns a handle >= 0, or -1 (no such file, no permission). */
int semihost_open(const char *path, int mode);
/* Reads n bytes at the current position; returns the count read (short at end of file), or -1. */
long semihost_read(int fd, void *buf, size_t n);
/* Writes n bytes at the current position; 0 when all were written, -1 otherwise. */
int semihost_write(int fd, const void *buf, size_t n);
/* Moves to absolute offset pos; 0 or -1. */
int semihost_seek(int fd, uint32_t pos);
/* Length of the file, or -1. */
long semihost_flen(int fd);
/* Closes a handle (errors ignored). */
void semihost_close(int fd);
/* The command line QEMU gives (-semihosting-config arg=...), NUL-terminated in buf (cap bytes);
 * 0 or -1 (none, or longer than cap). */
int semihost_cmdline(char *buf, size_t cap);
/* Writes a NUL-terminated string on the host's debug console. */
void semihost_puts(const char *s);
/* Microseconds since QEMU started (SYS_ELAPSED over SYS_TICKFREQ, the host's clock), or 0 when
 * the host does not offer them. */
uint64_t semihost_elapsed_us(void);
/* Ends the emulation with an exit status (ADP_Stopped_ApplicationExit). Does not return. */
void semihost_exit(int status) __attribute__((noreturn));

#endif
