#!/usr/bin/python3
"""pkg_odc.py OUT KIND — writes a gzip-compressed odc cpio payload for the
pkg tests, built here from the cpio(5) "odc" layout (magic 070707, octal
fields: dev ino mode uid gid nlink rdev mtime namesize filesize, the name
with its NUL, the data; "TRAILER!!!" last), independent of macext and of
libarchive.  KIND names what is wrong with it:

  dotdot      an entry ./Applications/../../etc/x
  absolute    an entry /etc/passwd
  symlink     a link ./Applications/evil -> ../../../etc
  abslink     a link ./Applications/evil -> /etc/passwd
  device      a character device ./dev/null
  huge        an entry whose header claims 600 MiB (and holds none)
  truncated   an entry whose data stops short
  dup         the same path twice
  good        a small valid payload (one file)
"""
import gzip
import sys


def entry(name, mode, data=b"", ino=[1]):
    ino[0] += 1
    nb = name.encode() + b"\0"
    hdr = b"070707" + b"%06o" % 0 + b"%06o" % ino[0] + b"%06o" % mode + b"%06o" % 0 + \
        b"%06o" % 0 + b"%06o" % 1 + b"%06o" % 0 + b"%011o" % 1700000000 + \
        b"%06o" % len(nb) + b"%011o" % len(data)
    return hdr + nb + data


def main():
    out, kind = sys.argv[1], sys.argv[2]
    D, F, L, C = 0o040755, 0o100644, 0o120755, 0o020644
    e = [entry(".", D), entry("./Applications", D)]
    if kind == "dotdot":
        e.append(entry("./Applications/../../etc/x", F, b"x"))
    elif kind == "absolute":
        e.append(entry("/etc/passwd", F, b"root::0:0"))
    elif kind == "symlink":
        e.append(entry("./Applications/evil", L, b"../../../etc"))
    elif kind == "abslink":
        e.append(entry("./Applications/evil", L, b"/etc/passwd"))
    elif kind == "device":
        e.append(entry("./Applications/null", C))
    elif kind == "huge":
        nb = b"./Applications/big\0"
        e.append(b"070707" + b"%06o" % 0 + b"%06o" % 9 + b"%06o" % F + b"%06o" % 0 + b"%06o" % 0 +
                 b"%06o" % 1 + b"%06o" % 0 + b"%011o" % 0 + b"%06o" % len(nb) +
                 b"%011o" % (600 << 20) + nb)
    elif kind == "truncated":
        nb = b"./Applications/short\0"
        e.append(b"070707" + b"%06o" % 0 + b"%06o" % 9 + b"%06o" % F + b"%06o" % 0 + b"%06o" % 0 +
                 b"%06o" % 1 + b"%06o" % 0 + b"%011o" % 0 + b"%06o" % len(nb) +
                 b"%011o" % 4096 + nb + b"abc")
        open(out, "wb").write(gzip.compress(b"".join(e)))
        return 0
    elif kind == "dup":
        e += [entry("./Applications/a", F, b"1"), entry("./Applications/a", F, b"2")]
    elif kind == "good":
        e.append(entry("./Applications/readme.txt", F, b"hello"))
    else:
        return 2
    e.append(entry("TRAILER!!!", 0))
    open(out, "wb").write(gzip.compress(b"".join(e)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
