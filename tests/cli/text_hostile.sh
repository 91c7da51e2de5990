# text_hostile.sh — issue 14 §4: text output is not a channel for forged
# lines.  A state full of hostile names (hostile.inc: newlines, CR, ESC and
# OSC sequences, BEL, DEL, C1 and bidirectional controls in profile
# identifiers, names and organizations, allow-list entries and Developer ID
# names) is read by every text verb — every list and show verb of the
# command tables (`macext help verbs --json`, so a new verb is run the day
# it is added), the Apple-tool personalities, and the actions that print a
# name when they refuse — and no raw control byte (other than the line
# breaks and tabs of the layout), no C1 or bidirectional control reaches
# stdout or stderr, and no line begins with the forged text.  The names
# come out escaped (mx_text_escape), so the data is still there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
. "$(dirname "$0")/hostile.inc"
cd "$TMP" || exit 1
hostile_setup
printf 'inputs:\n  p: { profile: %s }\nfleet: { arch: [arm64], macos: ["15.1"], enrollment: [automated] }\ntimeline:\n  - install-profile: p\n' \
    "$HP_DIR/mdm.mobileconfig" > "$TMP/plan.yaml"
t verbs "$MX" help verbs --json
printf '%s' "$OUT" >"$TMP/verbs.json"

MACEXT="$MX" BIN="$BIN" CASE="$CASE" HP_DIR="$HP_DIR" HX_APP="$HX_APP" CA="$CA" TMPD="$TMP" \
    python3 - "$TMP/verbs.json" <<'PY'
import json, os, re, subprocess, sys

rows = json.load(open(sys.argv[1]))
case, hp = os.environ["CASE"], os.environ["HP_DIR"]
mdm_id, hand_id = (open(hp + "/%s.id" % n, newline="").read() for n in ("mdm", "hand"))
app, ca = os.environ["HX_APP"], os.environ["CA"]

ARGS = {
    "macext profiles show": [mdm_id],
    "macext profiles validate": [hp + "/mdm.mobileconfig"],
    "macext preflight": [os.environ["TMPD"] + "/plan.yaml"],
    "macext codesign verify": [app, "--trust-anchor", ca + "/root.pem"],
}
# the Apple tools print Apple's text: how each is run here
TEXT = {
    "systemextensionsctl": [["list"]],
    "kmutil load": [["-b", "com.example.h.kext"]],
    "kmutil unload": [["-b", "com.example.absent"]],
    "kmutil showloaded": [[]],
    "kmutil inspect": [[]],
    "kmutil create": [["-n", "aux", "-A", os.environ["TMPD"] + "/x.kc", "-b", "com.example.h.kext"]],
    "kmutil log": [[]],
    "spctl": [["kext-consent", "status"], ["kext-consent", "list"]],
    "csrutil": [["status"]],
    "bputil": [["-d"]],
    "profiles": [["list"], ["show"], ["status", "-type", "enrollment"]],
    "kextstat": [[]],
}
# actions that print a hostile name (refusals and reports; none changes the state)
ACTIONS = [
    ["macext", "mdm", "remove-profile", hand_id],
    ["macext", "mdm", "install-profile", hp + "/hand.mobileconfig"],
    ["macext", "profiles", "remove", mdm_id, "--as", "admin:pw"],
    ["macext", "profiles", "install", hp + "/mdm.mobileconfig", "--as", "admin:pw"],
    ["macext", "profiles", "show", hand_id + "-absent"],
    ["macext", "approve", "sysext", "com.example.h.ext", "--as", "bob:pw"],
    ["macext", "forge", "kext", os.environ["TMPD"] + "/F.kext", "--bundle-id", "com.example.f", "--team",
     "ABCDE12345", "--ca", ca, "--arch", "arm64", "--team-name", "F\nFORGED\x1b[2J\u009b\u202e"],
    ["macext", "codesign", "verify", os.environ["TMPD"] + "/F.kext", "--trust-anchor", ca + "/root.pem"],
]
# verbs whose text must show the hostile data (escaped): proof it was exercised
MUST_CARRY = {"macext profiles list", "macext profiles show", "macext log", "macext alerts",
              "macext codesign verify", "macext profiles validate",
              "macext mdm remove-profile", "macext forge kext", "profiles list"}

BAD = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
FORGED = re.compile(rb"(^|\n)FORGED")

def say(ok, n, *lines):
    print(("PASS " if ok else "FAIL ") + case + "." + n)
    if not ok:
        for l in lines:
            print("  " + str(l)[:1500])

def exe(prog):
    return os.environ["MACEXT"] if prog == "macext" else os.path.join(os.environ["BIN"], prog)

def run(label, argv):
    p = subprocess.run([exe(argv[0])] + argv[1:], capture_output=True)
    for stream, data in (("stdout", p.stdout), ("stderr", p.stderr)):
        m = BAD.search(data)
        say(m is None, "no_raw_controls.%s.%s" % (label, stream),
            "%r at offset %d: %r" % (m.group(0) if m else b"", m.start() if m else 0,
                                     data[max(0, (m.start() if m else 0) - 60):(m.start() if m else 0) + 20]))
        say(FORGED.search(data) is None, "no_forged_line.%s.%s" % (label, stream), data[:600])
    return p

seen = {}
ran = 0
for r in rows:
    k = r["program"] + (" " + r["verb"] if r["verb"] else "")
    label = k.replace(" ", "_")
    prog = r["program"].split()
    if r["json"] in ("list", "show"):
        argv = prog + ([r["verb"]] if r["verb"] else []) + ARGS.get(k, [])
        p = run(label, argv)
        if prog[0] == "macext":
            say(p.returncode == 0, "runs." + label, "exit %d: %s" % (p.returncode, argv), p.stderr[:500])
        seen[k] = p.stdout + p.stderr
        ran += 1
    elif r["json"] == "text":
        for i, extra in enumerate(TEXT.get(k, [[]])):
            p = run("%s.%d" % (label, i), prog + ([r["verb"]] if r["verb"] else []) + extra)
            seen.setdefault(k + (" " + extra[0] if extra and not r["verb"] else ""), b"")
            seen[k + (" " + extra[0] if extra and not r["verb"] else "")] += p.stdout + p.stderr
            ran += 1
for a in ACTIONS:
    k = " ".join(a[:3]) if a[0] == "macext" else a[0]
    p = run("action." + "_".join(a[1:3]), a)
    seen[k] = seen.get(k, b"") + p.stdout + p.stderr
for k in sorted(MUST_CARRY):
    out = seen.get(k, b"")
    say(b"\\nFORGED" in out, "carries_escaped_name." + k.replace(" ", "_"), out[:800])
say(ran >= 30, "ran_them_all", ran)
PY
