/*
 * plist_int.h — what the property-list files of src/formats share: the
 * strict scalar checks of the XML pre-scan (plist_scalar.c) and the
 * binary writer's and re-indexer's internals (plist_write.c).  Only
 * src/formats/ and the unit tests include this.
 */
#ifndef MACEXT_PLIST_INT_H
#define MACEXT_PLIST_INT_H

#include <stddef.h>
#include <stdint.h>

/* Each checks the raw text t[0..n) of one XML scalar element and returns
 * NULL when it is a value macOS reads and libplist 2.2 reads the same way,
 * else a sentence saying what is wrong (static storage, or written into
 * buf[0..len) and returned). */
const char *mx_plist_check_integer(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_real(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_date(const uint8_t *t, size_t n, char *buf, size_t len);
const char *mx_plist_check_data(const uint8_t *t, size_t n, char *buf, size_t len);

#endif
