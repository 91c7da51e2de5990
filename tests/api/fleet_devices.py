"""fleet_devices.py — POST /api/v1/fleet/devices, many Macs in one request:
a list of what POST /api/v1/devices takes, or a count with a name prefix
and a template.  Every device of a request is created in one transaction,
or none is (a name taken, a bad member of the 7th device: the store's digest
does not move); the members are checked by the single route's own code
(the same problem documents); more than 1,000 devices is 413 with what to
do instead; the devices are what `device show --json` says, their users
authenticate with their passwords (hashed once per request)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, digest, eq, finish, mx, ok, problem  # noqa: E402

tmp = Tmp()
mx(tmp, "device", "create", "taken", "--admin", "admin:pw")
d = Daemon(tmp)
F = "/api/v1/fleet/devices"


def cli_json(*args):
    return json.loads(mx(tmp, *args, "--json")[1])


def names():
    return [x["name"] for x in cli_json("device", "list")]


# ---- a list
users = [{"name": "admin", "password": "pw", "admin": True}, {"name": "bob", "password": "bobpw"}]
body = {"devices": [{"name": "l-1", "arch": "x86_64", "macos": "14.6", "users": users},
                    {"name": "l-2", "arch": "arm64", "macos": "15.1", "sip": "off", "users": users},
                    {"name": "l-3", "serial": "C02XYZ12AB"}]}
st, hd, doc = d.json("POST", F, body)
eq("list_201", (st, doc.get("created") if isinstance(doc, dict) else doc), (201, 3))
eq("list_in_request_order", [x["name"] for x in doc["devices"]], ["l-1", "l-2", "l-3"])
for x in doc["devices"]:
    eq("answer_is_device_show_" + x["name"], x, cli_json("device", "show", x["name"]))
eq("members_applied", [(x["arch"], x["os"]) for x in doc["devices"]],
   [("x86_64", "14.6"), ("arm64", "15.1"), ("arm64", "15.1")])
eq("sip_off", doc["devices"][1]["sip"]["enabled"], False)
eq("serial", doc["devices"][2]["serial"], "C02XYZ12AB")
eq("users", [u["name"] for u in doc["devices"][0]["users"]], ["admin", "bob"])
# the passwords work (one hash per distinct password, each device's check is real)
st, _, _ = d.json("POST", "/api/v1/devices/l-2/restart", {"user": "bob", "password": "bobpw"})
eq("password_works", st, 200)
st, _, _ = d.json("POST", "/api/v1/devices/l-1/restart", {"user": "admin", "password": "bobpw"})
eq("wrong_password_refused", st, 403)
log = d.json("GET", "/api/v1/devices/l-1/log")[2]
ok("creation_logged", log and "device created" in log[0]["what"] and log[0]["why"] == "serve: fleet devices", log[:1])

# ---- a count and a template, named as fleet create names
st, _, doc = d.json("POST", F, {"count": 3, "prefix": "t", "template": {"arch": "x86_64", "macos": "12.7",
                                                                      "users": [users[0]]}})
eq("template_201", st, 201)
eq("template_names", [x["name"] for x in doc["devices"]], ["t-000001", "t-000002", "t-000003"])
ok("template_applied", all(x["arch"] == "x86_64" and x["os"] == "12.7" for x in doc["devices"]), doc)
ok("serials_differ", len({x["serial"] for x in doc["devices"]}) == 3, doc)
st, _, doc = d.json("POST", F, {"count": 2, "prefix": "t", "start": 4})
eq("start", [x["name"] for x in doc["devices"]], ["t-000004", "t-000005"])
eq("template_default_admin", [u["name"] for u in doc["devices"][0]["users"]], ["admin"])
st, _, doc = d.json("POST", F, {"count": 1})
eq("default_prefix", [x["name"] for x in doc["devices"]], ["mac-000001"])

# ---- all or nothing
before = digest(tmp)
n0 = names()
bad = {"devices": [{"name": "n-%d" % i} for i in range(6)] + [{"name": "taken"}]}
problem("a_taken_name_409", d.req("POST", F, bad), 409, "devices[6] (taken): a device named 'taken' already exists")
eq("nothing_created_409", (names(), digest(tmp)), (n0, before))
bad = {"devices": [{"name": "n-%d" % i} for i in range(6)] + [{"name": "n-x", "arch": "sparc"}]}
problem("a_bad_member_400", d.req("POST", F, bad), 400, "devices[6]")
problem("twice_400", d.req("POST", F, {"devices": [{"name": "dup"}, {"name": "x"}, {"name": "dup"}]}), 400,
        "the name 'dup' is given twice (devices[0] and devices[2])")
problem("template_collides_409", d.req("POST", F, {"count": 3, "prefix": "t", "start": 5}), 409, "t-000005")
eq("nothing_created_at_all", (names(), digest(tmp)), (n0, before))

# ---- the same checks as the single route, the same answers
cases = [{"name": "a b"}, {"name": "x", "macos": "10.15"}, {"name": "x", "sip": "maybe"},
         {"name": "x", "users": [{"name": "a:b", "password": "p"}]}, {"name": "x", "users": "admin"},
         {"name": "x", "color": "red"}, {"arch": "arm64"}, {"name": "x", "serial": "short"},
         {"name": "x", "users": [{"name": "u%d" % i, "password": "p"} for i in range(40)]}]
for i, c in enumerate(cases):
    s1, _, one = d.json("POST", "/api/v1/devices", c)
    s2, _, many = d.json("POST", F, {"devices": [{"name": "fine"}, c]})
    ok("same_check_%d" % i, s1 == s2 and s1 >= 400 and isinstance(many, dict) and
       many.get("detail") == "devices[1]: " + one.get("detail", "?"), (c, one, many))
eq("no_fine_device_left", "fine" in names(), False)

# ---- the body's own shape
problem("neither_400", d.req("POST", F, {}), 400, "is required")
problem("both_400", d.req("POST", F, {"devices": [{"name": "a"}], "count": 1}), 400, "not both")
problem("empty_list_400", d.req("POST", F, {"devices": []}), 400, "nothing to create")
problem("devices_not_array_400", d.req("POST", F, {"devices": {"name": "a"}}), 400, "expected an array")
problem("item_not_object_400", d.req("POST", F, {"devices": ["a"]}), 400, "devices[0]: expected an object")
problem("count_zero_400", d.req("POST", F, {"count": 0}), 400, "\"count\"")
problem("count_string_400", d.req("POST", F, {"count": "3"}), 400, "expected a whole number")
problem("bad_prefix_400", d.req("POST", F, {"count": 1, "prefix": "../x"}), 400, "\"prefix\"")
problem("template_name_400", d.req("POST", F, {"count": 1, "template": {"name": "x"}}), 400,
        "\"template\": \"name\": unknown member")
problem("template_not_object_400", d.req("POST", F, {"count": 1, "template": []}), 400, "\"template\"")
problem("array_body_400", d.req("POST", F, [{"name": "a"}]), 400, "must be a JSON object")
problem("no_token_401", d.req("POST", F, {"count": 1}, auth=False), 401)
problem("over_the_cap_413", d.req("POST", F, {"count": 1001}), 413, "at most 1000")
problem("list_over_the_cap_413", d.req("POST", F, {"devices": [{"name": "c-%d" % i} for i in range(1001)]}),
        413, "at most 1000")
problem("body_over_4_MiB_413", d.req("POST", F, b"{" + b" " * (4 << 20) + b"}", ctype="application/json"), 413)
problem("many_passwords_400", d.req("POST", F, {"devices": [
    {"name": "p-%d" % i, "users": [{"name": "admin", "password": "pw%d" % i, "admin": True}]}
    for i in range(40)]}), 400, "at most 32 different passwords")
eq("refusals_change_nothing", (names(), digest(tmp)), (n0, before))

# ---- the cap itself: 1,000 in one request, one transaction
st, _, doc = d.json("POST", F, {"count": 1000, "prefix": "big"})
eq("a_thousand", (st, doc.get("created"), len(doc.get("devices", []))), (201, 1000, 1000))
eq("a_thousand_listed", len([n for n in names() if n.startswith("big-")]), 1000)
ok("store_check_clean", mx(tmp, "store", "check", check=False)[0] == 0)
finish(tmp, d)
