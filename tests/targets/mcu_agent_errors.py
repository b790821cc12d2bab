#!/usr/bin/env python3
"""The firmware agent's error handling, under qemu (run by mcu_e2e.sh):
every bad request gets its Error code (docs/agent.md) and the agent keeps
serving — each error is followed by a valid measurement. The protobuf
messages are written by hand here (a few fields), independent of both the
firmware's codec and protobuf-c.
usage: mcu_agent_errors.py AGENT.elf"""
import socket
import struct
import subprocess
import sys
import time

MALFORMED, OVERSIZED, VERSION_MISMATCH, NO_HELLO, UNKNOWN_ROUTINE, LIMIT = 1, 2, 4, 5, 6, 9


def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, wt, payload):
    tag = varint(num << 3 | wt)
    if wt == 0:
        return tag + varint(payload)
    if wt == 1:
        return tag + struct.pack("<d", payload)
    return tag + varint(len(payload)) + payload


def frame(payload):
    return b"NCA1" + struct.pack("<I", len(payload)) + payload


def hello(rid, version=1):
    return frame(field(1, 0, rid) + field(2, 2, field(1, 0, version)))


def tensor(dims, dtype=1):
    return field(1, 0, dtype) + field(2, 2, b"".join(varint(d) for d in dims))


def matmul(rid, m=8, k=8, n=8, routine=b"cpu:f32:nchw/matmul-ref/c99", extra_inputs=0):
    body = field(1, 2, routine)
    body += field(2, 2, tensor([m, k])) + field(2, 2, tensor([k, n]))
    for _ in range(extra_inputs):
        body += field(2, 2, tensor([1]))
    body += field(3, 2, tensor([m, n]))
    body += field(7, 1, 0.05)  # min_ms
    return frame(field(1, 0, rid) + field(3, 2, body))


def parse(buf):
    """Fields of a message: {number: [values]} (varints as ints, bytes as bytes)."""
    out, i = {}, 0
    while i < len(buf):
        tag, i = read_varint(buf, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            n, i = read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        out.setdefault(num, []).append(v)
    return out


def read_varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


class Agent:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def reply(self):
        deadline = time.time() + 30
        while True:
            if len(self.buf) >= 8:
                n = struct.unpack("<I", self.buf[4:8])[0]
                if self.buf[:4] != b"NCA1":
                    sys.exit(f"FAIL: reply without magic: {self.buf[:16]!r}")
                if len(self.buf) >= 8 + n:
                    msg, self.buf = self.buf[8:8 + n], self.buf[8 + n:]
                    return parse(msg)
            if time.time() > deadline:
                sys.exit("FAIL: no reply within 30 s")
            self.s.settimeout(max(0.1, deadline - time.time()))
            self.buf += self.s.recv(65536)

    def expect_error(self, what, code, rid=None):
        r = self.reply()
        if 4 not in r:
            sys.exit(f"FAIL: {what}: expected error {code}, got fields {sorted(r)}")
        err = parse(r[4][0])
        got = err.get(1, [0])[0]
        msg = err.get(2, [b""])[0].decode(errors="replace")
        if got != code or (rid is not None and r.get(1, [0])[0] != rid):
            sys.exit(f"FAIL: {what}: error {got} id {r.get(1, [0])[0]} ({msg}), expected {code}")
        print(f"ok  {what}: error {code}: {msg}")

    def expect_measure(self, rid, what):
        r = self.reply()
        if 3 not in r or r.get(1, [0])[0] != rid:
            sys.exit(f"FAIL: after {what}: no MeasureReply {rid}: {r}")
        median = struct.unpack("<d", parse(r[3][0])[1][0])[0]
        if not median > 0:
            sys.exit(f"FAIL: after {what}: median {median}")


def main():
    elf = sys.argv[1]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
         "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
         "-serial", f"tcp:127.0.0.1:{port},server=on,wait=off", "-kernel", elf],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("FAIL: cannot connect to the agent under qemu")
        a = Agent(sock)
        send = sock.sendall
        send(matmul(1))
        a.expect_error("Measure before Hello", NO_HELLO, 1)
        send(hello(2, version=99))
        a.expect_error("protocol version 99", VERSION_MISMATCH, 2)
        send(hello(3))
        r = a.reply()
        if 2 not in r:
            sys.exit("FAIL: no HelloReply")
        h = parse(r[2][0])
        print(f"ok  handshake: {len(h.get(6, []))} routines, max_bytes {h[7][0]}")
        rid = 10
        cases = [
            ("garbage bytes", b"hello, agent\n", MALFORMED),
            ("a payload that is not a Request", frame(b"\xff\xff\xff\xff"), MALFORMED),
            ("a 2 GiB frame header", b"NCA1" + struct.pack("<I", 2 << 30), OVERSIZED),
            ("an unknown routine", matmul(rid, routine=b"cpu:f32:nchw/nothing/c99"),
             UNKNOWN_ROUTINE),
            ("17 inputs", matmul(rid, extra_inputs=15), LIMIT),
            ("a 4000x4000 MatMul over max_bytes", matmul(rid, 4000, 4000, 4000), LIMIT),
            ("a request without body", frame(field(1, 0, rid)), MALFORMED),
        ]
        for what, data, code in cases:
            send(data)
            a.expect_error(what, code)
            rid += 1
            send(matmul(rid))
            a.expect_measure(rid, what)
        send(frame(field(1, 0, 99) + field(4, 2, b"")))
        r = a.reply()
        if 5 not in r:
            sys.exit("FAIL: no ShutdownReply")
        print("PASS")
    finally:
        qemu.kill()
        qemu.wait()


if __name__ == "__main__":
    main()
