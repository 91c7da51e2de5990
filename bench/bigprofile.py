#!/usr/bin/env python3
"""bigprofile.py KIND N [--binary] > F.mobileconfig — forges large configuration
profiles for the cost-curve benchmark and the linear-cost tests (issue 14 §8).

  kext N   one com.apple.syspolicy.kernel-extension-policy payload with N
           entries: N/2 AllowedTeamIdentifiers, N/2 bundle IDs in
           AllowedKernelExtensions spread over at most 4,000 teams (the XML
           reader's per-dictionary cap is 8,192 keys)
  sysext N the same shape for com.apple.system-extension-policy
  wifi N   N com.apple.wifi.managed payloads
  bytes B  a kext allow list grown until the file is about B bytes

Deterministic: the same arguments give the same bytes."""
import plistlib, random, sys, uuid


def build(kind, n, seed):
    r = random.Random(seed)
    u = lambda: str(uuid.UUID(int=r.getrandbits(128))).upper()
    team = lambda i: "T%09d" % i
    if kind in ("kext", "sysext"):
        half = n // 2
        nt = max(1, min(n - half, 4000))
        allowed = {}
        for j in range(n - half):
            allowed.setdefault(team(n + j % nt), []).append("com.example.b%d" % j)
        if kind == "kext":
            pl = {"PayloadType": "com.apple.syspolicy.kernel-extension-policy",
                  "AllowedKernelExtensions": allowed}
        else:
            pl = {"PayloadType": "com.apple.system-extension-policy",
                  "AllowedSystemExtensions": allowed}
        pl.update({"PayloadIdentifier": "com.example.big.%s.payload" % kind, "PayloadUUID": u(),
                   "PayloadVersion": 1, "AllowUserOverrides": True,
                   "AllowedTeamIdentifiers": [team(i) for i in range(half)]})
        content = [pl]
    elif kind == "wifi":
        content = [{"PayloadType": "com.apple.wifi.managed",
                    "PayloadIdentifier": "com.example.wifi.%d" % i, "PayloadUUID": u(),
                    "PayloadVersion": 1, "SSID_STR": "net%d" % i, "EncryptionType": "None"}
                   for i in range(n)]
    else:
        raise SystemExit("bigprofile.py: unknown kind %r" % kind)
    return {"PayloadType": "Configuration", "PayloadIdentifier": "com.example.big.%s.%d" % (kind, n),
            "PayloadUUID": u(), "PayloadVersion": 1, "PayloadDisplayName": "big %s %d" % (kind, n),
            "PayloadContent": content}


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    fmt = plistlib.FMT_BINARY if "--binary" in sys.argv[3:] else plistlib.FMT_XML
    if kind == "bytes":
        # about 31 bytes per entry in the XML form: estimate, then shrink to fit
        m = n // 31
        while True:
            b = plistlib.dumps(build("kext", m, m), fmt=fmt)
            if len(b) <= n:
                break
            m = int(m * n / len(b) * 0.995)
    else:
        b = plistlib.dumps(build(kind, n, n), fmt=fmt)
    sys.stdout.buffer.write(b)


main()
