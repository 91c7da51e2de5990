"""events.py — Server-Sent Events: a `change` reaches the fleet stream and
the device's stream the moment an operation commits, whether it ran in the
daemon (the API) or in another process (the CLI); a device's stream sees
only that device; a device deleted through the API is announced; the
number of streams is bounded (503 beyond --max-streams); keep-alive
comments come when nothing happens (--keepalive); SIGTERM ends open
streams and the daemon exits cleanly."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, eq, finish, mx, ok, problem  # noqa: E402

tmp = Tmp()
mx(tmp, "device", "create", "mac-1")
mx(tmp, "device", "create", "mac-2")
d = Daemon(tmp, "--max-streams", "3", "--keepalive", "1")


class Stream:
    def __init__(self, path):
        self.s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n"
                        % (path, d.host)).encode())
        self.buf = b""
        self.lock = threading.Lock()
        self.closed = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            while True:
                b = self.s.recv(65536)
                if not b:
                    break
                with self.lock:
                    self.buf += b
        except OSError:
            pass
        self.closed = True

    def text(self):
        with self.lock:
            return self.buf.decode(errors="replace")

    def wait_for(self, needle, timeout=10):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if needle in self.text():
                return time.time() - t0
            time.sleep(0.01)
        return None

    def close(self):
        # shutdown first: a bare close() does not end a connection another
        # thread is blocked reading (no FIN until that recv returns)
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()


fleet = Stream("/api/v1/events")
dev2 = Stream("/api/v1/devices/mac-2/events")
ok("stream_headers", fleet.wait_for("text/event-stream") is not None, fleet.text()[:300])
dev2.wait_for("text/event-stream")

# a change made through the API
st, _, _ = d.json("POST", "/api/v1/devices/mac-1/shutdown", {})
eq("api_shutdown", st, 200)
lat = fleet.wait_for('"device":"mac-1","what":"shut down')
ok("api_change_on_fleet_stream", lat is not None, fleet.text()[-800:])
ok("api_change_is_prompt", lat is not None and lat < 2.0, lat)
ok("event_fields", "event: change\ndata: {" in fleet.text() and '"seq":' in fleet.text(), fleet.text()[-500:])
# a change made by the CLI in another process
t0 = time.time()
mx(tmp, "restart", device="mac-2")
lat = dev2.wait_for('"device":"mac-2"')
ok("cli_change_on_device_stream", lat is not None, dev2.text()[-800:])
ok("cli_change_on_fleet_stream", fleet.wait_for('"device":"mac-2"') is not None, fleet.text()[-800:])
ok("device_stream_only_its_device", '"device":"mac-1"' not in dev2.text(), dev2.text()[-800:])
# a device deleted through the API
st, _, _ = d.json("POST", "/api/v1/devices", {"name": "mac-3"})
st, _, _ = d.json("DELETE", "/api/v1/devices/mac-3")
ok("delete_announced", fleet.wait_for('"device":"mac-3","what":"device deleted"') is not None,
   fleet.text()[-800:])
# keep-alives while nothing happens
n0 = dev2.text().count(": keep-alive")
time.sleep(2.5)
ok("keepalives", dev2.text().count(": keep-alive") >= n0 + 1, dev2.text()[-300:])
# the bound
third = Stream("/api/v1/events")
third.wait_for("text/event-stream")
fourth = Stream("/api/v1/events")
fourth.wait_for("\r\n\r\n")
time.sleep(0.3)
ok("streams_bounded_503", fourth.text().startswith("HTTP/1.1 503") and "problem+json" in fourth.text(),
   fourth.text()[:300])
fourth.close()
third.close()
time.sleep(0.5)   # the closed stream's slot comes back once its connection is seen closed
fifth = Stream("/api/v1/events")
ok("slot_reused", fifth.wait_for("text/event-stream", 5) is not None, fifth.text()[:300])
# a reconnecting EventSource resumes after the last id it saw
fifth.close()
time.sleep(0.5)
ids = [int(l[4:]) for l in fleet.text().splitlines() if l.startswith("id: ")]
if ids:
    s2 = socket.create_connection(("127.0.0.1", d.port), timeout=20)
    s2.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: %s\r\nLast-Event-ID: %d\r\n\r\n"
                % (d.host, ids[0])).encode())
    got = b""
    t0 = time.time()
    s2.settimeout(5)
    while ("id: %d\n" % ids[-1]).encode() not in got and time.time() - t0 < 5:
        try:
            b = s2.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        got += b
    s2.close()
    txt = got.decode(errors="replace")
    ok("last_event_id_resumes", ("id: %d\n" % ids[1]).encode().decode() in txt and
       ("id: %d\n" % ids[0]) not in txt, txt[-600:])
else:
    ok("last_event_id_resumes", False, "no ids")
problem("unknown_device_stream_404", d.req("GET", "/api/v1/devices/nope/events"), 404)
# SIGTERM with streams open: they end, the daemon exits 0
rc = d.stop()
eq("stop_with_open_streams", rc, 0)
ok("streams_ended", fleet.closed or fleet.wait_for("", 0) is not None, "")
t0 = time.time()
while not fleet.closed and time.time() - t0 < 5:
    time.sleep(0.05)
ok("fleet_stream_closed_by_stop", fleet.closed)
finish(tmp, d)
