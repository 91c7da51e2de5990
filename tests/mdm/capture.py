#!/usr/bin/env python3
"""capture.py — reads one recorded exchange of ../shared/testdata/mdm-captures/.

Each .http file there holds a request (request line, headers, a blank line,
Content-Length bytes of body), a line "=============== RESPONSE ===============",
and the response.  Line ends are CRLF in headers (LF in some bodies).

  capture.py FILE body            the request body, byte for byte
  capture.py FILE header NAME     a request header's value ("" if absent)
  capture.py FILE method|path     the request line's method or path
  capture.py FILE status          the response status code
  capture.py FILE response-body   the response body (by Content-Length, else the rest)
"""
import sys

SEP = b"=============== RESPONSE ==============="


def split_message(raw):
    """Returns (start line, {header: value}, body) of one HTTP message."""
    end = raw.find(b"\r\n\r\n")
    sep = 4
    lf = raw.find(b"\n\n")
    if end < 0 or (0 <= lf < end):
        end, sep = lf, 2
    head = raw[:end].replace(b"\r\n", b"\n").split(b"\n")
    headers = {}
    for line in head[1:]:
        if b":" in line and not line.startswith(b"#"):
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    rest = raw[end + sep:]
    n = headers.get("content-length")
    # without Content-Length (chunked, recorded de-chunked) the body runs to the end
    body = rest[:int(n)] if n is not None else rest.rstrip(b"\r\n")
    return head[0].decode("latin-1"), headers, body


def main():
    path, what = sys.argv[1], sys.argv[2]
    raw = open(path, "rb").read()
    cut = raw.find(SEP)
    req_raw = raw[:cut] if cut >= 0 else raw
    start, headers, body = split_message(req_raw)
    out = sys.stdout.buffer
    if what == "body":
        out.write(body)
    elif what == "header":
        out.write(headers.get(sys.argv[3].lower(), "").encode())
    elif what == "method":
        out.write(start.split()[0].encode())
    elif what == "path":
        out.write(start.split()[1].encode())
    elif what in ("status", "response-body"):
        resp = raw[cut + len(SEP):].lstrip(b"\r\n")
        rstart, rheaders, rbody = split_message(resp)
        if what == "status":
            out.write(rstart.split()[1].encode())
        else:
            out.write(rbody)
    else:
        sys.exit("unknown field " + what)


if __name__ == "__main__":
    main()
