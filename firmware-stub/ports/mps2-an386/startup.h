/* startup.h: what the reset code of the mps2-an386 port tells the rest of the port. */
#ifndef STARTUP_H
#define STARTUP_H

#include <stddef.h>

/* The deepest the main stack has been since reset, in bytes (the stack is painted at reset). */
size_t startup_stack_used(void);

#endif
