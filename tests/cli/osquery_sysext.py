#!/usr/bin/python3
"""osquery_sysext.py DB.PLIST — the rows osquery's `system_extensions` table
would return for a /Library/SystemExtensions/db.plist, as JSON (a list of
objects), written here from osquery's documented table
(specs/darwin/system_extensions.table and its implementation's behaviour:
path = originPath, UUID = uniqueID, state, identifier, version =
bundleVersion.CFBundleShortVersionString, category = the categories joined
with ", ", bundle_path = container.bundlePath, team = teamID; mdm_managed = 1
when some extensionPolicies element lists the team in allowedTeamIDs or the
identifier under allowedExtensions[team], and 0 when the team is empty).
Quirk kept from osquery: the scan of the policies stops at the first element
that has no allowedExtensions.  Python 3 standard library only; shares no
code with macext."""
import json
import plistlib
import sys


def policy_flag(db, team, ident):
    for pol in db.get("extensionPolicies") or []:
        if team in (pol.get("allowedTeamIDs") or []):
            return 1
        exts = pol.get("allowedExtensions")
        if exts is None:
            return 0
        if ident in (exts.get(team) or []):
            return 1
    return 0


def main():
    with open(sys.argv[1], "rb") as f:
        db = plistlib.load(f)
    rows = []
    for e in db.get("extensions", []):
        cont = e.get("container")
        row = {
            "path": e.get("originPath", ""),
            "UUID": e.get("uniqueID", ""),
            "state": e.get("state", ""),
            "identifier": e.get("identifier", ""),
            "version": e.get("bundleVersion", {}).get("CFBundleShortVersionString", ""),
            "category": ", ".join(e["categories"]),
            "bundle_path": cont.get("bundlePath", "") if isinstance(cont, dict) else "",
            "team": e.get("teamID", ""),
            "mdm_managed": 0,
        }
        if row["team"]:
            row["mdm_managed"] = policy_flag(db, row["team"], row["identifier"])
        rows.append(row)
    print(json.dumps(rows, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
