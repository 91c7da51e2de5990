"""concurrency.py — 1,000 connections open at once against `macext serve`:
each sends a GET (a device, the fleet page, or an unknown path) and every
one is answered; then the daemon still answers, and stops cleanly."""
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, eq, finish, mx, ok  # noqa: E402

tmp = Tmp()
mx(tmp, "fleet", "create", "--count", "20", "--mix", "arm64:15.1:none=100%", "--prefix", "m")
d = Daemon(tmp)
N = 1000
paths = ["/api/v1/devices/m-000001", "/api/v1/devices?limit=100", "/api/v1/nothing", "/api/v1/fleet"]
socks = []
for i in range(N):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", d.port))
    socks.append(s)
sel = selectors.DefaultSelector()
for i, s in enumerate(socks):
    sel.register(s, selectors.EVENT_WRITE, i)
pending = {}
answers = {}
t0 = time.time()
while (len(answers) < N) and time.time() - t0 < 120:
    for key, ev in sel.select(timeout=1):
        s, i = key.fileobj, key.data
        if ev & selectors.EVENT_WRITE:
            req = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (paths[i % 4], d.host)
            try:
                s.send(req.encode())
            except OSError:
                answers[i] = b""
                sel.unregister(s)
                continue
            sel.modify(s, selectors.EVENT_READ, i)
            pending[i] = b""
        else:
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            if b:
                pending[i] += b
            else:
                answers[i] = pending.get(i, b"")
                sel.unregister(s)
for s in socks:
    s.close()
codes = {}
for i, a in answers.items():
    c = a[9:12].decode(errors="replace") if a.startswith(b"HTTP/1.1 ") else "none"
    codes[c] = codes.get(c, 0) + 1
eq("every_connection_answered", len(answers), N)
want = {"200": 750, "404": 250}
eq("answers_by_status", codes, want)
ok("daemon_alive", d.p.poll() is None)
st, _, doc = d.json("GET", "/api/v1/fleet")
eq("still_answers", (st, doc["devices"] if isinstance(doc, dict) else None), (200, 20))
finish(tmp, d)
