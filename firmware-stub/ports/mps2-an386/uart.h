/*
 * uart.h: polled driver of the CMSDK APB UART (Arm DDI 0479C) that the MPS2 FPGA images AN385 and
 * AN386 place at 0x40004000 (UART0). QEMU's mps2-an386 connects it to its first -serial backend.
 * 8N1 only; the baud rate comes from the divider (PCLK 25 MHz on MPS2). No FIFO: one byte each way.
 */
#ifndef UART_H
#define UART_H

#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x40004000u
#define MPS2_PCLK_HZ 25000000u

/* Enables transmit and receive at baud (no interrupts: the port polls). */
void uart_init(uint32_t baud);
/* The next received byte (0..255), or -1 when none is waiting. Never blocks. */
int uart_getc(void);
/* Sends n bytes; blocks while the transmit register is full. Always returns 0 (the line has no
 * error a sender could see). */
int uart_write(const uint8_t *p, size_t n);

#endif
