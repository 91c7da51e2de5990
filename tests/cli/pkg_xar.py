#!/usr/bin/python3
"""pkg_xar.py — edits a xar archive (a flat .pkg) for the pkg tests, from
the xar layout (header: "xar!", u16 header size, u16 version, u64 TOC
compressed length, u64 TOC length, u32 checksum algorithm; the zlib TOC;
the heap, whose first bytes are the TOC checksum at the TOC's
<checksum><offset>), independent of macext and libarchive.

  pkg_xar.py toc IN              prints the TOC XML
  pkg_xar.py edit IN OUT PY      rewrites the TOC with Python expression PY over
                                 `toc` (a str), recomputing the TOC checksum
  pkg_xar.py corrupt-toc IN OUT  flips a byte inside the compressed TOC
  pkg_xar.py bad-checksum IN OUT flips a byte of the stored TOC checksum
  pkg_xar.py flip-member IN OUT NAME   flips the first byte of member NAME's data
"""
import hashlib
import re
import struct
import sys
import zlib


def load(path):
    d = open(path, "rb").read()
    if d[:4] != b"xar!":
        raise SystemExit("not xar")
    hs, ver, clen, ulen, alg = struct.unpack(">HHQQI", d[4:28])
    toc = zlib.decompress(d[hs:hs + clen]).decode()
    return d, hs, ver, alg, clen, toc


def member_offset(toc, name):
    # the <file> whose <name> is the last component, in a flat walk
    for m in re.finditer(r"<file id=\"\d+\">\s*<name>([^<]*)</name>(.*?)</file>", toc, re.S):
        if m.group(1) == name:
            off = re.search(r"<offset>(\d+)</offset>", m.group(2))
            return int(off.group(1))
    raise SystemExit("no member " + name)


def main():
    cmd, src = sys.argv[1], sys.argv[2]
    d, hs, ver, alg, clen, toc = load(src)
    heap = bytearray(d[hs + clen:])
    if cmd == "toc":
        print(toc)
        return 0
    out = sys.argv[3]
    if cmd == "corrupt-toc":
        b = bytearray(d)
        b[hs + clen // 2] ^= 0x40
        open(out, "wb").write(b)
        return 0
    if cmd == "bad-checksum":
        heap[0] ^= 1
    elif cmd == "flip-member":
        heap[member_offset(toc, sys.argv[4])] ^= 1
    elif cmd == "edit":
        toc = eval(sys.argv[4], {"toc": toc, "re": re})
    else:
        return 2
    raw = toc.encode()
    comp = zlib.compress(raw)
    if cmd == "edit":
        heap[0:20] = hashlib.sha1(comp).digest()
    hdr = b"xar!" + struct.pack(">HHQQI", hs, ver, len(comp), len(raw), alg) + d[28:hs]
    open(out, "wb").write(hdr + comp + bytes(heap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
