/*
 * codesign.c — the embedded code signature: SuperBlob, CodeDirectories,
 * special slots, page hashes, cdhash and entitlements.  No policy and no
 * CMS here (codesign_verify.c does that).
 *
 * Layout (all big-endian; xnu osfmk/kern/cs_blobs.h, formats-and-peers.md §1.5-1.10):
 *   SuperBlob  { magic 0xfade0cc0, length, count, {type, offset}[count] }
 *   each blob  { magic, length, payload[length-8] }, offset from the SuperBlob
 *   CodeDirectory: see the field table in cs_blobs.h (MX_CS_CD_OFF_*); code
 *   slot i's hash at hashOffset + i*hashSize, special slot k at
 *   hashOffset - k*hashSize.
 * Validation follows xnu bsd/kern/ubc_subr.c cs_validate_csblob() and
 * cs_validate_codedirectory(): every offset and length inside its blob, one
 * blob per slot, entitlement slots with matching magics, no two CDs of one
 * hash type, hashType/hashSize matching, special slots between the header and
 * hashOffset, code slots within the CD, nCodeSlots = ceil(codeLimit / page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "formats/codesign_int.h"
#include "macext/plist_util.h"
#include "macext/rd.h"

/* hashType -> size and rank (xnu hashPriorities[]: SHA-1 < SHA-256-truncated < SHA-256 < SHA-384) */
static const struct { uint8_t type; uint8_t size; int rank; const char *name; } hashes[] = {
	{ MX_CS_HASHTYPE_SHA1,             MX_CS_SHA1_LEN,             1, "SHA1" },
	{ MX_CS_HASHTYPE_SHA256_TRUNCATED, MX_CS_SHA256_TRUNCATED_LEN, 2, "SHA256" },
	{ MX_CS_HASHTYPE_SHA256,           MX_CS_SHA256_LEN,           3, "SHA256" },
	{ MX_CS_HASHTYPE_SHA384,           MX_CS_SHA384_LEN,           4, "SHA384" },
};

static int
hash_index(uint8_t type)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].type == type)
			return (int)i;
	return -1;
}

/* Fetched once for the process (an implicit fetch per EVP_DigestInit costs
 * more than a 4 KiB page), under pthread_once so threads share them. */
static EVP_MD *fetched_md[sizeof hashes / sizeof hashes[0]];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
fetch_all(void)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		fetched_md[i] = EVP_MD_fetch(NULL, hashes[i].name, NULL);
}

const EVP_MD *
cs_md(uint8_t hash_type)
{
	int i = hash_index(hash_type);
	if (i < 0)
		return NULL;
	pthread_once(&md_once, fetch_all);
	return fetched_md[i];
}

static int
digest(const EVP_MD *md, const uint8_t *p, size_t n, uint8_t *out, unsigned *outlen)
{
	return EVP_Digest(p, n, out, outlen, md, NULL) == 1 ? 0 : -1;
}

/* A NUL-terminated string at off inside the CD, before its end. */
static int
cd_string(const cs_cd *cd, uint32_t off, const char *field, const char **out, mx_err *err)
{
	if (off >= cd->len)
		return MX_FAIL(err, MX_EFORMAT, cd->off, "CodeDirectory: %s %u is past its length %u",
		    field, off, cd->len);
	const uint8_t *nul = memchr(cd->blob + off, 0, cd->len - off);
	if (nul == NULL)
		return MX_FAIL(err, MX_EFORMAT, cd->off + off,
		    "CodeDirectory: %s string is not NUL-terminated", field);
	*out = (const char *)cd->blob + off;
	return 0;
}

/* cs_validate_codedirectory(): the fields the version promises, and every
 * offset, inside the blob. */
static int
parse_cd(cs_cd *cd, const uint8_t *p, uint32_t len, uint64_t off, uint32_t slot, mx_err *err)
{
	memset(cd, 0, sizeof *cd);
	cd->blob = p, cd->len = len, cd->off = off, cd->slot = slot;
	mx_rd rd;
	mx_rd_init(&rd, p, len, off, "CodeDirectory");
	if (len < MX_CS_CD_HEADER_MIN)
		return MX_FAIL(err, MX_EFORMAT, off, "CodeDirectory: length %u < %d", len,
		    MX_CS_CD_HEADER_MIN);
	int rc;
	uint32_t magic, length;
	if ((rc = mx_rd_u32be(&rd, &magic, err)) || (rc = mx_rd_u32be(&rd, &length, err))
	    || (rc = mx_rd_u32be(&rd, &cd->version, err)) || (rc = mx_rd_u32be(&rd, &cd->flags, err))
	    || (rc = mx_rd_u32be(&rd, &cd->hash_offset, err))
	    || (rc = mx_rd_u32be(&rd, &cd->ident_offset, err))
	    || (rc = mx_rd_u32be(&rd, &cd->nspecial, err)) || (rc = mx_rd_u32be(&rd, &cd->ncode, err))
	    || (rc = mx_rd_u32be(&rd, &cd->code_limit32, err))
	    || (rc = mx_rd_u8(&rd, &cd->hash_size, err)) || (rc = mx_rd_u8(&rd, &cd->hash_type, err))
	    || (rc = mx_rd_u8(&rd, &cd->platform, err)) || (rc = mx_rd_u8(&rd, &cd->page_shift, err))
	    || (rc = mx_rd_skip(&rd, 4, err)))
		return rc;
	if (magic != MX_CSMAGIC_CODEDIRECTORY)
		return MX_FAIL(err, MX_EFORMAT, off, "CodeDirectory: magic 0x%08x", magic);
	if (cd->version < MX_CS_CD_VERSION_EARLIEST)
		return MX_FAIL(err, MX_EFORMAT, off + 8, "CodeDirectory: version 0x%x is too old",
		    cd->version);
	/* the header the version promises must fit in the blob */
	uint32_t hdr = MX_CS_CD_HEADER_MIN;
	if (cd->version >= MX_CS_SUPPORTSLINKAGE) hdr = MX_CS_CD_SIZE_20600;
	else if (cd->version >= MX_CS_SUPPORTSRUNTIME) hdr = MX_CS_CD_SIZE_20500;
	else if (cd->version >= MX_CS_SUPPORTSEXECSEG) hdr = MX_CS_CD_SIZE_20400;
	else if (cd->version >= MX_CS_SUPPORTSCODELIMIT64) hdr = MX_CS_CD_SIZE_20300;
	else if (cd->version >= MX_CS_SUPPORTSTEAMID) hdr = MX_CS_CD_SIZE_20200;
	else if (cd->version >= MX_CS_SUPPORTSSCATTER) hdr = MX_CS_CD_SIZE_20100;
	if (len < hdr)
		return MX_FAIL(err, MX_EFORMAT, off, "CodeDirectory version 0x%x needs %u header bytes, "
		    "the blob has %u", cd->version, hdr, len);
	if (cd->version >= MX_CS_SUPPORTSSCATTER
	    && (rc = mx_rd_u32be(&rd, &cd->scatter_offset, err)))
		return rc;
	if (cd->version >= MX_CS_SUPPORTSTEAMID && (rc = mx_rd_u32be(&rd, &cd->team_offset, err)))
		return rc;
	cd->code_limit = cd->code_limit32;
	if (cd->version >= MX_CS_SUPPORTSCODELIMIT64) {
		uint64_t cl64;
		if ((rc = mx_rd_skip(&rd, 4, err)) || (rc = mx_rd_u64be(&rd, &cl64, err)))
			return rc;
		if (cl64 != 0)
			cd->code_limit = cl64;
	}
	if (cd->version >= MX_CS_SUPPORTSEXECSEG
	    && ((rc = mx_rd_u64be(&rd, &cd->exec_seg_base, err))
	    || (rc = mx_rd_u64be(&rd, &cd->exec_seg_limit, err))
	    || (rc = mx_rd_u64be(&rd, &cd->exec_seg_flags, err))))
		return rc;
	if (cd->version >= MX_CS_SUPPORTSRUNTIME && (rc = mx_rd_u32be(&rd, &cd->runtime, err)))
		return rc;

	int hi = hash_index(cd->hash_type);
	if (hi < 0)
		return MX_FAIL(err, MX_EFORMAT, off + 37, "CodeDirectory: unknown hashType %u",
		    cd->hash_type);
	if (cd->hash_size != hashes[hi].size)
		return MX_FAIL(err, MX_EFORMAT, off + 36, "CodeDirectory: hashSize %u does not match "
		    "hashType %u (%u bytes)", cd->hash_size, cd->hash_type, hashes[hi].size);
	cd->rank = hashes[hi].rank;
	if (cd->page_shift != 0 && (cd->page_shift < MX_CS_PAGE_SHIFT_4K || cd->page_shift > 16))
		return MX_FAIL(err, MX_EFORMAT, off + 39, "CodeDirectory: pageSize 2^%u is not 0 or "
		    "2^12..2^16", cd->page_shift);
	if (cd->scatter_offset != 0)
		return MX_FAIL(err, MX_EFORMAT, off + 44, "CodeDirectory: scatter vectors are not "
		    "supported");
	/* special slots lie between the header and hashOffset; code slots after it */
	uint64_t hs = cd->hash_size;
	if (cd->hash_offset > len || cd->hash_offset < hdr
	    || (cd->hash_offset - hdr) / hs < cd->nspecial)
		return MX_FAIL(err, MX_EFORMAT, off + 16, "CodeDirectory: hashOffset %u with %u special "
		    "slots of %u bytes does not fit after the %u-byte header", cd->hash_offset,
		    cd->nspecial, cd->hash_size, hdr);
	if ((len - cd->hash_offset) / hs < cd->ncode)
		return MX_FAIL(err, MX_EFORMAT, off + 28, "CodeDirectory: nCodeSlots %u does not fit in "
		    "%u bytes", cd->ncode, len - cd->hash_offset);
	uint64_t expect;
	if (cd->page_shift == 0)
		expect = cd->code_limit ? 1 : 0;
	else
		expect = (cd->code_limit >> cd->page_shift)
		    + ((cd->code_limit & ((1ull << cd->page_shift) - 1)) != 0);
	if (expect != cd->ncode)
		return MX_FAIL(err, MX_EFORMAT, off + 28, "CodeDirectory: nCodeSlots %u, but codeLimit "
		    "%llu needs %llu pages", cd->ncode, (unsigned long long)cd->code_limit,
		    (unsigned long long)expect);
	if ((rc = cd_string(cd, cd->ident_offset, "identOffset", &cd->ident, err)))
		return rc;
	if (cd->ident_offset < hdr)
		return MX_FAIL(err, MX_EFORMAT, off + 20, "CodeDirectory: identOffset %u is inside the "
		    "header", cd->ident_offset);
	if (cd->version >= MX_CS_SUPPORTSTEAMID && cd->team_offset != 0) {
		if (cd->team_offset < hdr)
			return MX_FAIL(err, MX_EFORMAT, off + 48, "CodeDirectory: teamOffset %u is inside "
			    "the header", cd->team_offset);
		if ((rc = cd_string(cd, cd->team_offset, "teamOffset", &cd->team, err)))
			return rc;
	}
	if (digest(cs_md(cd->hash_type), p, len, cd->digest, &cd->digest_len))
		return MX_FAIL(err, MX_EFORMAT, off, "CodeDirectory: cannot hash");
	return 0;
}

/* The magic each embedded slot must carry (0 = any). */
static uint32_t
slot_magic(uint32_t slot)
{
	switch (slot) {
	case MX_CSSLOT_REQUIREMENTS: return MX_CSMAGIC_REQUIREMENTS;
	case MX_CSSLOT_ENTITLEMENTS: return MX_CSMAGIC_EMBEDDED_ENTITLEMENTS;
	case MX_CSSLOT_DER_ENTITLEMENTS: return MX_CSMAGIC_EMBEDDED_DER_ENTITLEMENTS;
	case MX_CSSLOT_LAUNCH_CONSTRAINT_SELF:
	case MX_CSSLOT_LAUNCH_CONSTRAINT_PARENT:
	case MX_CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE:
	case MX_CSSLOT_LIBRARY_CONSTRAINT: return MX_CSMAGIC_EMBEDDED_LAUNCH_CONSTRAINT;
	case MX_CSSLOT_SIGNATURESLOT: return MX_CSMAGIC_BLOBWRAPPER;
	}
	return 0;
}

static bool
is_cd_slot(uint32_t slot)
{
	return slot == MX_CSSLOT_CODEDIRECTORY || (slot >= MX_CSSLOT_ALTERNATE_CODEDIRECTORIES
	    && slot < MX_CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT);
}

static int
add_cd(cs_sig *sig, const uint8_t *p, uint32_t len, uint64_t off, uint32_t slot, mx_err *err)
{
	cs_cd cd;
	int rc = parse_cd(&cd, p, len, off, slot, err);
	if (rc) {
		mx_err_where(err, "slot 0x%x: ", slot);
		return rc;
	}
	for (int i = 0; i < sig->ncd; i++)
		if (sig->cd[i].hash_type == cd.hash_type)
			return MX_FAIL(err, MX_EFORMAT, off, "CodeDirectories in slots 0x%x and 0x%x have "
			    "the same hash type %u", sig->cd[i].slot, slot, cd.hash_type);
	/* keep the primary first; alternates in slot order */
	int at = sig->ncd;
	if (slot == MX_CSSLOT_CODEDIRECTORY) {
		memmove(&sig->cd[1], &sig->cd[0], (size_t)sig->ncd * sizeof sig->cd[0]);
		at = 0;
	} else {
		while (at > 0 && sig->cd[at - 1].slot > slot) {
			sig->cd[at] = sig->cd[at - 1];
			at--;
		}
	}
	sig->cd[at] = cd;
	sig->ncd++;
	return 0;
}

int
cs_parse(cs_sig *out, const uint8_t *buf, size_t len, uint64_t base, mx_err *err)
{
	memset(out, 0, sizeof *out);
	mx_rd rd;
	mx_rd_init(&rd, buf, len, base, "code signature");
	uint32_t magic, length, count;
	int rc;
	if ((rc = mx_rd_u32be(&rd, &magic, err)) || (rc = mx_rd_u32be(&rd, &length, err)))
		return rc;
	if (length > len || length < 8)
		return MX_FAIL(err, MX_EFORMAT, base + 4, "code signature: length %u is outside the "
		    "%zu bytes of LC_CODE_SIGNATURE", length, len);
	if (magic == MX_CSMAGIC_CODEDIRECTORY) {    /* a bare CD is accepted, as by the kernel */
		out->raw_cd = true;
		return add_cd(out, buf, length, base, MX_CSSLOT_CODEDIRECTORY, err);
	}
	if (magic != MX_CSMAGIC_EMBEDDED_SIGNATURE)
		return MX_FAIL(err, MX_EFORMAT, base, "code signature: magic 0x%08x is not a SuperBlob "
		    "(0xfade0cc0)", magic);
	if (length < MX_CS_SUPERBLOB_HEADER_SIZE || (rc = mx_rd_u32be(&rd, &count, err)))
		return rc ? rc : MX_FAIL(err, MX_EFORMAT, base + 4, "SuperBlob: length %u < 12", length);
	if (count > MX_CS_MAX_BLOBS || count > (length - MX_CS_SUPERBLOB_HEADER_SIZE) / 8)
		return MX_FAIL(err, MX_EFORMAT, base + 8, "SuperBlob: %u index entries do not fit in %u "
		    "bytes (cap %d)", count, length, MX_CS_MAX_BLOBS);
	uint32_t seen[MX_CS_MAX_BLOBS];
	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = mx_rd_off(&rd);
		uint32_t type, off;
		if ((rc = mx_rd_u32be(&rd, &type, err)) || (rc = mx_rd_u32be(&rd, &off, err)))
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (seen[j] == type)
				return MX_FAIL(err, MX_EFORMAT, at, "SuperBlob: slot 0x%x appears twice", type);
		seen[i] = type;
		if (off < MX_CS_SUPERBLOB_HEADER_SIZE || off > length
		    || length - off < MX_CS_GENERICBLOB_HEADER)
			return MX_FAIL(err, MX_EFORMAT, at + 4, "SuperBlob: slot 0x%x offset %u leaves no "
			    "room for a blob in %u bytes", type, off, length);
		uint32_t bmagic = mx_get_u32be(buf + off), blen = mx_get_u32be(buf + off + 4);
		if (blen < MX_CS_GENERICBLOB_HEADER || blen > length - off)
			return MX_FAIL(err, MX_EFORMAT, base + off + 4, "slot 0x%x: blob length %u does "
			    "not fit in the %u bytes left", type, blen, length - off);
		if (is_cd_slot(type)) {
			if ((rc = add_cd(out, buf + off, blen, base + off, type, err)))
				return rc;
			continue;
		}
		uint32_t want = slot_magic(type);
		if (want && bmagic != want)
			return MX_FAIL(err, MX_EFORMAT, base + off, "slot 0x%x: magic 0x%08x, expected "
			    "0x%08x", type, bmagic, want);
		cs_blob *b = &out->blob[out->nblob++];
		b->slot = type, b->magic = bmagic, b->len = blen, b->p = buf + off;
		if (type == MX_CSSLOT_SIGNATURESLOT) {
			out->has_cms_slot = true;
			out->cms = buf + off + 8;
			out->cms_len = blen - 8;
		}
	}
	if (out->ncd == 0 || out->cd[0].slot != MX_CSSLOT_CODEDIRECTORY)
		return MX_FAIL(err, MX_EFORMAT, base, "SuperBlob: no CodeDirectory in slot 0");
	return 0;
}

const cs_blob *
cs_find(const cs_sig *sig, uint32_t slot)
{
	for (int i = 0; i < sig->nblob; i++)
		if (sig->blob[i].slot == slot)
			return &sig->blob[i];
	return NULL;
}

int
cs_verify_pages(const cs_cd *cd, const uint8_t *code, size_t code_len, uint64_t base, mx_err *err)
{
	if (cd->code_limit > code_len)
		return MX_FAIL(err, MX_ESIGNATURE, cd->off + 32, "CodeDirectory (slot 0x%x): codeLimit %llu "
		    "is past the %zu-byte slice", cd->slot, (unsigned long long)cd->code_limit, code_len);
	const EVP_MD *md = cs_md(cd->hash_type);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "EVP_MD_CTX_new");
	uint64_t page = cd->page_shift ? 1ull << cd->page_shift : cd->code_limit;
	int rc = 0;
	for (uint32_t i = 0; i < cd->ncode; i++) {
		uint64_t start = (uint64_t)i * page;
		uint64_t end = cd->code_limit - start < page ? cd->code_limit : start + page;
		uint8_t got[EVP_MAX_MD_SIZE];
		unsigned gl;
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1
		    || EVP_DigestUpdate(ctx, code + start, end - start) != 1
		    || EVP_DigestFinal_ex(ctx, got, &gl) != 1) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "digest failed");
			break;
		}
		const uint8_t *want = cd->blob + cd->hash_offset + (size_t)i * cd->hash_size;
		if (memcmp(got, want, cd->hash_size) != 0) {
			rc = MX_FAIL(err, MX_ESIGNATURE, base + start, "page %u (bytes %llu..%llu) does not match "
			    "its hash in the CodeDirectory (slot 0x%x, hash type %u)", i,
			    (unsigned long long)start, (unsigned long long)end, cd->slot, cd->hash_type);
			break;
		}
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

static const uint8_t *
slot_hash(const cs_cd *cd, uint32_t slot)
{
	if (slot == 0 || slot > cd->nspecial)
		return NULL;
	return cd->blob + cd->hash_offset - (size_t)slot * cd->hash_size;
}

bool
cs_slot_bound(const cs_cd *cd, uint32_t slot)
{
	const uint8_t *h = slot_hash(cd, slot);
	if (h == NULL)
		return false;
	for (unsigned i = 0; i < cd->hash_size; i++)
		if (h[i])
			return true;
	return false;
}

static const char *
slot_name(uint32_t slot)
{
	switch (slot) {
	case MX_CSSLOT_INFOSLOT: return "Info.plist";
	case MX_CSSLOT_REQUIREMENTS: return "requirements";
	case MX_CSSLOT_RESOURCEDIR: return "CodeResources";
	case MX_CSSLOT_APPLICATION: return "application";
	case MX_CSSLOT_ENTITLEMENTS: return "entitlements";
	case MX_CSSLOT_DER_ENTITLEMENTS: return "DER entitlements";
	}
	return slot >= 8 && slot <= 11 ? "launch constraints" : "special";
}

int
cs_verify_slot(const cs_cd *cd, uint32_t slot, const uint8_t *data, size_t len, mx_err *err)
{
	bool bound = cs_slot_bound(cd, slot);
	if (data == NULL) {
		if (bound)
			return MX_FAIL(err, MX_ESIGNATURE, cd->off, "the CodeDirectory (slot 0x%x) binds "
			    "special slot %u (%s), which is missing", cd->slot, slot, slot_name(slot));
		return 0;
	}
	if (!bound) {
		/* data without a bound hash: embedded blobs must be bound, files may not be */
		if (slot == MX_CSSLOT_INFOSLOT || slot == MX_CSSLOT_RESOURCEDIR)
			return 0;
		return MX_FAIL(err, MX_ESIGNATURE, cd->off, "the %s blob is not bound by the "
		    "CodeDirectory (slot 0x%x)", slot_name(slot), cd->slot);
	}
	uint8_t got[EVP_MAX_MD_SIZE];
	unsigned gl;
	if (digest(cs_md(cd->hash_type), data, len, got, &gl))
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "digest failed");
	if (memcmp(got, slot_hash(cd, slot), cd->hash_size) != 0)
		return MX_FAIL(err, MX_ESIGNATURE, cd->off, "special slot %u (%s) does not match the "
		    "CodeDirectory (slot 0x%x)", slot, slot_name(slot), cd->slot);
	return 0;
}

/* ---- DER entitlements ----
 * [APPLICATION 16] (0x70) { INTEGER 1, [CONTEXT 16] (0xb0) { dict } }, where
 * a dict is SET (0x31) of SEQUENCE { UTF8String key, value } and a value is
 * BOOLEAN, INTEGER, UTF8String, SEQUENCE (array) or SET (dict).  The
 * [CONTEXT 16] element holds the dict's SET (formats-and-peers.md §1.10). */
#define DER_MAX_DEPTH 32

static int
der_tlv(mx_rd *rd, uint8_t *tag, mx_rd *val, mx_err *err)
{
	uint64_t at = mx_rd_off(rd);
	uint8_t t, l;
	int rc;
	if ((rc = mx_rd_u8(rd, &t, err)) || (rc = mx_rd_u8(rd, &l, err)))
		return rc;
	if ((t & 0x1f) == 0x1f)
		return MX_FAIL(err, MX_EFORMAT, at, "DER: multi-byte tags are not used in entitlements");
	uint64_t n = l;
	if (l & 0x80) {
		unsigned k = l & 0x7f;
		if (k == 0 || k > 4)
			return MX_FAIL(err, MX_EFORMAT, at + 1, "DER: length of %u bytes", k);
		n = 0;
		for (unsigned i = 0; i < k; i++) {
			uint8_t b;
			if ((rc = mx_rd_u8(rd, &b, err)))
				return rc;
			n = n << 8 | b;
		}
	}
	if (n > mx_rd_left(rd))
		return MX_FAIL(err, MX_EFORMAT, at, "DER: element of %llu bytes runs past the end",
		    (unsigned long long)n);
	mx_rd_init(val, rd->p, (size_t)n, mx_rd_off(rd), "DER entitlements");
	rd->p += n;
	*tag = t;
	return 0;
}

static int der_value(plist_t *out, uint8_t tag, mx_rd *v, int depth, mx_err *err);

static int
der_dict(plist_t *out, mx_rd *set, int depth, mx_err *err)
{
	plist_t d = plist_new_dict();
	int rc = 0;
	while (rc == 0 && mx_rd_left(set) > 0) {
		uint8_t tag, kt, vt;
		mx_rd pair, key, val;
		if ((rc = der_tlv(set, &tag, &pair, err)))
			break;
		if (tag != 0x30) {
			rc = MX_FAIL(err, MX_EFORMAT, pair.base, "DER entitlements: dict entry tag 0x%02x, "
			    "expected SEQUENCE", tag);
			break;
		}
		if ((rc = der_tlv(&pair, &kt, &key, err)) || (rc = der_tlv(&pair, &vt, &val, err)))
			break;
		if (kt != 0x0c || mx_rd_left(&pair) != 0) {
			rc = MX_FAIL(err, MX_EFORMAT, pair.base, "DER entitlements: dict entry is not "
			    "{UTF8String, value}");
			break;
		}
		char *k = mx_xmalloc(mx_rd_left(&key) + 1);
		memcpy(k, key.p, mx_rd_left(&key));
		k[mx_rd_left(&key)] = '\0';
		plist_t v = NULL;
		if ((rc = der_value(&v, vt, &val, depth + 1, err)) == 0) {
			if (strlen(k) != mx_rd_left(&key) || plist_dict_get_item(d, k) != NULL) {
				rc = MX_FAIL(err, MX_EFORMAT, key.base, "DER entitlements: bad or repeated key");
				plist_free(v);
			} else {
				plist_dict_set_item(d, k, v);
			}
		}
		free(k);
	}
	if (rc) {
		plist_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static int
der_value(plist_t *out, uint8_t tag, mx_rd *v, int depth, mx_err *err)
{
	size_t n = mx_rd_left(v);
	if (depth > DER_MAX_DEPTH)
		return MX_FAIL(err, MX_EFORMAT, v->base, "DER entitlements: nested deeper than %d",
		    DER_MAX_DEPTH);
	switch (tag) {
	case 0x01:
		if (n != 1)
			return MX_FAIL(err, MX_EFORMAT, v->base, "DER entitlements: BOOLEAN of %zu bytes", n);
		*out = plist_new_bool(v->p[0] != 0);
		return 0;
	case 0x02: {
		if (n == 0 || n > 8)
			return MX_FAIL(err, MX_EFORMAT, v->base, "DER entitlements: INTEGER of %zu bytes", n);
		int64_t x = (v->p[0] & 0x80) ? -1 : 0;
		for (size_t i = 0; i < n; i++)
			x = (int64_t)((uint64_t)x << 8 | v->p[i]);
		*out = plist_new_uint((uint64_t)x);
		return 0;
	}
	case 0x0c: {
		char *s = mx_xmalloc(n + 1);
		memcpy(s, v->p, n);
		s[n] = '\0';
		*out = plist_new_string(s);
		free(s);
		return 0;
	}
	case 0x30: {
		plist_t a = plist_new_array();
		while (mx_rd_left(v) > 0) {
			uint8_t t;
			mx_rd e;
			plist_t item = NULL;
			int rc = der_tlv(v, &t, &e, err);
			if (rc == 0)
				rc = der_value(&item, t, &e, depth + 1, err);
			if (rc) {
				plist_free(a);
				return rc;
			}
			plist_array_append_item(a, item);
		}
		*out = a;
		return 0;
	}
	case 0x31:
		return der_dict(out, v, depth, err);
	}
	return MX_FAIL(err, MX_EFORMAT, v->base, "DER entitlements: unsupported tag 0x%02x", tag);
}

int
cs_der_entitlements(plist_t *out, const uint8_t *der, size_t len, uint64_t base, mx_err *err)
{
	*out = NULL;
	mx_rd rd, top, ver, body;
	mx_rd_init(&rd, der, len, base, "DER entitlements");
	uint8_t tag;
	int rc;
	if ((rc = der_tlv(&rd, &tag, &top, err)))
		return rc;
	if (tag != 0x70)
		return MX_FAIL(err, MX_EFORMAT, base, "DER entitlements: tag 0x%02x, expected "
		    "[APPLICATION 16]", tag);
	if ((rc = der_tlv(&top, &tag, &ver, err)))
		return rc;
	if (tag != 0x02 || mx_rd_left(&ver) != 1 || ver.p[0] != 1)
		return MX_FAIL(err, MX_EFORMAT, ver.base, "DER entitlements: version is not INTEGER 1");
	if ((rc = der_tlv(&top, &tag, &body, err)))
		return rc;
	if (tag != 0xb0)
		return MX_FAIL(err, MX_EFORMAT, body.base, "DER entitlements: tag 0x%02x, expected "
		    "[CONTEXT 16]", tag);
	if (mx_rd_left(&top) != 0)
		return MX_FAIL(err, MX_EFORMAT, mx_rd_off(&top), "DER entitlements: bytes after the dict");
	/* [CONTEXT 16] is the dict's SET implicitly tagged, so it holds the
	 * entries (✔ sentry-cli: an empty dict is "b0 00"); also accept an
	 * explicit SET inside it */
	if (mx_rd_left(&body) > 0 && body.p[0] == 0x31) {
		mx_rd set;
		if ((rc = der_tlv(&body, &tag, &set, err)))
			return rc;
		if (mx_rd_left(&body) != 0)
			return MX_FAIL(err, MX_EFORMAT, set.base, "DER entitlements: body is not one SET");
		return der_dict(out, &set, 0, err);
	}
	return der_dict(out, &body, 0, err);
}

int
cs_entitlements(plist_t *out, const cs_sig *sig, mx_err *err)
{
	*out = NULL;
	const cs_blob *x = cs_find(sig, MX_CSSLOT_ENTITLEMENTS);
	if (x != NULL) {
		plist_t p = NULL;
		mx_err pe;
		mx_err_clear(&pe);
		mx_plist_parse(&p, x->p + 8, x->len - 8, "entitlements", &pe);
		if (p == NULL || plist_get_node_type(p) != PLIST_DICT) {
			plist_free(p);
			return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "entitlements blob: not an XML "
			    "plist dict");
		}
		*out = p;
		return 0;
	}
	const cs_blob *d = cs_find(sig, MX_CSSLOT_DER_ENTITLEMENTS);
	if (d != NULL)
		return cs_der_entitlements(out, d->p + 8, d->len - 8, MX_NO_OFFSET, err);
	return 0;
}
