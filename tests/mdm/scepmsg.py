#!/usr/bin/env python3
"""scepmsg.py — the test's own SCEP client side (RFC 8894), written apart
from the server's C code: Python's standard library assembles the DER, the
openssl command line does the cryptography (envelope: `openssl cms
-encrypt`; signature: `openssl dgst -sign`).  `openssl cms -sign` cannot add
SCEP's signed attributes (messageType, transactionID, senderNonce), which is
why the SignedData is assembled here.

  scepmsg.py build --type 19|20|17 --key KEY --signer CERT --recipient CACERT
             --content FILE --transid ID [--nonce HEX] [--md sha256|sha1]
             [--cipher aes128|aes256|des3] > pkimessage.der
      --content: the DER CSR (PKCSReq, RenewalReq) or, for GetCertInitial (20),
      the DER CSR from which IssuerAndSubject is built (issuer = CACERT's subject)
  scepmsg.py parse REPLY.der      prints the reply's SCEP attributes as JSON
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

OID = {
    "data": "1.2.840.113549.1.7.1", "signedData": "1.2.840.113549.1.7.2",
    "contentType": "1.2.840.113549.1.9.3", "messageDigest": "1.2.840.113549.1.9.4",
    "sha256": "2.16.840.1.101.3.4.2.1", "sha1": "1.3.14.3.2.26",
    "rsaEncryption": "1.2.840.113549.1.1.1",
    "messageType": "2.16.840.1.113733.1.9.2", "pkiStatus": "2.16.840.1.113733.1.9.3",
    "failInfo": "2.16.840.1.113733.1.9.4", "senderNonce": "2.16.840.1.113733.1.9.5",
    "recipientNonce": "2.16.840.1.113733.1.9.6", "transactionID": "2.16.840.1.113733.1.9.7",
}
NAMES = {v: k for k, v in OID.items()}


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def seq(*items):
    return tlv(0x30, b"".join(items))


def set_of(*items):
    return tlv(0x31, b"".join(sorted(items)))      # DER: SET OF sorted by encoding


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)


def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return tlv(0x02, b)


def read_tlv(buf, i):
    """(tag, header length, body length) of the element at buf[i]."""
    tag = buf[i]
    n = buf[i + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7f
    return tag, 2 + k, int.from_bytes(buf[i + 2:i + 2 + k], "big")


def children(buf):
    """The elements inside a constructed element's body."""
    i, out = 0, []
    while i < len(buf):
        tag, h, n = read_tlv(buf, i)
        out.append((tag, buf[i:i + h + n], buf[i + h:i + h + n]))
        i += h + n
    return out


def body_of(der):
    tag, h, n = read_tlv(der, 0)
    return der[h:h + n]


def cert_fields(cert_der):
    """(issuer Name DER, serial INTEGER DER, subject Name DER) of a certificate."""
    tbs = children(body_of(cert_der))[0][2]
    f = children(tbs)
    if f[0][0] == 0xa0:         # [0] version
        f = f[1:]
    return f[2][1], f[0][1], f[4][1]


def csr_subject(csr_der):
    info = children(body_of(csr_der))[0][2]
    return children(info)[1][1]


def pem_to_der(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                          check=True, capture_output=True).stdout


def build(a):
    md = a.get("md", "sha256")
    signer = pem_to_der(a["signer"])
    content = open(a["content"], "rb").read()
    if a["type"] == "20":
        ca_issuer, _, ca_subject = cert_fields(pem_to_der(a["recipient"]))
        content = seq(ca_subject, csr_subject(content))      # IssuerAndSubject
    with tempfile.TemporaryDirectory() as d:
        cpath = os.path.join(d, "content")
        open(cpath, "wb").write(content)
        env = subprocess.run(["openssl", "cms", "-encrypt", "-binary", "-outform", "DER",
                              "-in", cpath, "-" + a.get("cipher", "aes128"), a["recipient"]],
                             check=True, capture_output=True).stdout
        nonce = bytes.fromhex(a["nonce"]) if "nonce" in a else os.urandom(16)
        attrs = [
            seq(oid(OID["contentType"]), set_of(oid(OID["data"]))),
            seq(oid(OID["messageDigest"]), set_of(tlv(0x04, hashlib.new(md, env).digest()))),
            seq(oid(OID["messageType"]), set_of(tlv(0x13, a["type"].encode()))),
            seq(oid(OID["transactionID"]), set_of(tlv(0x13, a["transid"].encode()))),
            seq(oid(OID["senderNonce"]), set_of(tlv(0x04, nonce))),
        ]
        signed = set_of(*attrs)
        spath = os.path.join(d, "attrs")
        open(spath, "wb").write(signed)
        sig = subprocess.run(["openssl", "dgst", "-" + md, "-sign", a["key"], spath],
                             check=True, capture_output=True).stdout
    issuer, serial, _ = cert_fields(signer)
    alg = seq(oid(OID[md]), b"\x05\x00")
    si = seq(integer(1), seq(issuer, serial), alg, b"\xa0" + signed[1:],
             seq(oid(OID["rsaEncryption"]), b"\x05\x00"), tlv(0x04, sig))
    sd = seq(integer(1), set_of(alg), seq(oid(OID["data"]), tlv(0xa0, tlv(0x04, env))),
             tlv(0xa0, signer), set_of(si))
    sys.stdout.buffer.write(seq(oid(OID["signedData"]), tlv(0xa0, sd)))


def parse(path):
    der = open(path, "rb").read()
    ci = children(body_of(der))
    sd = children(ci[1][2])[0][2]
    parts = children(sd)
    out = {"has_content": False}
    eci = children(parts[2][2])
    out["has_content"] = len(eci) > 1
    si = children(parts[-1][2])[0][2]
    for tag, whole, body in children(si):
        if tag != 0xa0:
            continue
        for _, _, attr in children(body):
            a_oid, a_vals = children(attr)
            dotted = decode_oid(a_oid[2])
            val = children(a_vals[2])[0]
            name = NAMES.get(dotted, dotted)
            out[name] = val[2].hex() if val[0] == 0x04 else val[2].decode("latin-1")
    print(json.dumps(out, sort_keys=True))


def decode_oid(b):
    parts = [b[0] // 40, b[0] % 40]
    v = 0
    for x in b[1:]:
        v = v << 7 | (x & 0x7f)
        if not x & 0x80:
            parts.append(v)
            v = 0
    return ".".join(map(str, parts))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "parse":
        parse(sys.argv[2])
        return
    if len(sys.argv) < 2 or sys.argv[1] != "build":
        sys.exit(__doc__)
    args = sys.argv[2:]
    a = {}
    for i in range(0, len(args), 2):
        a[args[i].lstrip("-")] = args[i + 1]
    for k in ("type", "key", "signer", "recipient", "content", "transid"):
        if k not in a:
            sys.exit("scepmsg.py: --%s is required" % k)
    build(a)


if __name__ == "__main__":
    main()
