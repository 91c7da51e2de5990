"""crash.py — a SIGKILL of `macext serve` in the middle of a loop of
mutating requests (four clients creating devices and restarting one each)
leaves `macext store check` clean and every acknowledged request present:
each device whose creation was answered 201 exists, and each client's Mac
booted at least once per acknowledged restart.  Then a new daemon starts on
the same state and serves it."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, eq, finish, mx, ok  # noqa: E402

tmp = Tmp()
for k in range(4):
    mx(tmp, "device", "create", "box-%d" % k)
d = Daemon(tmp)
created = [[] for _ in range(4)]
restarts = [0] * 4
stop = threading.Event()


def client(k):
    i = 0
    while not stop.is_set():
        try:
            if i % 2 == 0:
                st, _, _ = d.req("POST", "/api/v1/devices", {"name": "c%d-%d" % (k, i)}, timeout=5)
                if st == 201:
                    created[k].append("c%d-%d" % (k, i))
            else:
                st, _, _ = d.req("POST", "/api/v1/devices/box-%d/restart" % k, {}, timeout=5)
                if st == 200:
                    restarts[k] += 1
        except OSError:
            if stop.is_set():
                break
        i += 1


threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
time.sleep(2.0)
d.kill()                        # SIGKILL mid-flight
stop.set()
for t in threads:
    t.join()
n = sum(len(c) for c in created)
ok("requests_were_acknowledged", n > 0 and sum(restarts) > 0, (n, restarts))
rc, out, err = mx(tmp, "store", "check", check=False)
ok("store_check_clean_after_sigkill", rc == 0, out + err)
names = {x["name"] for x in __import__("json").loads(mx(tmp, "device", "list", "--json")[1])}
missing = [c for cs in created for c in cs if c not in names]
eq("every_acknowledged_create_present", missing, [])
for k in range(4):
    boots = __import__("json").loads(mx(tmp, "device", "show", "box-%d" % k, "--json")[1])["boot_count"]
    ok("acknowledged_restarts_present_%d" % k, boots >= restarts[k] + 1, (boots, restarts[k]))
d2 = Daemon(tmp)
st, _, doc = d2.json("GET", "/api/v1/devices?limit=1000")
ok("restarted_daemon_serves_the_state", st == 200 and {x["name"] for x in doc} == names, st)
finish(tmp, d2)
