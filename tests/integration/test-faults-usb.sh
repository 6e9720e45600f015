#!/bin/sh
# Every fault case of test-faults.sh again, with the boards on USB bulk (libusb in the station,
# usbdevfs emulated by the stub's harness): the same frames, the same outcomes (PRODUCT §5).
STUB_USB=1 exec sh "$(dirname "$0")/test-faults.sh"
