/*
 * pbzx.c — Apple's pbzx framing of xz chunks, the compression of newer
 * installer payloads (Payload members whose first bytes are "pbzx"):
 *
 *   "pbzx"  u64 flags          flags: the chunk size; bit 24 (0x01000000):
 *                              another chunk follows
 *   then while the last flags had bit 24:
 *           u64 flags          this chunk's flags (bit 24: one more follows)
 *           u64 length         bytes of data
 *           data               an xz stream (FD 37 7A 58 5A 00), or the
 *                              chunk stored as it is
 *
 * All integers big-endian.  Each chunk decodes to at most 16 MiB; the whole
 * output to at most the caller's cap; nothing may follow the last chunk.
 * The xz streams are decoded by libarchive's xz filter (Debian's
 * libarchive links liblzma), one chunk at a time, from memory.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/dl_archive.h"

#include "macext/pkg.h"
#include "macext/rd.h"

#define CHUNK_MAX (16u << 20)
#define MORE (1ull << 24)

/* Decodes one xz stream in[0..n) (at absolute offset off) onto out[*len..cap). */
static int
xz_chunk(const uint8_t *in, size_t n, uint64_t off, uint8_t *out, size_t *len, size_t cap,
    mx_err *err)
{
	struct archive *a = sym_archive_read_new();
	struct archive_entry *e;
	int rc = 0;
	if (a == NULL)
		return MX_FAIL(err, MX_ENOMEM, off, "pbzx: out of memory");
	sym_archive_read_support_filter_xz(a);
	sym_archive_read_support_format_raw(a);
	if (sym_archive_read_open_memory(a, in, n) != ARCHIVE_OK ||
	    sym_archive_read_next_header(a, &e) != ARCHIVE_OK ||
	    sym_archive_filter_code(a, 0) != ARCHIVE_FILTER_XZ) {
		rc = MX_FAIL(err, MX_EFORMAT, off, "pbzx: chunk is not an xz stream: %s",
		    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown");
	} else {
		size_t start = *len;
		for (;;) {
			size_t room = cap - *len;
			size_t want = room < 65536 ? room + 1 : 65536;   /* one byte past the cap tells */
			uint8_t tmp[65536];
			la_ssize_t got = sym_archive_read_data(a, tmp, want);
			if (got < 0) {
				rc = MX_FAIL(err, MX_EFORMAT, off, "pbzx: xz chunk: %s",
				    sym_archive_error_string(a) ? sym_archive_error_string(a) : "corrupt");
				break;
			}
			if (got == 0)
				break;
			if ((size_t)got > room || *len - start + (size_t)got > CHUNK_MAX) {
				rc = MX_FAIL(err, MX_ETOOBIG, off, "pbzx: chunk decodes past %s",
				    (size_t)got > room ? "the payload cap" : "16 MiB");
				break;
			}
			memcpy(out + *len, tmp, (size_t)got);
			*len += (size_t)got;
		}
	}
	sym_archive_read_free(a);
	return rc;
}

int
mx_pbzx_decode(const uint8_t *buf, size_t len, size_t cap, uint8_t **out, size_t *out_len,
    mx_err *err)
{
	*out = NULL;
	*out_len = 0;
	mx_rd rd;
	mx_rd_init(&rd, buf, len, 0, "pbzx");
	const uint8_t *magic;
	uint64_t flags;
	int rc;
	if ((rc = mx_rd_bytes(&rd, &magic, 4, err)))
		return rc;
	if (memcmp(magic, "pbzx", 4) != 0)
		return MX_FAIL(err, MX_EFORMAT, 0, "pbzx: bad magic");
	if ((rc = mx_dl_archive(err)))          /* the xz chunks */
		return rc;
	if ((rc = mx_rd_u64be(&rd, &flags, err)))
		return rc;
	/* the output grows as chunks arrive, never past cap */
	size_t have = 0, alloc = 0;
	uint8_t *o = NULL;
	while (rc == 0 && (flags & MORE)) {
		uint64_t clen, off;
		if ((rc = mx_rd_u64be(&rd, &flags, err)) || (rc = mx_rd_u64be(&rd, &clen, err)))
			break;
		off = mx_rd_off(&rd);
		const uint8_t *data;
		if (clen > mx_rd_left(&rd)) {
			rc = MX_FAIL(err, MX_EFORMAT, off, "pbzx: chunk of %llu bytes, %zu left",
			    (unsigned long long)clen, mx_rd_left(&rd));
			break;
		}
		if ((rc = mx_rd_bytes(&rd, &data, (size_t)clen, err)))
			break;
		size_t need = have + CHUNK_MAX < cap ? have + CHUNK_MAX : cap;
		if (need > alloc) {
			alloc = need;
			o = mx_xrealloc(o, alloc ? alloc : 1);
		}
		if (clen >= 6 && memcmp(data, "\xfd" "7zXZ\0", 6) == 0) {
			rc = xz_chunk(data, (size_t)clen, off, o, &have, alloc, err);
		} else if (clen > CHUNK_MAX || have + clen > cap) {
			rc = MX_FAIL(err, MX_ETOOBIG, off, "pbzx: stored chunk past %s",
			    clen > CHUNK_MAX ? "16 MiB" : "the payload cap");
		} else {
			memcpy(o + have, data, (size_t)clen);
			have += (size_t)clen;
		}
	}
	if (rc == 0 && mx_rd_left(&rd) != 0)
		rc = MX_FAIL(err, MX_EFORMAT, mx_rd_off(&rd), "pbzx: %zu bytes after the last chunk",
		    mx_rd_left(&rd));
	if (rc) {
		free(o);
		return rc;
	}
	*out = o ? o : mx_xmalloc(1);
	*out_len = have;
	return 0;
}
