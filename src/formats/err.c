/*
 * err.c — mx_err helpers, the exit-code table and the allocation wrappers.
 * Sits at the bottom of the layers; everything else includes err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/err.h"

/* code -> exit code and name.  Stable: scripts depend on them (docs/cli.md). */
static const struct { int exit; const char *name; } codes[MX_NCODES] = {
	[MX_OK]         = { 0,  "ok" },
	[MX_EUSAGE]     = { 64, "usage" },        /* EX_USAGE */
	[MX_EFORMAT]    = { 65, "format" },       /* EX_DATAERR */
	[MX_EINVALID]   = { 66, "invalid" },
	[MX_ENOTFOUND]  = { 67, "not-found" },
	[MX_EEXIST]     = { 68, "exists" },
	[MX_EDENIED]    = { 77, "denied" },       /* EX_NOPERM */
	[MX_ESIGNATURE] = { 69, "signature" },
	[MX_ESTATE]     = { 70, "state" },
	[MX_EIO]        = { 74, "io" },           /* EX_IOERR */
	[MX_EBUSY]      = { 75, "busy" },         /* EX_TEMPFAIL */
	[MX_ETOOBIG]    = { 71, "too-big" },
	[MX_ENOMEM]     = { 72, "no-memory" },
};

int
mx_fail(mx_err *err, int code, uint64_t offset, const char *file, int line,
    const char *fmt, ...)
{
	if (code == MX_OK)
		code = MX_EINVALID;
	if (err == NULL)
		return code;
	err->code = code;
	err->domain = MX_DOM_NONE;      /* a new failure: no domain unless its caller sets one */
	err->subcode = 0;
	err->offset = offset;
	err->src_file = file;
	err->src_line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

int
mx_err_domain(mx_err *err, int domain, int subcode, int code)
{
	if (err) {
		err->domain = domain;
		err->subcode = subcode;
	}
	return code;
}

const char *
mx_domain_name(int domain)
{
	static const char *const names[MX_NDOMAINS] = {
		[MX_DOM_NONE] = "", [MX_DOM_SYSEXT] = "OSSystemExtensionErrorDomain",
		[MX_DOM_KMERROR] = "KMErrorDomain", [MX_DOM_MDM] = "MCMDMErrorDomain",
		[MX_DOM_PROFILE] = "MCProfileErrorDomain", [MX_DOM_INSTALL] = "MCInstallationErrorDomain",
		[MX_DOM_TOOL] = "", [MX_DOM_MDMCLIENT] = "MDMClientError",
	};
	return domain > 0 && domain < MX_NDOMAINS ? names[domain] : "";
}

void
mx_err_where(mx_err *err, const char *fmt, ...)
{
	if (err == NULL)
		return;
	char prefix[256], old[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->where, sizeof old);
	size_t pl = strnlen(prefix, sizeof err->where - 1);
	memcpy(err->where, prefix, pl);
	size_t ol = strnlen(old, sizeof err->where - 1 - pl);
	memcpy(err->where + pl, old, ol);
	err->where[pl + ol] = '\0';
}

void
mx_err_clear(mx_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof *err);
	err->offset = MX_NO_OFFSET;
}

int
mx_exit_code(int code)
{
	if (code < 0 || code >= MX_NCODES)
		return 1;
	return codes[code].exit;
}

const char *
mx_code_name(int code)
{
	if (code < 0 || code >= MX_NCODES)
		return "unknown";
	return codes[code].name;
}

static void *
oom(void)
{
	fputs("macext: out of memory\n", stderr);
	abort();
}

void *
mx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *
mx_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom();
}

void *
mx_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom();
}

char *
mx_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	return p ? p : oom();
}
