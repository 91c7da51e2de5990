#!/usr/bin/env python3
# gen_openapi.py — writes docs/openapi.json from the route table of
# src/daemon/serve_router.c (serve_routes[]).  Run it after changing a
# route; tests/unit/test_serve_routes.c fails while the two differ.
#   python3 tools/gen_openapi.py > docs/openapi.json
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = open(os.path.join(ROOT, "src/daemon/serve_router.c")).read()
tbl = src[src.index("const serve_route serve_routes"):src.index("#undef D")]
rows = re.findall(r'\{ (R_\w+), "(\w+)", ((?:D )?"[^"]*"|D), ([^,]+), ([^,]+), (NULL|"[^"]*"),'
                  r'\s*"((?:[^"\\]|\\.)*)"', tbl, re.S)
CT = {"json": "application/json", "plist": "application/x-plist",
      "mobileconfig": "application/x-apple-aspen-config", "archive": "application/octet-stream"}
CREATED = ("R_DEVICES_POST", "R_PROFILES_POST", "R_KEXTS_POST", "R_APPS_POST", "R_FLEET_DEVICES_POST")
paths = {}
for rid, meth, pat, flags, bmax, btype, summ in rows:
    pat = pat.strip()
    if pat == "D":
        p = "/api/v1/devices/{name}"
    elif pat.startswith("D "):
        p = "/api/v1/devices/{name}" + pat[3:-1]
    else:
        p = pat[1:-1]
    op = {"operationId": rid.lower()[2:], "summary": summ.replace('\\"', '"')}
    params = []
    if "{name}" in p:
        params.append({"name": "name", "in": "path", "required": True,
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,63}$"}})
    if "{id}" in p:
        params.append({"name": "id", "in": "path", "required": True,
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$"}})
    if params:
        op["parameters"] = params
    mut = "SR_MUTATES" in flags and "SR_NOAUTH" not in flags
    op["security"] = [{"bearer": []}, {"session": []}] if mut else []
    bt = btype.strip('"') if btype != "NULL" else None
    if bt:
        op["requestBody"] = {"required": bt != "json", "content": {CT[bt]: {}}}
    ok = ("204" if rid in ("R_SESSION_POST", "R_SESSION_DELETE") else "201" if rid in CREATED
          else "202" if rid == "R_MDM_ENROLL" else "200")
    resp = {ok: {"description": "success"}}
    if "SR_SSE" in flags:
        resp = {"200": {"description": "text/event-stream", "content": {"text/event-stream": {}}}}
    elif rid == "R_MDM_COMMAND":
        resp = {"200": {"description": "the response plist", "content": {"application/xml": {}}}}
    elif ok != "204":
        resp[ok]["content"] = {"application/json": {}}
    resp["default"] = {"description": "a problem document", "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}}
    op["responses"] = resp
    paths.setdefault(p, {})[meth.lower()] = op
doc = {"openapi": "3.1.0",
       "info": {"title": "macext serve", "version": "1",
                "description": "The JSON API of `macext serve` (docs/api.md). Documents are the "
                               "CLI's --json documents."},
       "servers": [{"url": "http://127.0.0.1:8460"}],
       "paths": paths,
       "components": {
           "securitySchemes": {
               "bearer": {"type": "http", "scheme": "bearer", "description": "STATE/serve.token"},
               "session": {"type": "apiKey", "in": "cookie", "name": "macext_session"}},
           "schemas": {"Problem": {
               "type": "object", "required": ["type", "title", "status", "detail", "domain", "code"],
               "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                              "status": {"type": "integer"}, "detail": {"type": "string"},
                              "domain": {"type": "string"}, "code": {"type": "integer"},
                              "name": {"type": "string"}}}}}}
sys.stdout.write(json.dumps(doc, indent=2) + "\n")
