/*
 * codesign_path.c — mx_codesign_verify_{buf,path}: each slice of a Mach-O
 * (or a codeless bundle's detached _CodeSignature files) is checked in the
 * order of formats-and-peers.md §1.11 "verification algorithm": structure
 * (cs_parse), every page of every CodeDirectory, every special slot the
 * signature or the bundle provides, then the CMS signature and chain
 * (cs_cms_verify).  The file is read once (mmap) and every page hashed once
 * per CodeDirectory.  The overall kind is the worst over all slices, and
 * slices must agree on being signed and on the Team ID (macOS checks all
 * architectures: kSecCSCheckAllArchitectures, kernel-extensions.md §5.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/codesign_int.h"
#include "macext/bundle.h"
#include "macext/codesign.h"
#include "macext/macho.h"
#include "macext/rd.h"

#define MAX_EXEC_SIZE   (256ull << 20)
#define MAX_SMALL_FILE  (16u << 20)   /* Info.plist, CodeResources, detached blobs */

static const char *kind_names[] = {
	[MX_SIG_UNSIGNED] = "unsigned", [MX_SIG_ADHOC] = "adhoc", [MX_SIG_APPLE] = "apple",
	[MX_SIG_DEVELOPER_ID] = "developer-id", [MX_SIG_DEVELOPER_ID_KEXT] = "developer-id-kext",
	[MX_SIG_UNTRUSTED] = "untrusted", [MX_SIG_INVALID] = "invalid",
};

const char *
mx_sigkind_name(enum mx_sigkind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "invalid";
}

/* Higher is worse: the overall kind of a fat file is its worst slice's. */
static int
severity(enum mx_sigkind k)
{
	switch (k) {
	case MX_SIG_APPLE: return 0;
	case MX_SIG_DEVELOPER_ID_KEXT: return 1;
	case MX_SIG_DEVELOPER_ID: return 2;
	case MX_SIG_ADHOC: return 3;
	case MX_SIG_UNTRUSTED: return 4;
	case MX_SIG_UNSIGNED: return 5;
	case MX_SIG_INVALID: return 6;
	}
	return 6;
}

void
mx_siginfo_free(mx_siginfo *si)
{
	if (si == NULL)
		return;
	plist_free(si->entitlements);
	si->entitlements = NULL;
}

/* Bundle files bound by special slots: given = we are verifying a bundle,
 * so a bound slot whose file is missing is a failure. */
typedef struct cs_files {
	const uint8_t *info, *res;
	size_t info_len, res_len;
	bool info_given, res_given;
	bool res_bound;         /* out: some CD binds CodeResources (slot 3) */
} cs_files;

typedef struct sig_result {
	mx_sig_arch arch;
	cs_cms_result cms;
	plist_t ents;
	bool signed_;         /* has a signature at all */
	bool stub;            /* an unsigned MH_OBJECT slice (e.g. Lilu's i386 stub) */
} sig_result;

static void
set_invalid(sig_result *r, const mx_err *e)
{
	r->arch.kind = MX_SIG_INVALID;
	r->cms.kind = MX_SIG_INVALID;
	if (e->offset != MX_NO_OFFSET)
		snprintf(r->cms.reason, sizeof r->cms.reason, "%s%s (offset %llu)", e->where, e->msg,
		    (unsigned long long)e->offset);
	else
		snprintf(r->cms.reason, sizeof r->cms.reason, "%s%s", e->where, e->msg);
}

/* Everything but the Mach-O framing: code (may be NULL with code_len 0 for
 * a codeless bundle) is what the code slots cover. */
static int
verify_sig(sig_result *r, const cs_sig *sig, const uint8_t *code, size_t code_len,
    uint64_t code_base, cs_files *f, const mx_trust *trust, mx_err *err)
{
	mx_err e;
	mx_err_clear(&e);
	r->signed_ = true;
	const cs_cd *best = &sig->cd[0];
	for (int i = 1; i < sig->ncd; i++)
		if (sig->cd[i].rank > best->rank)
			best = &sig->cd[i];
	mx_hex_encode(r->arch.cdhash, best->digest, MX_CS_CDHASH_LEN);
	snprintf(r->arch.identifier, sizeof r->arch.identifier, "%s", sig->cd[0].ident);
	if (sig->cd[0].team)
		snprintf(r->arch.team_id, sizeof r->arch.team_id, "%s", sig->cd[0].team);
	for (int i = 0; i < sig->ncd; i++) {
		const cs_cd *cd = &sig->cd[i];
		if (strcmp(cd->ident, sig->cd[0].ident) != 0
		    || (cd->team == NULL) != (sig->cd[0].team == NULL)
		    || (cd->team && strcmp(cd->team, sig->cd[0].team) != 0)) {
			MX_FAIL(&e, MX_ESIGNATURE, cd->off, "CodeDirectory in slot 0x%x names another "
			    "identifier or team than the primary", cd->slot);
			goto bad;
		}
		if (cs_verify_pages(cd, code, code_len, code_base, &e))
			goto bad;
		/* blobs embedded in the SuperBlob */
		static const uint32_t embedded[] = { MX_CSSLOT_REQUIREMENTS, MX_CSSLOT_ENTITLEMENTS,
		    MX_CSSLOT_DER_ENTITLEMENTS, MX_CSSLOT_LAUNCH_CONSTRAINT_SELF,
		    MX_CSSLOT_LAUNCH_CONSTRAINT_PARENT, MX_CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE,
		    MX_CSSLOT_LIBRARY_CONSTRAINT };
		for (size_t k = 0; k < sizeof embedded / sizeof embedded[0]; k++) {
			const cs_blob *b = cs_find(sig, embedded[k]);
			if (cs_verify_slot(cd, embedded[k], b ? b->p : NULL, b ? b->len : 0, &e))
				goto bad;
		}
		/* files of the bundle */
		if ((f->info_given || f->info) && cs_verify_slot(cd, MX_CSSLOT_INFOSLOT, f->info,
		    f->info_len, &e))
			goto bad;
		if ((f->res_given || f->res) && cs_verify_slot(cd, MX_CSSLOT_RESOURCEDIR, f->res,
		    f->res_len, &e))
			goto bad;
		f->res_bound |= cs_slot_bound(cd, MX_CSSLOT_RESOURCEDIR);
	}
	if (cs_entitlements(&r->ents, sig, &e))
		goto bad;
	bool adhoc = (sig->cd[0].flags & MX_CS_ADHOC) != 0;
	if (!sig->has_cms_slot || sig->cms_len == 0) {
		/* no CMS (or an empty wrapper, as `codesign -s -` writes): ad hoc */
		r->arch.kind = r->cms.kind = MX_SIG_ADHOC;
		return 0;
	}
	if (adhoc) {
		MX_FAIL(&e, MX_ESIGNATURE, sig->cd[0].off + 12, "the CodeDirectory is flagged ad hoc "
		    "(CS_ADHOC) but carries a CMS signature");
		goto bad;
	}
	int rc = cs_cms_verify(&r->cms, sig, trust, err);
	if (rc)
		return rc;
	r->arch.kind = r->cms.kind;
	if (r->cms.kind != MX_SIG_INVALID && r->arch.team_id[0] && r->cms.team[0]
	    && strcmp(r->arch.team_id, r->cms.team) != 0) {
		r->arch.kind = r->cms.kind = MX_SIG_INVALID;
		snprintf(r->cms.reason, sizeof r->cms.reason, "the CodeDirectory's team %s is not the "
		    "signing certificate's team %s", r->arch.team_id, r->cms.team);
	}
	return 0;
bad:
	set_invalid(r, &e);
	return 0;
}

static int
verify_slice(sig_result *r, const mx_macho_slice *s, cs_files *f, const mx_trust *trust,
    mx_err *err)
{
	memset(r, 0, sizeof *r);
	r->arch.cputype = s->cputype;
	r->arch.cpusubtype = s->cpusubtype;
	if (!s->has_code_signature) {
		r->stub = s->filetype == MX_MH_OBJECT;
		r->arch.kind = r->cms.kind = MX_SIG_UNSIGNED;
		snprintf(r->cms.reason, sizeof r->cms.reason, "no LC_CODE_SIGNATURE");
		return 0;
	}
	mx_err e;
	mx_err_clear(&e);
	cs_sig *sig = mx_xmalloc(sizeof *sig);
	int rc = 0;
	if (cs_parse(sig, s->data + s->cs_dataoff, s->cs_datasize, s->offset + s->cs_dataoff, &e)) {
		r->signed_ = true;
		set_invalid(r, &e);
	} else {
		/* everything before the signature must be covered (strict validation) */
		for (int i = 0; i < sig->ncd && !e.code; i++)
			if (sig->cd[i].code_limit != s->cs_dataoff)
				MX_FAIL(&e, MX_ESIGNATURE, sig->cd[i].off + 32, "CodeDirectory in slot 0x%x "
				    "covers %llu bytes, the signature starts at %u", sig->cd[i].slot,
				    (unsigned long long)sig->cd[i].code_limit, s->cs_dataoff);
		if (e.code) {
			r->signed_ = true;
			set_invalid(r, &e);
		} else {
			rc = verify_sig(r, sig, s->data, s->cs_dataoff, s->offset, f, trust, err);
		}
	}
	free(sig);
	return rc;
}

/* Folds the slices into out. */
static void
combine(mx_siginfo *out, sig_result *rs, int n)
{
	int worst = -1, first_signed = -1;
	bool any_unsigned = false, any_signed = false;
	/* An unsigned MH_OBJECT slice cannot be loaded or signed (a stub next to
	 * the real kext): it is reported per arch but does not decide the kind,
	 * unless every slice is one (inference, docs/codesign.md). */
	bool all_stubs = true;
	for (int i = 0; i < n; i++)
		all_stubs &= rs[i].stub;
	for (int i = 0; i < n; i++) {
		if (rs[i].stub && !all_stubs)
			continue;
		if (worst < 0 || severity(rs[i].arch.kind) > severity(rs[worst].arch.kind))
			worst = i;
		if (rs[i].signed_ && first_signed < 0)
			first_signed = i;
		any_signed |= rs[i].signed_;
		any_unsigned |= !rs[i].signed_;
	}
	const sig_result *lead = &rs[first_signed >= 0 ? first_signed : 0];
	out->kind = rs[worst].arch.kind;
	snprintf(out->reason, sizeof out->reason, "%s", rs[worst].cms.reason);
	snprintf(out->identifier, sizeof out->identifier, "%s", lead->arch.identifier);
	snprintf(out->cdhash, sizeof out->cdhash, "%s", lead->arch.cdhash);
	snprintf(out->signer, sizeof out->signer, "%s", lead->cms.signer);
	out->signing_time = lead->cms.signing_time;
	out->kext_requirement_met = any_signed && !any_unsigned;
	out->devid_requirement_met = out->kext_requirement_met;
	for (int i = 0; i < n; i++) {
		if (rs[i].stub && !all_stubs)
			continue;
		out->kext_requirement_met &= rs[i].cms.kext_requirement_met;
		out->devid_requirement_met &= rs[i].cms.devid_requirement_met;
	}
	bool certified = out->kind == MX_SIG_APPLE || out->kind == MX_SIG_DEVELOPER_ID
	    || out->kind == MX_SIG_DEVELOPER_ID_KEXT || out->kind == MX_SIG_UNTRUSTED;
	if (certified)
		snprintf(out->team_id, sizeof out->team_id, "%s", lead->cms.team);
	if (any_signed && any_unsigned) {
		out->kind = MX_SIG_INVALID;
		snprintf(out->reason, sizeof out->reason, "some architectures are signed and some are "
		    "not");
	}
	for (int i = 0; i < n && out->kind != MX_SIG_INVALID; i++)
		if (!(rs[i].stub && !all_stubs) && strcmp(rs[i].cms.team, lead->cms.team) != 0) {
			/* identifiers may differ per slice (real fat files do); teams may not */
			out->kind = MX_SIG_INVALID;
			snprintf(out->reason, sizeof out->reason, "the architectures are signed by "
			    "different teams (%s, %s)", lead->cms.team, rs[i].cms.team);
		}
	/* Apple's own (platform) code has no Team ID: codesign -dv says
	 * "TeamIdentifier=not set", and the OU of "Software Signing" is no team */
	if (out->kind == MX_SIG_APPLE)
		out->team_id[0] = '\0';
	if (out->kind == MX_SIG_INVALID || out->kind == MX_SIG_UNSIGNED || out->kind == MX_SIG_ADHOC) {
		out->kext_requirement_met = out->devid_requirement_met = false;
		if (out->kind != MX_SIG_INVALID)
			out->team_id[0] = '\0';
	}
	if (out->reason[0] == '\0' && !out->kext_requirement_met)
		snprintf(out->reason, sizeof out->reason, "%s", out->kind == MX_SIG_DEVELOPER_ID ?
		    "the leaf certificate lacks the kext signing OID " MX_OID_DEVID_KEXT
		    : out->kind == MX_SIG_APPLE ? "Apple's own signature (anchor apple)"
		    : out->kind == MX_SIG_ADHOC ? "ad hoc: no certificate chain" : "");
	/* expired certificates of every slice, each once */
	for (int i = 0; i < n; i++)
		for (int k = 0; k < rs[i].cms.nexpired; k++) {
			const mx_sig_expired *x = &rs[i].cms.expired[k];
			bool seen = false;
			for (int j = 0; j < out->nexpired && !seen; j++)
				seen = out->expired_certs[j].not_after == x->not_after &&
				    strcmp(out->expired_certs[j].subject, x->subject) == 0;
			if (!seen && out->nexpired < MX_SIG_MAX_EXPIRED)
				out->expired_certs[out->nexpired++] = *x;
		}
	out->expired = out->nexpired > 0;
	out->narch = 0;
	for (int i = 0; i < n && i < MX_SIG_MAX_ARCH; i++)
		out->arch[out->narch++] = rs[i].arch;
	out->entitlements = lead->ents ? plist_copy(lead->ents) : NULL;
}

static void
results_free(sig_result *rs, int n)
{
	for (int i = 0; i < n; i++)
		plist_free(rs[i].ents);
	free(rs);
}

static int
verify_macho(mx_siginfo *out, const uint8_t *buf, size_t len, cs_files *f,
    const mx_trust *trust, mx_err *err)
{
	if (!mx_macho_sniff(buf, len))
		return MX_FAIL(err, MX_EFORMAT, 0, "not a Mach-O file");
	mx_macho *m = NULL;
	mx_err e;
	mx_err_clear(&e);
	if (mx_macho_parse(&m, buf, len, &e)) {
		/* a Mach-O we cannot read cannot have a valid signature */
		sig_result r;
		memset(&r, 0, sizeof r);
		set_invalid(&r, &e);
		combine(out, &r, 1);
		return 0;
	}
	int n = m->nslices;
	if (n > MX_SIG_MAX_ARCH) {
		mx_macho_free(m);
		return MX_FAIL(err, MX_ETOOBIG, 4, "%d architectures, at most %d", n, MX_SIG_MAX_ARCH);
	}
	sig_result *rs = mx_xcalloc((size_t)n, sizeof *rs);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = verify_slice(&rs[i], &m->slices[i], f, trust, err);
	if (rc == 0)
		combine(out, rs, n);
	results_free(rs, n);
	mx_macho_free(m);
	return rc;
}

int
mx_codesign_verify_buf(mx_siginfo *out, const uint8_t *buf, size_t len, const uint8_t *info_plist,
    size_t info_len, const mx_trust *trust, mx_err *err)
{
	memset(out, 0, sizeof *out);
	cs_files f = { .info = info_plist, .info_len = info_len };
	return verify_macho(out, buf, len, &f, trust, err);
}

/* ---- files ---- */

/* Reads a whole regular file of a bundle, of at most cap bytes; *out is
 * malloc'd (NULL, 0 with rc 0 when it does not exist and may_miss).  A
 * symbolic link is refused (O_NOFOLLOW): what the signature binds must be
 * the bundle's own file (issue 14 §6). */
static int
read_file(uint8_t **out, size_t *len, const char *path, size_t cap, bool may_miss, mx_err *err)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (may_miss && errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: is a symbolic link (a bundle's "
			    "signature files must be its own)", path);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > cap) {
		close(fd);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %lld bytes is over the cap of %zu",
		    path, (long long)st.st_size, cap);
	}
	uint8_t *b = mx_xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, b + got, (size_t)st.st_size - got);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			free(b);
			close(fd);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: short read", path);
		}
		got += (size_t)k;
	}
	close(fd);
	*out = b;
	*len = got;
	return 0;
}

/* mmaps a Mach-O of at most 256 MiB: read once, hashed in place.  A
 * bundle's executable is opened O_NOFOLLOW (nofollow). */
static int
map_file(const uint8_t **out, size_t *len, const char *path, bool nofollow, mx_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return MX_FAIL(err, errno == ENOENT ? MX_ENOTFOUND : errno == ELOOP ? MX_EINVALID :
		    MX_EIO, MX_NO_OFFSET, "%s: %s", path, errno == ELOOP ? "is a symbolic link (a "
		    "bundle's executable must be its own file)" : strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > MAX_EXEC_SIZE) {
		close(fd);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %lld bytes is over the cap of 256 MiB",
		    path, (long long)st.st_size);
	}
	*len = (size_t)st.st_size;
	if (*len == 0) {
		close(fd);
		*out = NULL;
		return 0;
	}
	void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: mmap: %s", path, strerror(errno));
	madvise(p, *len, MADV_SEQUENTIAL);
	*out = p;
	return 0;
}

static int
verify_file(mx_siginfo *out, const char *path, bool in_bundle, cs_files *f,
    const mx_trust *trust, mx_err *err)
{
	const uint8_t *buf = NULL;
	size_t len = 0;
	int rc = map_file(&buf, &len, path, in_bundle, err);
	if (rc)
		return rc;
	rc = verify_macho(out, buf, len, f, trust, err);
	if (rc)
		mx_err_where(err, "%s: ", path);
	if (buf)
		munmap((void *)buf, len);
	return rc;
}

/* A codeless bundle signed by codesign keeps its signature in separate
 * files: _CodeSignature/CodeDirectory (a bare CD), CodeRequirements,
 * CodeEntitlements, CodeSignature (the CMS wrapper) and CodeRequirements-1
 * ... for alternate CDs (Security framework's naming for slot 0x1000+n). */
static int
verify_detached(mx_siginfo *out, const char *sigdir, cs_files *f, const mx_trust *trust,
    mx_err *err)
{
	static const struct { const char *name; uint32_t slot; } files[] = {
		{ "CodeDirectory", MX_CSSLOT_CODEDIRECTORY },
		{ "CodeRequirements", MX_CSSLOT_REQUIREMENTS },
		{ "CodeEntitlements", MX_CSSLOT_ENTITLEMENTS },
		{ "CodeEntitlementsDER", MX_CSSLOT_DER_ENTITLEMENTS },
		{ "CodeRequirements-1", MX_CSSLOT_ALTERNATE_CODEDIRECTORIES },
		{ "CodeRequirements-2", MX_CSSLOT_ALTERNATE_CODEDIRECTORIES + 1 },
		{ "CodeRequirements-3", MX_CSSLOT_ALTERNATE_CODEDIRECTORIES + 2 },
		{ "CodeRequirements-4", MX_CSSLOT_ALTERNATE_CODEDIRECTORIES + 3 },
		{ "CodeRequirements-5", MX_CSSLOT_ALTERNATE_CODEDIRECTORIES + 4 },
		{ "CodeSignature", MX_CSSLOT_SIGNATURESLOT },
	};
	enum { NF = sizeof files / sizeof files[0] };
	uint8_t *data[NF] = { NULL };
	size_t lens[NF] = { 0 };
	int rc = 0, n = 0;
	const char *bad_file = NULL;
	for (int i = 0; i < NF && rc == 0; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", sigdir, files[i].name);
		rc = read_file(&data[i], &lens[i], p, MAX_SMALL_FILE, true, err);
		n += data[i] != NULL;
		/* each file is exactly one blob: its length field covers the whole file */
		if (rc == 0 && data[i] && (lens[i] < 8 || mx_get_u32be(data[i] + 4) != lens[i]))
			bad_file = files[i].name;
	}
	if (rc == 0 && data[0] == NULL) {
		sig_result r;
		memset(&r, 0, sizeof r);
		r.arch.kind = r.cms.kind = MX_SIG_UNSIGNED;
		snprintf(r.cms.reason, sizeof r.cms.reason, "codeless bundle without "
		    "_CodeSignature/CodeDirectory");
		combine(out, &r, 1);
	} else if (rc == 0 && bad_file) {
		sig_result r;
		memset(&r, 0, sizeof r);
		r.signed_ = true;
		r.arch.kind = r.cms.kind = MX_SIG_INVALID;
		snprintf(r.cms.reason, sizeof r.cms.reason, "_CodeSignature/%s is not exactly one blob",
		    bad_file);
		combine(out, &r, 1);
	} else if (rc == 0) {
		/* assemble a SuperBlob in memory and verify it like an embedded one */
		size_t total = MX_CS_SUPERBLOB_HEADER_SIZE + (size_t)n * 8;
		for (int i = 0; i < NF; i++)
			total += lens[i];
		sig_result r;
		memset(&r, 0, sizeof r);
		mx_err e;
		mx_err_clear(&e);
		if (total > MAX_SMALL_FILE) {
			MX_FAIL(&e, MX_ETOOBIG, MX_NO_OFFSET, "_CodeSignature files are too large");
			set_invalid(&r, &e);
			combine(out, &r, 1);
		} else {
			uint8_t *sb = mx_xcalloc(1, total);
			mx_put_u32be(sb, MX_CSMAGIC_EMBEDDED_SIGNATURE);
			mx_put_u32be(sb + 4, (uint32_t)total);
			mx_put_u32be(sb + 8, (uint32_t)n);
			size_t at = MX_CS_SUPERBLOB_HEADER_SIZE + (size_t)n * 8;
			int k = 0;
			for (int i = 0; i < NF; i++) {
				if (data[i] == NULL)
					continue;
				mx_put_u32be(sb + 12 + 8 * k, files[i].slot);
				mx_put_u32be(sb + 16 + 8 * k, (uint32_t)at);
				if (lens[i])
					memcpy(sb + at, data[i], lens[i]);
				at += lens[i];
				k++;
			}
			cs_sig *sig = mx_xmalloc(sizeof *sig);
			if (cs_parse(sig, sb, total, 0, &e)) {
				r.signed_ = true;
				set_invalid(&r, &e);
			} else {
				rc = verify_sig(&r, sig, NULL, 0, 0, f, trust, err);
			}
			if (rc == 0)
				combine(out, &r, 1);
			plist_free(r.ents);
			free(sig);
			free(sb);
		}
	}
	for (int i = 0; i < NF; i++)
		free(data[i]);
	return rc;
}

int
mx_codesign_verify_path(mx_siginfo *out, const char *path, const mx_trust *trust, mx_err *err)
{
	memset(out, 0, sizeof *out);
	struct stat st;
	if (stat(path, &st) != 0)
		return MX_FAIL(err, errno == ENOENT ? MX_ENOTFOUND : MX_EIO, MX_NO_OFFSET, "%s: %s", path,
		    strerror(errno));
	cs_files f;
	memset(&f, 0, sizeof f);
	if (!S_ISDIR(st.st_mode))
		return verify_file(out, path, false, &f, trust, err);

	mx_bundle *b = NULL;
	int rc = mx_bundle_open_flags(&b, path, MX_BUNDLE_NO_ENTITLEMENTS, err);
	if (rc)
		return rc;
	char info[PATH_MAX], res[PATH_MAX], sigdir[PATH_MAX];
	snprintf(info, sizeof info, "%s/Info.plist", b->contents_dir);
	snprintf(sigdir, sizeof sigdir, "%s/_CodeSignature", b->contents_dir);
	snprintf(res, sizeof res, "%s/CodeResources", sigdir);
	uint8_t *ib = NULL, *rb = NULL;
	rc = read_file(&ib, &f.info_len, info, MAX_SMALL_FILE, true, err);
	if (rc == 0)
		rc = read_file(&rb, &f.res_len, res, MAX_SMALL_FILE, true, err);
	f.info = ib, f.res = rb, f.info_given = f.res_given = true;
	if (rc == 0) {
		if (b->codeless)
			rc = verify_detached(out, sigdir, &f, trust, err);
		else
			rc = verify_file(out, b->executable_path, true, &f, trust, err);
	}
	/* the resource seal, once slot 3 has vouched for CodeResources itself */
	if (rc == 0 && rb && f.res_bound && out->kind != MX_SIG_INVALID
	    && out->kind != MX_SIG_UNSIGNED) {
		char exe[PATH_MAX + 8] = "", why[sizeof out->reason];
		if (!b->codeless)
			snprintf(exe, sizeof exe, "%s%s", strcmp(b->contents_dir, b->path) ? "MacOS/" : "",
			    b->executable);
		if (cs_verify_resources(why, sizeof why, b->contents_dir, exe[0] ? exe : NULL, rb,
		    f.res_len) != 0) {
			out->kind = MX_SIG_INVALID;
			out->kext_requirement_met = out->devid_requirement_met = false;
			snprintf(out->reason, sizeof out->reason, "%s", why);
		}
	}
	/* the kext requirement explains itself only where a kext is verified */
	if (rc == 0 && b->kind != MX_BUNDLE_KEXT && out->kind == MX_SIG_DEVELOPER_ID)
		out->reason[0] = '\0';
	free(ib);
	free(rb);
	mx_bundle_free(b);
	return rc;
}

int
mx_codesign_copy_entitlements(plist_t *out, const char *path, mx_err *err)
{
	*out = NULL;
	const uint8_t *buf = NULL;
	size_t len = 0;
	int rc = map_file(&buf, &len, path, false, err);
	if (rc)
		return rc;
	mx_macho *m = NULL;
	if (!mx_macho_sniff(buf, len)) {
		rc = MX_FAIL(err, MX_EFORMAT, 0, "not a Mach-O file");
	} else if ((rc = mx_macho_parse(&m, buf, len, err)) == 0) {
		cs_sig *sig = mx_xmalloc(sizeof *sig);
		for (int i = 0; i < m->nslices && *out == NULL && rc == 0; i++) {
			const mx_macho_slice *s = &m->slices[i];
			if (!s->has_code_signature)
				continue;
			rc = cs_parse(sig, s->data + s->cs_dataoff, s->cs_datasize,
			    s->offset + s->cs_dataoff, err);
			if (rc == 0)
				rc = cs_entitlements(out, sig, err);
		}
		free(sig);
	}
	if (rc)
		mx_err_where(err, "%s: ", path);
	mx_macho_free(m);
	if (buf)
		munmap((void *)buf, len);
	return rc;
}
