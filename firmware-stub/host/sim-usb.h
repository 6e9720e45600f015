/*
 * sim-usb.h: one simulated board on USB bulk for sim.c: a umockdev usbdevfs device
 * (/dev/bus/usb/001/NNN, VID:PID 1209:0001, vendor interface 0xFF/0x50/0x01 with bulk OUT
 * 0x01 and IN 0x81, docs/protocol.md P-8) whose bulk pipes end in a socketpair that the
 * board reads and writes like a serial line. Closing the board's end unplugs the device.
 */
#ifndef SIM_USB_H
#define SIM_USB_H

#include <umockdev.h>

struct sim_usb;

/* Appends the umockdev description of the board on port `port` of hub `hub` (a sysfs path),
 * with bus address devnum; index numbers its serial string. */
void sim_usb_describe(GString *s, const char *hub, unsigned port, unsigned devnum, unsigned index);

/* Attaches the usbdevfs emulation to devnode (after the description was added). *board_fd is
 * the board's end of the line (the caller owns it). 0 or -1 (logged). */
int sim_usb_attach(UMockdevTestbed *tb, const char *devnode, struct sim_usb **out, int *board_fd);

/*
 * Re-plug after an unplug (sim.c): makes a new board line and returns the board's end in
 * *board_fd (the caller owns it). The device takes it at its next ioctl, on the worker thread:
 * the old line is dropped, and clients that used the device before (a station holding the old
 * device open) keep getting ENODEV, as after a real re-enumeration; new clients get the new
 * board. Any thread. 0, or -1 (logged) when no socketpair can be made.
 */
int sim_usb_replug(struct sim_usb *u, int *board_fd);

/* Wakes a board blocked on its line (it reads EOF); for shutdown. */
void sim_usb_shutdown(struct sim_usb *u);

/* Frees u; only after the testbed (whose worker thread calls into u) is gone. NULL is a no-op. */
void sim_usb_free(struct sim_usb *u);

#endif
