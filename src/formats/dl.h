/*
 * dl.h — shared libraries opened on first use instead of linked (dl.c).
 *
 * libcurl (the MDM agent), libarchive (packages, uploads, forged packages)
 * and libmicrohttpd (`macext serve`) bring some 40 further libraries with
 * them (Kerberos, LDAP, ICU, libstdc++, GnuTLS); linking them made every
 * command pay for the loader resolving their symbols (docs/performance.md).
 * libssl and libnghttp2 (the agent's TLS pin check and APNs stand-in) are
 * smaller but as unneeded elsewhere.  So the binary links none of them: the
 * verbs that need one call its loader (mx_dl_archive, mx_dl_curl, ...),
 * which dlopens the SONAME once (pthread_once: `macext serve` and the agent
 * are threaded) and fills a table of function pointers named sym_<function>,
 * typed from the library's own header (__typeof__), so a call site reads
 * sym_archive_read_new(a).
 * The pattern is systemd's dlopen for optional dependencies.  A program that
 * links the library anyway (unit tests, the conformance server) gets the
 * same copy from dlopen.
 */
#ifndef MACEXT_FORMATS_DL_H
#define MACEXT_FORMATS_DL_H

#include <pthread.h>
#include <stddef.h>

#include "macext/err.h"

/* One function: its name in the library, and the address of the pointer
 * (typed __typeof__(f) *) that receives it. */
struct mx_dl_sym {
	const char *name;
	void *slot;
};

/* One library.  soname is the ABI the compile-time headers describe
 * ("libarchive.so.13"); package the Debian package that ships it; purpose
 * completes "needed " in the error message. */
struct mx_dl_lib {
	const char *soname;
	const char *package;
	const char *purpose;
	const struct mx_dl_sym *syms;
	size_t nsyms;
	pthread_once_t once;
	int rc;                 /* after the once: 0, or MX_EIO with msg */
	char msg[448];
};

/* X-macro helpers over a library's list of functions X(f). */
#define MX_DL_DECLARE(f) extern __typeof__(f) *sym_##f;
#define MX_DL_DEFINE(f) __typeof__(f) *sym_##f;
#define MX_DL_ENTRY(f) { #f, (void *)&sym_##f },

/* One library's file (dl_curl.c, ...): the sym_ pointers of SYMS (an
 * X-macro list), its table, and its loader int LOADER(mx_err *), which opens
 * SONAME (shipped by PACKAGE; PURPOSE completes "needed ") once. */
#define MX_DL_LIBRARY(LOADER, SYMS, SONAME, PACKAGE, PURPOSE) \
	SYMS(MX_DL_DEFINE) \
	static const struct mx_dl_sym LOADER##_syms[] = { SYMS(MX_DL_ENTRY) }; \
	static struct mx_dl_lib LOADER##_lib = { .soname = SONAME, .package = PACKAGE, \
	    .purpose = PURPOSE, .syms = LOADER##_syms, \
	    .nsyms = sizeof LOADER##_syms / sizeof LOADER##_syms[0], .once = PTHREAD_ONCE_INIT }; \
	static void LOADER##_open(void) { mx_dl_open(&LOADER##_lib); } \
	int LOADER(mx_err *err) \
	{ \
		pthread_once(&LOADER##_lib.once, LOADER##_open); \
		return mx_dl_result(&LOADER##_lib, err); \
	}

/* Opens lib->soname (RTLD_NOW: a missing function shows here, not at a call)
 * and resolves every symbol into its slot; records 0 or an error naming the
 * library in lib->rc and lib->msg.  Run it once, through lib->once: nothing
 * here is locked.  On failure every slot is left NULL. */
void mx_dl_open(struct mx_dl_lib *lib);

/* lib's recorded outcome: 0, or lib->rc with lib->msg in err. */
int mx_dl_result(const struct mx_dl_lib *lib, mx_err *err);

/* The loaders.  Each opens its library on the first call and returns 0 once
 * its sym_ pointers are set, else MX_EIO naming the library; thread-safe,
 * cheap after the first call.  Call one before the first sym_ call of a
 * verb or thread entry point (pthread_create then publishes the pointers to
 * the threads it starts). */
int mx_dl_archive(mx_err *err);         /* dl_archive.h, libarchive.so.13 */
int mx_dl_curl(mx_err *err);            /* daemon/dl_curl.h, libcurl.so.4 */
int mx_dl_mhd(mx_err *err);             /* daemon/dl_mhd.h, libmicrohttpd.so.12 */
int mx_dl_ssl(mx_err *err);             /* daemon/dl_ssl.h, libssl.so.3 */
int mx_dl_nghttp2(mx_err *err);         /* daemon/dl_nghttp2.h, libnghttp2.so.14 */

#endif
