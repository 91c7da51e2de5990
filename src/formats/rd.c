/*
 * rd.c — bounds-checked cursor over untrusted bytes (see rd.h).
 * Every failure is MX_EFORMAT at the absolute offset of the read.
 */
#include <string.h>

#include "macext/rd.h"

void
mx_rd_init(mx_rd *rd, const uint8_t *buf, size_t len, uint64_t base, const char *what)
{
	rd->start = rd->p = buf;
	rd->end = buf + len;
	rd->base = base;
	rd->what = what ? what : "input";
}

uint64_t
mx_rd_off(const mx_rd *rd)
{
	return rd->base + (uint64_t)(rd->p - rd->start);
}

size_t
mx_rd_left(const mx_rd *rd)
{
	return (size_t)(rd->end - rd->p);
}

static int
short_read(mx_rd *rd, size_t n, mx_err *err)
{
	return MX_FAIL(err, MX_EFORMAT, mx_rd_off(rd),
	    "%s: need %zu bytes at offset %llu, only %zu left", rd->what, n,
	    (unsigned long long)mx_rd_off(rd), mx_rd_left(rd));
}

int
mx_rd_sub(mx_rd *out, const mx_rd *rd, uint64_t off, uint64_t len, const char *what, mx_err *err)
{
	uint64_t total = (uint64_t)(rd->end - rd->start);
	if (off > total || len > total - off)
		return MX_FAIL(err, MX_EFORMAT, rd->base + off,
		    "%s: range %llu+%llu is outside the %llu bytes of %s", what,
		    (unsigned long long)off, (unsigned long long)len,
		    (unsigned long long)total, rd->what);
	mx_rd_init(out, rd->start + off, (size_t)len, rd->base + off, what);
	return 0;
}

int
mx_rd_seek(mx_rd *rd, uint64_t rel, mx_err *err)
{
	if (rel > (uint64_t)(rd->end - rd->start))
		return MX_FAIL(err, MX_EFORMAT, rd->base + rel,
		    "%s: offset %llu is past the end (%zu bytes)", rd->what,
		    (unsigned long long)rel, (size_t)(rd->end - rd->start));
	rd->p = rd->start + rel;
	return 0;
}

int
mx_rd_skip(mx_rd *rd, size_t n, mx_err *err)
{
	if (n > mx_rd_left(rd))
		return short_read(rd, n, err);
	rd->p += n;
	return 0;
}

int
mx_rd_bytes(mx_rd *rd, const uint8_t **out, size_t n, mx_err *err)
{
	if (n > mx_rd_left(rd))
		return short_read(rd, n, err);
	*out = rd->p;
	rd->p += n;
	return 0;
}

int
mx_rd_u8(mx_rd *rd, uint8_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 1)
		return short_read(rd, 1, err);
	*out = *rd->p++;
	return 0;
}

int
mx_rd_u16be(mx_rd *rd, uint16_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 2)
		return short_read(rd, 2, err);
	*out = (uint16_t)(rd->p[0] << 8 | rd->p[1]);
	rd->p += 2;
	return 0;
}

uint32_t
mx_get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t
mx_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int
mx_rd_u32be(mx_rd *rd, uint32_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 4)
		return short_read(rd, 4, err);
	*out = mx_get_u32be(rd->p);
	rd->p += 4;
	return 0;
}

int
mx_rd_u32le(mx_rd *rd, uint32_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 4)
		return short_read(rd, 4, err);
	*out = mx_get_u32le(rd->p);
	rd->p += 4;
	return 0;
}

int
mx_rd_u64be(mx_rd *rd, uint64_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 8)
		return short_read(rd, 8, err);
	*out = (uint64_t)mx_get_u32be(rd->p) << 32 | mx_get_u32be(rd->p + 4);
	rd->p += 8;
	return 0;
}

int
mx_rd_u64le(mx_rd *rd, uint64_t *out, mx_err *err)
{
	if (mx_rd_left(rd) < 8)
		return short_read(rd, 8, err);
	*out = (uint64_t)mx_get_u32le(rd->p + 4) << 32 | mx_get_u32le(rd->p);
	rd->p += 8;
	return 0;
}

int
mx_rd_cstr(mx_rd *rd, const char **out, size_t maxlen, mx_err *err)
{
	size_t left = mx_rd_left(rd), lim = left < maxlen ? left : maxlen;
	const uint8_t *nul = memchr(rd->p, 0, lim);
	if (nul == NULL)
		return MX_FAIL(err, MX_EFORMAT, mx_rd_off(rd),
		    "%s: string at offset %llu is not NUL-terminated within %zu bytes",
		    rd->what, (unsigned long long)mx_rd_off(rd), lim);
	*out = (const char *)rd->p;
	rd->p = nul + 1;
	return 0;
}

void
mx_put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

void
mx_put_u64be(uint8_t *p, uint64_t v)
{
	mx_put_u32be(p, (uint32_t)(v >> 32));
	mx_put_u32be(p + 4, (uint32_t)v);
}

void
mx_put_u32le(uint8_t *p, uint32_t v)
{
	p[3] = (uint8_t)(v >> 24); p[2] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);  p[0] = (uint8_t)v;
}

void
mx_put_u64le(uint8_t *p, uint64_t v)
{
	mx_put_u32le(p, (uint32_t)v);
	mx_put_u32le(p + 4, (uint32_t)(v >> 32));
}

void
mx_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}
