"""device_list.py — the items of GET /api/v1/devices and `macext device list
--json` carry each Mac's summary (kext_states, sysext_states, alerts,
user_actions), so a page of the fleet table is one request: the summary
says what the device's own reads (GET .../kexts, .../sysexts, .../alerts)
say, the item is otherwise `device show --json` unchanged (fields are only
added), the API and the CLI give the same items, page by page and under a
search, and the user actions use the fleet summary's words."""
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, eq, finish, mx, ok  # noqa: E402

tmp = Tmp()
ca = os.path.join(tmp.dir, "ca")
mx(tmp, "forge", "ca", ca)
anchor = os.path.join(ca, "root.pem")
for name, arch, os_ in (("a-intel", "x86_64", "14.6"), ("b-arm", "arm64", "15.1"), ("c-empty", "arm64", "15.1"),
                        ("d-two", "x86_64", "13.6")):
    mx(tmp, "device", "create", name, "--arch", arch, "--os", os_, "--admin", "admin:pw", "--trust-anchor", anchor)


def forge_kext(kid, arch, team="SUMMARY001"):
    p = os.path.join(tmp.dir, "%s-%s.kext" % (kid, arch))
    if os.path.exists(p):
        return p
    mx(tmp, "forge", "kext", p, "--bundle-id", kid, "--team", team, "--ca", ca, "--arch", arch)
    return p


# a-intel: one kext awaiting approval (and its alert); d-two: one approved
# (restart pending), one awaiting; b-arm: a kext blocked by Full Security
# and an app's system extension waiting for the user (approving a developer
# allows all its kexts: d-two's are two developers')
mx(tmp, "kext", "install", forge_kext("com.example.s1", "x86_64"), device="a-intel")
mx(tmp, "kmutil", "load", "-b", "com.example.s1", device="a-intel", check=False)
for kid, team in (("com.example.s1", "SUMMARY001"), ("com.example.s2", "SUMMARY002")):
    mx(tmp, "kext", "install", forge_kext(kid, "x86_64", team), device="d-two")
    mx(tmp, "kmutil", "load", "-b", kid, device="d-two", check=False)
mx(tmp, "approve", "kext", "com.example.s1", "--as", "admin:pw", device="d-two")
mx(tmp, "kext", "install", forge_kext("com.example.s3", "arm64e"), device="b-arm")
mx(tmp, "kmutil", "load", "-b", "com.example.s3", device="b-arm", check=False)
sx = os.path.join(tmp.dir, "com.example.sum.ext.systemextension")
app = os.path.join(tmp.dir, "Sum.app")
mx(tmp, "forge", "sysext", sx, "--bundle-id", "com.example.sum.ext", "--team", "SUMMARY001",
   "--category", "endpoint-security", "--ca", ca)
mx(tmp, "forge", "app", app, "--bundle-id", "com.example.sum", "--team", "SUMMARY001", "--ca", ca, "--embed", sx)
mx(tmp, "app", "install", app, device="b-arm")
mx(tmp, "sysext", "activate", "com.example.sum", "com.example.sum.ext", device="b-arm", check=False)
d = Daemon(tmp)


def cli_json(*args, device=None):
    return json.loads(mx(tmp, *args, "--json", device=device)[1])


st, _, items = d.json("GET", "/api/v1/devices")
eq("list_200", st, 200)
eq("api_is_cli", items, cli_json("device", "list"))
ok("every_item_has_a_summary", all(set(x["summary"]) == {"kext_states", "sysext_states", "alerts", "user_actions"}
                                   for x in items), items)
for x in items:
    n = x["name"]
    rest = {k: v for k, v in x.items() if k != "summary"}
    eq("only_added_%s" % n, rest, d.json("GET", "/api/v1/devices/" + n)[2])
    kexts = d.json("GET", "/api/v1/devices/%s/kexts" % n)[2]
    sysexts = d.json("GET", "/api/v1/devices/%s/sysexts" % n)[2]
    alerts = d.json("GET", "/api/v1/devices/%s/alerts" % n)[2]
    s = x["summary"]
    eq("kext_states_%s" % n, s["kext_states"], dict(Counter(k["state"] for k in kexts)))
    eq("sysext_states_%s" % n, s["sysext_states"], dict(Counter(r["state"] for r in sysexts)))
    eq("alerts_%s" % n, s["alerts"], dict(Counter(a["kind"] for a in alerts)))
    eq("user_actions_count_%s" % n, sum(s["user_actions"].values()), len(alerts))
by = {x["name"]: x["summary"] for x in items}
eq("empty_mac", by["c-empty"], {"kext_states": {}, "sysext_states": {}, "alerts": {}, "user_actions": {}})
eq("two_kexts", by["d-two"]["kext_states"], {"awaiting_restart": 1, "awaiting_user_approval": 1})
eq("blocked_on_arm", by["b-arm"]["kext_states"], {"blocked_by_security_policy": 1})
eq("sysext_waiting", by["b-arm"]["sysext_states"], {"activated_waiting_for_user": 1})
ok("recovery_action_words", "restart into recoveryOS (hold the power button), lower security, restart"
   in by["b-arm"]["user_actions"], by["b-arm"])
ok("approval_action_words", by["a-intel"]["user_actions"] == {"allow in System Settings (administrator approval)": 1},
   by["a-intel"])
# the same words as the fleet summary, which counts devices
fleet = d.json("GET", "/api/v1/fleet")[2]
per = Counter()
for s in by.values():
    per.update({k: 1 for k in s["user_actions"]})
eq("fleet_summary_same_words", dict(per), fleet["user_actions"])

# pages and a search: the same items
got, url = [], "/api/v1/devices?limit=1"
while url:
    st, hd, page = d.json("GET", url)
    got += page
    link = hd.get("link")
    url = link[1:link.index(">")] if link else None
eq("pages_are_the_list", got, items)
eq("search_has_summary", d.json("GET", "/api/v1/devices?q=TWO")[2], [x for x in items if x["name"] == "d-two"])
# a change shows at once
mx(tmp, "approve", "kext", "com.example.s2", "--as", "admin:pw", device="d-two")
st, _, page = d.json("GET", "/api/v1/devices?q=d-two")
eq("summary_follows_changes", page[0]["summary"]["kext_states"], {"awaiting_restart": 2})
finish(tmp, d)
