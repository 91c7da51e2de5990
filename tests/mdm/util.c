/*
 * util.c — the conformance MDM server's small helpers: the error type,
 * allocation that aborts on exhaustion, a growable buffer, a bump arena for
 * per-request plist trees, base64 (RFC 4648 §4), hex, random UUIDs
 * (RFC 4122 §4.4) and whole-file reads and atomic writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdms.h"

int
mds_fail(mds_err *err, size_t off, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	err->offset = off;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static void
oom(void)
{
	fputs("mdmserver: out of memory\n", stderr);
	abort();
}

void *
mds_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
mds_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
mds_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
mds_xstrdup(const char *s)
{
	return mds_xstrndup(s, strlen(s));
}

char *
mds_xstrndup(const char *s, size_t n)
{
	char *p = mds_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* ---- buffer ---- */

void
mds_buf_add(mds_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = mds_xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void
mds_buf_adds(mds_buf *b, const char *s)
{
	mds_buf_add(b, s, strlen(s));
}

void
mds_buf_printf(mds_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		mds_buf_add(b, small, (size_t)n);
		return;
	}
	char *big = mds_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	mds_buf_add(b, big, (size_t)n);
	free(big);
}

void
mds_buf_free(mds_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
mds_buf_xml_escape(mds_buf *b, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default: break;
		}
		if (rep == NULL)
			continue;
		mds_buf_add(b, s + run, i - run);
		mds_buf_adds(b, rep);
		run = i + 1;
	}
	mds_buf_add(b, s + run, n - run);
}

/* ---- arena ---- */

struct mds_chunk {
	struct mds_chunk *next;
	size_t size, used;
	max_align_t data[];
};

void *
mds_arena_alloc(mds_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct mds_chunk *c = a->head;
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > 32768 ? n : 32768;
		c = mds_xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
mds_arena_strndup(mds_arena *a, const char *s, size_t n)
{
	char *p = mds_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void
mds_arena_free(mds_arena *a)
{
	struct mds_chunk *c = a->head;
	while (c != NULL) {
		struct mds_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->used = 0;
}

/* ---- base64, hex ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* -1 outside the alphabet, -2 whitespace, -3 '=' */
static int8_t b64tab[256];
static pthread_once_t b64once = PTHREAD_ONCE_INIT;

static void
b64init(void)
{
	memset(b64tab, -1, sizeof b64tab);
	for (int i = 0; i < 64; i++)
		b64tab[(unsigned char)b64chars[i]] = (int8_t)i;
	b64tab[' '] = b64tab['\t'] = b64tab['\r'] = b64tab['\n'] = -2;
	b64tab['='] = -3;
}

int
mds_b64_decode(uint8_t **out, size_t *outlen, const char *s, size_t n)
{
	*out = NULL;
	*outlen = 0;
	uint8_t *p = mds_xmalloc(n / 4 * 3 + 3);
	size_t o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;
	pthread_once(&b64once, b64init);
	/* acc keeps only the bits not yet emitted: mask after each byte */
	for (size_t i = 0; i < n; i++) {
		int v = b64tab[(unsigned char)s[i]];
		if (v == -2)
			continue;
		if (v == -3) {
			pad++;
			continue;
		}
		if (v < 0 || pad) {             /* a character after padding, or outside the alphabet */
			free(p);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* bits left over: 0 (4k characters), 4 (4k+2: "=="), 2 (4k+3: "="); 6
	 * (4k+1) cannot be; padding is optional but, when present, exact */
	size_t want = bits == 4 ? 2 : bits == 2 ? 1 : 0;
	if (bits == 6 || (pad != 0 && pad != want)) {
		free(p);
		return -1;
	}
	*out = p;
	*outlen = o;
	return 0;
}

char *
mds_b64_encode(const uint8_t *p, size_t n)
{
	char *s = mds_xmalloc((n + 2) / 3 * 4 + 1), *o = s;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = b64chars[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = 0;
	return s;
}

void
mds_hex(char *out, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = 0;
}

void
mds_uuid(char out[37])
{
	uint8_t r[16];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			abort();
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	static const char hx[] = "0123456789ABCDEF";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hx[r[i] >> 4];
		*o++ = hx[r[i] & 15];
	}
	*o = 0;
}

double
mds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- files ---- */

int
mds_read_file(uint8_t **out, size_t *len, const char *path, size_t cap, mds_err *err)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mds_fail(err, 0, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return mds_fail(err, 0, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > cap) {
		close(fd);
		return mds_fail(err, 0, "%s: %lld bytes, over the %zu-byte cap", path,
		    (long long)sb.st_size, cap);
	}
	size_t n = (size_t)sb.st_size, got = 0;
	uint8_t *p = mds_xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			free(p);
			return mds_fail(err, got, "%s: short read", path);
		}
		got += (size_t)r;
	}
	close(fd);
	p[n] = 0;
	*out = p;
	*len = n;
	return 0;
}

int
mds_write_file(const char *path, const void *p, size_t n, mds_err *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return mds_fail(err, 0, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return mds_fail(err, 0, "%s: %s", tmp, strerror(errno));
	const uint8_t *b = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, b + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return mds_fail(err, done, "%s: %s", tmp, strerror(errno));
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return mds_fail(err, 0, "%s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return mds_fail(err, 0, "%s: %s", path, strerror(errno));
	}
	return 0;
}
