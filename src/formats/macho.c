/*
 * macho.c — reads thin and universal Mach-O files for code signing.
 *
 * Layout (formats-and-peers.md §1.2-1.4, xnu EXTERNAL_HEADERS/mach-o/{fat,loader}.h):
 *   fat:    BE magic 0xcafebabe | 0xcafebabf, BE nfat_arch, then nfat_arch
 *           fat_arch (cputype, cpusubtype, offset u32, size u32, align) or
 *           fat_arch_64 (..., offset u64, size u64, align, reserved).
 *   thin:   mach_header{,_64} (28/32 bytes: magic, cputype, cpusubtype,
 *           filetype, ncmds, sizeofcmds, flags[, reserved]) in CPU order, then
 *           ncmds load commands {cmd, cmdsize, ...} within sizeofcmds.
 * Every offset is checked against the slice (offsets in a slice are relative
 * to its start).  Slices must lie in the file and must not overlap, as xnu's
 * fatfile_validate_fatarches() requires.  Nothing is cast onto input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/cs_blobs.h"
#include "macext/macho.h"
#include "macext/rd.h"

static int
rd32(mx_rd *rd, bool sw, uint32_t *v, mx_err *err)
{
	return sw ? mx_rd_u32be(rd, v, err) : mx_rd_u32le(rd, v, err);
}

static int
rd64(mx_rd *rd, bool sw, uint64_t *v, mx_err *err)
{
	return sw ? mx_rd_u64be(rd, v, err) : mx_rd_u64le(rd, v, err);
}

static void
name16(char out[17], const uint8_t *p)
{
	memcpy(out, p, 16);
	out[16] = '\0';
}

bool
mx_macho_sniff(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return false;
	uint32_t be = mx_get_u32be(buf), le = mx_get_u32le(buf);
	return be == MX_FAT_MAGIC || be == MX_FAT_MAGIC_64 || le == MX_MH_MAGIC
	    || le == MX_MH_MAGIC_64 || be == MX_MH_MAGIC || be == MX_MH_MAGIC_64;
}

const char *
mx_macho_arch_name(uint32_t cputype, uint32_t cpusubtype, char *buf, size_t len)
{
	uint32_t sub = cpusubtype & ~MX_CPU_SUBTYPE_MASK;
	switch (cputype) {
	case MX_CPU_TYPE_X86_64:
		return sub == MX_CPU_SUBTYPE_X86_64_H ? "x86_64h" : "x86_64";
	case MX_CPU_TYPE_ARM64:
		return sub == MX_CPU_SUBTYPE_ARM64E ? "arm64e" : "arm64";
	case MX_CPU_TYPE_X86:
		return "i386";
	case MX_CPU_TYPE_ARM:
		return "arm";
	case MX_CPU_TYPE_ARM | 0x02000000u:
		return "arm64_32";
	case MX_CPU_TYPE_POWERPC:
		return "ppc";
	}
	snprintf(buf, len, "cpu-0x%x-0x%x", cputype, cpusubtype);
	return buf;
}

const char *
mx_macho_filetype_name(uint32_t filetype)
{
	static const char *names[] = { "", "object", "execute", "fvmlib", "core", "preload",
	    "dylib", "dylinker", "bundle", "dylib_stub", "dsym", "kext_bundle", "fileset" };
	return filetype < sizeof names / sizeof names[0] && filetype ? names[filetype] : "unknown";
}

static void
slice_free(mx_macho_slice *s)
{
	free(s->segs);
	free(s->sects);
	free(s->fileset);
}

void
mx_macho_free(mx_macho *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->nslices; i++)
		slice_free(&m->slices[i]);
	free(m->slices);
	free(m);
}

/* Grows *arr (elements of size sz) to hold n+1, capped at max. */
static int
grow(void **arr, int n, size_t sz, int max, const char *what, uint64_t off, mx_err *err)
{
	if (n >= max)
		return MX_FAIL(err, MX_ETOOBIG, off, "more than %d %s", max, what);
	if ((n & (n - 1)) == 0)     /* n is 0 or a power of two: double */
		*arr = mx_xrealloc(*arr, (size_t)(n ? 2 * n : 4) * sz);
	return 0;
}

/* segment_command{,_64}: segname[16], vmaddr, vmsize, fileoff, filesize (u32 or
 * u64), maxprot, initprot, nsects, flags; then nsects section{,_64}. */
static int
parse_segment(mx_macho_slice *s, mx_rd *lc, uint32_t cmdsize, mx_err *err)
{
	bool w = s->is64, sw = s->swapped;
	uint64_t at = mx_rd_off(lc) - 8;
	size_t hdr = w ? MX_SEGMENT64_CMD_SIZE : MX_SEGMENT_CMD_SIZE;
	size_t secsz = w ? MX_SECTION64_SIZE : MX_SECTION_SIZE;
	if (cmdsize < hdr)
		return MX_FAIL(err, MX_EFORMAT, at, "segment command: cmdsize %u < %zu", cmdsize, hdr);
	int rc = grow((void **)&s->segs, s->nsegs, sizeof *s->segs, MX_MACHO_MAX_SEGS,
	    "segments", at, err);
	if (rc)
		return rc;
	mx_macho_segment seg;
	memset(&seg, 0, sizeof seg);
	const uint8_t *nm;
	if ((rc = mx_rd_bytes(lc, &nm, 16, err)))
		return rc;
	name16(seg.name, nm);
	if (w) {
		if ((rc = rd64(lc, sw, &seg.vmaddr, err)) || (rc = rd64(lc, sw, &seg.vmsize, err))
		    || (rc = rd64(lc, sw, &seg.fileoff, err)) || (rc = rd64(lc, sw, &seg.filesize, err)))
			return rc;
	} else {
		uint32_t a, b, c, d;
		if ((rc = rd32(lc, sw, &a, err)) || (rc = rd32(lc, sw, &b, err))
		    || (rc = rd32(lc, sw, &c, err)) || (rc = rd32(lc, sw, &d, err)))
			return rc;
		seg.vmaddr = a, seg.vmsize = b, seg.fileoff = c, seg.filesize = d;
	}
	if ((rc = rd32(lc, sw, &seg.maxprot, err)) || (rc = rd32(lc, sw, &seg.initprot, err))
	    || (rc = rd32(lc, sw, &seg.nsects, err)) || (rc = rd32(lc, sw, &seg.flags, err)))
		return rc;
	/* the sections must fit in the command (nsects can be anything on input) */
	if (seg.nsects > (cmdsize - hdr) / secsz)
		return MX_FAIL(err, MX_EFORMAT, at, "segment %s: %u sections do not fit in cmdsize %u",
		    seg.name, seg.nsects, cmdsize);
	/* file-backed bytes must lie in the slice (xnu load_segment) */
	if (seg.fileoff > s->size || seg.filesize > s->size - seg.fileoff)
		return MX_FAIL(err, MX_EFORMAT, at, "segment %s: file range %llu+%llu is outside "
		    "the %llu-byte slice", seg.name, (unsigned long long)seg.fileoff,
		    (unsigned long long)seg.filesize, (unsigned long long)s->size);
	for (uint32_t i = 0; i < seg.nsects; i++) {
		uint64_t soff = mx_rd_off(lc);
		if ((rc = grow((void **)&s->sects, s->nsects, sizeof *s->sects, MX_MACHO_MAX_SECTS,
		    "sections", soff, err)))
			return rc;
		mx_macho_section sec;
		memset(&sec, 0, sizeof sec);
		const uint8_t *sn, *gn;
		if ((rc = mx_rd_bytes(lc, &sn, 16, err)) || (rc = mx_rd_bytes(lc, &gn, 16, err)))
			return rc;
		name16(sec.sectname, sn);
		name16(sec.segname, gn);
		if (w) {
			if ((rc = rd64(lc, sw, &sec.addr, err)) || (rc = rd64(lc, sw, &sec.size, err)))
				return rc;
		} else {
			uint32_t a, b;
			if ((rc = rd32(lc, sw, &a, err)) || (rc = rd32(lc, sw, &b, err)))
				return rc;
			sec.addr = a, sec.size = b;
		}
		uint32_t align, reloff, nreloc;
		if ((rc = rd32(lc, sw, &sec.offset, err)) || (rc = rd32(lc, sw, &align, err))
		    || (rc = rd32(lc, sw, &reloff, err)) || (rc = rd32(lc, sw, &nreloc, err))
		    || (rc = rd32(lc, sw, &sec.flags, err))
		    || (rc = mx_rd_skip(lc, w ? 12 : 8, err)))
			return rc;
		uint32_t type = sec.flags & 0xff;   /* S_ZEROFILL 1, S_GB_ZEROFILL 0xc, S_THREAD_LOCAL_ZEROFILL 0x12 */
		bool zerofill = type == 0x1 || type == 0xc || type == 0x12;
		if (!zerofill && sec.offset != 0 && (sec.offset > s->size || sec.size > s->size - sec.offset))
			return MX_FAIL(err, MX_EFORMAT, soff, "section %s,%s: file range %u+%llu is outside "
			    "the %llu-byte slice", sec.segname, sec.sectname, sec.offset,
			    (unsigned long long)sec.size, (unsigned long long)s->size);
		s->sects[s->nsects++] = sec;
	}
	if (strcmp(seg.name, "__TEXT") == 0 && !s->has_text) {
		s->has_text = true;
		s->text_fileoff = seg.fileoff;
		s->text_filesize = seg.filesize;
	}
	s->segs[s->nsegs++] = seg;
	return 0;
}

/* fileset_entry_command: cmd, cmdsize, vmaddr u64, fileoff u64, entry_id
 * (lc_str: u32 offset from the command's start), reserved u32. */
static int
parse_fileset_entry(mx_macho_slice *s, mx_rd *lc, uint32_t cmdsize, mx_err *err)
{
	uint64_t at = mx_rd_off(lc) - 8;
	if (cmdsize < MX_FILESET_ENTRY_CMD_SIZE)
		return MX_FAIL(err, MX_EFORMAT, at, "LC_FILESET_ENTRY: cmdsize %u < 32", cmdsize);
	int rc = grow((void **)&s->fileset, s->nfileset, sizeof *s->fileset, MX_MACHO_MAX_FILESET,
	    "fileset entries", at, err);
	if (rc)
		return rc;
	mx_macho_fileset_entry e;
	memset(&e, 0, sizeof e);
	uint32_t idoff, reserved;
	if ((rc = rd64(lc, s->swapped, &e.vmaddr, err)) || (rc = rd64(lc, s->swapped, &e.fileoff, err))
	    || (rc = rd32(lc, s->swapped, &idoff, err)) || (rc = rd32(lc, s->swapped, &reserved, err)))
		return rc;
	if (idoff < MX_FILESET_ENTRY_CMD_SIZE || idoff >= cmdsize)
		return MX_FAIL(err, MX_EFORMAT, at + 24, "LC_FILESET_ENTRY: entry_id offset %u is "
		    "outside the command (%u bytes)", idoff, cmdsize);
	mx_rd str;
	mx_rd_init(&str, lc->start + idoff, cmdsize - idoff, at + idoff, "LC_FILESET_ENTRY entry_id");
	const char *id;
	if ((rc = mx_rd_cstr(&str, &id, sizeof e.entry_id, err)))
		return rc;
	snprintf(e.entry_id, sizeof e.entry_id, "%s", id);
	/* the entry's own mach_header_64 must lie in the file */
	if (e.fileoff > s->size || s->size - e.fileoff < MX_MH_HEADER64_SIZE)
		return MX_FAIL(err, MX_EFORMAT, at + 16, "LC_FILESET_ENTRY %s: fileoff %llu leaves no "
		    "room for a Mach-O header in the %llu-byte file", e.entry_id,
		    (unsigned long long)e.fileoff, (unsigned long long)s->size);
	s->fileset[s->nfileset++] = e;
	return 0;
}

static int
parse_command(mx_macho_slice *s, uint32_t cmd, uint32_t cmdsize, mx_rd *lc, mx_err *err)
{
	bool sw = s->swapped;
	uint64_t at = mx_rd_off(lc) - 8;
	int rc;
	switch (cmd) {
	case MX_LC_SEGMENT:
	case MX_LC_SEGMENT_64:
		if ((cmd == MX_LC_SEGMENT_64) != s->is64)
			return MX_FAIL(err, MX_EFORMAT, at, "%s in a %d-bit Mach-O",
			    cmd == MX_LC_SEGMENT ? "LC_SEGMENT" : "LC_SEGMENT_64", s->is64 ? 64 : 32);
		return parse_segment(s, lc, cmdsize, err);
	case MX_LC_CODE_SIGNATURE:
		if (s->has_code_signature)
			return MX_FAIL(err, MX_EFORMAT, at, "second LC_CODE_SIGNATURE");
		if (cmdsize != MX_LINKEDIT_DATA_CMD_SIZE)
			return MX_FAIL(err, MX_EFORMAT, at, "LC_CODE_SIGNATURE: cmdsize %u, expected 16",
			    cmdsize);
		if ((rc = rd32(lc, sw, &s->cs_dataoff, err)) || (rc = rd32(lc, sw, &s->cs_datasize, err)))
			return rc;
		if (s->cs_dataoff > s->size || s->cs_datasize > s->size - s->cs_dataoff)
			return MX_FAIL(err, MX_EFORMAT, at + 8, "LC_CODE_SIGNATURE: %u+%u is outside the "
			    "%llu-byte slice", s->cs_dataoff, s->cs_datasize, (unsigned long long)s->size);
		s->has_code_signature = true;
		return 0;
	case MX_LC_UUID: {
		if (s->has_uuid)
			return MX_FAIL(err, MX_EFORMAT, at, "second LC_UUID");
		if (cmdsize != MX_UUID_CMD_SIZE)
			return MX_FAIL(err, MX_EFORMAT, at, "LC_UUID: cmdsize %u, expected 24", cmdsize);
		const uint8_t *u;
		if ((rc = mx_rd_bytes(lc, &u, 16, err)))
			return rc;
		memcpy(s->uuid, u, 16);
		s->has_uuid = true;
		return 0;
	}
	case MX_LC_BUILD_VERSION: {
		uint32_t ntools;
		if (cmdsize < MX_BUILD_VERSION_CMD_SIZE)
			return MX_FAIL(err, MX_EFORMAT, at, "LC_BUILD_VERSION: cmdsize %u < 24", cmdsize);
		if ((rc = rd32(lc, sw, &s->platform, err)) || (rc = rd32(lc, sw, &s->minos, err))
		    || (rc = rd32(lc, sw, &s->sdk, err)) || (rc = rd32(lc, sw, &ntools, err)))
			return rc;
		if (ntools > (cmdsize - MX_BUILD_VERSION_CMD_SIZE) / 8)
			return MX_FAIL(err, MX_EFORMAT, at + 20, "LC_BUILD_VERSION: %u tools do not fit "
			    "in cmdsize %u", ntools, cmdsize);
		s->has_build_version = true;
		return 0;
	}
	case MX_LC_VERSION_MIN_MACOSX:
		if (cmdsize != 16)
			return MX_FAIL(err, MX_EFORMAT, at, "LC_VERSION_MIN_MACOSX: cmdsize %u, expected 16",
			    cmdsize);
		if (!s->has_build_version) {
			if ((rc = rd32(lc, sw, &s->minos, err)) || (rc = rd32(lc, sw, &s->sdk, err)))
				return rc;
			s->platform = MX_PLATFORM_MACOS;
		}
		return 0;
	case MX_LC_FILESET_ENTRY:
		return parse_fileset_entry(s, lc, cmdsize, err);
	}
	return 0;   /* other commands are not needed for signatures */
}

/* Parses the thin Mach-O in buf[off .. off+size) into *s. */
static int
parse_thin(mx_macho_slice *s, const uint8_t *buf, uint64_t off, uint64_t size, mx_err *err)
{
	mx_rd rd;
	mx_rd_init(&rd, buf + off, (size_t)size, off, "Mach-O header");
	s->offset = off;
	s->size = size;
	s->data = buf + off;
	uint32_t magic;
	int rc = mx_rd_u32le(&rd, &magic, err);
	if (rc)
		return rc;
	if (magic == MX_MH_MAGIC_64 || magic == MX_MH_MAGIC)
		s->swapped = false;
	else if (magic == MX_MH_CIGAM_64 || magic == MX_MH_CIGAM)
		s->swapped = true;
	else
		return MX_FAIL(err, MX_EFORMAT, off, "not a Mach-O file (magic 0x%08x)", magic);
	s->is64 = magic == MX_MH_MAGIC_64 || magic == MX_MH_CIGAM_64;
	bool sw = s->swapped;
	if ((rc = rd32(&rd, sw, &s->cputype, err)) || (rc = rd32(&rd, sw, &s->cpusubtype, err))
	    || (rc = rd32(&rd, sw, &s->filetype, err)) || (rc = rd32(&rd, sw, &s->ncmds, err))
	    || (rc = rd32(&rd, sw, &s->sizeofcmds, err)) || (rc = rd32(&rd, sw, &s->flags, err)))
		return rc;
	if (s->is64 && (rc = mx_rd_skip(&rd, 4, err)))
		return rc;
	size_t hdr = s->is64 ? MX_MH_HEADER64_SIZE : MX_MH_HEADER_SIZE;
	if (s->ncmds > MX_MACHO_MAX_CMDS)
		return MX_FAIL(err, MX_ETOOBIG, off + 16, "ncmds %u is over the cap of %d", s->ncmds,
		    MX_MACHO_MAX_CMDS);
	if (s->sizeofcmds > size - hdr)
		return MX_FAIL(err, MX_EFORMAT, off + 20, "sizeofcmds %u does not fit in the %llu-byte "
		    "slice after the header", s->sizeofcmds, (unsigned long long)size);
	if ((uint64_t)s->ncmds * MX_LC_HEADER_SIZE > s->sizeofcmds)
		return MX_FAIL(err, MX_EFORMAT, off + 16, "%u load commands cannot fit in sizeofcmds %u",
		    s->ncmds, s->sizeofcmds);
	mx_rd cmds;
	if ((rc = mx_rd_sub(&cmds, &rd, hdr, s->sizeofcmds, "load commands", err)))
		return rc;
	for (uint32_t i = 0; i < s->ncmds; i++) {
		uint64_t at = mx_rd_off(&cmds);
		uint32_t cmd, cmdsize;
		if ((rc = rd32(&cmds, sw, &cmd, err)) || (rc = rd32(&cmds, sw, &cmdsize, err)))
			return rc;
		if (cmdsize < MX_LC_HEADER_SIZE || cmdsize % 4 != 0)
			return MX_FAIL(err, MX_EFORMAT, at, "load command %u (0x%x): cmdsize %u is not a "
			    "multiple of 4 of at least 8", i, cmd, cmdsize);
		if (cmdsize - MX_LC_HEADER_SIZE > mx_rd_left(&cmds))
			return MX_FAIL(err, MX_EFORMAT, at, "load command %u (0x%x): cmdsize %u runs past "
			    "sizeofcmds", i, cmd, cmdsize);
		mx_rd lc;
		mx_rd_init(&lc, cmds.p - 8, cmdsize, at, "load command");
		lc.p += 8;
		if ((rc = parse_command(s, cmd, cmdsize, &lc, err)))
			return rc;
		cmds.p += cmdsize - 8;
	}
	return 0;
}

static int
parse_fat(mx_macho *m, const uint8_t *buf, size_t len, mx_err *err)
{
	mx_rd rd;
	mx_rd_init(&rd, buf, len, 0, "fat header");
	uint32_t magic, n;
	int rc;
	if ((rc = mx_rd_u32be(&rd, &magic, err)) || (rc = mx_rd_u32be(&rd, &n, err)))
		return rc;
	m->fat = true;
	m->fat64 = magic == MX_FAT_MAGIC_64;
	if (n == 0 || n > MX_FAT_MAX_ARCH)
		return MX_FAIL(err, MX_EFORMAT, 4, "fat header: nfat_arch %u is not in 1..%d%s", n,
		    MX_FAT_MAX_ARCH, magic == MX_FAT_MAGIC && n > 30 ? " (a Java class file?)" : "");
	m->slices = mx_xcalloc(n, sizeof *m->slices);
	uint64_t table_end = MX_FAT_HEADER_SIZE
	    + (uint64_t)n * (m->fat64 ? MX_FAT_ARCH64_SIZE : MX_FAT_ARCH_SIZE);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t at = mx_rd_off(&rd);
		uint32_t cpu, sub, align, o32, s32, reserved;
		uint64_t o, sz;
		if ((rc = mx_rd_u32be(&rd, &cpu, err)) || (rc = mx_rd_u32be(&rd, &sub, err)))
			return rc;
		if (m->fat64) {
			if ((rc = mx_rd_u64be(&rd, &o, err)) || (rc = mx_rd_u64be(&rd, &sz, err))
			    || (rc = mx_rd_u32be(&rd, &align, err)) || (rc = mx_rd_u32be(&rd, &reserved, err)))
				return rc;
		} else {
			if ((rc = mx_rd_u32be(&rd, &o32, err)) || (rc = mx_rd_u32be(&rd, &s32, err))
			    || (rc = mx_rd_u32be(&rd, &align, err)))
				return rc;
			o = o32, sz = s32;
		}
		if (o < table_end || o > len || sz > len - o || sz == 0)
			return MX_FAIL(err, MX_EFORMAT, at, "fat_arch[%u]: slice %llu+%llu is outside the "
			    "file (%zu bytes) or overlaps the fat header", i, (unsigned long long)o,
			    (unsigned long long)sz, len);
		if (align > 15)
			return MX_FAIL(err, MX_EFORMAT, at, "fat_arch[%u]: align 2^%u is over 2^15", i, align);
		for (uint32_t j = 0; j < i; j++) {
			const mx_macho_slice *p = &m->slices[j];
			if (o < p->offset + p->size && p->offset < o + sz)
				return MX_FAIL(err, MX_EFORMAT, at, "fat_arch[%u]: slice %llu+%llu overlaps "
				    "slice %u", i, (unsigned long long)o, (unsigned long long)sz, j);
			if (p->cputype == cpu && p->cpusubtype == sub)
				return MX_FAIL(err, MX_EFORMAT, at, "fat_arch[%u]: architecture repeats "
				    "slice %u", i, j);
		}
		mx_macho_slice *s = &m->slices[i];
		s->offset = o, s->size = sz, s->cputype = cpu, s->cpusubtype = sub, s->fat_align = align;
		m->nslices = (int)i + 1;
	}
	for (int i = 0; i < m->nslices; i++) {
		mx_macho_slice *s = &m->slices[i];
		uint32_t cpu = s->cputype, sub = s->cpusubtype, align = s->fat_align;
		if ((rc = parse_thin(s, buf, s->offset, s->size, err))) {
			mx_err_where(err, "slice %d: ", i);
			return rc;
		}
		s->fat_align = align;
		if (s->cputype != cpu || (s->cpusubtype & ~MX_CPU_SUBTYPE_MASK)
		    != (sub & ~MX_CPU_SUBTYPE_MASK))
			return MX_FAIL(err, MX_EFORMAT, s->offset, "slice %d: fat_arch names cpu 0x%x/%u, "
			    "the Mach-O header says 0x%x/%u", i, cpu, sub, s->cputype, s->cpusubtype);
	}
	return 0;
}

int
mx_macho_parse(mx_macho **out, const uint8_t *buf, size_t len, mx_err *err)
{
	*out = NULL;
	if (len < 8)
		return MX_FAIL(err, MX_EFORMAT, 0, "%zu bytes is too short for a Mach-O file", len);
	mx_macho *m = mx_xcalloc(1, sizeof *m);
	uint32_t be = mx_get_u32be(buf);
	int rc;
	if (be == MX_FAT_MAGIC || be == MX_FAT_MAGIC_64) {
		rc = parse_fat(m, buf, len, err);
	} else {
		m->slices = mx_xcalloc(1, sizeof *m->slices);
		m->nslices = 1;
		rc = parse_thin(&m->slices[0], buf, 0, len, err);
	}
	if (rc) {
		mx_macho_free(m);
		return rc;
	}
	*out = m;
	return 0;
}
