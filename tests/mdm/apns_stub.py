#!/usr/bin/env python3
"""apns_stub.py — a stand-in for the agent's APNs stand-in, for the
conformance server's own tests: it accepts POST /3/device/<token> over plain
HTTP/1.1, appends one JSON line per push (path, apns-topic, body) to LOG,
and answers 200, or 400 {"reason":"BadDeviceToken"} for tokens that are not
64 hex digits (APNs' own error body).  Writes its port to PORTFILE.

  apns_stub.py LOG PORTFILE
"""
import http.server
import json
import re
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps({"path": self.path, "topic": self.headers.get("apns-topic"),
                                "body": body}) + "\n")
        m = re.fullmatch(r"/3/device/([0-9a-f]{64})", self.path)
        out = b"" if m else json.dumps({"reason": "BadDeviceToken"}, separators=(",", ":")).encode()
        self.send_response(200 if m else 400)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
