/* uart.c: polled CMSDK APB UART driver; see uart.h. */
#include "uart.h"

#define UART_DATA 0x00u
#define UART_STATE 0x04u
#define UART_CTRL 0x08u
#define UART_INTCLEAR 0x0Cu
#define UART_BAUDDIV 0x10u

#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define STATE_TXOVR (1u << 2)
#define STATE_RXOVR (1u << 3)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)

static volatile uint32_t *
reg(uint32_t off)
{
	return (volatile uint32_t *)(uintptr_t)(UART0_BASE + off);
}

void
uart_init(uint32_t baud)
{
	*reg(UART_CTRL) = 0;
	/* the divider must be at least 16 (DDI 0479C 4.3); QEMU ignores the UART below that */
	*reg(UART_BAUDDIV) = MPS2_PCLK_HZ / baud < 16 ? 16 : MPS2_PCLK_HZ / baud;
	*reg(UART_STATE) = STATE_TXOVR | STATE_RXOVR; /* write-1-to-clear */
	*reg(UART_INTCLEAR) = 0xF;
	*reg(UART_CTRL) = CTRL_TX_EN | CTRL_RX_EN;
}

int
uart_getc(void)
{
	uint32_t st = *reg(UART_STATE);

	if (st & STATE_RXOVR) /* a byte was lost; the frame layer resynchronises (P-3) */
		*reg(UART_STATE) = STATE_RXOVR;
	if ((st & STATE_RXFULL) == 0)
		return -1;
	return (int)(*reg(UART_DATA) & 0xFFu);
}

int
uart_write(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		while (*reg(UART_STATE) & STATE_TXFULL)
			;
		*reg(UART_DATA) = p[i];
	}
	return 0;
}
