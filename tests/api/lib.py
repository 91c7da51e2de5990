"""lib.py — what the API tests share (tests/api/*.py, run by tests/run.sh).

Each test file starts its own `macext serve` on a free port (--listen
127.0.0.1:0, the port read back from --ready-file) over its own state
directory, talks to it with http.client, and prints one line per assertion:
"PASS api_<file>.<name>" or "FAIL ...", which tests/run.sh counts.  The
binary is $B/macext (the sanitized build under `make check`).
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
B = os.environ.get("B", "build-check")
MX = os.path.join(ROOT, B, "macext")
CASE = "api_" + os.path.splitext(os.path.basename(sys.argv[0]))[0]
TESTDATA = os.environ.get("MACEXT_TESTDATA") or os.path.join(ROOT, "..", "shared", "testdata")
if not os.path.isdir(TESTDATA):
    TESTDATA = None

failures = 0


def ok(name, cond, detail=""):
    global failures
    if cond:
        print("PASS %s.%s" % (CASE, name))
    else:
        failures += 1
        print("FAIL %s.%s" % (CASE, name))
        if detail:
            for line in str(detail).splitlines()[:20]:
                print("  " + line)
    sys.stdout.flush()
    return cond


def eq(name, got, want):
    return ok(name, got == want, "got %r, wanted %r" % (got, want))


class Tmp:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="macext-api-%s-" % CASE)
        self.state = os.path.join(self.dir, "state")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def mx(tmp, *args, check=True, device=None, inp=None):
    """Runs the CLI on tmp's state; returns (rc, stdout, stderr)."""
    env = dict(os.environ)
    env["MACEXT_STATE"] = tmp.state
    env.pop("MACEXT_DEVICE", None)
    if device:
        env["MACEXT_DEVICE"] = device
    p = subprocess.run([MX] + list(args), env=env, capture_output=True, input=inp)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), p.returncode,
                                               p.stderr.decode(errors="replace")))
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def digest(tmp):
    return mx(tmp, "store", "digest")[1].strip()


class Daemon:
    """A `macext serve` of its own; stop() ends it with SIGTERM and checks it exits 0."""

    def __init__(self, tmp, *extra, env=None):
        self.tmp = tmp
        self.ready = os.path.join(tmp.dir, "ready-%d.json" % time.monotonic_ns())
        e = dict(os.environ)
        e["MACEXT_STATE"] = tmp.state
        e.update(env or {})
        self.log = open(os.path.join(tmp.dir, "serve.log"), "ab")
        self.p = subprocess.Popen([MX, "serve", "--listen", "127.0.0.1:0", "--ready-file",
                                   self.ready] + list(extra), env=e, stdout=self.log,
                                  stderr=self.log)
        t0 = time.time()
        while not os.path.exists(self.ready):
            if self.p.poll() is not None or time.time() - t0 > 30:
                raise RuntimeError("serve did not start: " + self.logtext())
            time.sleep(0.02)
        self.port = json.load(open(self.ready))["port"]
        self.host = "127.0.0.1:%d" % self.port
        self.token = open(os.path.join(tmp.state, "serve.token")).read().strip()

    def logtext(self):
        self.log.flush()
        return open(self.log.name, errors="replace").read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                return self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                return -9
        return self.p.returncode

    def kill(self):
        self.p.kill()
        self.p.wait()

    def req(self, method, path, body=None, headers=None, auth=True, ctype=None, timeout=30):
        """One request on a fresh connection: (status, headers dict lower-case, body bytes)."""
        h = {}
        if auth:
            h["Authorization"] = "Bearer " + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if ctype:
            h["Content-Type"] = ctype
        h.update(headers or {})
        h.setdefault("Host", self.host)
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        h.setdefault("Connection", "close")
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(head.encode("latin-1") + (body or b""))
        except (BrokenPipeError, ConnectionResetError):
            pass    # refused before the whole body was read: the answer is there
        r = http.client.HTTPResponse(s)
        r.begin()
        data = r.read()
        hd = {k.lower(): v for k, v in r.getheaders()}
        r.close()
        s.close()
        return r.status, hd, data

    def json(self, method, path, body=None, **kw):
        st, hd, data = self.req(method, path, body, **kw)
        try:
            return st, hd, json.loads(data) if data else None
        except ValueError:
            return st, hd, data


def problem(name, resp, status, grep=None):
    """resp is a problem document with status (and detail matching grep)."""
    st, hd, data = resp
    try:
        doc = json.loads(data)
    except ValueError:
        return ok(name, False, "status %d, not JSON: %r" % (st, data[:200]))
    good = (st == status and hd.get("content-type") == "application/problem+json"
            and doc.get("status") == status and isinstance(doc.get("detail"), str)
            and "domain" in doc and "code" in doc and "type" in doc and "title" in doc)
    if good and grep:
        good = grep in doc.get("detail", "")
    return ok(name, good, "status %d (wanted %d), %r" % (st, status, doc))


def finish(tmp=None, daemon=None):
    if daemon:
        rc = daemon.stop()
        ok("daemon_stops_cleanly", rc == 0, "exit %s\n%s" % (rc, daemon.logtext()[-3000:]))
        if "ERROR: AddressSanitizer" in daemon.logtext() or "runtime error" in daemon.logtext():
            ok("daemon_sanitizers_quiet", False, daemon.logtext()[-3000:])
    if tmp:
        tmp.close()
    sys.exit(0)
