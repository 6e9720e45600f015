/* uart.c: CMSDK APB UART driver, interrupt-driven reception; see uart.h. */
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
#define CTRL_RX_INTEN (1u << 3)
#define INT_RX (1u << 1)

#define NVIC_ISER0 0xE000E100u

/* Single producer (the interrupt), single consumer (the main loop): each index is written by one
 * side only, and a 32-bit store is atomic on the M4. */
static uint8_t ring[UART_RX_RING];
static volatile uint32_t head; /* written by the interrupt */
static volatile uint32_t tail; /* written by the main loop */
static volatile uint32_t dropped;

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
	head = tail = dropped = 0;
	*reg(UART_CTRL) = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
	*(volatile uint32_t *)(uintptr_t)NVIC_ISER0 = 1u << UART0_RX_IRQ;
}

void
uart_rx_isr(void)
{
	uint32_t st, h;

	*reg(UART_INTCLEAR) = INT_RX;
	while ((st = *reg(UART_STATE)) & STATE_RXFULL) {
		h = head;
		if (st & STATE_RXOVR) { /* a byte was lost; the frame layer resynchronises (P-3) */
			*reg(UART_STATE) = STATE_RXOVR;
			dropped++;
		}
		if (h - tail < UART_RX_RING) {
			ring[h % UART_RX_RING] = (uint8_t)*reg(UART_DATA);
			__asm__ volatile("" ::: "memory"); /* the byte before the index */
			head = h + 1;
		} else {
			(void)*reg(UART_DATA);
			dropped++;
		}
	}
}

int
uart_getc(void)
{
	uint32_t t = tail;
	int c;

	if (head == t)
		return -1;
	c = ring[t % UART_RX_RING];
	/* a password crosses this ring (SET_IDENTITY, CONFIRM_PASSWORD): the byte does not stay
	 * once read (docs/porting.md §7) */
	((volatile uint8_t *)ring)[t % UART_RX_RING] = 0;
	__asm__ volatile("" ::: "memory");
	tail = t + 1;
	return c;
}

void
uart_wait(void)
{
	/* With interrupts masked, a byte that arrives after the test still ends the WFI (a pending
	 * interrupt wakes the core even when PRIMASK keeps it from being taken); it is taken at the
	 * cpsie. */
	__asm__ volatile("cpsid i" ::: "memory");
	if (head == tail)
		__asm__ volatile("wfi" ::: "memory");
	__asm__ volatile("cpsie i" ::: "memory");
}

uint32_t
uart_dropped(void)
{
	return dropped;
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
