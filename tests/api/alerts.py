"""alerts.py — POST /api/v1/devices/{name}/alerts/{id}/dismiss, the user
closing an alert: the answer is `macext alerts dismiss ID --json`'s document,
the alert leaves GET .../alerts and the device list item's summary, the
device's log records it (and the fleet event stream carries it), and what it
was about stays (the kext still awaits approval; the next load attempt shows
it again).  Refused: without the token (401), an id not on screen (404), a
malformed id (400), a guard naming another alert (409, the alert stays), a
Mac that is shut down (409), unknown body members (400)."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, digest, eq, finish, mx, ok, problem  # noqa: E402

tmp = Tmp()
ca = os.path.join(tmp.dir, "ca")
mx(tmp, "forge", "ca", ca)
mx(tmp, "device", "create", "m1", "--arch", "x86_64", "--os", "14.6", "--admin", "admin:pw",
   "--trust-anchor", os.path.join(ca, "root.pem"))
mx(tmp, "device", "create", "m2", "--arch", "x86_64", "--os", "14.6", "--admin", "admin:pw",
   "--trust-anchor", os.path.join(ca, "root.pem"))
kid = "com.example.alerts.kext"
kpath = os.path.join(tmp.dir, kid + ".kext")
mx(tmp, "forge", "kext", kpath, "--bundle-id", kid, "--team", "ALERTS0001", "--ca", ca, "--arch", "x86_64")
for dev in ("m1", "m2"):
    mx(tmp, "kext", "install", kpath, device=dev)
    mx(tmp, "kmutil", "load", "-b", kid, device=dev, check=False)
d = Daemon(tmp)
D = "/api/v1/devices/m1"


def cli_json(*args, device="m1"):
    return json.loads(mx(tmp, *args, "--json", device=device)[1])


st, _, alerts = d.json("GET", D + "/alerts")
ok("setup_one_alert", st == 200 and len(alerts) == 1 and alerts[0]["subject"] == kid, alerts)
a = alerts[0]
AID = a["id"]

# ---- refusals leave everything as it was
before = digest(tmp)
problem("no_token_401", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID), {}, auth=False), 401)
problem("not_on_screen_404", d.req("POST", D + "/alerts/999/dismiss", {}), 404, "no alert 999")
problem("id_not_a_number_400", d.req("POST", D + "/alerts/abc/dismiss", {}), 400, "expected an alert id")
problem("id_zero_400", d.req("POST", D + "/alerts/0/dismiss", {}), 400, "expected an alert id")
problem("id_path_escape_400", d.req("POST", D + "/alerts/..%2F1/dismiss", {}), 400)
problem("unknown_member_400", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID), {"id": 1}), 400,
        "unknown member")
problem("guard_wrong_kind_409", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID),
                                      {"kind": "restart-required"}), 409, "not the alert the request names")
problem("guard_wrong_subject_409", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID),
                                         {"kind": a["kind"], "subject": "com.other"}), 409)
problem("guard_type_400", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID), {"kind": 3}), 400,
        "expected a string")
problem("get_405", d.req("GET", "%s/alerts/%d/dismiss" % (D, AID)), 405)
problem("other_device_404", d.req("POST", "/api/v1/devices/m2/alerts/%d/dismiss" % AID, {}), 404)
eq("refusals_change_nothing", digest(tmp), before)

# ---- the fleet stream sees the change
sse = socket.create_connection(("127.0.0.1", d.port), timeout=10)
sse.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: %s\r\n\r\n" % d.host).encode())
time.sleep(0.3)

# ---- dismissed: the document is the CLI's
st, _, doc = d.json("POST", "%s/alerts/%d/dismiss" % (D, AID), {"kind": a["kind"], "subject": a["subject"]})
eq("dismiss_200", st, 200)
eq("document", doc, {"id": AID, "dismissed": True, "alert": a})
eq("gone_from_alerts", d.json("GET", D + "/alerts")[2], [])
eq("alerts_is_the_cli", d.json("GET", D + "/alerts")[2], cli_json("alerts"))
problem("twice_404", d.req("POST", "%s/alerts/%d/dismiss" % (D, AID), {}), 404)
log = d.json("GET", D + "/log")[2]
ok("logged", any(e["actor"] == "user" and ('alert %d "' % AID) in e["what"] and "closed" in e["what"]
                 for e in log), log[-3:])
buf, end = b"", time.time() + 10
while b"closed" not in buf and time.time() < end:
    try:
        buf += sse.recv(65536)
    except socket.timeout:
        break
sse.close()
ok("event_streamed", b'"device":"m1"' in buf and b"closed" in buf, buf[-400:])

# ---- what it was about stays
st, _, kexts = d.json("GET", D + "/kexts")
eq("kext_still_awaits_approval", [k["state"] for k in kexts], ["awaiting_user_approval"])
st, _, page = d.json("GET", "/api/v1/devices")
m1 = [x for x in page if x["name"] == "m1"][0]
eq("summary_without_the_alert", (m1["summary"]["alerts"], m1["summary"]["user_actions"]), ({}, {}))
eq("summary_still_awaiting", m1["summary"]["kext_states"], {"awaiting_user_approval": 1})
m2 = [x for x in page if x["name"] == "m2"][0]
eq("other_mac_untouched", m2["summary"]["alerts"], {"kext-blocked": 1})
st, _, fleet = d.json("GET", "/api/v1/fleet")
eq("fleet_summary_counts_what_is_on_screen", fleet["alerts"], {"kext-blocked": 1})
st, _, doc = d.json("POST", D + "/kexts/%s/load" % kid, {})
eq("load_again_needs_approval", (st, doc.get("code")), (403, 27))
st, _, again = d.json("GET", D + "/alerts")
ok("shown_again", len(again) == 1 and again[0]["subject"] == kid, again)

# ---- the CLI's verb gives the same document for the next one
cli = cli_json("alerts", "dismiss", str(again[0]["id"]))
eq("cli_document_shape", cli, {"id": again[0]["id"], "dismissed": True, "alert": again[0]})

# ---- only while macOS runs
mx(tmp, "kmutil", "load", "-b", kid, device="m1", check=False)
nid = d.json("GET", D + "/alerts")[2][0]["id"]
d.json("POST", D + "/shutdown", {})
problem("shut_down_409", d.req("POST", "%s/alerts/%d/dismiss" % (D, nid), {}), 409, "shut down")
d.json("POST", D + "/power-on", {})
st, _, doc = d.json("POST", "%s/alerts/%d/dismiss" % (D, nid), {})
eq("empty_body_ok", (st, doc.get("dismissed")), (200, True))
ok("store_check_clean", mx(tmp, "store", "check", check=False)[0] == 0)
finish(tmp, d)
