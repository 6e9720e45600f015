#!/usr/bin/env python3
"""A hostile RFC 2217 device server for test-tcp.sh (red team of issue #14).
usage: hostile-telnet.py PORT MODE   (prints "listening" when ready; serves one connection)
  flood  data without end (0xFF doubled) and never an answer to the negotiation
  storm  agrees to COM-PORT-OPTION, then DO/DONT and WILL/WONT without end, reading
         everything the station answers (so that its writes never block)"""
import socket, sys, time
IAC, DONT, DO, WONT, WILL = 255, 254, 253, 252, 251
port, mode = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', port))
ls.listen(1)
print('listening', flush=True)
c, _ = ls.accept()
c.setblocking(False)
t0 = time.time()
if mode == 'flood':
    blk = bytes([0x41, IAC, IAC, 0]) * 4096
else:
    c.send(bytes([IAC, DO, 44]))
    blk = bytes([IAC, DO, 0, IAC, DONT, 0, IAC, WILL, 5, IAC, DO, 99, IAC, 241]) * 1000
try:
    while time.time() - t0 < 60:
        try:
            c.send(blk)
        except BlockingIOError:
            time.sleep(0.001)
        try:
            while c.recv(65536):
                pass
        except BlockingIOError:
            pass
except OSError:
    pass
