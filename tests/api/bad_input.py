"""bad_input.py — hostile and broken requests to `macext serve`: oversized
bodies (by Content-Length, refused before the body is read, and chunked),
malformed JSON, profiles, MDM commands and archives (path escapes, links
out, two bundles), unknown devices, a missing or wrong token, cross-origin
and DNS-rebinding requests, path-like identifiers ("..%2F", NUL, very
long), bad queries, wrong methods.  Each answer is a problem document with
the right status, and the state's digest (`macext store digest`) does not
move."""
import http.client
import io
import json
import os
import socket
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, digest, eq, finish, mx, ok, problem  # noqa: E402

tmp = Tmp()
mx(tmp, "device", "create", "mac-1", "--admin", "admin:pw")
mx(tmp, "mdm", "enroll", "--method", "automated", "--in-abm", device="mac-1")
d = Daemon(tmp)
before = digest(tmp)
D = "/api/v1/devices/mac-1"


def unchanged(name):
    eq(name + "_no_state_change", digest(tmp), before)


def raw(data, timeout=10):
    """Sends raw bytes on one connection; returns what came back."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


# ---- sizes: refused by Content-Length before the body is read
resp = raw(("POST %s/restart HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"
            % (D, d.host, d.token)).encode())
eq("oversized_by_length_413", status_of(resp), 413)
ok("oversized_is_problem", b"application/problem+json" in resp and b"larger than" in resp, resp[:400])
# chunked, over the cap while it arrives
big = b"{\"user\": \"" + b"a" * (200 * 1024) + b"\"}"
chunked = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 8192]), big[i:i + 8192])
                   for i in range(0, len(big), 8192)) + b"0\r\n\r\n"
resp = raw(("POST %s/restart HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % (D, d.host, d.token)).encode()
           + chunked)
eq("oversized_chunked_413", status_of(resp), 413)
problem("profile_over_4mib_413", d.req("POST", D + "/profiles?via=mdm", b"<" * (5 << 20)), 413)
resp = raw(("POST %s/restart HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: 1x\r\nConnection: close\r\n\r\n{}" % (D, d.host, d.token)).encode())
ok("bad_content_length_refused", status_of(resp) == 400, resp[:300])
unchanged("sizes")

# ---- malformed JSON bodies
problem("json_malformed", d.req("POST", D + "/restart", b"{\"user\": "), 400, "not JSON")
problem("json_array", d.req("POST", D + "/restart", b"[]"), 400, "JSON object")
problem("json_duplicate_keys", d.req("POST", D + "/restart", b"{\"user\":\"a\",\"user\":\"b\"}"), 400)
problem("json_unknown_member", d.req("POST", D + "/restart", {"user": "admin", "sudo": True}), 400,
        "\"sudo\": unknown member")
problem("json_wrong_type", d.req("POST", D + "/recovery", {"via": 7}), 400, "expected a string")
problem("json_bad_value", d.req("POST", D + "/recovery", {"via": "magic"}), 400, "power-button")
problem("json_not_utf8", d.req("POST", D + "/restart", b"{\"user\": \"\xff\"}"), 400)
problem("json_nul", d.req("POST", D + "/restart", b"{\"user\": \"a\\u0000b\"}"), 400)
problem("security_bad_policy", d.req("POST", D + "/security", {"policy": "none", "user": "admin",
                                                              "password": "pw"}), 400)
problem("security_full_with_kexts", d.req("POST", D + "/security", {"policy": "full", "allow_kexts": True,
                                                                   "user": "admin", "password": "pw"}), 400)
problem("create_bad_name", d.req("POST", "/api/v1/devices", {"name": "../x"}), 400)
problem("create_no_name", d.req("POST", "/api/v1/devices", {}), 400, "required")
problem("create_bad_users", d.req("POST", "/api/v1/devices", {"name": "n", "users": [{"name": "a:b",
                                                                                       "password": "x"}]}), 400)
problem("toggle_without_enabled", d.req("POST", D + "/sysexts/com.a.b/enabled", {"user": "admin",
                                                                                "password": "pw"}), 400)
problem("session_not_json", d.req("POST", "/api/v1/session", b"token=1", auth=False), 400)
unchanged("json")

# ---- malformed profiles, MDM commands, archives
problem("profile_not_a_plist", d.req("POST", D + "/profiles?via=mdm", b"hello"), 400)
problem("profile_empty", d.req("POST", D + "/profiles?via=mdm", b""), 400)
problem("profile_plist_not_a_profile", d.req("POST", D + "/profiles?via=mdm",
                                             b"<plist version=\"1.0\"><array/></plist>"), 400)
problem("profile_bad_via", d.req("POST", D + "/profiles?via=carrier-pigeon", b"x"), 400)
problem("mdm_not_a_plist", d.req("POST", D + "/mdm", b"\x00\x01garbage"), 400)
problem("mdm_no_request_type", d.req("POST", D + "/mdm",
                                     b"<plist version=\"1.0\"><dict><key>CommandUUID</key><string>x</string>"
                                     b"</dict></plist>"), 400)
problem("mdm_deep_plist", d.req("POST", D + "/mdm", b"<plist><array>" * 2000 + b"</array></plist>" * 2000), 400)


def tar_bytes(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name)
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
                t.addfile(ti)
            elif kind == "hard":
                ti.type = tarfile.LNKTYPE
                ti.linkname = data
                t.addfile(ti)
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


problem("archive_garbage", d.req("POST", D + "/kexts", os.urandom(3000)), 400)
problem("archive_empty_body", d.req("POST", D + "/kexts", b""), 400)
problem("archive_dotdot", d.req("POST", D + "/kexts", tar_bytes([("../evil.kext/x", "file", b"x")])), 400,
        "leaves")
problem("archive_absolute", d.req("POST", D + "/kexts", tar_bytes([("/tmp/evil.kext", "dir", None)])), 400)
problem("archive_symlink_out", d.req("POST", D + "/kexts", tar_bytes([
    ("A.kext", "dir", None), ("A.kext/Contents", "sym", "/etc")])), 400, "symbolic link")
problem("archive_hardlink", d.req("POST", D + "/kexts", tar_bytes([
    ("A.kext", "dir", None), ("A.kext/x", "hard", "/etc/passwd")])), 400)
problem("archive_fifo", d.req("POST", D + "/kexts", tar_bytes([("A.kext", "dir", None),
                                                              ("A.kext/p", "fifo", None)])), 400)
problem("archive_two_bundles", d.req("POST", D + "/kexts", tar_bytes([("A.kext", "dir", None),
                                                                     ("B.kext", "dir", None)])), 400,
        "exactly one")
problem("archive_no_bundle", d.req("POST", D + "/apps", tar_bytes([("readme", "file", b"x")])), 400)
problem("archive_not_a_kext", d.req("POST", D + "/kexts", tar_bytes([("A.kext", "dir", None),
                                                                    ("A.kext/x", "file", b"x")])), 400)
leftovers = [n for n in os.listdir(os.environ.get("TMPDIR", "/tmp"))
             if n.startswith("macext-upload-")]
unchanged("bodies")

# ---- unknown devices and identifiers
for path in ("", "/profiles", "/sysexts", "/kexts", "/alerts", "/log", "/security", "/profiles/policy"):
    problem("unknown_device_get" + path.replace("/", "_"), d.req("GET", "/api/v1/devices/nope" + path), 404)
problem("unknown_device_restart", d.req("POST", "/api/v1/devices/nope/restart", {}), 404)
problem("unknown_device_delete", d.req("DELETE", "/api/v1/devices/nope"), 404)
problem("unknown_device_kext_upload", d.req("POST", "/api/v1/devices/nope/kexts", b"x"), 404)
problem("unknown_device_events", d.req("GET", "/api/v1/devices/nope/events"), 404)
problem("unknown_profile", d.req("GET", D + "/profiles/com.nope"), 404)
problem("unknown_sysext_approve", d.req("POST", D + "/sysexts/com.nope/approve",
                                        {"user": "admin", "password": "pw"}), 404)
unchanged("unknown")

# ---- path-like identifiers
for name, path in (("dotdot_encoded", "/api/v1/devices/..%2F..%2Fetc%2Fpasswd"),
                   ("dotdot", "/api/v1/devices/.."),
                   ("nul", "/api/v1/devices/mac-1%00x"),
                   ("slash_encoded", "/api/v1/devices/mac-1%2Fprofiles"),
                   ("very_long", "/api/v1/devices/" + "a" * 300),
                   ("bad_escape", "/api/v1/devices/%zz"),
                   ("ident_dotdot", D + "/profiles/..%2F..%2Fx"),
                   ("ident_long", D + "/profiles/" + "p" * 300),
                   ("ident_dotfirst", D + "/kexts/.x/approve")):
    st, hd, body = d.req("GET" if "approve" not in path else "POST", path)
    problem("path_" + name, (st, hd, body), 400)
problem("path_huge", d.req("GET", "/api/v1/devices/" + "a" * 5000), 400)
problem("no_such_route", d.req("GET", "/api/v1/nothing"), 404)
st, hd, body = d.req("PUT", D)
problem("wrong_method_405", (st, hd, body), 405)
ok("wrong_method_allow", hd.get("allow") == "GET, DELETE", hd)
problem("page_post_405", d.req("POST", "/index.html", b"x"), 405)
problem("query_limit_zero", d.req("GET", "/api/v1/devices?limit=0"), 400)
problem("query_limit_text", d.req("GET", "/api/v1/devices?limit=lots"), 400)
problem("query_after_path", d.req("GET", "/api/v1/devices?after=..%2Fx"), 400)
problem("query_bad_escape", d.req("GET", "/api/v1/devices?q=%zz"), 400)
problem("log_after_text", d.req("GET", D + "/log?after=yesterday"), 400)
unchanged("paths")

# ---- authentication
problem("no_token_401", d.req("POST", D + "/restart", {}, auth=False), 401)
problem("wrong_token_401", d.req("POST", D + "/restart", {}, auth=False,
                                 headers={"Authorization": "Bearer " + "f" * 64}), 401)
problem("short_token_401", d.req("POST", D + "/restart", {}, auth=False,
                                 headers={"Authorization": "Bearer abc"}), 401)
problem("basic_auth_401", d.req("POST", D + "/restart", {}, auth=False,
                                headers={"Authorization": "Basic YTpi"}), 401)
problem("forged_cookie_401", d.req("POST", D + "/restart", {}, auth=False,
                                   headers={"Cookie": "macext_session=" + "0" * 64}), 401)
problem("delete_without_token", d.req("DELETE", D, auth=False), 401)
problem("upload_without_token", d.req("POST", D + "/kexts", b"x" * 1000, auth=False), 401)
unchanged("auth")

# ---- cross-origin, cross-site, rebinding
problem("origin_other_site", d.req("POST", D + "/restart", {}, headers={"Origin": "http://evil.example"}),
        403, "cross-origin")
problem("origin_other_port", d.req("POST", D + "/restart", {},
                                   headers={"Origin": "http://127.0.0.1:1"}), 403)
problem("origin_null", d.req("POST", D + "/restart", {}, headers={"Origin": "null"}), 403)
problem("sec_fetch_cross_site", d.req("POST", D + "/restart", {}, headers={"Sec-Fetch-Site": "cross-site"}),
        403)
problem("sec_fetch_same_site", d.req("POST", D + "/restart", {}, headers={"Sec-Fetch-Site": "same-site"}),
        403)
problem("cross_origin_read", d.req("GET", "/api/v1/fleet", headers={"Origin": "http://evil.example"}), 403)
problem("rebinding_host", d.req("GET", "/api/v1/fleet", headers={"Host": "evil.example:%d" % d.port}), 403,
        "Host")
problem("session_cross_origin", d.req("POST", "/api/v1/session", {"token": d.token}, auth=False,
                                      headers={"Origin": "http://evil.example"}), 403)
st, hd, _ = d.req("GET", "/api/v1/fleet", headers={"Origin": "http://" + d.host, "Sec-Fetch-Site": "same-origin"})
eq("same_origin_allowed", st, 200)
ok("no_cors_headers", not any(k.startswith("access-control") for k in hd), hd)
unchanged("origin")

ok("no_upload_dirs_left", leftovers == [] or all(
    not os.path.exists(os.path.join("/tmp", n)) for n in leftovers), leftovers)
eq("store_check", mx(tmp, "store", "check", check=False)[0], 0)
finish(tmp, d)
