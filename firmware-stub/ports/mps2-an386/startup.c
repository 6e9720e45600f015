/*
 * startup.c: vector table and reset handler of the mps2-an386 reference port (Cortex-M4, ARMv7E-M).
 * The reset handler copies .data from its load address, zeroes .bss and calls main; faults stop
 * the emulation with a line on the semihosting console. The one interrupt is the UART's receive.
 */
#include <stddef.h>
#include <stdint.h>

#include "startup.h"

#include "semihost.h"
#include "uart.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[], __stack_bottom[];
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((noreturn));
void Default_Handler(void) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));

#define STACK_PAINT 0xA5A5A5A5u

/* Words between two linker symbols (they are separate objects to C: compare addresses). */
static size_t
words(const uint32_t *from, const uint32_t *to)
{
	return ((uintptr_t)to - (uintptr_t)from) / sizeof(uint32_t);
}

size_t
startup_stack_used(void)
{
	size_t i, n = words(__stack_bottom, __stack_top);

	for (i = 0; i < n && __stack_bottom[i] == STACK_PAINT; i++)
		;
	return (n - i) * sizeof(uint32_t);
}

void
Reset_Handler(void)
{
	size_t i, n;
	uint32_t *sp;

	n = words(__data_start, __data_end);
	for (i = 0; i < n; i++)
		__data_start[i] = __data_load[i];
	n = words(__bss_start, __bss_end);
	for (i = 0; i < n; i++)
		__bss_start[i] = 0;
	/* paint the stack below this frame (and 64 bytes of margin) for startup_stack_used() */
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	n = words(__stack_bottom, sp);
	for (i = 0; i + 16 < n; i++)
		__stack_bottom[i] = STACK_PAINT;
	(void)main();
	semihost_exit(1);
}

/* newlib's exit() ends here: Mbed TLS calls it when its heap is found corrupted */
void
_exit(int status)
{
	semihost_puts("mps2-an386: exit (heap corruption?); stopping\n");
	semihost_exit(status == 0 ? 1 : status);
}

void
Fault_Handler(void)
{
	semihost_puts("mps2-an386: fault (HardFault/MemManage/BusFault/UsageFault); stopping\n");
	semihost_exit(1);
}

void
Default_Handler(void)
{
	semihost_puts("mps2-an386: unexpected exception; stopping\n");
	semihost_exit(1);
}

/* ARMv7-M: initial SP, the 15 system exceptions (DDI 0403 B1.5.3), then the external interrupts
 * up to the last one the port enables: UART0 receive (IRQ 0). */
__attribute__((section(".isr_vector"), used)) static const uintptr_t vectors[16 + 2] = {
	(uintptr_t)__stack_top,
	(uintptr_t)Reset_Handler,
	(uintptr_t)Default_Handler, /* NMI */
	(uintptr_t)Fault_Handler,   /* HardFault */
	(uintptr_t)Fault_Handler,   /* MemManage */
	(uintptr_t)Fault_Handler,   /* BusFault */
	(uintptr_t)Fault_Handler,   /* UsageFault */
	0, 0, 0, 0,
	(uintptr_t)Default_Handler, /* SVCall */
	(uintptr_t)Default_Handler, /* DebugMonitor */
	0,
	(uintptr_t)Default_Handler, /* PendSV */
	(uintptr_t)Default_Handler, /* SysTick */
	(uintptr_t)uart_rx_isr,     /* IRQ 0: UART0 receive */
	(uintptr_t)Default_Handler, /* IRQ 1: UART0 transmit (not enabled) */
};
