# json_shapes.sh — DESIGN.md's contract for every verb at once (issue 12 §3):
# a list verb's --json is an array of objects, a show or verify verb's one
# object.  The verbs are not listed here: they come from the command tables
# the binary dispatches through (`macext help verbs --json`, built from
# src/tools/main.c and each command file's cli_verbs), so a new list verb is
# run by this test the day it is added.  The Apple-tool personalities are
# included where they have a JSON form (bputil -j, kmutil inspect --json);
# the rest print Apple's text and are marked so.  The state is populated so
# that every list has members to check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
cd "$TMP" || exit 1
sx_ca
sx_dev m 14.5 --arch arm64
sx_enroll
TEAM=ABCDE12345
sx_profile "$TMP/policy.mobileconfig" com.example.json.policy \
    "<key>AllowedTeamIdentifiers</key><array><string>ZZZZZ99999</string></array>"
t setup.profile "$MX" mdm install-profile "$TMP/policy.mobileconfig"
sx_ext x/com.example.json.ext.systemextension com.example.json.ext $TEAM network
sx_app x/Json.app com.example.json.app $TEAM x/com.example.json.ext.systemextension
t setup.app "$MX" app install "$B_DIR/x/Json.app"
t setup.activate "$MX" sysext activate com.example.json.app com.example.json.ext
# an AuxKC (for kmutil inspect): 1TR, Reduced + user kext management, a loaded kext
t setup.1tr "$MX" recovery --via power-button
t setup.reduced "$MX" security set reduced --kext-user-management --as admin:pw
t setup.restart "$MX" restart
"$MX" forge kext "$TMP/J.kext" --bundle-id com.example.json.kext --team $TEAM --ca "$CA" --arch arm64 >/dev/null
t setup.kext "$MX" kext install "$TMP/J.kext"
t_exit 27 setup.load kmutil load -b com.example.json.kext
t setup.approve "$MX" approve kext com.example.json.kext --as admin:pw
t setup.restart2 "$MX" restart
t_json setup.loaded '[k["state"] for k in j]' '["loaded"]' "$MX" kext list --json

t verbs "$MX" help verbs --json
printf '%s' "$OUT" >"$TMP/verbs.json"

# Arguments for the verbs that need some (by "program verb"); a list or show
# verb that needs arguments not given here fails below, so this map cannot
# silently fall behind the tables.
printf 'inputs:\n  p: { profile: %s }\nfleet: { arch: [arm64], macos: ["15.1"], enrollment: [automated] }\ntimeline:\n  - install-profile: p\n' \
    "$TMP/policy.mobileconfig" > "$TMP/plan.yaml"
MACEXT="$MX" BIN="$BIN" CASE="$CASE" PLAN="$TMP/plan.yaml" CSPATH="$B_DIR/x/Json.app" CA_ROOT="$CA/root.pem" \
PROFILE="$TMP/policy.mobileconfig" python3 - "$TMP/verbs.json" <<'PY'
import json, os, subprocess, sys

rows = json.load(open(sys.argv[1]))
case = os.environ["CASE"]
ARGS = {
    "macext profiles show": ["com.example.json.policy"],
    "macext profiles validate": [os.environ["PROFILE"]],
    "macext preflight": [os.environ["PLAN"]],
    "macext codesign verify": [os.environ["CSPATH"], "--trust-anchor", os.environ["CA_ROOT"]],
}

# List verbs whose members this state cannot have, and why (their shape is still checked)
EMPTY_OK = {
    "macext mdm status": "only devices the MDM agent enrolled over the wire (tests/cli/mdm_agent.sh)",
}

def say(ok, name, *lines):
    print(("PASS " if ok else "FAIL ") + case + "." + name)
    if not ok:
        for l in lines:
            print("  " + str(l)[:2000])

def key(r):
    return r["program"] + (" " + r["verb"] if r["verb"] else "")

names = {key(r) for r in rows}
# the table itself: rows, shapes known, nothing unexpected
say(len(rows) > 30 and all(r["json"] in ("action", "list", "show", "text") for r in rows),
    "table_well_formed", rows[:3])
# what the names promise, the table keeps: a verb called list lists, show and
# verify show; macext's own verbs always have a JSON form
for r in rows:
    k = key(r)
    own = r["program"].startswith("macext ")
    if r["verb"] == "list" and own:
        say(r["json"] == "list", "named_list." + k.replace(" ", "_"), r)
    if r["verb"] in ("show", "verify"):
        say(r["json"] == "show", "named_show." + k.replace(" ", "_"), r)
    if own:
        say(r["json"] != "text", "has_json." + k.replace(" ", "_"), r)
for k in ("macext device list", "macext profiles list", "macext sysext list", "macext kext list",
          "macext alerts", "macext log", "macext profiles policy", "bputil", "kmutil inspect"):
    say(k in names, "listed." + k.replace(" ", "_"), sorted(names))
for k in list(ARGS) + list(EMPTY_OK):
    say(k in names, "not_stale." + k.replace(" ", "_"), k)

ran = 0
for r in rows:
    if r["json"] not in ("list", "show"):
        continue
    k = key(r)
    prog = r["program"].split()
    exe = os.environ["MACEXT"] if prog[0] == "macext" else os.path.join(os.environ["BIN"], prog[0])
    argv = [exe] + prog[1:] + ([r["verb"]] if r["verb"] else []) + ARGS.get(k, []) + ["--json"]
    p = subprocess.run(argv, capture_output=True, text=True)
    name = k.replace(" ", "_")
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        say(False, "runs." + name, "exit %d: %s" % (p.returncode, " ".join(argv)), e, p.stdout[:300], p.stderr)
        continue
    say(p.returncode == 0, "runs." + name, "exit %d: %s" % (p.returncode, " ".join(argv)), p.stderr)
    if r["json"] == "list":
        say(isinstance(j, list) and (len(j) > 0 or k in EMPTY_OK) and all(isinstance(x, dict) for x in j),
            "array_of_objects." + name, type(j).__name__, str(j)[:300])
    else:
        say(isinstance(j, dict), "one_object." + name, type(j).__name__, str(j)[:300])
    ran += 1
want = sum(1 for r in rows if r["json"] in ("list", "show"))
say(ran == want and ran >= 15, "ran_them_all", "%d of %d" % (ran, want))
PY
