#!/usr/bin/env python3
"""printer-sim.py: a network label printer for tests/integration/test-label.sh.

  printer-sim.py serve PORTFILE JOBDIR [ok|paper-out|silent]
      Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE), like a Zebra printer's raw
      port 9100: each connection's bytes become JOBDIR/job-N.zpl when it closes. A ~HS host
      status query is answered as a Zebra printer does (three STX..ETX strings): 'ok' ready,
      'paper-out' with the paper-out flag set; 'silent' never answers it. Runs until killed.
  printer-sim.py gfa2pbm [N] < LABEL.zpl > QR.pbm
      The Nth (from 0, default 0) ^GFA graphic field of a ZPL label (a QR code) as a PBM image,
      with a quiet zone, for zbarimg.
"""
import os
import re
import socket
import sys
import threading

STATUS = {
    "ok": b"\x02030,0,0,0245,000,0,0,0,000,0,0,0\x03\r\n"
          b"\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
    "paper-out": b"\x02030,1,0,0245,000,0,0,0,000,0,0,0\x03\r\n"
                 b"\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
}


def serve(portfile, jobdir, mode):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, portfile)
    n = [0]
    lock = threading.Lock()

    def one(c):
        data = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
            while b"~HS" in data:
                data = data.replace(b"~HS\r\n", b"", 1).replace(b"~HS", b"", 1)
                if mode in STATUS:
                    c.sendall(STATUS[mode])
        c.close()
        with lock:
            n[0] += 1
            path = os.path.join(jobdir, "job-%d.zpl" % n[0])
        if data.strip():
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def gfa2pbm(n=0):
    z = sys.stdin.read()
    fields = list(re.finditer(r"\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS", z))
    if len(fields) <= n:
        sys.exit("no ^GFA field %d" % n)
    m = fields[n]
    row = int(m.group(3))
    data = bytes.fromhex(m.group(4))
    rows = len(data) // row
    width = row * 8
    q = 16
    out = ["P1", "%d %d" % (width + 2 * q, rows + 2 * q)]
    blank = " ".join("0" * (width + 2 * q))
    out += [blank] * q
    for y in range(rows):
        bits = []
        for b in data[y * row:(y + 1) * row]:
            bits += [(b >> (7 - i)) & 1 for i in range(8)]
        out.append(" ".join(["0"] * q + [str(v) for v in bits] + ["0"] * q))
    out += [blank] * q
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "none")
    elif len(sys.argv) in (2, 3) and sys.argv[1] == "gfa2pbm":
        gfa2pbm(int(sys.argv[2]) if len(sys.argv) == 3 else 0)
    else:
        sys.exit(__doc__)
