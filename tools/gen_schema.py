#!/usr/bin/env python3
"""gen_schema.py — extract Apple's profile-payload schema facts into C.

Reads every mdm/profiles/*.yaml of apple/device-management (the copy in
../shared/testdata/apple-device-management, release Release_iOS-18-1_macOS-15-1)
and writes src/formats/schema_table.c: for each payload type its macOS
payload-level rules (supportedOS.macOS introduced/deprecated/removed,
multiple, allowmanualinstall, requiresdep, userapprovedmdm, supervised,
userenrollment mode, device/user channel) and its keys, recursively (type,
presence, rangelist, range, the key's own macOS introduced/deprecated/removed,
subkeys: the item of an array, the keys of a dict, "ANY" = any key).

YAML aliases share subkey lists (and applicationaccess.new / homescreenlayout
are recursive): each distinct list becomes one C keyset, emitted once, so
cycles are plain pointers.  A key inherits its parent's supportedOS and
overrides only the fields it sets (Apple docs/schema.md); the table stores
only each key's own fields and the validator does the inheriting.

Files that share a payloadtype (six com.apple.MCX files, two
com.apple.extensiblesso) are merged: the union of their keys, first file
(sorted by name) wins on a clash; payload rules from that first file,
introduced = the earliest.

Usage: tools/gen_schema.py [YAML_DIR] > src/formats/schema_table.c
The output is committed; this script is only needed to regenerate it.
"""
import glob
import os
import sys

import yaml

TYPES = {
    '<any>': 'MX_ST_ANY', '<string>': 'MX_ST_STRING', '<integer>': 'MX_ST_INTEGER',
    '<boolean>': 'MX_ST_BOOLEAN', '<array>': 'MX_ST_ARRAY', '<dictionary>': 'MX_ST_DICT',
    '<data>': 'MX_ST_DATA', '<date>': 'MX_ST_DATE', '<real>': 'MX_ST_REAL',
}
UE = {None: 'MX_UE_UNSPECIFIED', 'allowed': 'MX_UE_ALLOWED', 'forbidden': 'MX_UE_FORBIDDEN',
      'required': 'MX_UE_REQUIRED', 'ignored': 'MX_UE_IGNORED'}


def cstr(s):
    if s is None:
        return 'NULL'
    s = str(s)
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += '\\' + ch
        elif ch == '\n':
            out += '\\n'
        elif ord(ch) < 0x20 or ord(ch) > 0x7e:
            for b in ch.encode('utf-8'):
                out += '\\%03o' % b
        else:
            out += ch
    return out + '"'


def rangeval(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, float):
        return repr(v)
    return str(v)


def vers(v):
    if v is None:
        return None
    return str(v)


def vkey(v):
    if v is None or v == 'n/a':
        return (999,)
    return tuple(int(x) for x in str(v).split('.'))


class Gen:
    def __init__(self):
        self.keysets = {}     # id(list) -> index
        self.order = []       # lists, in index order
        self.lines = []

    def keyset(self, keys):
        if keys is None:
            return None
        k = id(keys)
        if k in self.keysets:
            return self.keysets[k]
        idx = len(self.order)
        self.keysets[k] = idx
        self.order.append(keys)
        for key in keys:
            self.keyset(key.get('subkeys'))
        return idx

    def key_c(self, key):
        mac = ((key.get('supportedOS') or {}).get('macOS')) or {}
        rl = key.get('rangelist')
        rng = key.get('range') or {}
        sub = self.keyset(key.get('subkeys'))
        t = key.get('type')
        if t not in TYPES:
            raise SystemExit('unknown type %r for key %r' % (t, key.get('key')))
        rname = 'NULL'
        if rl:
            rname = 'rl%d' % self.nrl
            self.nrl += 1
            self.rls.append('static const char *const %s[] = { %s };' %
                            (rname, ', '.join(cstr(rangeval(v)) for v in rl)))
        return ('\t{ %s, %s, %s, %s, %s, %s, %s, %d, %s, %s, %s, %s, %s },' % (
            cstr(key.get('key')), TYPES[t],
            'true' if key.get('presence') == 'required' else 'false',
            cstr(vers(mac.get('introduced'))), cstr(vers(mac.get('deprecated'))),
            cstr(vers(mac.get('removed'))), rname, len(rl) if rl else 0,
            'true' if 'min' in rng else 'false', 'true' if 'max' in rng else 'false',
            repr(float(rng.get('min', 0))), repr(float(rng.get('max', 0))),
            '&ks%d' % sub if sub is not None else 'NULL'))


def main():
    ydir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'shared', 'testdata',
        'apple-device-management', 'mdm', 'profiles')
    files = sorted(glob.glob(os.path.join(ydir, '*.yaml')))
    if not files:
        raise SystemExit('no YAML in %s' % ydir)
    payloads = {}
    for f in files:
        with open(f) as fh:
            d = yaml.safe_load(fh)
        p = d['payload']
        pt = p['payloadtype']
        mac = (p.get('supportedOS') or {}).get('macOS') or {}
        keys = d.get('payloadkeys') or []
        if pt in payloads:
            old = payloads[pt]
            names = {k.get('key') for k in old['keys']}
            old['keys'] = old['keys'] + [k for k in keys if k.get('key') not in names]
            if vkey(mac.get('introduced')) < vkey(old['mac'].get('introduced')):
                old['mac'] = dict(old['mac'], introduced=mac.get('introduced'))
            old['files'].append(os.path.basename(f))
            continue
        payloads[pt] = {'title': d.get('title'), 'mac': mac, 'keys': list(keys),
                        'files': [os.path.basename(f)]}

    g = Gen()
    g.nrl = 0
    g.rls = []
    roots = {}
    for pt in sorted(payloads):
        roots[pt] = g.keyset(payloads[pt]['keys'])
    keyarrays = []
    for idx, keys in enumerate(g.order):
        rows = [g.key_c(k) for k in keys]
        keyarrays.append((idx, rows))

    o = []
    o.append('/*')
    o.append(' * schema_table.c — GENERATED by tools/gen_schema.py; do not edit.')
    o.append(' * Source: apple/device-management mdm/profiles/ YAML files,')
    o.append(' * release Release_iOS-18-1_macOS-15-1 (commit b6202ca), %d files,' % len(files))
    o.append(' * %d payload types, %d key sets.' % (len(payloads), len(g.order)))
    o.append(' */')
    o.append('#include "formats/schema_int.h"')
    o.append('')
    for i in range(len(g.order)):
        o.append('static const mx_schema_keyset ks%d;' % i)
    o.append('')
    o.extend(g.rls)
    o.append('')
    for idx, rows in keyarrays:
        if rows:
            o.append('static const mx_schema_key k%d[] = {' % idx)
            o.extend(rows)
            o.append('};')
            o.append('static const mx_schema_keyset ks%d = { k%d, %d };' % (idx, idx, len(rows)))
        else:
            o.append('static const mx_schema_keyset ks%d = { NULL, 0 };' % idx)
    o.append('')
    o.append('/* sorted by type (strcmp) for bsearch */')
    o.append('const mx_schema_payload mx_schema_payloads[] = {')
    for pt in sorted(payloads, key=lambda s: s.encode()):
        P = payloads[pt]
        m = P['mac']
        ue = (m.get('userenrollment') or {}).get('mode')
        o.append('\t{ %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, &ks%d }, /* %s */' % (
            cstr(pt), cstr(P['title']), cstr(vers(m.get('introduced'))),
            cstr(vers(m.get('deprecated'))), cstr(vers(m.get('removed'))),
            'true' if m.get('multiple') else 'false',
            'true' if m.get('allowmanualinstall', True) else 'false',
            'true' if m.get('requiresdep') else 'false',
            'true' if m.get('userapprovedmdm') else 'false',
            'true' if m.get('supervised') else 'false',
            'true' if m.get('devicechannel') else 'false',
            'true' if m.get('userchannel') else 'false',
            UE[ue], roots[pt], ', '.join(P['files'])))
    o.append('};')
    o.append('const size_t mx_schema_npayloads = sizeof mx_schema_payloads / sizeof mx_schema_payloads[0];')
    print('\n'.join(o))


if __name__ == '__main__':
    main()
