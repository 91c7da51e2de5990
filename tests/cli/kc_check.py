#!/usr/bin/python3
"""kc_check.py KC [ID=EXECUTABLE]... — reads a kernel collection (Mach-O
MH_FILESET) independently of macext's parser and prints one line per
LC_FILESET_ENTRY, in order:

    ID CPUTYPE _PrelinkBundlePath same|differs|-

"same" when the entry's bytes (fileoff, _PrelinkExecutableSize) equal the
slice of EXECUTABLE (thin, or the fat slice of the collection's cputype)
given for ID; "-" when none was given.  Exits 1 on a malformed file."""
import plistlib
import struct
import sys

CPU = {0x01000007: "x86_64", 0x0100000C: "arm64"}


def slice_of(path, cputype):
    b = open(path, "rb").read()
    magic = struct.unpack_from(">I", b, 0)[0]
    if magic == 0xCAFEBABE:
        n = struct.unpack_from(">I", b, 4)[0]
        for i in range(n):
            ct, _st, off, size, _al = struct.unpack_from(">iiIII", b, 8 + 20 * i)
            if ct & 0xFFFFFFFF == cputype:
                return b[off:off + size]
        return None
    return b


def main():
    kc = open(sys.argv[1], "rb").read()
    want = dict(a.split("=", 1) for a in sys.argv[2:])
    magic, cpu, _sub, ftype, ncmds, _size = struct.unpack_from("<IIIIII", kc, 0)
    if magic != 0xFEEDFACF or ftype != 0xC:
        print("not a 64-bit MH_FILESET")
        return 1
    off, entries, sects = 32, [], {}
    for _ in range(ncmds):
        cmd, cs = struct.unpack_from("<II", kc, off)
        if cmd == 0x80000035:
            _vm, fo, idoff = struct.unpack_from("<QQI", kc, off + 8)
            end = kc.index(b"\0", off + idoff)
            entries.append((kc[off + idoff:end].decode(), fo))
        elif cmd == 0x19:
            nsects = struct.unpack_from("<I", kc, off + 64)[0]
            for s in range(nsects):
                so = off + 72 + 80 * s
                name = kc[so:so + 16].rstrip(b"\0").decode()
                size = struct.unpack_from("<Q", kc, so + 40)[0]
                fo = struct.unpack_from("<I", kc, so + 48)[0]
                sects[name] = kc[fo:fo + size]
        off += cs
    info = plistlib.loads(sects["__info"].rstrip(b"\0"))
    prelink = {d["CFBundleIdentifier"]: d for d in info["_PrelinkInfoDictionary"]}
    for eid, fo in entries:
        d = prelink[eid]
        size = d["_PrelinkExecutableSize"]
        ecpu = struct.unpack_from("<I", kc, fo + 4)[0]
        verdict = "-"
        if eid in want:
            s = slice_of(want[eid], cpu)
            verdict = "same" if s is not None and kc[fo:fo + size] == s else "differs"
        print(eid, CPU.get(ecpu, hex(ecpu)), d["_PrelinkBundlePath"], verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
