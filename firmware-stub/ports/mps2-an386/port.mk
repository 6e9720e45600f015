# port.mk: the mps2-an386 reference port (docs/port-mps2.md), included by the top Makefile.
#   make port-qemu   build/port-mps2/mps2-an386.elf (+ .bin, .sha256, size report), built with
#                    Debian's gcc-arm-none-eabi and libnewlib-arm-none-eabi against Mbed TLS built
#                    from Debian's source package (scripts/fetch-mbedtls.sh; cached under
#                    PORT_CACHE, which `make clean` keeps). Skipped, with a message, without the
#                    toolchain.
PORT_DIR   := firmware-stub/ports/mps2-an386
PORT_B     := build/port-mps2
PORT_CACHE ?= var/cache/debian-src
PORT_ELF   := $(PORT_B)/mps2-an386.elf
ARM_CC     ?= arm-none-eabi-gcc
# the toolchain and newlib (its string functions are all the port takes from a C library)
PORT_TOOLS := $(shell command -v $(ARM_CC) >/dev/null 2>&1 && \
                $(ARM_CC) -print-file-name=libc_nano.a 2>/dev/null | grep -q / && echo yes)

ARM_ARCH    := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
ARM_OPT     := -Os -g -ffunction-sections -fdata-sections
# the core's configuration (dev-config.h): the same for the core's objects and the port's
PORT_CORE_CFG := -I$(PORT_DIR) -DDEV_PORT_CONFIG='"dev-config.h"'
MBEDTLS_DIR := $(PORT_B)/mbedtls
MBEDTLS_INC := -I$(PORT_DIR) -I$(MBEDTLS_DIR)/include -DMBEDTLS_CONFIG_FILE='"mbedtls-config.h"'
# only the library files the configuration uses (mbedtls-config.h)
MBEDTLS_MODS := aes asn1parse asn1write bignum cipher cipher_wrap constant_time ctr_drbg ecdsa ecp ecp_curves md \
                memory_buffer_alloc oid pk pk_wrap pkcs5 pkparse pkwrite platform platform_util \
                sha256 x509 x509_crt
MBEDTLS_OBJ := $(patsubst %,$(PORT_B)/mbedtls-obj/%.o,$(MBEDTLS_MODS))
PORT_SRC    := $(wildcard $(PORT_DIR)/*.c)
PORT_OBJ    := $(patsubst $(PORT_DIR)/%.c,$(PORT_B)/port/%.o,$(PORT_SRC)) \
               $(patsubst firmware-stub/core/%.c,$(PORT_B)/core/%.o,$(CORE_SRC))

.PHONY: port-qemu

ifeq ($(PORT_TOOLS),yes)
port-qemu: $(PORT_ELF) $(PORT_B)/mps2-an386.bin $(PORT_B)/mps2-an386.sha256
	@arm-none-eabi-size -A $(PORT_ELF) | awk '$$1 ~ /^\.(isr_vector|text|ARM.exidx|data|bss|stack)$$/ \
	  {printf "  SIZE    %-12s %7d\n", $$1, $$2}'
else
port-qemu:
	@echo "port-qemu: skipped: $(ARM_CC) with newlib not found; install gcc-arm-none-eabi and" \
	  "libnewlib-arm-none-eabi (scripts/deps.sh does) to build the mps2-an386 port"
endif

# Debian's source package, unpacked by dpkg-source (which checks it against its .dsc).
$(MBEDTLS_DIR)/.stamp: scripts/fetch-mbedtls.sh
	@mkdir -p $(PORT_B)
	@echo "  FETCH   mbedtls (Debian source package, cache $(PORT_CACHE))"
	$(Q)dsc=$$(scripts/fetch-mbedtls.sh $(PORT_CACHE)) && rm -rf $(MBEDTLS_DIR) && \
	  dpkg-source -x "$$dsc" $(MBEDTLS_DIR) >$(PORT_B)/dpkg-source.log 2>&1 || \
	  { cat $(PORT_B)/dpkg-source.log; exit 1; }
	$(Q)touch $@

# third-party code: its own warnings are not ours to fix (-w)
$(PORT_B)/mbedtls-obj/%.o: $(MBEDTLS_DIR)/.stamp $(PORT_DIR)/mbedtls-config.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ARMCC   mbedtls/library/$*.c")
	$(Q)$(ARM_CC) $(ARM_ARCH) $(ARM_OPT) -std=c99 -w $(MBEDTLS_INC) -c $(MBEDTLS_DIR)/library/$*.c -o $@

$(PORT_B)/libmbedcrypto.a: $(MBEDTLS_OBJ)
	$(Q)rm -f $@ && arm-none-eabi-ar rcs $@ $^

# the core with its own strict flags, as for the host
$(PORT_B)/core/%.o: firmware-stub/core/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ARMCC   $<")
	$(Q)$(ARM_CC) $(ARM_ARCH) $(ARM_OPT) $(CORE_CFLAGS) $(PORT_CORE_CFG) -MMD -MP -Ifirmware-stub/core \
	  -c $< -o $@

$(PORT_B)/port/%.o: $(PORT_DIR)/%.c $(MBEDTLS_DIR)/.stamp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ARMCC   $<")
	$(Q)$(ARM_CC) $(ARM_ARCH) $(ARM_OPT) -std=c99 -ffreestanding $(WARN) -Werror -MMD -MP \
	  $(PORT_CORE_CFG) -Ifirmware-stub/core $(MBEDTLS_INC) -c $< -o $@

$(PORT_ELF): $(PORT_OBJ) $(PORT_B)/libmbedcrypto.a $(PORT_DIR)/link.ld
	@$(if $(Q),echo "  ARMLD   $@")
	$(Q)$(ARM_CC) $(ARM_ARCH) -nostartfiles -specs=nano.specs -Wl,--gc-sections \
	  -Wl,-Map,$(PORT_B)/mps2-an386.map -T $(PORT_DIR)/link.ld -o $@ $(PORT_OBJ) \
	  $(PORT_B)/libmbedcrypto.a

# The image as programmed, and its SHA-256: the digest the board reports in HELLO (it measures
# the same bytes at boot) and that a profile's [firmware] allow line names.
$(PORT_B)/mps2-an386.bin: $(PORT_ELF)
	$(Q)arm-none-eabi-objcopy -O binary $< $@
$(PORT_B)/mps2-an386.sha256: $(PORT_B)/mps2-an386.bin
	$(Q)sha256sum $< | cut -d' ' -f1 >$@

# The A/B record's unit test runs on the host (tests/unit/test-port-record.c: record.c on a flash
# in RAM with power cuts); it needs no cross toolchain.
$(B)/tests/test-port-record: $(B)/firmware-stub/ports/mps2-an386/record.o
