/*
 * uart.h: driver of the CMSDK APB UART (Arm DDI 0479C) that the MPS2 FPGA images AN385 and AN386
 * place at 0x40004000 (UART0, receive interrupt IRQ 0). QEMU's mps2-an386 connects it to its first
 * -serial backend. 8N1 only; the baud rate comes from the divider (PCLK 25 MHz on MPS2).
 *
 * The UART holds one byte each way. Reception is interrupt-driven into a ring buffer, so bytes that
 * arrive while the main loop computes (a key generation, PBKDF2) are kept, and the main loop
 * sleeps (WFI) while the line is quiet. Transmission is polled.
 */
#ifndef UART_H
#define UART_H

#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x40004000u
#define UART0_RX_IRQ 0
#define MPS2_PCLK_HZ 25000000u
/* Ring buffer: more than a whole frame of the largest size on the wire (FRAME_MAX_WIRE). */
#define UART_RX_RING 2048u

/* Enables transmit and receive at baud, and the receive interrupt. */
void uart_init(uint32_t baud);
/* The next received byte (0..255), or -1 when none is waiting. Never blocks. */
int uart_getc(void);
/* Sleeps until a byte has been received (returns at once when one is waiting). */
void uart_wait(void);
/* Bytes dropped because the ring was full or the UART overran, since boot. */
uint32_t uart_dropped(void);
/* Sends n bytes; blocks while the transmit register is full. Always returns 0 (the line has no
 * error a sender could see). */
int uart_write(const uint8_t *p, size_t n);
/* UART0 receive interrupt handler (vector table, IRQ 0). */
void uart_rx_isr(void);

#endif
