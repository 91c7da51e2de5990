/*
 * fileset.c — write and read kernel collections as Mach-O filesets.
 *
 * Layout of the AuxKC we write (all little-endian, 64-bit; loader.h):
 *
 *   0        mach_header_64 { magic 0xfeedfacf, cputype, cpusubtype,
 *            filetype MH_FILESET (0xc), ncmds, sizeofcmds, flags, reserved }
 *   32       load commands:
 *              LC_SEGMENT_64 __TEXT          fileoff 0, covers header + commands
 *              LC_SEGMENT_64 __PRELINK_TEXT  the kexts' Mach-O images
 *              LC_SEGMENT_64 __PRELINK_INFO  section __info: prelink XML plist
 *              LC_SEGMENT_64 __RECEIPT_INFO  section __aux_kc_receipt: receipt plist
 *              LC_UUID                       the collection's UUID (= _PrelinkKCID)
 *              LC_FILESET_ENTRY × n          { cmd 0x80000035, cmdsize, vmaddr u64,
 *                                              fileoff u64, entry_id lc_str (32),
 *                                              reserved u32 } + id NUL, padded to 8
 *   page     each kext image, page aligned (4 KiB x86_64, 16 KiB arm64); fileoff points at its mach_header_64
 *   ...      prelink plist, receipt plist (page aligned)
 *
 * The prelink plist follows xnu's prelink.h keys: _PrelinkInfoDictionary
 * (each kext's Info.plist + _PrelinkBundlePath, _PrelinkExecutableRelativePath,
 * _PrelinkExecutableLoadAddr, _PrelinkExecutableSourceAddr,
 * _PrelinkExecutableSize, _PrelinkKmodInfo), _PrelinkKCID, _BootKCID.  The
 * receipt's content is not documented (kernel-extensions.md §3.3 step 7 says
 * only that it lists the kexts actually included); ours is an XML plist
 * { AuxKCUUID, Kexts: [{ CFBundleIdentifier, CFBundleVersion, TeamID,
 * CDHash }] } [INF].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/cs_blobs.h"
#include "macext/fileset.h"
#include "macext/plist_util.h"
#include "macext/rd.h"

#define SEG_CMD_SIZE    72u
#define SECT_SIZE       80u
#define UUID_CMD_SIZE   24u
#define FSE_HDR_SIZE    32u
#define MAX_PLIST       (8u << 20)

_Static_assert(SEG_CMD_SIZE == 4 + 4 + 16 + 8 * 4 + 4 * 4, "segment_command_64 is 72 bytes");
_Static_assert(SECT_SIZE == 16 + 16 + 8 + 8 + 4 * 8, "section_64 is 80 bytes");

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void
put_name(uint8_t *p, const char *s)
{
	memset(p, 0, 16);
	memcpy(p, s, strlen(s) < 16 ? strlen(s) : 16);
}

/* LC_SEGMENT_64 with at most one section */
static size_t
put_segment(uint8_t *p, const char *seg, const char *sect, uint64_t vmaddr, uint64_t fileoff,
    uint64_t size, uint64_t sectsize, uint32_t prot)
{
	uint32_t ns = sect ? 1 : 0;
	mx_put_u32le(p, MX_LC_SEGMENT_64);
	mx_put_u32le(p + 4, SEG_CMD_SIZE + ns * SECT_SIZE);
	put_name(p + 8, seg);
	mx_put_u64le(p + 24, vmaddr);
	mx_put_u64le(p + 32, size);
	mx_put_u64le(p + 40, fileoff);
	mx_put_u64le(p + 48, size);
	mx_put_u32le(p + 56, prot);
	mx_put_u32le(p + 60, prot);
	mx_put_u32le(p + 64, ns);
	mx_put_u32le(p + 68, 0);
	if (sect) {
		uint8_t *s = p + SEG_CMD_SIZE;
		memset(s, 0, SECT_SIZE);
		put_name(s, sect);
		put_name(s + 16, seg);
		mx_put_u64le(s + 32, vmaddr);
		mx_put_u64le(s + 40, sectsize);
		mx_put_u32le(s + 48, (uint32_t)fileoff);
	}
	return SEG_CMD_SIZE + ns * SECT_SIZE;
}

static void
uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
}

static char *
to_xml(plist_t p, uint32_t *len)
{
	char *xml = NULL;
	*len = 0;
	plist_to_xml(p, &xml, len);
	return xml;
}

void
mx_fileset_plan_free(mx_fileset_plan *p)
{
	if (p == NULL)
		return;
	free(p->pieces);
	free(p->head);
	free(p->info_xml);
	free(p->rec_xml);
	memset(p, 0, sizeof *p);
}

int
mx_fileset_plan_make(mx_fileset_plan *plan, uint32_t cputype, uint32_t cpusubtype,
    const uint8_t kc_uuid[16], const uint8_t boot_kcid[16], const mx_fileset_kext_in *kexts,
    int n, mx_err *err)
{
	memset(plan, 0, sizeof *plan);
	if (n < 0 || n > MX_FILESET_MAX_ENTRIES)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%d kexts: at most %d", n,
		    MX_FILESET_MAX_ENTRIES);
	const uint64_t base = cputype == MX_CPU_TYPE_X86_64 ? 0xffffff8000000000ull :
	    0xfffffe0007004000ull;
	/* 4 KiB pages on Intel, 16 KiB on Apple silicon */
	const uint64_t PAGE = cputype == MX_CPU_TYPE_X86_64 ? 0x1000u : 0x4000u;
	/* load command area */
	uint64_t cmds = SEG_CMD_SIZE * 2 + (SEG_CMD_SIZE + SECT_SIZE) * 2 + UUID_CMD_SIZE;
	for (int i = 0; i < n; i++) {
		if (kexts[i].exec_len < MX_MH_HEADER64_SIZE ||
		    mx_get_u32le(kexts[i].exec) != MX_MH_MAGIC_64)
			return MX_FAIL(err, MX_EFORMAT, 0, "%s: executable is not a thin 64-bit Mach-O",
			    kexts[i].bundle_id);
		cmds += align_up(FSE_HDR_SIZE + strlen(kexts[i].bundle_id) + 1, 8);
	}
	uint64_t text_size = align_up(MX_MH_HEADER64_SIZE + cmds, PAGE);
	uint64_t *offs = mx_xcalloc((size_t)(n ? n : 1), sizeof *offs);
	uint64_t pos = text_size;
	for (int i = 0; i < n; i++) {
		offs[i] = pos;
		pos = align_up(pos + kexts[i].exec_len, PAGE);
		if (pos > MX_FILESET_MAX_SIZE) {
			free(offs);
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
			    "kernel collection size exceeds maximum size %u", MX_FILESET_MAX_SIZE);
		}
	}
	uint64_t prelink_text_end = pos;

	/* the prelink info and the receipt */
	char kcid[37], bkcid[37];
	uuid_str(kc_uuid, kcid);
	uuid_str(boot_kcid, bkcid);
	plist_t info = plist_new_dict(), arr = plist_new_array();
	plist_t receipt = plist_new_dict(), rk = plist_new_array();
	for (int i = 0; i < n; i++) {
		const mx_fileset_kext_in *k = &kexts[i];
		plist_t d = (k->info && plist_get_node_type(k->info) == PLIST_DICT) ?
		    plist_copy(k->info) : plist_new_dict();
		plist_dict_set_item(d, "CFBundleIdentifier", plist_new_string(k->bundle_id));
		if (plist_dict_get_item(d, "CFBundleVersion") == NULL)
			plist_dict_set_item(d, "CFBundleVersion", plist_new_string(k->version ? k->version : ""));
		plist_dict_set_item(d, "_PrelinkBundlePath", plist_new_string(k->bundle_path));
		plist_dict_set_item(d, "_PrelinkExecutableRelativePath",
		    plist_new_string(k->exec_relpath ? k->exec_relpath : ""));
		plist_dict_set_item(d, "_PrelinkExecutableLoadAddr", plist_new_uint(base + offs[i]));
		plist_dict_set_item(d, "_PrelinkExecutableSourceAddr", plist_new_uint(base + offs[i]));
		plist_dict_set_item(d, "_PrelinkExecutableSize", plist_new_uint(k->exec_len));
		plist_dict_set_item(d, "_PrelinkKmodInfo", plist_new_uint(0));
		plist_array_append_item(arr, d);
		plist_t r = plist_new_dict();
		plist_dict_set_item(r, "CFBundleIdentifier", plist_new_string(k->bundle_id));
		plist_dict_set_item(r, "CFBundleVersion", plist_new_string(k->version ? k->version : ""));
		plist_dict_set_item(r, "TeamID", plist_new_string(k->team_id ? k->team_id : ""));
		plist_dict_set_item(r, "CDHash", plist_new_string(k->cdhash ? k->cdhash : ""));
		plist_array_append_item(rk, r);
	}
	plist_dict_set_item(info, "_PrelinkInfoDictionary", arr);
	plist_dict_set_item(info, "_PrelinkKCID", plist_new_string(kcid));
	plist_dict_set_item(info, "_BootKCID", plist_new_string(bkcid));
	plist_dict_set_item(receipt, "AuxKCUUID", plist_new_string(kcid));
	plist_dict_set_item(receipt, "Kexts", rk);
	uint32_t info_len, rec_len;
	char *info_xml = to_xml(info, &info_len);
	char *rec_xml = to_xml(receipt, &rec_len);
	plist_free(info);
	plist_free(receipt);
	uint64_t info_off = prelink_text_end;
	uint64_t rec_off = align_up(info_off + info_len, PAGE);
	uint64_t total = align_up(rec_off + rec_len, PAGE);
	if (info_xml == NULL || rec_xml == NULL || total > MX_FILESET_MAX_SIZE) {
		free(offs);
		free(info_xml);
		free(rec_xml);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
		    "kernel collection size exceeds maximum size %u", MX_FILESET_MAX_SIZE);
	}

	/* the header and load commands: the only bytes of __TEXT that are not zero */
	size_t head_len = (size_t)(MX_MH_HEADER64_SIZE + cmds);
	uint8_t *head = mx_xcalloc(1, head_len);
	uint8_t *p = head;
	mx_put_u32le(p, MX_MH_MAGIC_64);
	mx_put_u32le(p + 4, cputype);
	mx_put_u32le(p + 8, cpusubtype);
	mx_put_u32le(p + 12, MX_MH_FILESET);
	mx_put_u32le(p + 16, (uint32_t)(5 + n));
	mx_put_u32le(p + 20, (uint32_t)cmds);
	mx_put_u32le(p + 24, MX_MH_DYLDLINK | MX_MH_PIE);
	mx_put_u32le(p + 28, 0);
	p += MX_MH_HEADER64_SIZE;
	p += put_segment(p, "__TEXT", NULL, base, 0, text_size, 0, 5);
	p += put_segment(p, "__PRELINK_TEXT", NULL, base + text_size, text_size,
	    prelink_text_end - text_size, 0, 5);
	p += put_segment(p, "__PRELINK_INFO", "__info", base + info_off, info_off,
	    rec_off - info_off, info_len, 3);
	p += put_segment(p, "__RECEIPT_INFO", "__aux_kc_receipt", base + rec_off, rec_off,
	    total - rec_off, rec_len, 1);
	mx_put_u32le(p, MX_LC_UUID);
	mx_put_u32le(p + 4, UUID_CMD_SIZE);
	memcpy(p + 8, kc_uuid, 16);
	p += UUID_CMD_SIZE;
	plan->pieces = mx_xcalloc((size_t)n + 3, sizeof *plan->pieces);
	plan->pieces[plan->npieces++] = (mx_fileset_piece){ 0, head, head_len };
	for (int i = 0; i < n; i++) {
		size_t idl = strlen(kexts[i].bundle_id) + 1;
		uint32_t cs = (uint32_t)align_up(FSE_HDR_SIZE + idl, 8);
		mx_put_u32le(p, MX_LC_FILESET_ENTRY);
		mx_put_u32le(p + 4, cs);
		mx_put_u64le(p + 8, base + offs[i]);
		mx_put_u64le(p + 16, offs[i]);
		mx_put_u32le(p + 24, FSE_HDR_SIZE);
		mx_put_u32le(p + 28, 0);
		memcpy(p + FSE_HDR_SIZE, kexts[i].bundle_id, idl);
		p += cs;
		plan->pieces[plan->npieces++] = (mx_fileset_piece){ offs[i], kexts[i].exec,
		    kexts[i].exec_len };
	}
	plan->pieces[plan->npieces++] = (mx_fileset_piece){ info_off, (const uint8_t *)info_xml,
	    info_len };
	plan->pieces[plan->npieces++] = (mx_fileset_piece){ rec_off, (const uint8_t *)rec_xml,
	    rec_len };
	free(offs);
	plan->head = head;
	plan->info_xml = info_xml;
	plan->rec_xml = rec_xml;
	plan->total = total;
	plan->page = PAGE;
	return 0;
}

int
mx_fileset_write(uint8_t **out, size_t *out_len, uint32_t cputype, uint32_t cpusubtype,
    const uint8_t kc_uuid[16], const uint8_t boot_kcid[16], const mx_fileset_kext_in *kexts,
    int n, mx_err *err)
{
	*out = NULL;
	*out_len = 0;
	mx_fileset_plan plan;
	int rc = mx_fileset_plan_make(&plan, cputype, cpusubtype, kc_uuid, boot_kcid, kexts, n,
	    err);
	if (rc)
		return rc;
	/* calloc: the gaps between the pieces are zero (and untouched pages stay unfaulted) */
	uint8_t *buf = mx_xcalloc(1, (size_t)plan.total);
	for (int i = 0; i < plan.npieces; i++)
		if (plan.pieces[i].len)
			memcpy(buf + plan.pieces[i].off, plan.pieces[i].p, plan.pieces[i].len);
	*out = buf;
	*out_len = (size_t)plan.total;
	mx_fileset_plan_free(&plan);
	return 0;
}

/* ---- reading ---- */

void
mx_fileset_free(mx_fileset *fs)
{
	if (fs == NULL)
		return;
	free(fs->entries);
	free(fs->receipt);
	if (fs->prelink)
		plist_free(fs->prelink);
	free(fs);
}

static int
fail(mx_err *err, uint64_t off, const char *msg)
{
	return MX_FAIL(err, MX_EFORMAT, off, "%s", msg);
}

/* the LC_UUID of the Mach-O image at [off, off+len) of rd, "" if none */
static void
entry_uuid(const mx_rd *whole, uint64_t off, char out[37])
{
	mx_rd rd;
	mx_err e;
	uint32_t magic, ncmds, sizeofcmds, v;
	out[0] = '\0';
	mx_err_clear(&e);
	if (mx_rd_sub(&rd, whole, off, (uint64_t)(whole->end - whole->start) - off, "entry", &e) ||
	    mx_rd_u32le(&rd, &magic, &e) || magic != MX_MH_MAGIC_64 || mx_rd_skip(&rd, 12, &e) ||
	    mx_rd_u32le(&rd, &ncmds, &e) || mx_rd_u32le(&rd, &sizeofcmds, &e) ||
	    mx_rd_skip(&rd, 8, &e))
		return;
	for (uint32_t i = 0; i < ncmds && i < 4096; i++) {
		uint64_t at = mx_rd_off(&rd) - rd.base;
		uint32_t cmd, cs;
		if (mx_rd_u32le(&rd, &cmd, &e) || mx_rd_u32le(&rd, &cs, &e) || cs < 8)
			return;
		if (cmd == MX_LC_UUID && cs >= 24) {
			const uint8_t *u;
			if (mx_rd_bytes(&rd, &u, 16, &e) == 0)
				uuid_str(u, out);
			return;
		}
		if (mx_rd_seek(&rd, at + cs, &e))
			return;
	}
	(void)v;
}

static const char *
dict_str(plist_t d, const char *key)
{
	plist_t n = d ? plist_dict_get_item(d, key) : NULL;
	if (n == NULL || plist_get_node_type(n) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(n, NULL);
}

static int
parse_receipt(mx_fileset *fs, const uint8_t *b, uint64_t len, uint64_t off, mx_err *err)
{
	plist_t r = NULL;
	if (len == 0 || len > MAX_PLIST)
		return fail(err, off, "kext receipt: empty or too large");
	/* the section may be padded with NULs after the plist */
	while (len > 0 && b[len - 1] == '\0')
		len--;
	mx_err pe;
	mx_err_clear(&pe);
	if (mx_plist_parse(&r, b, len, "kext receipt", &pe) != 0)
		return MX_FAIL(err, MX_EFORMAT, off, "kext receipt: %s", pe.msg);
	if (r == NULL || plist_get_node_type(r) != PLIST_DICT) {
		if (r)
			plist_free(r);
		return fail(err, off, "kext receipt: not an XML plist dictionary");
	}
	plist_t k = plist_dict_get_item(r, "Kexts");
	if (k == NULL || plist_get_node_type(k) != PLIST_ARRAY ||
	    plist_array_get_size(k) > MX_FILESET_MAX_ENTRIES) {
		plist_free(r);
		return fail(err, off, "kext receipt: Kexts: expected array");
	}
	uint32_t n = plist_array_get_size(k);
	fs->nreceipt = 0;
	fs->receipt = mx_xcalloc(n ? n : 1, sizeof *fs->receipt);
	for (uint32_t i = 0; i < n; i++) {
		plist_t it = plist_array_get_item(k, i);
		const char *id = dict_str(it, "CFBundleIdentifier");
		if (id == NULL || strlen(id) >= 256) {
			plist_free(r);
			return MX_FAIL(err, MX_EFORMAT, off,
			    "kext receipt: Kexts[%u].CFBundleIdentifier: expected string", i);
		}
		mx_fileset_receipt_item *ri = &fs->receipt[fs->nreceipt++];
		snprintf(ri->bundle_id, sizeof ri->bundle_id, "%s", id);
		const char *s;
		if ((s = dict_str(it, "CFBundleVersion")))
			snprintf(ri->version, sizeof ri->version, "%s", s);
		if ((s = dict_str(it, "TeamID")))
			snprintf(ri->team_id, sizeof ri->team_id, "%s", s);
		if ((s = dict_str(it, "CDHash")))
			snprintf(ri->cdhash, sizeof ri->cdhash, "%s", s);
	}
	plist_free(r);
	return 0;
}

int
mx_fileset_parse(mx_fileset **out, const uint8_t *buf, size_t len, mx_err *err)
{
	*out = NULL;
	if (len > MX_FILESET_MAX_SIZE)
		return MX_FAIL(err, MX_ETOOBIG, 0, "%zu bytes: a kernel collection is at most %u",
		    len, MX_FILESET_MAX_SIZE);
	mx_rd rd;
	mx_rd_init(&rd, buf, len, 0, "Mach-O header");
	uint32_t magic, cputype, cpusub, ftype, ncmds, sizeofcmds, flags, resv;
	int rc;
	if ((rc = mx_rd_u32le(&rd, &magic, err)))
		return rc;
	if (magic != MX_MH_MAGIC_64)
		return MX_FAIL(err, MX_EFORMAT, 0, "magic 0x%08x: not a 64-bit Mach-O", magic);
	if ((rc = mx_rd_u32le(&rd, &cputype, err)) || (rc = mx_rd_u32le(&rd, &cpusub, err)) ||
	    (rc = mx_rd_u32le(&rd, &ftype, err)) || (rc = mx_rd_u32le(&rd, &ncmds, err)) ||
	    (rc = mx_rd_u32le(&rd, &sizeofcmds, err)) || (rc = mx_rd_u32le(&rd, &flags, err)) ||
	    (rc = mx_rd_u32le(&rd, &resv, err)))
		return rc;
	if (ftype != MX_MH_FILESET)
		return MX_FAIL(err, MX_EFORMAT, 12, "filetype 0x%x: not MH_FILESET", ftype);
	if (sizeofcmds > len - MX_MH_HEADER64_SIZE)
		return MX_FAIL(err, MX_EFORMAT, 20, "sizeofcmds %u exceeds the file", sizeofcmds);
	if (ncmds > sizeofcmds / 8)
		return MX_FAIL(err, MX_EFORMAT, 16, "ncmds %u cannot fit in sizeofcmds %u", ncmds,
		    sizeofcmds);
	mx_rd cmds;
	if ((rc = mx_rd_sub(&cmds, &rd, MX_MH_HEADER64_SIZE, sizeofcmds, "load commands", err)))
		return rc;

	mx_fileset *fs = mx_xcalloc(1, sizeof *fs);
	fs->cputype = cputype;
	fs->cpusubtype = cpusub;
	fs->nreceipt = -1;
	int cap = 0;
	uint64_t info_off = 0, info_len = 0, rec_off = 0, rec_len = 0;
	bool have_info = false, have_rec = false;
	for (uint32_t i = 0; i < ncmds; i++) {
		uint64_t at = mx_rd_off(&cmds);
		uint32_t cmd, cs;
		if ((rc = mx_rd_u32le(&cmds, &cmd, err)) || (rc = mx_rd_u32le(&cmds, &cs, err)))
			goto bad;
		if (cs < 8 || cs % 8 != 0 || cs - 8 > mx_rd_left(&cmds)) {
			rc = MX_FAIL(err, MX_EFORMAT, at, "load command %u: cmdsize %u is invalid", i, cs);
			goto bad;
		}
		mx_rd lc;
		mx_rd_sub(&lc, &cmds, at - MX_MH_HEADER64_SIZE, cs, "load command", err);
		mx_rd_skip(&lc, 8, err);
		if (cmd == MX_LC_FILESET_ENTRY) {
			uint64_t vmaddr, fileoff;
			uint32_t idoff, reserved;
			const char *id;
			if ((rc = mx_rd_u64le(&lc, &vmaddr, err)) || (rc = mx_rd_u64le(&lc, &fileoff, err))
			    || (rc = mx_rd_u32le(&lc, &idoff, err)) ||
			    (rc = mx_rd_u32le(&lc, &reserved, err)))
				goto bad;
			if (idoff < FSE_HDR_SIZE || idoff >= cs) {
				rc = MX_FAIL(err, MX_EFORMAT, at + 24,
				    "LC_FILESET_ENTRY: entry_id offset %u outside the command", idoff);
				goto bad;
			}
			if ((rc = mx_rd_seek(&lc, idoff, err)) || (rc = mx_rd_cstr(&lc, &id, 255, err)))
				goto bad;
			if (id[0] == '\0') {
				rc = fail(err, at + idoff, "LC_FILESET_ENTRY: empty entry_id");
				goto bad;
			}
			if (fileoff > len - MX_MH_HEADER64_SIZE ||
			    mx_get_u32le(buf + fileoff) != MX_MH_MAGIC_64) {
				rc = MX_FAIL(err, MX_EFORMAT, at + 16,
				    "LC_FILESET_ENTRY %s: fileoff %llu is not a mach_header_64", id,
				    (unsigned long long)fileoff);
				goto bad;
			}
			if (fs->nentries == MX_FILESET_MAX_ENTRIES) {
				rc = fail(err, at, "too many LC_FILESET_ENTRY commands");
				goto bad;
			}
			if (fs->nentries == cap) {
				cap = cap ? cap * 2 : 8;
				fs->entries = mx_xrealloc(fs->entries, (size_t)cap * sizeof *fs->entries);
			}
			mx_fileset_entry *e = &fs->entries[fs->nentries++];
			memset(e, 0, sizeof *e);
			snprintf(e->id, sizeof e->id, "%s", id);
			e->vmaddr = vmaddr;
			e->fileoff = fileoff;
			e->cputype = mx_get_u32le(buf + fileoff + 4);
			entry_uuid(&rd, fileoff, e->uuid);
		} else if (cmd == MX_LC_UUID) {
			const uint8_t *u;
			if ((rc = mx_rd_bytes(&lc, &u, 16, err)))
				goto bad;
			uuid_str(u, fs->uuid);
		} else if (cmd == MX_LC_SEGMENT_64) {
			const uint8_t *segname;
			uint64_t vmaddr, vmsize, fileoff, filesize;
			uint32_t maxp, initp, nsects, sflags;
			if ((rc = mx_rd_bytes(&lc, &segname, 16, err)) ||
			    (rc = mx_rd_u64le(&lc, &vmaddr, err)) || (rc = mx_rd_u64le(&lc, &vmsize, err)) ||
			    (rc = mx_rd_u64le(&lc, &fileoff, err)) ||
			    (rc = mx_rd_u64le(&lc, &filesize, err)) || (rc = mx_rd_u32le(&lc, &maxp, err)) ||
			    (rc = mx_rd_u32le(&lc, &initp, err)) || (rc = mx_rd_u32le(&lc, &nsects, err)) ||
			    (rc = mx_rd_u32le(&lc, &sflags, err)))
				goto bad;
			if (fileoff > len || filesize > len - fileoff) {
				rc = MX_FAIL(err, MX_EFORMAT, at + 40, "segment %.16s: %llu+%llu is past the"
				    " end of the file", (const char *)segname, (unsigned long long)fileoff,
				    (unsigned long long)filesize);
				goto bad;
			}
			if (nsects > (cs - SEG_CMD_SIZE) / SECT_SIZE) {
				rc = MX_FAIL(err, MX_EFORMAT, at + 64, "segment %.16s: %u sections do not"
				    " fit in cmdsize %u", (const char *)segname, nsects, cs);
				goto bad;
			}
			for (uint32_t s = 0; s < nsects; s++) {
				const uint8_t *sn, *sg;
				uint64_t addr, size;
				uint32_t off;
				if ((rc = mx_rd_bytes(&lc, &sn, 16, err)) ||
				    (rc = mx_rd_bytes(&lc, &sg, 16, err)) ||
				    (rc = mx_rd_u64le(&lc, &addr, err)) || (rc = mx_rd_u64le(&lc, &size, err)) ||
				    (rc = mx_rd_u32le(&lc, &off, err)) || (rc = mx_rd_skip(&lc, 28, err)))
					goto bad;
				bool is_info = memcmp(sg, "__PRELINK_INFO\0", 15) == 0 &&
				    memcmp(sn, "__info\0", 7) == 0;
				bool is_rec = memcmp(sg, "__RECEIPT_INFO\0", 15) == 0 &&
				    memcmp(sn, "__aux_kc_receipt", 16) == 0;
				if (!is_info && !is_rec)
					continue;
				if ((uint64_t)off > len || size > len - off) {
					rc = MX_FAIL(err, MX_EFORMAT, at, "section %.16s: %u+%llu is past the end"
					    " of the file", (const char *)sn, off, (unsigned long long)size);
					goto bad;
				}
				if (is_info) {
					info_off = off, info_len = size, have_info = true;
				} else {
					rec_off = off, rec_len = size, have_rec = true;
				}
			}
		}
		if ((rc = mx_rd_seek(&cmds, at - MX_MH_HEADER64_SIZE + cs, err)))
			goto bad;
	}
	if (!have_info) {
		rc = fail(err, MX_NO_OFFSET, "no __PRELINK_INFO,__info section");
		goto bad;
	}
	if (info_len == 0 || info_len > MAX_PLIST) {
		rc = fail(err, info_off, "__PRELINK_INFO: empty or too large");
		goto bad;
	}
	{
		uint64_t il = info_len;
		while (il > 0 && buf[info_off + il - 1] == '\0')
			il--;
		mx_err pe;
		mx_err_clear(&pe);
		if (mx_plist_parse(&fs->prelink, buf + info_off, (size_t)il, "__PRELINK_INFO", &pe)) {
			rc = MX_FAIL(err, MX_EFORMAT, info_off, "__PRELINK_INFO: %s", pe.msg);
			goto bad;
		}
	}
	if (fs->prelink == NULL || plist_get_node_type(fs->prelink) != PLIST_DICT) {
		rc = fail(err, info_off, "__PRELINK_INFO: not an XML plist dictionary");
		goto bad;
	}
	const char *s;
	if ((s = dict_str(fs->prelink, "_PrelinkKCID")))
		snprintf(fs->prelink_kcid, sizeof fs->prelink_kcid, "%s", s);
	if ((s = dict_str(fs->prelink, "_BootKCID")))
		snprintf(fs->boot_kcid, sizeof fs->boot_kcid, "%s", s);
	plist_t arr = plist_dict_get_item(fs->prelink, "_PrelinkInfoDictionary");
	if (arr == NULL || plist_get_node_type(arr) != PLIST_ARRAY) {
		rc = fail(err, info_off, "__PRELINK_INFO: _PrelinkInfoDictionary: expected array");
		goto bad;
	}
	for (uint32_t i = 0; i < plist_array_get_size(arr); i++) {
		plist_t d = plist_array_get_item(arr, i);
		const char *id = dict_str(d, "CFBundleIdentifier");
		if (id == NULL) {
			rc = MX_FAIL(err, MX_EFORMAT, info_off, "__PRELINK_INFO: _PrelinkInfoDictionary[%u]"
			    ".CFBundleIdentifier: expected string", i);
			goto bad;
		}
		for (int k = 0; k < fs->nentries; k++) {
			mx_fileset_entry *e = &fs->entries[k];
			if (strcmp(e->id, id) != 0)
				continue;
			if ((s = dict_str(d, "CFBundleVersion")))
				snprintf(e->version, sizeof e->version, "%s", s);
			if ((s = dict_str(d, "_PrelinkBundlePath")))
				snprintf(e->bundle_path, sizeof e->bundle_path, "%s", s);
			plist_t sz = plist_dict_get_item(d, "_PrelinkExecutableSize");
			if (sz && plist_get_node_type(sz) == PLIST_UINT)
				plist_get_uint_val(sz, &e->size);
		}
	}
	if (have_rec) {
		if ((rc = parse_receipt(fs, buf + rec_off, rec_len, rec_off, err)))
			goto bad;
		fs->receipt_off = rec_off;
		fs->receipt_len = rec_len;
	}
	*out = fs;
	return 0;
bad:
	mx_fileset_free(fs);
	return rc ? rc : MX_EFORMAT;
}

int
mx_fileset_thin_slice(const uint8_t *buf, size_t len, uint32_t cputype, size_t *off,
    size_t *slice_len, mx_err *err)
{
	mx_rd rd;
	uint32_t magic;
	int rc;
	mx_rd_init(&rd, buf, len, 0, "Mach-O");
	if ((rc = mx_rd_u32be(&rd, &magic, err)))
		return rc;
	if (magic == MX_FAT_MAGIC || magic == MX_FAT_MAGIC_64) {
		uint32_t n;
		if ((rc = mx_rd_u32be(&rd, &n, err)))
			return rc;
		if (n > MX_FAT_MAX_ARCH)
			return MX_FAIL(err, MX_EFORMAT, 4, "fat header: %u architectures", n);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t ct, st, o32, s32, al, r;
			uint64_t o, s;
			if (magic == MX_FAT_MAGIC) {
				if ((rc = mx_rd_u32be(&rd, &ct, err)) || (rc = mx_rd_u32be(&rd, &st, err)) ||
				    (rc = mx_rd_u32be(&rd, &o32, err)) || (rc = mx_rd_u32be(&rd, &s32, err)) ||
				    (rc = mx_rd_u32be(&rd, &al, err)))
					return rc;
				o = o32, s = s32;
			} else {
				if ((rc = mx_rd_u32be(&rd, &ct, err)) || (rc = mx_rd_u32be(&rd, &st, err)) ||
				    (rc = mx_rd_u64be(&rd, &o, err)) || (rc = mx_rd_u64be(&rd, &s, err)) ||
				    (rc = mx_rd_u32be(&rd, &al, err)) || (rc = mx_rd_u32be(&rd, &r, err)))
					return rc;
			}
			if (ct != cputype)
				continue;
			if (o > len || s > len - o || s < MX_MH_HEADER64_SIZE ||
			    mx_get_u32le(buf + o) != MX_MH_MAGIC_64)
				return MX_FAIL(err, MX_EFORMAT, 8, "fat slice %u: %llu+%llu is not a 64-bit"
				    " Mach-O inside the file", i, (unsigned long long)o, (unsigned long long)s);
			*off = (size_t)o;
			*slice_len = (size_t)s;
			return 0;
		}
		return MX_FAIL(err, MX_ENOTFOUND, 0, "no slice for cputype 0x%x", cputype);
	}
	if (len >= MX_MH_HEADER64_SIZE && mx_get_u32le(buf) == MX_MH_MAGIC_64) {
		if (mx_get_u32le(buf + 4) != cputype)
			return MX_FAIL(err, MX_ENOTFOUND, 4, "cputype 0x%x, not 0x%x",
			    mx_get_u32le(buf + 4), cputype);
		*off = 0;
		*slice_len = len;
		return 0;
	}
	return MX_FAIL(err, MX_EFORMAT, 0, "not a Mach-O file");
}
