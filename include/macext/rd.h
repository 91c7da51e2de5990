/*
 * rd.h — the one cursor untrusted bytes go through.
 *
 * A reader covers buf[0..len) and knows the absolute offset of buf[0] in the
 * file (base), so every failure names the byte it happened at.  Reads never
 * go past end; on failure the cursor does not move.
 */
#ifndef MACEXT_RD_H
#define MACEXT_RD_H

#include <stdint.h>
#include <stddef.h>

#include "macext/err.h"

typedef struct mx_rd {
	const uint8_t *start, *p, *end;
	uint64_t base;          /* absolute offset of start */
	const char *what;       /* what is being read, for messages ("Mach-O header") */
} mx_rd;

void mx_rd_init(mx_rd *rd, const uint8_t *buf, size_t len, uint64_t base, const char *what);
/* A sub-reader over [off, off+len) of rd's buffer (relative to rd->start). */
int mx_rd_sub(mx_rd *out, const mx_rd *rd, uint64_t off, uint64_t len, const char *what, mx_err *err);
uint64_t mx_rd_off(const mx_rd *rd);      /* absolute offset of p */
size_t mx_rd_left(const mx_rd *rd);
int mx_rd_seek(mx_rd *rd, uint64_t rel, mx_err *err);   /* relative to start */
int mx_rd_skip(mx_rd *rd, size_t n, mx_err *err);
int mx_rd_bytes(mx_rd *rd, const uint8_t **out, size_t n, mx_err *err);
int mx_rd_u8(mx_rd *rd, uint8_t *out, mx_err *err);
int mx_rd_u16be(mx_rd *rd, uint16_t *out, mx_err *err);
int mx_rd_u32be(mx_rd *rd, uint32_t *out, mx_err *err);
int mx_rd_u64be(mx_rd *rd, uint64_t *out, mx_err *err);
int mx_rd_u32le(mx_rd *rd, uint32_t *out, mx_err *err);
int mx_rd_u64le(mx_rd *rd, uint64_t *out, mx_err *err);
/* A NUL-terminated string starting at p, within end; *out points into the buffer. */
int mx_rd_cstr(mx_rd *rd, const char **out, size_t maxlen, mx_err *err);

/* Big/little endian stores for writers. */
void mx_put_u32be(uint8_t *p, uint32_t v);
void mx_put_u64be(uint8_t *p, uint64_t v);
void mx_put_u32le(uint8_t *p, uint32_t v);
void mx_put_u64le(uint8_t *p, uint64_t v);
uint32_t mx_get_u32be(const uint8_t *p);
/* Lowercase hex of in[0..n) into out (2n+1 bytes, NUL-terminated). */
void mx_hex_encode(char *out, const uint8_t *in, size_t n);
uint32_t mx_get_u32le(const uint8_t *p);

#endif
