/*
 * plist_int.h — what the property-list files of src/formats share: the
 * message helper, the binary pre-scan (plist_bin.c) and the strict scalar
 * checks of the XML pre-scan (plist_scalar.c).  Only src/formats/ and
 * the unit tests include this.
 */
#ifndef MACEXT_PLIST_INT_H
#define MACEXT_PLIST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "macext/err.h"

/* Fails with code at offset off; err->where becomes "name: path" (or
 * "name" when path is empty).  plist.c. */
int mx_plist_failp(mx_err *err, int code, uint64_t off, const char *name, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The binary pre-scan of buf[0..len) ("bplist00..."): 0 when libplist may
 * parse it.  plist_bin.c. */
int mx_plist_bin_scan(const uint8_t *buf, size_t len, const char *name, mx_err *err);

/* Each checks the raw text t[0..n) of one XML scalar element and returns
 * NULL when it is a value macOS reads and libplist 2.2 reads the same way,
 * else a sentence saying what is wrong (static storage, or written into
 * buf[0..len) and returned). */
const char *mx_plist_check_integer(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_real(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_date(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_data(const uint8_t *t, size_t n, char *buf, size_t len);

#endif
