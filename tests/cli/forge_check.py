#!/usr/bin/env python3
"""forge_check.py — an independent reader of forged bundles for the forge
tests (tests/cli/forge_*.sh).  Written from the format notes
(docs/reference/formats-and-peers.md §1.2-1.11) with the Python standard
library only; it shares no code with macext.

  forge_check.py dump PATH            JSON: every slice, blob, CodeDirectory,
                                      recomputed page/special-slot hashes, cdhashes,
                                      decoded requirement and entitlements
  forge_check.py compare PATH FORGE.json
                                      "ok" when the recomputed cdhashes, digests,
                                      page counts and special slots agree with what
                                      forge printed; else one line per difference
  forge_check.py extract PATH SLICE DIR
                                      writes DIR/cd0.bin (slot-0 CodeDirectory),
                                      DIR/cms.der (CMS payload), DIR/cd1.bin if any
"""
import hashlib
import json
import os
import plistlib
import struct
import sys

HASHES = {1: ("sha1", 20), 2: ("sha256", 32), 3: ("sha256", 20), 4: ("sha384", 48)}


def be32(b, o):
    return struct.unpack_from(">I", b, o)[0]


def be64(b, o):
    return struct.unpack_from(">Q", b, o)[0]


def slices(data):
    """[(offset, size)] of the thin Mach-O files in data."""
    magic = be32(data, 0)
    if magic == 0xcafebabe:
        n = be32(data, 4)
        out = []
        for i in range(n):
            cpu, sub, off, size, align = struct.unpack_from(">iiIII", data, 8 + 20 * i)
            out.append((off, size, align))
        return out
    return [(0, len(data), 0)]


def load_commands(m):
    magic, cpu, sub, ftype, ncmds, sizeofcmds, flags = struct.unpack_from("<IiiIIII", m, 0)
    assert magic == 0xfeedfacf, "not a 64-bit little-endian Mach-O"
    off = 32
    cmds = []
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", m, off)
        cmds.append((cmd, off, size))
        off += size
    return cpu, ftype, cmds


def digest(t, data):
    name, size = HASHES[t]
    return hashlib.new(name, data).digest()[:size]


def full_digest(t, data):
    return hashlib.new(HASHES[t][0], data).digest()


def parse_req_ops(b, o, depth=0):
    """Decodes one requirement expression at b[o:]; returns (text, new offset)."""
    def data(o):
        n = be32(b, o)
        return b[o + 4:o + 4 + n], o + 4 + ((n + 3) & ~3)

    def oid(raw):
        arcs, v = [], 0
        for x in raw:
            v = (v << 7) | (x & 0x7f)
            if not x & 0x80:
                arcs.append(v)
                v = 0
        first = arcs[0]
        return ".".join(str(a) for a in [first // 40, first % 40] + arcs[1:])

    def match(o):
        m = be32(b, o)
        o += 4
        if m == 0:
            return "/* exists */", o
        v, o = data(o)
        return {1: "= ", 2: "~ ", 3: "= *", 4: "= "}.get(m, "?") + '"%s"' % v.decode(), o

    def cert(i):
        return {0: "leaf", 0xffffffff: "root"}.get(i, str(i))

    op = be32(b, o)
    o += 4
    if op == 6 or op == 7:
        a, o = parse_req_ops(b, o, depth + 1)
        c, o = parse_req_ops(b, o, depth + 1)
        return "%s %s %s" % (a, "and" if op == 6 else "or", c), o
    if op == 2:
        v, o = data(o)
        return 'identifier "%s"' % v.decode(), o
    if op == 15:
        return "anchor apple generic", o
    if op == 3:
        return "anchor apple", o
    if op == 14:
        i = be32(b, o)
        v, o = data(o + 4)
        m, o = match(o)
        return "certificate %s[field.%s] %s" % (cert(i), oid(v), m), o
    if op == 11:
        i = be32(b, o)
        v, o = data(o + 4)
        m, o = match(o)
        return "certificate %s[%s] %s" % (cert(i), v.decode(), m), o
    raise ValueError("opcode %d not decoded" % op)


def requirements_text(blob):
    assert be32(blob, 0) == 0xfade0c01
    count = be32(blob, 8)
    out = {}
    for i in range(count):
        typ, off = struct.unpack_from(">II", blob, 12 + 8 * i)
        assert be32(blob, off) == 0xfade0c00 and be32(blob, off + 8) == 1
        out[typ] = parse_req_ops(blob, off + 12)[0]
    return out


def der_read(b, o):
    tag = b[o]
    n = b[o + 1]
    o += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[o:o + k], "big")
        o += k
    return tag, b[o:o + n], o + n


def der_value(tag, v):
    if tag == 0x01:
        return v != b"\x00"
    if tag == 0x02:
        return int.from_bytes(v, "big", signed=True)
    if tag == 0x0c:
        return v.decode()
    if tag == 0x30:
        out, o = [], 0
        while o < len(v):
            t, x, o = der_read(v, o)
            out.append(der_value(t, x))
        return out
    if tag == 0xb0:
        out, o, keys = {}, 0, []
        while o < len(v):
            t, pair, o = der_read(v, o)
            assert t == 0x30
            kt, k, p = der_read(pair, 0)
            assert kt == 0x0c
            vt, val, p = der_read(pair, p)
            keys.append(k.decode())
            out[k.decode()] = der_value(vt, val)
        assert keys == sorted(keys), "DER dictionary keys not sorted"
        return out
    raise ValueError("DER tag 0x%x" % tag)


def der_entitlements(blob):
    t, body, _ = der_read(blob, 8)
    assert t == 0x70, "expected [APPLICATION 16]"
    vt, ver, o = der_read(body, 0)
    assert vt == 0x02 and ver == b"\x01"
    dt, d, _ = der_read(body, o)
    return der_value(dt, d)


def read_cd(cd, code, specials):
    version, flags, hash_off, ident_off, nspecial, ncode, limit = struct.unpack_from(">IIIIIII", cd, 8)
    hsize, htype, platform, pshift = struct.unpack_from(">BBBB", cd, 36)
    team_off = be32(cd, 48) if version >= 0x20200 else 0
    out = {
        "version": "0x%x" % version, "flags": flags, "hash_type": HASHES[htype][0],
        "hash_size": hsize, "page_size": 1 << pshift, "code_limit": limit,
        "code_slots": ncode, "special_slots": nspecial,
        "identifier": cd[ident_off:cd.index(b"\0", ident_off)].decode(),
        "team": cd[team_off:cd.index(b"\0", team_off)].decode() if team_off else None,
        "digest": full_digest(htype, cd).hex(), "cdhash": full_digest(htype, cd)[:20].hex(),
    }
    if version >= 0x20400:
        out["exec_seg"] = [be64(cd, 64), be64(cd, 72), be64(cd, 80)]
    page = 1 << pshift
    bad = []
    for i in range(ncode):
        want = cd[hash_off + i * hsize:hash_off + (i + 1) * hsize]
        got = digest(htype, code[i * page:min((i + 1) * page, limit)])
        if got != want:
            bad.append(i)
    out["bad_pages"] = bad
    out["pages_expected"] = (limit + page - 1) // page
    sp = {}
    for k in range(1, nspecial + 1):
        want = cd[hash_off - k * hsize:hash_off - (k - 1) * hsize]
        if want == b"\0" * hsize:
            sp[str(k)] = "unbound"
        elif k in specials and specials[k] is not None:
            sp[str(k)] = "ok" if digest(htype, specials[k]) == want else "MISMATCH"
        else:
            sp[str(k)] = "no-input"
    out["special"] = sp
    return out


def superblob(sig, code, info, resources):
    assert be32(sig, 0) == 0xfade0cc0
    length, count = be32(sig, 4), be32(sig, 8)
    blobs = {}
    for i in range(count):
        typ, off = struct.unpack_from(">II", sig, 12 + 8 * i)
        blen = be32(sig, off + 4)
        assert off + blen <= length
        blobs[typ] = sig[off:off + blen]
    specials = {1: info, 2: blobs.get(2), 3: resources, 5: blobs.get(5), 7: blobs.get(7)}
    out = {"length": length, "slots": sorted(blobs), "cds": []}
    for slot in [0] + [s for s in sorted(blobs) if 0x1000 <= s < 0x1005]:
        if slot in blobs:
            cd = read_cd(blobs[slot], code, specials)
            cd["slot"] = slot
            out["cds"].append(cd)
    if 2 in blobs:
        out["requirements"] = {str(k): v for k, v in requirements_text(blobs[2]).items()}
    if 5 in blobs:
        out["entitlements_xml"] = plistlib.loads(blobs[5][8:])
    if 7 in blobs:
        out["entitlements_der"] = der_entitlements(blobs[7])
    if 0x10000 in blobs:
        out["cms_length"] = len(blobs[0x10000]) - 8
    best = max(out["cds"], key=lambda c: ["sha1", "sha256", "sha384"].index(c["hash_type"]))
    out["cdhash"] = best["cdhash"]
    return out, blobs


def bundle_files(path):
    """(executable path or None, Info.plist bytes, CodeResources bytes, contents dir)"""
    if os.path.isfile(path):
        return path, None, None, None
    contents = os.path.join(path, "Contents")
    info_b = open(os.path.join(contents, "Info.plist"), "rb").read()
    info = plistlib.loads(info_b)
    exe = info.get("CFBundleExecutable")
    cr = os.path.join(contents, "_CodeSignature", "CodeResources")
    res = open(cr, "rb").read() if os.path.exists(cr) else None
    return (os.path.join(contents, "MacOS", exe) if exe else None), info_b, res, contents


def check_resources(contents, res):
    d = plistlib.loads(res)
    bad = []
    for rel, e in d["files2"].items():
        p = os.path.join(contents, rel)
        if "symlink" in e:
            if os.readlink(p) != e["symlink"]:
                bad.append(rel)
            continue
        data = open(p, "rb").read()
        if hashlib.sha256(data).digest() != e["hash2"] or hashlib.sha1(data).digest() != e["hash"]:
            bad.append(rel)
    sealed = set(d["files2"])
    for root, _, files in os.walk(contents):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), contents)
            if rel.startswith("_CodeSignature/") or rel in ("Info.plist", "PkgInfo") or rel.startswith("MacOS/"):
                continue
            if rel not in sealed:
                bad.append("unsealed:" + rel)
    return {"sealed": len(sealed), "bad": bad}


def dump(path):
    exe, info, res, contents = bundle_files(path)
    out = {"slices": []}
    if res is not None:
        out["resources"] = check_resources(contents, res)
    if exe is None:
        sigdir = os.path.join(contents, "_CodeSignature")
        if os.path.exists(os.path.join(sigdir, "CodeDirectory")):
            cd = open(os.path.join(sigdir, "CodeDirectory"), "rb").read()
            reqs = open(os.path.join(sigdir, "CodeRequirements"), "rb").read()
            cms = open(os.path.join(sigdir, "CodeSignature"), "rb").read()
            d = read_cd(cd, b"", {1: info, 2: reqs, 3: res})
            d["requirements"] = {str(k): v for k, v in requirements_text(reqs).items()}
            d["cms_length"] = be32(cms, 4) - 8
            out["detached"] = d
        return out
    data = open(exe, "rb").read()
    out["fat"] = be32(data, 0) == 0xcafebabe
    for off, size, align in slices(data):
        m = data[off:off + size]
        cpu, ftype, cmds = load_commands(m)
        sub = struct.unpack_from("<I", m, 8)[0]
        arch = {0x1000007: "x86_64", 0x100000c: "arm64"}.get(cpu, hex(cpu))
        if arch == "arm64" and sub & 0x00ffffff == 2:
            arch = "arm64e"
        s = {"offset": off, "size": size, "align": align, "cputype": cpu, "cpusubtype": sub,
             "filetype": ftype, "arch": arch,
             "commands": ["0x%x" % c for c, _, _ in cmds]}
        for cmd, o, _ in cmds:
            if cmd == 0x1d:
                dataoff, datasize = struct.unpack_from("<II", m, o + 8)
                s["signature"], _ = superblob(m[dataoff:dataoff + datasize], m, info, res)
                s["dataoff"], s["datasize"] = dataoff, datasize
            if cmd == 0x32:
                s["platform"] = struct.unpack_from("<I", m, o + 8)[0]
        out["slices"].append(s)
    return out


def compare(path, fj):
    d = dump(path)
    f = json.load(open(fj))
    issues = []
    if "resources" in d and bool(d["resources"]["bad"]) != bool(f.get("tampered_resource")):
        issues.append("resources: bad %s, tampered_resource %s" % (d["resources"]["bad"], f.get("tampered_resource")))
    for i, a in enumerate(f.get("arches", [])):
        s = d["slices"][i]
        if a["arch"] != s["arch"] or a["offset"] != s["offset"] or a["size"] != s["size"]:
            issues.append("slice %d: forge says %s@%d+%d, file has %s@%d+%d" % (
                i, a["arch"], a["offset"], a["size"], s["arch"], s["offset"], s["size"]))
        if "cdhash" not in a:
            if "signature" in s:
                issues.append("slice %d: signature present in an unsigned file" % i)
            continue
        sig = s["signature"]
        if sig["cdhash"] != a["cdhash"]:
            issues.append("slice %d: cdhash %s, forge printed %s" % (i, sig["cdhash"], a["cdhash"]))
        for k, cd in enumerate(sig["cds"]):
            fc = a["code_directories"][k]
            if cd["digest"] != fc["digest"] or cd["hash_type"] != fc["type"]:
                issues.append("slice %d CD %d: %s %s, forge printed %s %s" % (
                    i, k, cd["hash_type"], cd["digest"], fc["type"], fc["digest"]))
            if cd["code_slots"] != cd["pages_expected"] or cd["code_limit"] != s["dataoff"]:
                issues.append("slice %d CD %d: %d slots for codeLimit %d (dataoff %d)" % (
                    i, k, cd["code_slots"], cd["code_limit"], s["dataoff"]))
            if cd["code_slots"] != a["code_slots"] or cd["page_size"] != a["page_size"]:
                issues.append("slice %d CD %d: slots/page %d/%d, forge printed %d/%d" % (
                    i, k, cd["code_slots"], cd["page_size"], a["code_slots"], a["page_size"]))
            want_bad = [] if not f.get("tampered") else None
            if want_bad is not None and cd["bad_pages"]:
                issues.append("slice %d CD %d: bad pages %s" % (i, k, cd["bad_pages"]))
            if f.get("tampered") and len(cd["bad_pages"]) != 1:
                issues.append("slice %d CD %d: tampered but bad pages %s" % (i, k, cd["bad_pages"]))
            for slot, st in cd["special"].items():
                if st == "MISMATCH" or st == "no-input":
                    issues.append("slice %d CD %d: special slot %s %s" % (i, k, slot, st))
            if cd["identifier"] != f["bundle_id"] or cd["team"] != f.get("cd_team_id"):
                issues.append("slice %d CD %d: identifier/team %s/%s" % (i, k, cd["identifier"], cd["team"]))
    print("ok" if not issues else "\n".join(issues))


def extract(path, idx, outdir):
    exe, info, res, _ = bundle_files(path)
    data = open(exe, "rb").read()
    off, size, _ = slices(data)[int(idx)]
    m = data[off:off + size]
    _, _, cmds = load_commands(m)
    for cmd, o, _ in cmds:
        if cmd == 0x1d:
            dataoff, datasize = struct.unpack_from("<II", m, o + 8)
            _, blobs = superblob(m[dataoff:dataoff + datasize], m, info, res)
            open(os.path.join(outdir, "cd0.bin"), "wb").write(blobs[0])
            if 0x1000 in blobs:
                open(os.path.join(outdir, "cd1.bin"), "wb").write(blobs[0x1000])
            open(os.path.join(outdir, "cms.der"), "wb").write(blobs[0x10000][8:])
            return
    sys.exit("no LC_CODE_SIGNATURE")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dump":
        print(json.dumps(dump(sys.argv[2]), indent=1, default=str))
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif cmd == "extract":
        extract(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
