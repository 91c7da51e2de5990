"""endpoints.py — every route of `macext serve` doing its job, with the
documents the CLI's --json gives for the same state: sessions, devices
(create, page through, show, delete), profiles (install, show, policy,
remove), a kext uploaded as an archive on Apple silicon and the whole
"allow it" story (blocked, power button, Startup Security Utility, Allow,
restart, loaded), an app uploaded, its system extension activated,
approved and switched off and on (macOS 15), alerts, the log paged,
security, shutdown/power-on, recovery, an MDM command."""
import io
import json
import os
import sys
import tarfile
import uuid
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import Daemon, Tmp, eq, finish, mx, ok, problem, TESTDATA  # noqa: E402

tmp = Tmp()
ca = os.path.join(tmp.dir, "ca")
mx(tmp, "forge", "ca", ca)
anchor = os.path.join(ca, "root.pem")
mx(tmp, "device", "create", "arm", "--os", "15.1", "--trust-anchor", anchor, "--admin", "admin:pw",
   "--user", "bob:pw")
d = Daemon(tmp)


def cli_json(*args, device=None):
    return json.loads(mx(tmp, *args, "--json", device=device)[1])


def tar_of(path, gz=True):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz" if gz else "w") as t:
        t.add(path, arcname=os.path.basename(path))
    return b.getvalue()


def zip_of(path):
    b = io.BytesIO()
    base = os.path.dirname(path)
    with zipfile.ZipFile(b, "w") as z:
        for root, dirs, files in os.walk(path):
            for f in files:
                p = os.path.join(root, f)
                z.write(p, os.path.relpath(p, base))
    return b.getvalue()


# ---- sessions
st, hd, _ = d.req("POST", "/api/v1/session", {"token": "0" * 64}, auth=False)
eq("session_wrong_token_403", st, 403)
st, hd, _ = d.req("POST", "/api/v1/session", {"token": d.token}, auth=False)
eq("session_204", st, 204)
cookie = hd.get("set-cookie", "")
ok("session_cookie_attributes", cookie.startswith("macext_session=") and "HttpOnly" in cookie
   and "SameSite=Strict" in cookie and "Path=/" in cookie, cookie)
sid = cookie.split(";")[0]
st, _, _ = d.req("POST", "/api/v1/devices/arm/restart", {}, auth=False, headers={"Cookie": sid})
eq("cookie_authorises_a_change", st, 200)
st, hd, _ = d.req("DELETE", "/api/v1/session", auth=False, headers={"Cookie": sid})
eq("logout_204", st, 204)
ok("logout_clears_cookie", "Max-Age=0" in hd.get("set-cookie", ""), hd)
st, _, _ = d.req("POST", "/api/v1/devices/arm/restart", {}, auth=False, headers={"Cookie": sid})
eq("cookie_dead_after_logout", st, 401)

# ---- devices
st, hd, doc = d.json("POST", "/api/v1/devices", {"name": "api-1", "arch": "x86_64",
                                                  "macos": "14.6", "users": [
                                                      {"name": "admin", "password": "pw", "admin": True}]})
eq("create_201", st, 201)
eq("create_location", hd.get("location"), "/api/v1/devices/api-1")
eq("create_document_is_device_show", doc, cli_json("device", "show", "api-1"))
st, _, _ = d.json("POST", "/api/v1/devices", {"name": "api-1"})
eq("create_twice_409", st, 409)
for i in range(2, 8):
    d.json("POST", "/api/v1/devices", {"name": "api-%d" % i})
names, url, pages = [], "/api/v1/devices?limit=3", 0
while url and pages < 10:
    st, hd, doc = d.json("GET", url)
    pages += 1
    names += [x["name"] for x in doc]
    link = hd.get("link")
    url = link[1:link.index(">")] if link else None
all_cli = cli_json("device", "list")
eq("pages_cover_the_fleet", names, [x["name"] for x in all_cli])
eq("pages_of_three", pages, 3)
st, hd, doc = d.json("GET", "/api/v1/devices")
eq("list_is_device_list_json", doc, all_cli)
st, hd, doc = d.json("GET", "/api/v1/devices?q=API-3")
eq("search_by_name", [x["name"] for x in doc], ["api-3"])
st, _, doc = d.json("GET", "/api/v1/devices/api-2")
eq("show_is_device_show", doc, cli_json("device", "show", "api-2"))
st, _, doc = d.json("DELETE", "/api/v1/devices/api-7")
eq("delete", (st, doc), (200, {"name": "api-7", "deleted": True}))
eq("deleted_gone", mx(tmp, "device", "show", "api-7", check=False)[0], 67)
st, _, doc = d.json("GET", "/api/v1/fleet")
eq("fleet_is_fleet_summary", doc, cli_json("fleet", "summary"))

# ---- power
st, _, doc = d.json("POST", "/api/v1/devices/api-2/shutdown", {})
eq("shutdown", (st, doc["environment"]), (200, "off"))
st, _, doc = d.json("POST", "/api/v1/devices/api-2/power-on", {})
eq("power_on", (st, doc["environment"]), (200, "macos"))
st, _, _ = d.json("POST", "/api/v1/devices/api-2/power-on", {})
eq("power_on_when_on_409", st, 409)
st, _, doc = d.json("POST", "/api/v1/devices/api-2/restart", {"user": "admin", "password": "admin"})
eq("restart_as_user", (st, doc["boot_count"]), (200, 3))   # created, powered on, restarted
st, _, doc = d.json("POST", "/api/v1/devices/api-2/restart", {"user": "admin", "password": "x"})
eq("restart_wrong_password_403", st, 403)

# ---- profiles
pid = "com.example.api.sysext"
prof = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadIdentifier</key><string>{pid}</string>
<key>PayloadUUID</key><string>{str(uuid.uuid4()).upper()}</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadDisplayName</key><string>API test</string>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.system-extension-policy</string>
<key>PayloadIdentifier</key><string>{pid}.sx</string>
<key>PayloadUUID</key><string>{str(uuid.uuid4()).upper()}</string>
<key>PayloadVersion</key><integer>1</integer>
<key>AllowedTeamIdentifiers</key><array><string>ZZZZZZZZZZ</string></array>
</dict></array></dict></plist>"""
st, _, _ = d.json("POST", "/api/v1/devices/arm/profiles", prof, ctype="application/x-apple-aspen-config")
eq("profile_manual_needs_admin", st, 403)
st, _, doc = d.json("POST", "/api/v1/devices/arm/profiles", prof,
                    headers={"X-Macext-Admin": "admin:pw"})
ok("profile_manual_sysext_policy_refused", st == 403 and "only be installed by an MDM" in doc["detail"], doc)
st, _, doc = d.json("POST", "/api/v1/devices/api-2/profiles?via=mdm", prof)
eq("profile_mdm_not_enrolled_409", st, 409)
mx(tmp, "mdm", "enroll", "--method", "automated", "--in-abm", device="api-2")
st, _, doc = d.json("POST", "/api/v1/devices/api-2/profiles?via=mdm", prof)
eq("profile_install_201", (st, doc and doc.get("identifier")), (201, pid))
st, _, doc = d.json("GET", "/api/v1/devices/api-2/profiles")
eq("profiles_list", doc, cli_json("profiles", "list", device="api-2"))
st, _, doc = d.json("GET", "/api/v1/devices/api-2/profiles/" + pid)
eq("profile_show", doc, cli_json("profiles", "show", pid, device="api-2"))
st, _, doc = d.json("GET", "/api/v1/devices/api-2/profiles/policy")
eq("policy", doc, cli_json("profiles", "policy", device="api-2"))
ok("policy_has_team", "ZZZZZZZZZZ" in json.dumps(doc), doc)
st, _, doc = d.json("DELETE", "/api/v1/devices/api-2/profiles/" + pid, {"user": "admin", "password": "admin"})
eq("profile_mdm_not_removable_by_hand", st, 403)
# refused at once, no password asked: the CLI's message, with or without credentials
cli_msg = mx(tmp, "profiles", "remove", pid, device="api-2", check=False)[2].strip()
st, _, doc = d.json("DELETE", "/api/v1/devices/api-2/profiles/" + pid, {})
ok("profile_mdm_refused_without_password", st == 403 and cli_msg == "macext: " + doc.get("detail", "")
   and "only the MDM server can remove it" in cli_msg, (st, doc, cli_msg))
st, _, doc = d.json("DELETE", "/api/v1/devices/api-2/profiles/" + pid, {"user": "admin", "password": "wrong"})
ok("profile_mdm_refused_same_with_wrong_password", st == 403 and "only the MDM server" in doc["detail"], doc)
st, _, doc = d.json("DELETE", "/api/v1/devices/api-2/profiles/" + pid, {"via": "mdm"})
eq("profile_remove", (st, doc), (200, {"identifier": pid, "removed": True}))
eq("profile_gone", d.json("GET", "/api/v1/devices/api-2/profiles")[2], [])

# ---- a kext on Apple silicon, allowed the way a person does it
kid = "org.virtualbox.kext.VBoxDrv"
kpath = os.path.join(tmp.dir, kid + ".kext")
mx(tmp, "forge", "kext", kpath, "--bundle-id", kid, "--team", "VB5E2TV963", "--ca", ca, "--arch", "arm64")
st, _, doc = d.json("POST", "/api/v1/devices/arm/kexts", tar_of(kpath), ctype="application/gzip")
eq("kext_upload_201", (st, doc and doc.get("bundle_id")), (201, kid))
st, _, doc = d.json("POST", "/api/v1/devices/arm/kexts/%s/load" % kid, {})
eq("kext_load_blocked_403", (st, doc.get("domain"), doc.get("code")), (403, "KMErrorDomain", 27))
st, _, doc = d.json("GET", "/api/v1/devices/arm/kexts")
eq("kexts_list", doc, cli_json("kext", "list", device="arm"))
eq("kext_blocked", doc[0]["state"], "blocked_by_security_policy")
st, _, doc = d.json("GET", "/api/v1/devices/arm/alerts")
eq("alerts", doc, cli_json("alerts", device="arm"))
ok("alert_says_power_button", "press and hold the power button" in json.dumps(doc), doc)
st, _, doc = d.json("POST", "/api/v1/devices/arm/security", {"policy": "reduced", "allow_kexts": True,
                                                              "user": "admin", "password": "pw"})
ok("ssu_refused_in_macos", st in (403, 409), (st, doc))
st, _, doc = d.json("POST", "/api/v1/devices/arm/recovery", {"via": "power-button"})
eq("recovery_power_button", (st, doc["environment"], doc["recovery_entry"]), (200, "recovery", "power-button"))
st, _, doc = d.json("POST", "/api/v1/devices/arm/security", {"policy": "reduced", "allow_kexts": True,
                                                              "user": "bob", "password": "pw"})
eq("ssu_standard_user_403", st, 403)
st, _, doc = d.json("POST", "/api/v1/devices/arm/security", {"policy": "reduced", "allow_kexts": True,
                                                              "user": "admin", "password": "pw"})
eq("ssu_reduced", (st, doc.get("kext_user_management") if isinstance(doc, dict) else None), (200, True))
st, _, doc = d.json("GET", "/api/v1/devices/arm/security")
eq("security_show", doc, cli_json("security", "show", device="arm"))
d.json("POST", "/api/v1/devices/arm/restart", {})
st, _, doc = d.json("POST", "/api/v1/devices/arm/kexts/%s/approve" % kid, {"user": "admin", "password": "bad"})
eq("kext_allow_wrong_password_403", st, 403)
st, _, doc = d.json("POST", "/api/v1/devices/arm/kexts/%s/approve" % kid, {"user": "admin", "password": "pw"})
eq("kext_allow", (st, doc.get("restart_required"), doc.get("allowed_by")), (200, True, "admin"))
d.json("POST", "/api/v1/devices/arm/restart", {})
st, _, doc = d.json("GET", "/api/v1/devices/arm/kexts")
eq("kext_loaded", doc[0]["state"], "loaded")

# ---- an app with a system extension (zip), activated, allowed, switched off and on
sx = os.path.join(tmp.dir, "com.northpolesec.santa.daemon.systemextension")
app = os.path.join(tmp.dir, "Santa.app")
mx(tmp, "forge", "sysext", sx, "--bundle-id", "com.northpolesec.santa.daemon", "--team", "ZMCG7MLDV9",
   "--category", "endpoint-security", "--ca", ca)
mx(tmp, "forge", "app", app, "--bundle-id", "com.northpolesec.santa", "--team", "ZMCG7MLDV9", "--ca", ca,
   "--embed", sx)
st, _, doc = d.json("POST", "/api/v1/devices/arm/apps", zip_of(app), ctype="application/zip")
eq("app_upload_201", (st, doc and doc.get("bundle_id")), (201, "com.northpolesec.santa"))
st, _, doc = d.json("POST", "/api/v1/devices/arm/sysexts/com.northpolesec.santa.daemon/activate",
                    {"app": "com.northpolesec.santa"})
eq("sysext_activate", (st, doc.get("state")), (200, "activated_waiting_for_user"))
st, _, doc = d.json("POST", "/api/v1/devices/arm/sysexts/com.northpolesec.santa.daemon/approve",
                    {"user": "admin", "password": "pw"})
eq("sysext_approve", (st, doc.get("state")), (200, "activated_enabled"))
st, _, doc = d.json("GET", "/api/v1/devices/arm/sysexts")
eq("sysexts_list", doc, cli_json("sysext", "list", device="arm"))
st, _, doc = d.json("POST", "/api/v1/devices/arm/sysexts/com.northpolesec.santa.daemon/enabled",
                    {"enabled": False})
eq("toggle_needs_admin_403", (st, doc.get("domain"), doc.get("code")),
   (403, "OSSystemExtensionErrorDomain", 13))
st, _, doc = d.json("POST", "/api/v1/devices/arm/sysexts/com.northpolesec.santa.daemon/enabled",
                    {"enabled": False, "user": "admin", "password": "pw"})
eq("toggle_off", (st, doc.get("state")), (200, "activated_disabled"))
st, _, doc = d.json("POST", "/api/v1/devices/arm/sysexts/com.northpolesec.santa.daemon/enabled",
                    {"enabled": True, "user": "admin", "password": "pw"})
eq("toggle_on", (st, doc.get("state")), (200, "activated_enabled"))

# ---- the log, paged by event id
st, hd, first = d.json("GET", "/api/v1/devices/arm/log?limit=2")
eq("log_page", (st, len(first)), (200, 2))
link = hd.get("link", "")
ok("log_next_link", link.startswith("</api/v1/devices/arm/log?limit=2&after=%d>" % first[-1]["id"]), link)
everything = cli_json("log", device="arm")
st, hd, rest = d.json("GET", "/api/v1/devices/arm/log?limit=10000&after=%d" % first[-1]["id"])
eq("log_pages_are_the_log", first + rest, everything)

# ---- MDM: a raw command on an enrolled Mac; the agent's counts
cmd = f"""<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>CommandUUID</key><string>{uuid.uuid4()}</string>
<key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string>
<key>Queries</key><array><string>OSVersion</string><string>SerialNumber</string></array></dict></dict></plist>"""
st, hd, body = d.req("POST", "/api/v1/devices/api-2/mdm", cmd, ctype="application/x-plist")
ok("mdm_command_acknowledged", st == 200 and b"Acknowledged" in body and b"OSVersion" in body
   and hd.get("content-type") == "application/xml", (st, body[:300]))
st, _, doc = d.json("GET", "/api/v1/mdm")
eq("mdm_status_without_agent", (st, doc.get("running")), (200, False))

# ---- the page
st, hd, body = d.req("GET", "/", auth=False)
ok("page_index", st == 200 and hd.get("content-type", "").startswith("text/html") and b"<html" in body,
   (st, hd))
st, hd, body = d.req("GET", "/no-such-file.js", auth=False)
eq("page_404", st, 404)
ok("store_check_clean", mx(tmp, "store", "check", check=False)[0] == 0)
finish(tmp, d)
