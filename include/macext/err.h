/*
 * err.h — the one error type every layer fills and passes down.
 *
 * Formats and core never print: they fill an mx_err that names the place
 * (file, key path or byte offset) and say what was expected and what was
 * found.  The CLI prints it as one line and exits with mx_exit_code(code).
 * Codes are few and stable; their exit codes are the table in err.c
 * (docs/cli.md repeats it).  Where Apple defines an error domain for a
 * failure (OSSystemExtensionErrorDomain, KMErrorDomain, MCMDMErrorDomain,
 * ...) the error also carries that domain and Apple's code in it, so each
 * front end maps it (exit code, HTTP status, MDM ErrorChain) without
 * parsing the message (docs/engine.md).
 */
#ifndef MACEXT_ERR_H
#define MACEXT_ERR_H

#include <stdint.h>
#include <stddef.h>

enum mx_code {
	MX_OK = 0,
	MX_EUSAGE,      /* bad command line: flag, argument, value */
	MX_EFORMAT,     /* malformed input bytes (plist, Mach-O, CMS, ...) */
	MX_EINVALID,    /* well-formed input that breaks a rule (schema, policy) */
	MX_ENOTFOUND,   /* unknown device, profile, bundle, extension */
	MX_EEXIST,      /* already exists */
	MX_EDENIED,     /* authentication or authorisation refused */
	MX_ESIGNATURE,  /* a signature that does not verify or is not trusted */
	MX_ESTATE,      /* not possible in the device's current state */
	MX_EIO,         /* file system or store failure */
	MX_EBUSY,       /* the store stayed locked past the timeout */
	MX_ETOOBIG,     /* input over a size cap */
	MX_ENOMEM,
	MX_NCODES
};

/* Error domains: where err->subcode comes from. */
enum mx_domain {
	MX_DOM_NONE = 0,        /* no Apple domain: the mx_code is the whole story */
	MX_DOM_SYSEXT,          /* OSSystemExtensionErrorDomain, 1..13 (sysext.h mx_sx_error) */
	MX_DOM_KMERROR,         /* KMErrorDomain (kmutil): 1 not loadable, 3 not loaded,
	                         * 27 approval required, 28 reboot required, 71 architecture */
	MX_DOM_MDM,             /* MCMDMErrorDomain: 12021 unknown request type, ... */
	MX_DOM_PROFILE,         /* MCProfileErrorDomain: the profile itself is bad */
	MX_DOM_INSTALL,         /* MCInstallationErrorDomain: a good profile that may not install */
	MX_DOM_TOOL,            /* an Apple tool's own exit status (csrutil 1, systemextensionsctl
	                         * 64, the shell's 127): subcode is the status; front ends only */
	MX_DOM_MDMCLIENT,       /* MDMClientError (mdmclient): 89 profile not found, 96 cannot
	                         * replace a profile not installed by the MDM server */
	MX_NDOMAINS
};

typedef struct mx_err {
	int code;
	int domain;             /* enum mx_domain; MX_DOM_NONE unless set */
	int subcode;            /* the code within domain (0 with MX_DOM_NONE) */
	uint64_t offset;        /* byte offset into the input, or UINT64_MAX */
	char where[256];        /* file name, key path, ... */
	char msg[512];
	const char *src_file;   /* where MX_FAIL was called, for --debug */
	int src_line;
} mx_err;

#define MX_NO_OFFSET UINT64_MAX

/* Records an error and returns its code (never 0). err may be NULL. */
int mx_fail(mx_err *err, int code, uint64_t offset, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define MX_FAIL(err, code, off, ...) \
	mx_fail((err), (code), (off), __FILE__, __LINE__, __VA_ARGS__)
/* MX_FAIL that also records Apple's error domain and code. */
#define MX_FAIL_DOM(err, code, domain, subcode, ...) \
	mx_err_domain((err), (domain), (subcode), \
	    mx_fail((err), (code), MX_NO_OFFSET, __FILE__, __LINE__, __VA_ARGS__))
/* Sets err's domain and subcode; returns code (for chaining). err may be NULL. */
int mx_err_domain(mx_err *err, int domain, int subcode, int code);
/* "OSSystemExtensionErrorDomain", "KMErrorDomain", ...; "" for none/tool. */
const char *mx_domain_name(int domain);

/* Prefixes err->where with a path component ("file: " or "Key." style). */
void mx_err_where(mx_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mx_err_clear(mx_err *err);

/* The process exit code for an error code (the table in err.c). */
int mx_exit_code(int code);
const char *mx_code_name(int code);

/* Aborts the process: out of memory is fatal in one place. */
void *mx_xmalloc(size_t n);
void *mx_xcalloc(size_t n, size_t size);
void *mx_xrealloc(void *p, size_t n);
char *mx_xstrdup(const char *s);

#endif
