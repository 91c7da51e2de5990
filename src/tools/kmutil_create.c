/*
 * kmutil_create.c — `kmutil create -n aux` (kernel-extensions.md §3.5,
 * "developer use"): builds an Auxiliary Kernel Collection file from kext
 * bundles on the host (-p) or the selected device's installed kexts (-b),
 * without changing the device.
 *
 * It is the fast path the "AuxKC build ÷ cat" benchmark measures: each
 * executable is mapped once (no copy into the process), the collection is
 * laid out by mx_fileset_plan_make and written with one writev straight
 * from the mappings, zero padding from a static page, into a temporary file
 * renamed over -A at the end (no half-written output; no fsync: a
 * developer's output file, not device state).  With -z nothing is hashed;
 * without -z each kext's signature is verified as a Mac with SIP on does
 * (mx_codesign_verify_path, mx_kext_signature_ok) and a failure refuses the
 * build.  Choices and exit codes: docs/kext.md "kmutil create".
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "macext/bundle.h"
#include "macext/fileset.h"
#include "macext/macho.h"
#include "tools.h"

#define KEXT_STAGED_PREFIX "/Library/StagedExtensions"

#define KC_USAGE "kmutil create -n aux -A FILE (-p PATH | -b ID)... [-a arm64e|x86_64] " \
	"[-B BOOT_KC] [-S SYS_KC] [-z] [-x] [--check-expiration]"
#define BOOT_KC_PATH "/System/Library/KernelCollections/BootKernelExtensions.kc"

/* One kext going into the collection. */
struct ck {
	char arg[PATH_MAX];             /* -p PATH or -b ID as given, or a dependency's id */
	char dir[PATH_MAX];             /* the bundle on the host (the CAS copy for -b) */
	char prelink[1200];             /* _PrelinkBundlePath */
	char relpath[512];
	mx_bundle *b;
	const uint8_t *map;             /* the executable, mapped */
	size_t map_len, off, len;       /* its slice */
	char team[32], cdhash[41];
};

struct opts {
	const char *out, *boot, *arch;
	bool noauth, explicit_only;
	bool strict;                    /* --check-expiration (macext's, as codesign's) */
	int nargs;
	const char **args;              /* "-p PATH" / "-b ID" targets in order */
	bool *is_id;
};

/* kmutil is an ArgumentParser tool: bad arguments print "Error: ..." and the
 * usage and exit 64 (EX_USAGE). */
static int
usage_error(struct mx_cli *cli, mx_err *err, const char *fmt, const char *arg)
{
	char msg[1200];
	snprintf(msg, sizeof msg, fmt, arg);
	cli_errf(cli, "Error: %s\nUsage: " KC_USAGE "\n", msg);
	MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s", msg);
	return cli_tool_fail(cli, 64, err);
}

/* a kmutil runtime error: "Error: ..." and exit code */
static int __attribute__((format(printf, 4, 5)))
km_error(struct mx_cli *cli, mx_err *err, int code, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_errf(cli, "Error: %s\n", msg);
	MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", msg);
	return cli_tool_fail(cli, code, err);
}

static int
parse_opts(struct mx_cli *cli, int argc, char **argv, struct opts *o, mx_err *err)
{
	const char *newkind = NULL;
	memset(o, 0, sizeof *o);
	o->args = mx_xcalloc((size_t)argc, sizeof *o->args);
	o->is_id = mx_xcalloc((size_t)argc, sizeof *o->is_id);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = i + 1 < argc;
#define OPT(s, l) (strcmp(a, s) == 0 || strcmp(a, l) == 0)
		if (OPT("-n", "--new")) {
			if (!val)
				return usage_error(cli, err, "Missing value for '%s <new>'", a);
			newkind = argv[++i];
		} else if (OPT("-A", "--aux-path")) {
			if (!val)
				return usage_error(cli, err, "Missing value for '%s <aux-path>'", a);
			o->out = argv[++i];
		} else if (OPT("-p", "--bundle-path") || OPT("-b", "--bundle-identifier")) {
			if (!val)
				return usage_error(cli, err, "Missing value for '%s'", a);
			o->is_id[o->nargs] = a[1] == 'b' || a[2] == 'b';
			o->args[o->nargs++] = argv[++i];
		} else if (OPT("-a", "--arch")) {
			if (!val)
				return usage_error(cli, err, "Missing value for '%s <arch>'", a);
			o->arch = argv[++i];
			if (strcmp(o->arch, "arm64e") && strcmp(o->arch, "x86_64"))
				return usage_error(cli, err, "The value '%s' is invalid for '--arch <arch>': "
				    "arm64e or x86_64", o->arch);
		} else if (OPT("-B", "--boot-path")) {
			if (!val)
				return usage_error(cli, err, "Missing value for '%s <boot-path>'", a);
			o->boot = argv[++i];
		} else if (OPT("-S", "--system-path")) {
			/* accepted: our AuxKC links against the boot KC only */
			if (!val)
				return usage_error(cli, err, "Missing value for '%s <system-path>'", a);
			i++;
		} else if (OPT("-L", "--no-system-collection")) {
			/* nothing to leave out: see -S */
		} else if (OPT("-z", "--no-authentication")) {
			o->noauth = true;
		} else if (strcmp(a, "--check-expiration") == 0) {
			o->strict = true;
		} else if (OPT("-x", "--explicit-only")) {
			o->explicit_only = true;
		} else {
			return usage_error(cli, err, "Unknown option '%s'", a);
		}
#undef OPT
	}
	if (newkind == NULL)
		return usage_error(cli, err, "Missing expected argument '%s'", "--new <new>");
	if (strcmp(newkind, "boot") == 0 || strcmp(newkind, "sys") == 0) {
		return km_error(cli, err, 1, "building a %s kernel collection needs a Kernel Debug Kit"
		    " (--kdk); macext builds auxiliary collections only", newkind);
	}
	if (strcmp(newkind, "aux"))
		return usage_error(cli, err, "The value '%s' is invalid for '--new <new>': boot, sys or aux",
		    newkind);
	if (o->out == NULL)
		return usage_error(cli, err, "Missing expected argument '%s'", "--aux-path <aux-path>");
	if (o->nargs == 0)
		return usage_error(cli, err, "%s", "No extensions specified: give -p/--bundle-path or"
		    " -b/--bundle-identifier");
	return 0;
}

static void
ck_free(struct ck *c)
{
	if (c->map)
		munmap((void *)c->map, c->map_len);
	mx_bundle_free(c->b);
}

/* Maps c's executable and finds the cputype slice.  Returns 0 or the error (err; the tool's exit status as its MX_DOM_TOOL code). */
static int
ck_map(struct mx_cli *cli, struct ck *c, uint32_t cputype, const char *arch, mx_err *err)
{
	int fd = open(c->b->executable_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return km_error(cli, err, 1, "%s: %s", c->b->executable_path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < MX_MH_HEADER64_SIZE ||
	    sb.st_size > (off_t)MX_FILESET_MAX_SIZE) {
		close(fd);
		return km_error(cli, err, 1, "%s: not a Mach-O executable of a usable size",
		    c->b->executable_path);
	}
	c->map_len = (size_t)sb.st_size;
	void *p = mmap(NULL, c->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		c->map_len = 0;
		return km_error(cli, err, 1, "%s: mmap: %s", c->b->executable_path, strerror(errno));
	}
	c->map = p;
	mx_err e;
	mx_err_clear(&e);
	int rc = mx_fileset_thin_slice(c->map, c->map_len, cputype, &c->off, &c->len, &e);
	if (rc == MX_ENOTFOUND) {
		/* kmutil load's text for the same failure (apple_kmutil.c) */
		cli_errf(cli, "Error Domain=KMErrorDomain Code=71 Incompatible architecture: Cannot"
		    " find %s in fat binary: %s\n", arch, c->b->executable_path);
		MX_FAIL_DOM(err, MX_EINVALID, MX_DOM_KMERROR, 71, "Incompatible architecture: Cannot"
		    " find %s in fat binary: %s", arch, c->b->executable_path);
		cli->printed = true;
		return MX_EINVALID;
	}
	if (rc)
		return km_error(cli, err, 1, "%s: %s", c->b->executable_path, e.msg);
	/* the slice's pages are wanted: map them in one go instead of faulting
	 * them in one by one while writev reads them (not the other slices of
	 * a fat file; an older kernel without MADV_POPULATE_READ faults) */
#ifdef MADV_POPULATE_READ
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), from = c->off & ~(pg - 1);
	madvise((uint8_t *)p + from, c->off + c->len - from, MADV_POPULATE_READ);
#endif
	return 0;
}

/* Opens the bundle c->dir as a kext.  Returns 0 or the error (err; the tool's exit status as its MX_DOM_TOOL code). */
static int
ck_open(struct mx_cli *cli, struct ck *c, mx_err *err)
{
	mx_err e;
	mx_err_clear(&e);
	struct stat sb;
	if (stat(c->dir, &sb) != 0)
		return km_error(cli, err, 1, "%s: %s", c->arg, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return km_error(cli, err, 1, "%s: not a kext bundle (not a directory)", c->arg);
	if (mx_bundle_open_flags(&c->b, c->dir, MX_BUNDLE_NO_ENTITLEMENTS, &e) != 0)
		return km_error(cli, err, 1, "%s: unable to read the bundle: %s", c->arg, e.msg);
	if (c->b->kind != MX_BUNDLE_KEXT)
		return km_error(cli, err, 1, "%s: not a kernel extension (%s bundle)", c->arg,
		    mx_bundle_kind_name(c->b->kind));
	if (c->b->codeless)
		return km_error(cli, err, 1, "%s: codeless kext %s: no executable to put in a collection",
		    c->arg, c->b->bundle_id);
	snprintf(c->relpath, sizeof c->relpath, "%s%s",
	    strcmp(c->b->contents_dir, c->b->path) ? "Contents/MacOS/" : "", c->b->executable);
	return 0;
}

/* The signature check a Mac with SIP on applies (kext_sip.sh): -1 with the
 * refusal printed, else 0 with c->team/c->cdhash set. */
static int
ck_verify(struct mx_cli *cli, const mx_device *d, struct ck *c, bool strict, mx_err *err)
{
	char anchor[4096];
	mx_trust trust = { mx_engine_anchor_path(cli->eng, d, anchor, sizeof anchor), cli_now(cli),
		strict };
	mx_siginfo si;
	int rc = mx_codesign_verify_path(&si, c->dir, &trust, err);
	if (rc) {
		mx_siginfo_free(&si);
		return rc;
	}
	mx_kext k;
	memset(&k, 0, sizeof k);
	snprintf(k.bundle_id, sizeof k.bundle_id, "%s", c->b->bundle_id);
	k.sig = mx_kext_sig_from(si.kind);
	k.requirement_met = si.kext_requirement_met;
	mx_device sip;
	memset(&sip, 0, sizeof sip);    /* csr 0: SIP on, kext signing enforced */
	bool ok = mx_kext_signature_ok(&sip, &k);
	/* an expired certificate is reported, as codesign does; refused only
	 * with --check-expiration (then the signature is invalid) */
	for (int i = 0; ok && i < si.nexpired; i++)
		cli_errf(cli, "Warning: %s: the certificate \"%s\" of its signature has expired (not"
		    " grounds for rejection; --check-expiration refuses it)\n", c->dir,
		    si.expired_certs[i].subject);
	if (ok) {
		snprintf(c->team, sizeof c->team, "%s", si.team_id);
		snprintf(c->cdhash, sizeof c->cdhash, "%s", si.cdhash);
	} else {
		cli_errf(cli, "Kext rejected due to invalid signature: %s\n", c->dir);
		cli_errf(cli, "Error Domain=KMErrorDomain Code=1 \"Authenticating extension %s"
		    " failed: %s (%s)\"\n", c->b->bundle_id, mx_sigkind_name(si.kind),
		    si.reason[0] ? si.reason : "the kext signing requirement is not met");
		MX_FAIL_DOM(err, MX_ESIGNATURE, MX_DOM_KMERROR, 1, "Authenticating extension %s"
		    " failed: %s", c->b->bundle_id, mx_sigkind_name(si.kind));
		cli->printed = true;
	}
	mx_siginfo_free(&si);
	return ok ? 0 : MX_ESIGNATURE;
}

/* Writes the plan to path through a temporary file renamed over it. */
static int
write_plan(struct mx_cli *cli, const mx_fileset_plan *plan, const char *path, mx_err *err)
{
	static const uint8_t zeros[0x4000];
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return km_error(cli, err, 1, "%s: unable to write the collection: %s", path, strerror(errno));
	int rc = 0;
	/* the pieces with the zero gaps between them, in batches of IOV_MAX */
	struct iovec iov[64];
	int niov = 0;
	uint64_t at = 0;
	for (int i = 0; i <= plan->npieces && rc == 0; i++) {
		uint64_t next = i < plan->npieces ? plan->pieces[i].off : plan->total;
		if (next > at)
			iov[niov++] = (struct iovec){ (void *)zeros, (size_t)(next - at) };
		if (i < plan->npieces) {
			iov[niov++] = (struct iovec){ (void *)plan->pieces[i].p, plan->pieces[i].len };
			at = next + plan->pieces[i].len;
		}
		if (niov >= 62 || i == plan->npieces) {
			struct iovec *v = iov;
			int nv = niov;
			while (nv > 0) {
				ssize_t w = writev(fd, v, nv);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					rc = errno;
					break;
				}
				while (nv > 0 && (size_t)w >= v->iov_len) {
					w -= (ssize_t)v->iov_len;
					v++, nv--;
				}
				if (nv > 0) {
					v->iov_base = (uint8_t *)v->iov_base + w;
					v->iov_len -= (size_t)w;
				}
			}
			niov = 0;
		}
	}
	mode_t mask = umask(0);
	umask(mask);
	if (rc == 0 && fchmod(fd, 0666 & ~mask) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc) {
		unlink(tmp);
		return km_error(cli, err, 1, "%s: unable to write the collection: %s", path, strerror(rc));
	}
	return 0;
}

/* The boot KC a -B path names: the device's own (its fixed id) or a
 * kernel collection file on the host (its LC_UUID).  Returns 0 or the error (err; the tool's exit status as its MX_DOM_TOOL code). */
static int
boot_kcid_from(struct mx_cli *cli, const char *path, const mx_device *d, uint8_t out[16],
    uint32_t *cputype, mx_err *err)
{
	if (strcmp(path, BOOT_KC_PATH) == 0) {
		if (d == NULL)
			return km_error(cli, err, 1, "%s: no device selected, so no boot kernel collection there",
			    path);
		mx_kext_boot_kcid(d, out);
		*cputype = d->arch == MX_ARCH_ARM64 ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64;
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return km_error(cli, err, 1, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    sb.st_size > (off_t)MX_FILESET_MAX_SIZE) {
		close(fd);
		return km_error(cli, err, 1, "%s: not a kernel collection", path);
	}
	void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return km_error(cli, err, 1, "%s: mmap: %s", path, strerror(errno));
	mx_fileset *fs = NULL;
	mx_err e;
	mx_err_clear(&e);
	int rc = mx_fileset_parse(&fs, p, (size_t)sb.st_size, &e);
	munmap(p, (size_t)sb.st_size);
	if (rc)
		return km_error(cli, err, 1, "%s: not a kernel collection: %s", path, e.msg);
	uint8_t u[16];
	int n = 0;
	for (const char *h = fs->uuid; n < 16 && h[0] && h[1]; ) {
		unsigned v;
		if (*h == '-') {
			h++;
			continue;
		}
		if (sscanf(h, "%2x", &v) != 1)
			break;
		u[n++] = (uint8_t)v;
		h += 2;
	}
	*cputype = fs->cputype;
	mx_fileset_free(fs);
	if (n != 16)
		return km_error(cli, err, 1, "%s: the kernel collection has no LC_UUID", path);
	memcpy(out, u, 16);
	return 0;
}

int
kmutil_read_kc(const char *path, uint8_t **buf, size_t *len, mx_err *err)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, errno == ENOENT ? MX_ENOTFOUND : MX_EIO, MX_NO_OFFSET,
		    "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > (off_t)MX_FILESET_MAX_SIZE) {
		fclose(f);
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: not a kernel collection file",
		    path);
	}
	*buf = mx_xmalloc((size_t)sb.st_size + 1);
	*len = fread(*buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	return 0;
}

/* The selected device, if there is one: never creates the state. */
static int
load_device(struct mx_cli *cli, mx_op **op, bool *have, mx_err *err)
{
	char db[PATH_MAX];
	*have = false;
	snprintf(db, sizeof db, "%s/macext.db", cli->state_dir);
	if (access(db, F_OK) != 0) {
		if (cli->device_name)
			return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no device named '%s' in %s",
			    cli->device_name, cli->state_dir);
		return 0;
	}
	/* a read transaction for the whole build: nothing of the device changes */
	int rc = cli_op(cli, MX_OP_READ, op, err);
	if (rc == MX_ENOTFOUND && cli->device_name == NULL) {
		mx_err_clear(err);
		return 0;   /* a state without devices (or several, none selected) */
	}
	if (rc == 0)
		*have = true;
	return rc;
}

/* Finds, opens, maps and (unless noauth) verifies one kext: c->arg is a
 * bundle path, or with is_id a bundle id installed on d.  0 or the error (err). */
static int
ck_load(struct mx_cli *cli, mx_op *op, struct ck *c, bool is_id, uint32_t cputype,
    const char *arch, const struct opts *o, mx_err *err)
{
	int rc;
	const mx_device *d = op ? mx_op_device(op) : NULL;
	if (is_id) {
		mx_kext k;
		if (d == NULL)
			return km_error(cli, err, 1, "%s: -b needs a device (no device selected)", c->arg);
		mx_err e;
		mx_err_clear(&e);
		if (mx_op_kext_find(op, c->arg, &k, &e) != 0 || k.hash[0] == '\0' ||
		    mx_cas_path(cli->st, k.hash, c->dir, sizeof c->dir, &e) != 0)
			return km_error(cli, err, 1, "Unable to find extension with identifier %s", c->arg);
		snprintf(c->prelink, sizeof c->prelink, "%s%s", KEXT_STAGED_PREFIX, k.path);
		/* the stored copy must still be the bytes that were installed */
		if (!o->noauth && (rc = mx_cas_verify(cli->st, k.hash, NULL, &e)) != 0) {
			cli_errf(cli, "Kext rejected due to invalid signature: %s\n", c->dir);
			return km_error(cli, err, 1, "Authenticating extension %s failed: %s", c->arg,
			    e.msg);
		}
	} else {
		snprintf(c->dir, sizeof c->dir, "%s", c->arg);
		snprintf(c->prelink, sizeof c->prelink, "%s", c->arg);
	}
	if ((rc = ck_open(cli, c, err)) || (rc = ck_map(cli, c, cputype, arch, err)))
		return rc;
	return o->noauth ? 0 : ck_verify(cli, d, c, o->strict, err);
}

/* A bundle id goes into a collection once. */
static int
ck_unique(struct mx_cli *cli, const struct ck *cks, int n, mx_err *err)
{
	for (int j = 0; j < n; j++)
		if (strcmp(cks[j].b->bundle_id, cks[n].b->bundle_id) == 0)
			return km_error(cli, err, 1, "%s: %s is already in the collection", cks[n].arg,
			    cks[n].b->bundle_id);
	return 0;
}

int
kmutil_create(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	struct opts o;
	int rc = parse_opts(cli, argc, argv, &o, err);
	mx_op *op = NULL;
	bool have = false;
	struct ck *cks = NULL;
	int n = 0;
	mx_fileset_kext_in *in = NULL;
	mx_fileset_plan plan;
	memset(&plan, 0, sizeof plan);
	if (rc || (rc = load_device(cli, &op, &have, err)))
		goto out;
	const mx_device *d = have ? mx_op_device(op) : NULL;
	if (d && d->env == MX_ENV_MACOS && mx_kext_legacy(d)) {
		/* no kmutil before macOS 11 (apple_kmutil) */
		cli_etext(cli, mx_version_at_least(d->os, 10, 15, 0) ?
		    "zsh: command not found: kmutil\n" : "-bash: kmutil: command not found\n");
		rc = cli_tool_fail(cli, 127, err);
		goto out;
	}

	/* the boot KC linked against, and the architecture */
	uint8_t bkc[16];
	uint32_t boot_cpu = 0, cputype;
	const char *boot = o.boot ? o.boot : d ? BOOT_KC_PATH : NULL;
	if (boot == NULL) {
		/* no device, no -B: an unlinked collection (a Mac would not load it) */
		memset(bkc, 0, sizeof bkc);
		boot_cpu = o.arch && strcmp(o.arch, "x86_64") == 0 ? MX_CPU_TYPE_X86_64 :
		    MX_CPU_TYPE_ARM64;
		cli_errf(cli, "Warning: no boot kernel collection (no device selected, no"
		    " -B/--boot-path): the collection is not linked against one\n");
	} else if ((rc = boot_kcid_from(cli, boot, d, bkc, &boot_cpu, err))) {
		goto out;
	}
	const char *arch = o.arch ? o.arch : boot_cpu == MX_CPU_TYPE_X86_64 ? "x86_64" : "arm64e";
	cputype = strcmp(arch, "x86_64") == 0 ? MX_CPU_TYPE_X86_64 : MX_CPU_TYPE_ARM64;
	if (boot_cpu != cputype) {
		rc = km_error(cli, err, 1, "%s: the boot kernel collection is not %s", boot, arch);
		goto out;
	}

	int cap = o.nargs;
	cks = mx_xcalloc((size_t)cap, sizeof *cks);
	for (n = 0; n < o.nargs; n++) {
		snprintf(cks[n].arg, sizeof cks[n].arg, "%s", o.args[n]);
		if ((rc = ck_load(cli, op, &cks[n], o.is_id[n], cputype, arch, &o, err)) ||
		    (rc = ck_unique(cli, cks, n, err)))
			goto out_n;
	}
	/* Without -x the kexts' third-party OSBundleLibraries come along:
	 * named ones are already in, the others must be installed on the
	 * device (-b).  com.apple.* libraries live in the boot and system
	 * collections. */
	for (int i = 0; !o.explicit_only && i < n; i++) {
		plist_t libs = plist_dict_get_item(cks[i].b->info, "OSBundleLibraries");
		plist_dict_iter it = NULL;
		if (libs == NULL || plist_get_node_type(libs) != PLIST_DICT)
			continue;
		plist_dict_new_iter(libs, &it);
		for (;;) {
			char *id = NULL;
			plist_t v = NULL;
			plist_dict_next_item(libs, it, &id, &v);
			if (id == NULL)
				break;
			bool have_it = strncmp(id, "com.apple.", 10) == 0;
			for (int j = 0; j < n && !have_it; j++)
				have_it = strcmp(cks[j].b->bundle_id, id) == 0;
			if (!have_it && d == NULL)
				rc = km_error(cli, err, 1, "Unable to resolve dependency %s of %s: not named and no"
				    " device to find it on (or use -x)", id, cks[i].b->bundle_id);
			if (!have_it && rc == 0) {
				if (n == cap) {
					cap *= 2;
					cks = mx_xrealloc(cks, (size_t)cap * sizeof *cks);
				}
				memset(&cks[n], 0, sizeof cks[n]);
				snprintf(cks[n].arg, sizeof cks[n].arg, "%s", id);
				rc = ck_load(cli, op, &cks[n], true, cputype, arch, &o, err);
				n++;        /* cks[n] is (perhaps partly) open */
			}
			free(id);
			if (rc)
				break;
		}
		free(it);
		if (rc)
			goto out;
	}

	in = mx_xcalloc((size_t)n, sizeof *in);
	for (int i = 0; i < n; i++)
		in[i] = (mx_fileset_kext_in){ cks[i].b->bundle_id, cks[i].b->version, cks[i].team,
		    cks[i].cdhash, cks[i].prelink, cks[i].relpath, cks[i].b->info,
		    cks[i].map + cks[i].off, cks[i].len };
	/* a new collection gets a new random UUID (fixed under MACEXT_SEED) */
	uint8_t uuid[16];
	memcpy(uuid, cli->in.random, 16);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	uint32_t sub = cputype == MX_CPU_TYPE_ARM64 ? MX_CPU_SUBTYPE_ARM64E :
	    MX_CPU_SUBTYPE_X86_64_ALL;
	mx_err e;
	mx_err_clear(&e);
	if (mx_fileset_plan_make(&plan, cputype, sub, uuid, bkc, in, n, &e) != 0) {
		rc = km_error(cli, err, 1, "%s: %s", o.out, e.msg);
		goto out;
	}
	rc = write_plan(cli, &plan, o.out, err);
	goto out;
out_n:
	n++;        /* cks[n] was (partly) opened */
out:
	mx_fileset_plan_free(&plan);
	free(in);
	for (int i = 0; i < n; i++)
		ck_free(&cks[i]);
	free(cks);
	free(o.args);
	free(o.is_id);
	/* read only: nothing of the device changed */
	if (have)
		mx_op_abort(op);
	return rc;
}
