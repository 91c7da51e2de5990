/*
 * pkg.c — Installer placing a flat package's payload on the simulated Mac
 * as one operation (docs/pkg.md "Where Installer puts it").  The front end
 * reads and checks the whole package (src/formats/pkg*.c) and extracts the
 * payload roots into a directory of its own; mx_engine_import_pkg then
 * imports every root for the device outside any transaction — apps and
 * kexts as `app install` and `kext install` import them (copied once into
 * the content store, read and verified from the stored copy), trees and
 * files stored as they are — and refuses the package when any root cannot
 * be imported or a bundle's signature is invalid.  mx_op_pkg_install places
 * every root in the op's one transaction (files, then kexts, then apps), so
 * a failure at the last root leaves nothing of the package on the Mac.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

void
mx_pkg_import_free(mx_pkg_import *p)
{
	if (p == NULL)
		return;
	free(p->roots);
	p->roots = NULL;
	p->n = 0;
}

/* Names the root a failure is about: "Acme.pkg: /Applications/Acme.app". */
static void
err_root(mx_err *err, const char *pkg, const char *devpath)
{
	if (err->where[0])
		mx_err_where(err, "%.100s: %.140s: ", pkg, devpath);
	else
		mx_err_where(err, "%.100s: %.140s", pkg, devpath);
}

static void
expiry_merge(mx_expiry *to, const mx_expiry *from)
{
	for (int i = 0; i < from->n && to->n < MX_EXPIRY_MAX; i++)
		to->e[to->n++] = from->e[i];
}

/* Imports one root into r; 0 or the error (err), not yet naming the root. */
static int
import_root(mx_engine *e, const char *device, const mx_verify_opts *vo,
    const mx_pkg_root_src *src, mx_pkg_root_import *r, mx_err *err)
{
	int rc;
	switch (src->kind) {
	case MX_PLACE_APP:
		if ((rc = mx_engine_import_app_opts(e, src->host_path, device, vo, &r->app))) {
			*err = r->app.err;
			return rc;
		}
		if (r->app.invalid[0])
			return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "invalid signature: %s",
			    r->app.invalid);
		return 0;
	case MX_PLACE_KEXT:
		if ((rc = mx_engine_import_kext_opts(e, src->host_path, device, vo, &r->kext))) {
			*err = r->kext.err;
			return rc;
		}
		if (r->kext.facts.sig == MX_KSIG_INVALID)
			return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "%s: invalid signature: %s",
			    r->kext.name, r->kext.sig_reason);
		return 0;
	case MX_PLACE_TREE:
	case MX_PLACE_FILE:
		return mx_engine_import_bundle(e, src->host_path, r->hash, err);
	}
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "unknown placement %d", (int)src->kind);
}

int
mx_engine_import_pkg(mx_engine *e, const char *name, const char *device,
    const mx_verify_opts *vo, const mx_pkg_root_src *roots, size_t n, mx_pkg_import *out)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->err);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->roots = mx_xcalloc(n ? n : 1, sizeof *out->roots);
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		mx_pkg_root_import *r = &out->roots[i];
		r->kind = roots[i].kind;
		snprintf(r->device_path, sizeof r->device_path, "%s", roots[i].device_path);
		if ((out->rc = import_root(e, device, vo, &roots[i], r, &out->err))) {
			/* every root is checked before any is placed: the first that
			 * fails refuses the package, named by where it would go */
			err_root(&out->err, name, r->device_path);
			return out->rc;
		}
		expiry_merge(&out->expired, r->kind == MX_PLACE_APP ? &r->app.expired :
		    &r->kext.expired);
	}
	return 0;
}

/* Places the roots of kind k, in the package's order. */
static int
place_kind(mx_op *op, const mx_pkg_import *p, enum mx_pkg_place k, mx_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const mx_pkg_root_import *r = &p->roots[i];
		if (r->kind != k)
			continue;
		int rc = k == MX_PLACE_APP ? mx_op_app_install(op, &r->app, NULL, err) :
		    k == MX_PLACE_KEXT ? mx_op_kext_install(op, &r->kext, NULL, err) :
		    mx_op_file_place(op, r->device_path, r->hash, "pkg install", err);
		if (rc) {
			err_root(err, p->name, r->device_path);
			return rc;
		}
	}
	return 0;
}

int
mx_op_pkg_install(mx_op *op, const mx_pkg_import *p, mx_err *err)
{
	mx_device *d = &op->d;
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	if (p->rc) {
		*err = p->err;
		return p->rc;
	}
	/* plain files first, then kexts, then apps (an app may activate what it carries) */
	static const enum mx_pkg_place order[] = { MX_PLACE_TREE, MX_PLACE_FILE, MX_PLACE_KEXT,
		MX_PLACE_APP };
	int rc;
	for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
		if ((rc = place_kind(op, p, order[o], err)))
			return rc;
	char what[400];
	snprintf(what, sizeof what, "package %.255s installed (%zu payload root%s)", p->name, p->n,
	    p->n == 1 ? "" : "s");
	return mx_op_event(op, "installer", what, "pkg install", err);
}
