# json_hostile.sh — issue 14 §9: JSON never silently drops data.  The state
# of hostile.inc (identifiers, names, organizations, allow-list entries and
# Developer ID names holding quotes, backslashes, newlines, CR, ESC/OSC
# sequences, BEL, DEL, C1 and bidirectional controls, non-BMP characters,
# up to the 255 bytes a record keeps) plus a profile whose allow-list entry
# and description are very long (64 KiB, 1 MiB) is read by every --json
# verb of the command tables (`macext help verbs --json`, as json_shapes.sh
# does, so a new verb is run the day it is added).  Each must exit 0 with
# one valid JSON document of its shape (never an empty document) in which
# the hostile strings come back byte for byte; actions that refuse a
# hostile name with --json exit non-zero and never print an empty document
# with exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
. "$(dirname "$0")/hostile.inc"
cd "$TMP" || exit 1
hostile_setup
# very long: a 1 MiB payload description is kept (the body is stored whole);
# a 64 KiB allow-list entry is more than a kext policy record keeps and is
# refused at the door, naming its key path, never cut
python3 - "$HP_DIR" <<'PY'
import plistlib, sys
d = sys.argv[1]
long_id = "com.ex.long." + ("\"\\\U0001F600\u202e\n" * 9000)[:65536]
desc = "\"q\\b\x01\n\U0001F600" * 150000
def prof(ident, entry, description):
    return {"PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": ident,
            "PayloadUUID": "0F0F0F0F-0000-4000-8000-0000000000AA", "PayloadDisplayName": "Long",
            "PayloadContent": [{"PayloadType": "com.apple.syspolicy.kernel-extension-policy",
                                "PayloadVersion": 1, "PayloadIdentifier": ident + ".kx",
                                "PayloadUUID": "0F0F0F0F-0000-4000-8000-0000000000AB",
                                "PayloadDescription": description,
                                "AllowedKernelExtensions": {"QQQQQ77777": [entry]}}]}
plistlib.dump(prof("com.example.long", "com.ex.fine", desc), open(d + "/long.mobileconfig", "wb"),
              fmt=plistlib.FMT_BINARY)
plistlib.dump(prof("com.example.longbad", long_id, "d"), open(d + "/longbad.mobileconfig", "wb"),
              fmt=plistlib.FMT_BINARY)
open(d + "/long.desc", "w", newline="").write(desc)
PY
t setup.long_profile "$MX" mdm install-profile "$HP_DIR/long.mobileconfig"
t_exit 66 setup.longbad_refused "$MX" mdm install-profile "$HP_DIR/longbad.mobileconfig"
t_grep setup.longbad_names_key 'AllowedKernelExtensions.QQQQQ77777\[0\]: expected a bundle identifier of 1 to 255 bytes, got [0-9]+ bytes' \
    "$MX" mdm install-profile "$HP_DIR/longbad.mobileconfig"
t_json setup.longbad_not_installed '[p["identifier"] for p in j if "longbad" in p["identifier"]]' '[]' \
    "$MX" profiles list --json
printf 'inputs:\n  p: { profile: %s }\nfleet: { arch: [arm64], macos: ["15.1"], enrollment: [automated] }\ntimeline:\n  - install-profile: p\n' \
    "$HP_DIR/mdm.mobileconfig" > "$TMP/plan.yaml"
t verbs "$MX" help verbs --json
printf '%s' "$OUT" >"$TMP/verbs.json"

MACEXT="$MX" BIN="$BIN" CASE="$CASE" HP_DIR="$HP_DIR" HX_APP="$HX_APP" HX_NAME="$HX_NAME" CA="$CA" \
    TMPD="$TMP" python3 - "$TMP/verbs.json" <<'PY'
import json, os, subprocess, sys

rows = json.load(open(sys.argv[1]))
case, hp = os.environ["CASE"], os.environ["HP_DIR"]
mdm_id, hand_id = (open(hp + "/%s.id" % n, newline="").read() for n in ("mdm", "hand"))
desc = open(hp + "/long.desc", newline="").read()
app, ca, team_name = os.environ["HX_APP"], os.environ["CA"], os.environ["HX_NAME"]
H_TAIL = mdm_id[len("com.example.mdm"):len("com.example.mdm") + 40]   # the hostile part

ARGS = {
    "macext profiles show": [mdm_id],
    "macext profiles validate": [hp + "/mdm.mobileconfig"],
    "macext preflight": [os.environ["TMPD"] + "/plan.yaml"],
    "macext codesign verify": [app, "--trust-anchor", ca + "/root.pem"],
}
# what each verb must give back exactly (a string of the document equal to,
# or for log/alert lines containing, each): the proof nothing was dropped
EXACT = {
    "macext profiles list": [mdm_id, hand_id],
    "macext profiles show": [mdm_id],
    "macext profiles validate": [mdm_id],
}
CONTAINS = {
    "macext log": [H_TAIL],
    "macext alerts": [team_name],
    "macext codesign verify": [team_name],
}
EMPTY_OK = {"macext mdm status"}

def say(ok, n, *lines):
    print(("PASS " if ok else "FAIL ") + case + "." + n)
    if not ok:
        for l in lines:
            print("  " + str(l)[:1500])

def strings(j):
    if isinstance(j, str):
        yield j
    elif isinstance(j, list):
        for x in j:
            yield from strings(x)
    elif isinstance(j, dict):
        for k, v in j.items():
            yield k
            yield from strings(v)

def exe(prog):
    return os.environ["MACEXT"] if prog == "macext" else os.path.join(os.environ["BIN"], prog)

def run_json(argv):
    p = subprocess.run([exe(argv[0])] + argv[1:] + ["--json"], capture_output=True)
    try:
        j = json.loads(p.stdout.decode("utf-8"))   # strict: valid UTF-8, one document
        ok = True
    except (ValueError, UnicodeDecodeError) as e:
        j, ok = e, False
    return p, j, ok

ran = 0
for r in rows:
    if r["json"] not in ("list", "show"):
        continue
    k = r["program"] + (" " + r["verb"] if r["verb"] else "")
    name = k.replace(" ", "_")
    prog = r["program"].split()
    p, j, ok = run_json(prog + ([r["verb"]] if r["verb"] else []) + ARGS.get(k, []))
    ran += 1
    say(p.returncode == 0, "exit0." + name, "exit %d" % p.returncode, p.stderr[:400])
    say(ok, "valid_json." + name, j, p.stdout[:300], p.stderr[:300])
    if not ok:
        continue
    if r["json"] == "list":
        say(isinstance(j, list) and (len(j) > 0 or k in EMPTY_OK), "nonempty_array." + name, str(j)[:300])
    else:
        say(isinstance(j, dict) and len(j) > 0, "nonempty_object." + name, str(j)[:300])
    got = set(strings(j))
    for want in EXACT.get(k, []):
        say(want in got, "lossless.%s.%d" % (name, EXACT[k].index(want)), repr(want[:120]),
            sorted(s[:80] for s in got)[:40])
    for want in CONTAINS.get(k, []):
        say(any(want in s for s in got), "lossless_in.%s.%d" % (name, CONTAINS[k].index(want)),
            repr(want[:120]), str(j)[:600])
say(ran >= 15, "ran_them_all", ran)

# the allow-list entries of the MDM profile come back exactly in the merged policy
pol = json.loads(subprocess.run([exe("macext"), "profiles", "policy", "--json"], capture_output=True).stdout)
allp = set(strings(pol))
H = mdm_id[len("com.example.mdm"):].rstrip("x")
say("com.ex.kx" + H in allp and "com.ex.sx" + H in allp, "lossless.policy_entries",
    repr(H[:80]), sorted(s[:60] for s in allp)[:40])
# the long description survives profiles show --json (in the payloads' XML)
pj = json.loads(subprocess.run([exe("macext"), "profiles", "show", "com.example.long", "--json"],
                               capture_output=True).stdout)
say(any(desc in s for s in strings(pj)), "lossless.long_profile_show", str(pj)[:300])

# actions over hostile names with --json: a refusal exits non-zero; whatever
# is printed on stdout is a valid document or nothing — never nothing with 0
ACTIONS = [
    (["macext", "mdm", "remove-profile", hand_id], False),
    (["macext", "profiles", "remove", mdm_id, "--as", "admin:pw"], False),
    (["macext", "profiles", "install", hp + "/mdm.mobileconfig", "--as", "admin:pw"], False),
    (["macext", "profiles", "show", hand_id + "-absent"], False),
    (["macext", "device", "show", "no\nsuch\x1b[2J\"dev\\"], False),
    (["macext", "approve", "kext", "com.ex.kx" + H, "--as", "bob:pw"], False),
]
for i, (argv, succeeds) in enumerate(ACTIONS):
    p, j, ok = run_json(argv)
    n = "action.%d.%s_%s" % (i, argv[1], argv[2])
    say((p.returncode == 0) == succeeds, n + ".exit", "exit %d" % p.returncode, p.stderr[:300])
    say(p.stdout.strip() == b"" and p.returncode != 0 or ok, n + ".no_empty_success",
        p.stdout[:200], p.stderr[:200])
PY
