/*
 * cmd_forge.c — `macext forge`: synthetic but fully valid, signed test
 * material (issue 3; docs/forge.md).
 *
 *   forge ca DIR
 *   forge kext OUT.kext --bundle-id ID --team TEAM [--codeless] [--no-kext-oid] ...
 *   forge sysext OUT.systemextension --bundle-id ID --team TEAM
 *         --category driver|network|endpoint-security ...
 *   forge dext OUT.dext --bundle-id ID --team TEAM ...
 *   forge app OUT.app --bundle-id ID --team TEAM [--embed EXT]... [--no-install-entitlement]
 *
 * Without --ca the CA lives in $MACEXT_FORGE_CA, else STATE/forge-ca (STATE
 * is --state / $MACEXT_STATE / ./macext-state) and is created on first use.
 * Forge touches no device and opens no store; everything runs in-process
 * (OpenSSL, libplist), so fleet tests can forge many bundles quickly.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macext/cs_blobs.h"
#include "macext/plist_util.h"
#include "forge_int.h"
#include "tools.h"
#include "macext/text.h"

static const char *USAGE_BUNDLE =
    "macext forge kext|sysext|dext|app OUT --bundle-id ID --team TEAMID [--version V]"
    " [--short-version V] [--ca DIR] [--arch x86_64|arm64|arm64e|fat|fat-arm64e] [--category C] [--codeless]"
    " [--no-kext-oid] [--adhoc|--unsigned] [--tamper] [--tamper-resource] [--sha1] [--cd-team T] [--team-name N]"
    " [--executable NAME] [--entitlement K=V]... [--entitlements FILE] [--drop-entitlement K]..."
    " [--no-default-entitlements] [--no-usage-description] [--no-install-entitlement]"
    " [--embed EXT]... [--signing-time YYYY-MM-DD|--no-signing-time] [--expired-cert]"
    " [--not-before T] [--not-after T] [--ca-not-before T] [--ca-not-after T] [--apple] [--force]";

static void
ca_dir(struct mx_cli *cli, const char *flag, char *out, size_t len)
{
	const char *env = getenv("MACEXT_FORGE_CA");
	if (flag)
		snprintf(out, len, "%s", flag);
	else if (env && env[0])
		snprintf(out, len, "%s", env);
	else
		snprintf(out, len, "%s/forge-ca", cli->state_dir);
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int
forge_ca_cmd(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext forge ca DIR", err);
	if (rc)
		return rc;
	forge_ca *ca;
	if ((rc = forge_ca_open(&ca, argv[1], err)))
		return rc;
	char fp[65];
	forge_ca_root_sha256(ca, fp);
	if (cli->json) {
		char root[PATH_MAX + 16], inter[PATH_MAX + 16];
		snprintf(root, sizeof root, "%s/root.pem", argv[1]);
		snprintf(inter, sizeof inter, "%s/devid-ca.pem", argv[1]);
		cli_json_print(cli, json_pack("{s:s, s:s, s:s, s:s, s:s}", "dir", argv[1], "root", root,
		    "root_sha256", fp, "intermediate", inter, "intermediate_subject",
		    "Developer ID Certification Authority"));
	} else if (!cli->quiet) {
		mx_text_printf("test CA in %s\n", argv[1]);
		mx_text_printf("  root:          %s/root.pem  \"macext Test Root CA\"\n", argv[1]);
		mx_text_printf("  root SHA-256:  %s\n", fp);
		mx_text_printf("  intermediate:  %s/devid-ca.pem  \"Developer ID Certification Authority\""
		    " (1.2.840.113635.100.6.2.6)\n", argv[1]);
		mx_text_printf("  leaves:        %s/leaves/ (issued per Team ID on demand)\n", argv[1]);
	}
	forge_ca_free(ca);
	return 0;
}

/* "2024-05-01", "2024-05-01T10:00:00Z" or "@1714557600" (flag names the option) */
static int
parse_time_opt(const char *flag, const char *s, int64_t *out, mx_err *err)
{
	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);
		if (*end == '\0' && end != s + 1) {
			*out = v;
			return 0;
		}
	} else {
		struct tm tm = { 0 };
		int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
		if ((sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && s[n] == '\0') ||
		    (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) == 6 &&
		    s[n] == '\0')) {
			if (y >= 1970 && y < 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
			    h < 24 && mi < 60 && se < 61) {
				tm.tm_year = y - 1900;
				tm.tm_mon = mo - 1;
				tm.tm_mday = d;
				tm.tm_hour = h;
				tm.tm_min = mi;
				tm.tm_sec = se;
				*out = (int64_t)timegm(&tm);
				return 0;
			}
		}
	}
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s %s: expected YYYY-MM-DD,"
	    " YYYY-MM-DDTHH:MM:SSZ or @UNIXTIME", flag, s);
}

static int
parse_time(const char *s, int64_t *out, mx_err *err)
{
	return parse_time_opt("--signing-time", s, out, err);
}

/* A validity bound: *t (unix) and asn1 ("YYYYMMDDHHMMSSZ") from the option,
 * or def when the option is absent (asn1 then stays def). */
static int
validity(const char *flag, const char *v, const char *def, int64_t *t, char asn1[16],
    mx_err *err)
{
	int rc;
	if (v == NULL) {
		struct tm tm = { 0 };
		sscanf(def, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		    &tm.tm_min, &tm.tm_sec);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		*t = (int64_t)timegm(&tm);
		snprintf(asn1, 16, "%s", def);
		return 0;
	}
	if ((rc = parse_time_opt(flag, v, t, err)))
		return rc;
	time_t tt = (time_t)*t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 2099)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s %s: expected a time in 1970-2099", flag,
		    v);
	strftime(asn1, 16, "%Y%m%d%H%M%SZ", &tm);
	return 0;
}

/* --entitlement KEY=VALUE: true/false, an unsigned integer, [a,b] (strings), else a string */
static int
set_entitlement(plist_t d, const char *kv, mx_err *err)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--entitlement %s: expected KEY=VALUE", kv);
	char key[256];
	snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
	const char *v = eq + 1;
	size_t n = strlen(v);
	plist_t val;
	char *end;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		val = plist_new_bool(v[0] == 't');
	} else if (n > 0 && v[0] >= '0' && v[0] <= '9' && (strtoull(v, &end, 10), *end == '\0')) {
		val = plist_new_uint(strtoull(v, NULL, 10));
	} else if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		val = plist_new_array();
		char *items = mx_xstrdup(v + 1);
		items[n - 2] = '\0';
		char *save = NULL;
		for (char *t = strtok_r(items, ",", &save); t; t = strtok_r(NULL, ",", &save))
			plist_array_append_item(val, plist_new_string(t));
		free(items);
	} else {
		val = plist_new_string(v);
	}
	plist_dict_set_item(d, key, val);
	return 0;
}

static int
load_entitlements_file(plist_t into, const char *path, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	uint8_t *buf = mx_xmalloc(1 << 20);
	size_t n = fread(buf, 1, 1 << 20, f);
	bool big = !feof(f);
	fclose(f);
	plist_t p = NULL;
	int rc = big ? MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: over 1 MiB", path) :
	    mx_plist_parse(&p, buf, n, path, err);
	free(buf);
	if (rc)
		return rc;
	if (plist_get_node_type(p) != PLIST_DICT) {
		plist_free(p);
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: expected a dictionary, got %s",
		    path, mx_plist_type_name(p));
	}
	plist_dict_iter it = NULL;
	plist_dict_new_iter(p, &it);
	for (;;) {
		char *k = NULL;
		plist_t v = NULL;
		plist_dict_next_item(p, it, &k, &v);
		if (k == NULL)
			break;
		plist_dict_set_item(into, k, plist_copy(v));
		free(k);
	}
	free(it);
	plist_free(p);
	return 0;
}

static const char *
arch_of(uint32_t cputype, uint32_t subtype)
{
	if (cputype == MX_CPU_TYPE_ARM64)
		return (subtype & ~MX_CPU_SUBTYPE_MASK) == MX_CPU_SUBTYPE_ARM64E ? "arm64e" : "arm64";
	return cputype == MX_CPU_TYPE_X86_64 ? "x86_64" : "unknown";
}

static const char *
hash_name(uint32_t t)
{
	return t == MX_CS_HASHTYPE_SHA1 ? "sha1" : t == MX_CS_HASHTYPE_SHA384 ? "sha384" : "sha256";
}

static json_t *
cs_json(const mx_cs_result *cs)
{
	char h[97];
	json_t *cds = json_array();
	for (int i = 0; i < cs->ncd; i++) {
		hex(cs->cd[i].digest, cs->cd[i].len, h);
		json_array_append_new(cds, json_pack("{s:s, s:s}", "type",
		    hash_name(cs->cd[i].hash_type), "digest", h));
	}
	hex(cs->cdhash, 20, h);
	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "cdhash", h, "code_directories", cds,
	    "code_limit", (json_int_t)cs->code_limit, "page_size", (json_int_t)cs->page_size,
	    "code_slots", (json_int_t)cs->n_code_slots, "superblob_size", (json_int_t)cs->sig_len);
}

static const char *
kind_word(enum forge_kind k)
{
	return k == FORGE_KEXT ? "kext" : k == FORGE_SYSEXT ? "sysext" : k == FORGE_DEXT ? "dext" :
	    "app";
}

static int
forge_bundle_cmd(struct mx_cli *cli, enum forge_kind kind, int argc, char **argv, mx_err *err)
{
	struct forge_spec s = { .kind = kind };
	s.bundle_id = arg_value(&argc, argv, "--bundle-id");
	s.team = arg_value(&argc, argv, "--team");
	s.cd_team = arg_value(&argc, argv, "--cd-team");
	s.version = arg_value(&argc, argv, "--version");
	s.short_version = arg_value(&argc, argv, "--short-version");
	s.executable = arg_value(&argc, argv, "--executable");
	s.category = arg_value(&argc, argv, "--category");
	const char *team_name = arg_value(&argc, argv, "--team-name");
	const char *ca_flag = arg_value(&argc, argv, "--ca");
	const char *arch = arg_value(&argc, argv, "--arch");
	const char *stime = arg_value(&argc, argv, "--signing-time");
	const char *ents_file = arg_value(&argc, argv, "--entitlements");
	const char *ent_kv[64], *ent_drop[64];
	int nkv = arg_values(&argc, argv, "--entitlement", ent_kv, 64);
	int ndrop = arg_values(&argc, argv, "--drop-entitlement", ent_drop, 64);
	s.nembed = arg_values(&argc, argv, "--embed", s.embed, FORGE_MAX_EMBED);
	bool adhoc = arg_flag(&argc, argv, "--adhoc");
	bool unsigned_ = arg_flag(&argc, argv, "--unsigned");
	s.tamper = arg_flag(&argc, argv, "--tamper");
	s.tamper_resource = arg_flag(&argc, argv, "--tamper-resource");
	s.codeless = arg_flag(&argc, argv, "--codeless");
	s.sha1_primary = arg_flag(&argc, argv, "--sha1");
	s.no_usage_description = arg_flag(&argc, argv, "--no-usage-description");
	s.force = arg_flag(&argc, argv, "--force");
	const char *extra = arg_value(&argc, argv, "--extra-code");
	if (extra) {
		char *e;
		unsigned long long v = strtoull(extra, &e, 10);
		if (*e || v > (1ull << 30))
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--extra-code takes 0 to %llu bytes",
			    1ull << 30);
		s.extra_code = v;
	}
	bool no_kext_oid = arg_flag(&argc, argv, "--no-kext-oid");
	bool no_install = arg_flag(&argc, argv, "--no-install-entitlement");
	bool no_default_ents = arg_flag(&argc, argv, "--no-default-entitlements");
	bool expired = arg_flag(&argc, argv, "--expired-cert");
	bool apple = arg_flag(&argc, argv, "--apple");
	s.no_signing_time = arg_flag(&argc, argv, "--no-signing-time");
	const char *nb_arg = arg_value(&argc, argv, "--not-before");
	const char *na_arg = arg_value(&argc, argv, "--not-after");
	const char *cnb_arg = arg_value(&argc, argv, "--ca-not-before");
	const char *cna_arg = arg_value(&argc, argv, "--ca-not-after");
	int rc = arg_check(argc, argv, 1, 1, USAGE_BUNDLE, err);
	if (rc)
		return rc;
	s.out = argv[1];

	if (s.bundle_id == NULL || s.bundle_id[0] == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--bundle-id is required");
	if (strlen(s.bundle_id) > 200)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--bundle-id: over 200 characters");
	if (adhoc && unsigned_)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--adhoc and --unsigned exclude each other");
	if ((s.tamper || s.tamper_resource) && unsigned_)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--tamper needs a signature to break");
	s.sig = unsigned_ ? FORGE_UNSIGNED : adhoc ? FORGE_ADHOC : FORGE_SIGNED;
	if (apple && (s.sig != FORGE_SIGNED || s.team || s.cd_team))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--apple signs as Apple's \"Software"
		    " Signing\" does: no --team, --cd-team, --adhoc or --unsigned");
	if (s.sig != FORGE_SIGNED && (s.no_signing_time || nb_arg || na_arg || cnb_arg || cna_arg ||
	    expired))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "certificate and signing-time options"
		    " need a signed bundle");
	if (expired && (nb_arg || na_arg))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--expired-cert is --not-before 2020-01-01"
		    " --not-after 2021-01-01; give one or the other");
	if (s.no_signing_time && stime)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--signing-time and --no-signing-time"
		    " exclude each other");
	if (s.sig == FORGE_SIGNED && !apple && (s.team == NULL || s.team[0] == '\0'))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--team is required to sign"
		    " (or --adhoc / --unsigned)");
	if (kind == FORGE_SYSEXT && (s.category == NULL || forge_category_id(&s) == NULL))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--category: expected driver, network or"
		    " endpoint-security");
	if (kind != FORGE_SYSEXT && s.category)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--category is for forge sysext");
	if (s.codeless && kind != FORGE_KEXT)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--codeless is for forge kext");
	if (s.codeless && s.tamper)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--tamper flips a code byte; a codeless"
		    " kext has none");
	if (s.nembed > 0 && kind != FORGE_APP)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--embed is for forge app");
	if (s.cd_team && s.sig != FORGE_SIGNED)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--cd-team needs a signed bundle");
	s.arch = MX_FORGE_X86_64;
	if (arch && (rc = mx_forge_arch_parse(&s.arch, arch, err)))
		return rc;
	if (s.version == NULL)
		s.version = "1.0.0";
	if (s.short_version == NULL)
		s.short_version = s.version;
	char exe[256];
	if (s.executable == NULL) {
		const char *dot = strrchr(s.bundle_id, '.');
		snprintf(exe, sizeof exe, "%s", dot && dot[1] ? dot + 1 : s.bundle_id);
		s.executable = exe;
	}
	if (strchr(s.executable, '/') || s.executable[0] == '.' || s.executable[0] == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--executable %s: expected a file name",
		    s.executable);
	s.signing_time = cli_now(cli);
	if (stime && (rc = parse_time(stime, &s.signing_time, err)))
		return rc;
	/* the validity windows: leaf, and the intermediate (its own when asked) */
	int64_t lnb, lna, cnb, cna;
	char lnb_s[16], lna_s[16], cnb_s[16], cna_s[16];
	bool own_ca = apple || cnb_arg || cna_arg;
	if ((rc = validity("--not-before", nb_arg, FORGE_LEAF_NB, &lnb, lnb_s, err)) ||
	    (rc = validity("--not-after", na_arg, expired ? "20210101000000Z" : FORGE_LEAF_NA, &lna,
	    lna_s, err)) ||
	    (rc = validity("--ca-not-before", cnb_arg, apple ? FORGE_APPLE_CA_NB : "20200101000000Z",
	    &cnb, cnb_s, err)) ||
	    (rc = validity("--ca-not-after", cna_arg, apple ? FORGE_APPLE_CA_NA : "20400101000000Z",
	    &cna, cna_s, err)))
		return rc;
	if (lnb >= lna || cnb >= cna)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "a certificate's not-before must come"
		    " before its not-after");

	/* entitlements: defaults, then the file, then KEY=VALUE, then drops */
	plist_t ents = no_default_ents ? NULL : forge_default_entitlements(&s);
	if (ents == NULL)
		ents = plist_new_dict();
	if (no_install)
		plist_dict_remove_item(ents, "com.apple.developer.system-extension.install");
	if (ents_file && (rc = load_entitlements_file(ents, ents_file, err))) {
		plist_free(ents);
		return rc;
	}
	for (int i = 0; i < nkv; i++)
		if ((rc = set_entitlement(ents, ent_kv[i], err))) {
			plist_free(ents);
			return rc;
		}
	for (int i = 0; i < ndrop; i++)
		plist_dict_remove_item(ents, ent_drop[i]);
	s.entitlements = plist_dict_get_size(ents) > 0 && s.sig != FORGE_UNSIGNED ? ents : NULL;

	forge_ca *ca = NULL;
	mx_cs_identity id;
	char cadir[PATH_MAX];
	char signer[512] = "";
	bool kext_oid = kind == FORGE_KEXT && !no_kext_oid;
	if (s.sig == FORGE_SIGNED) {
		ca_dir(cli, ca_flag, cadir, sizeof cadir);
		char tn[256];
		snprintf(tn, sizeof tn, "%s", team_name ? team_name : "macext Test Developer");
		forge_leaf_opts lo = {
			.flags = (kext_oid ? FORGE_LEAF_KEXT : 0) | (expired ? FORGE_LEAF_EXPIRED : 0) |
			    (apple ? FORGE_LEAF_APPLE : 0),
			.not_before = nb_arg ? lnb_s : NULL, .not_after = na_arg ? lna_s : NULL,
			.ca_not_before = cnb_arg ? cnb_s : NULL, .ca_not_after = cna_arg ? cna_s : NULL,
		};
		if ((rc = forge_ca_open(&ca, cadir, err)) ||
		    (rc = forge_ca_leaf_opts(ca, s.team, tn, &lo, &id, err))) {
			forge_ca_free(ca);
			plist_free(ents);
			return rc;
		}
		s.id = &id;
		forge_cert_cn(id.leaf, signer, sizeof signer);
	}
	struct forge_result r;
	rc = forge_bundle(&s, &r, err);
	if (rc) {
		forge_ca_free(ca);
		plist_free(ents);
		return rc;
	}

	/* what a verifier trusting the test root should conclude, at the signing
	 * time (now without one): a certificate not yet valid then is invalid;
	 * one expired then or by now is a fact, invalid only with
	 * --check-expiration (docs/codesign.md) */
	const char *expect, *why = "";
	int64_t now = cli_now(cli), at = s.no_signing_time ? now : s.signing_time;
	bool not_yet = s.sig == FORGE_SIGNED && (at < lnb || (own_ca && at < cnb) ||
	    at < 1577836800);    /* the root and the CA's own intermediate: 2020-01-01 */
	bool cert_expired = s.sig == FORGE_SIGNED && (lna < at || lna < now ||
	    (own_ca && (cna < at || cna < now)));
	if (s.sig == FORGE_UNSIGNED)
		expect = "unsigned";
	else if (s.tamper)
		expect = "invalid", why = "a code page was modified after signing";
	else if (s.tamper_resource)
		expect = "invalid", why = "a sealed resource was modified after signing";
	else if (s.sig == FORGE_ADHOC)
		expect = "adhoc";
	else if (s.cd_team && strcmp(s.cd_team, s.team) != 0)
		expect = "invalid", why = "CodeDirectory team differs from the certificate's";
	else if (not_yet)
		expect = "invalid", why = "a certificate was not yet valid at the signing time";
	else if (apple)
		expect = "apple";
	else
		expect = kext_oid ? "developer-id-kext" : "developer-id";
	bool strict_invalid = strcmp(expect, "invalid") == 0 || cert_expired;

	char ih[65];
	hex(r.info_sha256, 32, ih);
	if (cli->json) {
		json_t *arches = json_array();
		for (int i = 0; r.has_exe && i < r.mo.nslices; i++) {
			const mx_macho_slice *sl = &r.mo.slice[i];
			json_t *a = json_pack("{s:s, s:I, s:I, s:I, s:I}", "arch", arch_of(sl->cputype, sl->cpusubtype),
			    "offset", (json_int_t)sl->offset, "size", (json_int_t)sl->size,
			    "signature_offset", (json_int_t)sl->sig_off,
			    "signature_size", (json_int_t)sl->sig_size);
			if (s.sig != FORGE_UNSIGNED)
				json_object_update_new(a, cs_json(&sl->cs));
			if (sl->tamper_off)
				json_object_set_new(a, "tampered_offset", json_integer((json_int_t)sl->tamper_off));
			json_array_append_new(arches, a);
		}
		char req[1024];
		mx_cs_requirements_devid_text(req, sizeof req, s.bundle_id,
		    s.sig == FORGE_SIGNED ? (s.cd_team ? s.cd_team : s.team) : NULL);
		char *ex = NULL;
		uint32_t exn = 0;
		json_t *ej = json_null();
		if (s.entitlements) {
			plist_to_xml(s.entitlements, &ex, &exn);
			ej = json_string(ex);
			free(ex);
		}
		char exe_path[PATH_MAX + 600];
		snprintf(exe_path, sizeof exe_path, "%s/%s", s.out, r.exe_rel);
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:b, s:b,"
		    " s:o, s:s, s:o, s:s, s:i, s:o, s:o}",
		    "path", s.out, "kind", kind_word(kind), "bundle_id", s.bundle_id,
		    "version", s.version, "short_version", s.short_version,
		    "team_id", s.sig == FORGE_SIGNED ? s.team : NULL,
		    "cd_team_id", s.sig == FORGE_SIGNED ? (s.cd_team ? s.cd_team : s.team) : NULL,
		    "signature", s.sig == FORGE_SIGNED ? "signed" : s.sig == FORGE_ADHOC ? "adhoc" :
		    "unsigned",
		    "expected_kind", expect, "tampered", s.tamper, "codeless", !r.has_exe,
		    "executable", r.has_exe ? json_string(exe_path) : json_null(),
		    "info_plist_sha256", ih,
		    "signer", signer[0] ? json_string(signer) : json_null(),
		    "designated_requirement", req, "resources_sealed", r.nresources,
		    "entitlements_xml", ej, "arches", arches);
		json_object_set_new(j, "tampered_resource", json_boolean(s.tamper_resource));
		json_object_set_new(j, "expected_expired", json_boolean(cert_expired &&
		    strcmp(expect, "invalid") != 0));
		json_object_set_new(j, "expected_kind_check_expiration", json_string(strict_invalid ?
		    "invalid" : expect));
		if (forge_category_id(&s))
			json_object_set_new(j, "category", json_string(forge_category_id(&s)));
		if (s.sig == FORGE_SIGNED) {
			json_object_set_new(j, "ca", json_string(forge_ca_dir(ca)));
			json_object_set_new(j, "signing_time", s.no_signing_time ? json_null() :
			    json_integer(s.signing_time));
			json_object_set_new(j, "not_before", json_integer(lnb));
			json_object_set_new(j, "not_after", json_integer(lna));
			if (own_ca) {
				json_object_set_new(j, "ca_not_before", json_integer(cnb));
				json_object_set_new(j, "ca_not_after", json_integer(cna));
			}
		}
		if (r.detached)
			json_object_set_new(j, "detached", cs_json(&r.dcs));
		cli_json_print(cli, j);
	} else if (!cli->quiet) {
		mx_text_printf("forged %s %s %s -> %s\n", kind_word(kind), s.bundle_id, s.version, s.out);
		if (s.sig == FORGE_SIGNED)
			mx_text_printf("  signer:    %s%s\n", signer, cert_expired ? " (expired certificate)" : "");
		mx_text_printf("  expect:    %s%s%s%s%s\n", expect, why[0] ? " (" : "", why, why[0] ? ")" : "",
		    cert_expired && strcmp(expect, "invalid") != 0 ? "; invalid with --check-expiration"
		    : "");
		char h[41];
		for (int i = 0; r.has_exe && s.sig != FORGE_UNSIGNED && i < r.mo.nslices; i++) {
			const mx_macho_slice *sl = &r.mo.slice[i];
			hex(sl->cs.cdhash, 20, h);
			mx_text_printf("  %-9s  cdhash %s (%s, %u page%s of %u)\n",
			    arch_of(sl->cputype, sl->cpusubtype), h, s.sha1_primary ? "sha1 + sha256" :
			    "sha256", sl->cs.n_code_slots, sl->cs.n_code_slots == 1 ? "" : "s",
			    sl->cs.page_size);
		}
		if (r.detached) {
			hex(r.dcs.cdhash, 20, h);
			mx_text_printf("  codeless   cdhash %s (detached _CodeSignature/CodeDirectory)\n", h);
		}
	}
	forge_ca_free(ca);
	plist_free(ents);
	return 0;
}

static int
forge_kext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return forge_bundle_cmd(cli, FORGE_KEXT, argc, argv, err);
}

static int
forge_sysext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return forge_bundle_cmd(cli, FORGE_SYSEXT, argc, argv, err);
}

static int
forge_dext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return forge_bundle_cmd(cli, FORGE_DEXT, argc, argv, err);
}

static int
forge_app(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return forge_bundle_cmd(cli, FORGE_APP, argc, argv, err);
}

static const cli_verb forge_v[] = {
	{ "ca", forge_ca_cmd, CLI_ACT }, { "kext", forge_kext, CLI_ACT },
	{ "sysext", forge_sysext, CLI_ACT }, { "dext", forge_dext, CLI_ACT },
	{ "app", forge_app, CLI_ACT }, { "pkg", forge_pkg_cmd, CLI_ACT },     /* forge_pkg.c */
};
const cli_verbs forge_verbs = CLI_VERBS("forge", forge_v, "macext forge ca|kext|sysext|dext|app|pkg ...");

int
cmd_forge(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &forge_verbs, argc, argv, err);
}
