/*
 * cmd_codesign.c — `macext codesign verify PATH [--json] [--trust-anchor PEM]
 * [--check-expiration]`:
 * verifies a bundle or a Mach-O as macOS would (src/formats/codesign*.c)
 * and prints the kind, Team ID, signer, cdhash per architecture,
 * entitlements and the first failure.  JSON fields per DESIGN.md: kind,
 * team_id, cdhash, identifier, entitlements, plus signer, signing_time, archs,
 * reason, kext_requirement_met, devid_requirement_met, expired,
 * expired_certificates, check_expiration.  The clock (MACEXT_FAKE_TIME
 * applies) is passed to the verifier; expired certificates fail only with
 * --check-expiration, as with Apple's `codesign --verify --check-expiration`.
 * Exit status: 0 for any structurally valid signature (apple, developer-id,
 * developer-id-kext, adhoc, untrusted) and for unsigned code; 69
 * (MX_ESIGNATURE) when the signature is invalid — the report is printed first.
 * Needs no device; with an explicit --device NAME (and no --trust-anchor) the
 * device's trust anchor (`device create --trust-anchor`) is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macext/codesign.h"
#include "macext/macho.h"
#include "tools.h"
#include "macext/text.h"

#define USAGE "macext [--device NAME] codesign verify PATH [--json] [--trust-anchor CERT.pem]" \
    " [--check-expiration]"

static json_t *
plist_json(plist_t p, int depth)
{
	if (p == NULL || depth > 64)
		return json_null();
	switch (plist_get_node_type(p)) {
	case PLIST_BOOLEAN: {
		uint8_t b = 0;
		plist_get_bool_val(p, &b);
		return json_boolean(b);
	}
	case PLIST_UINT: {
		uint64_t v = 0;
		plist_get_uint_val(p, &v);
		return json_integer((json_int_t)v);
	}
	case PLIST_REAL: {
		double d = 0;
		plist_get_real_val(p, &d);
		return json_real(d);
	}
	case PLIST_STRING:
		return json_string(plist_get_string_ptr(p, NULL));
	case PLIST_DATA: {
		uint64_t n = 0;
		const char *d = plist_get_data_ptr(p, &n);
		char *hex = mx_xmalloc(2 * n + 1);
		for (uint64_t i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)d[i]);
		hex[2 * n] = '\0';
		json_t *j = json_string(hex);
		free(hex);
		return j;
	}
	case PLIST_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < plist_array_get_size(p); i++)
			json_array_append_new(a, plist_json(plist_array_get_item(p, i), depth + 1));
		return a;
	}
	case PLIST_DICT: {
		json_t *o = json_object();
		plist_dict_iter it = NULL;
		plist_dict_new_iter(p, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(p, it, &k, &v);
			if (k == NULL)
				break;
			json_object_set_new(o, k, plist_json(v, depth + 1));
			free(k);
		}
		free(it);
		return o;
	}
	default:
		return json_null();
	}
}

static void
iso_time(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "none");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
expired_json(const mx_siginfo *si)
{
	json_t *a = json_array();
	for (int i = 0; i < si->nexpired; i++) {
		char na[32];
		iso_time(na, sizeof na, si->expired_certs[i].not_after);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "subject",
		    si->expired_certs[i].subject, "not_after", na, "expired_before",
		    si->expired_certs[i].at_signing_time ? "signing-time" : "now"));
	}
	return a;
}

static json_t *
siginfo_json(const char *path, const mx_siginfo *si, bool strict)
{
	char when[32];
	iso_time(when, sizeof when, si->signing_time);
	json_t *j = json_object();
	json_object_set_new(j, "path", json_string(path));
	json_object_set_new(j, "kind", json_string(mx_sigkind_name(si->kind)));
	json_object_set_new(j, "team_id", si->team_id[0] ? json_string(si->team_id) : json_null());
	json_object_set_new(j, "cdhash", si->cdhash[0] ? json_string(si->cdhash) : json_null());
	json_object_set_new(j, "identifier", si->identifier[0] ? json_string(si->identifier)
	    : json_null());
	json_object_set_new(j, "signer", si->signer[0] ? json_string(si->signer) : json_null());
	json_object_set_new(j, "signing_time", si->signing_time ? json_string(when) : json_null());
	json_object_set_new(j, "kext_requirement_met", json_boolean(si->kext_requirement_met));
	json_object_set_new(j, "devid_requirement_met", json_boolean(si->devid_requirement_met));
	json_t *archs = json_array();
	for (int i = 0; i < si->narch; i++) {
		const mx_sig_arch *a = &si->arch[i];
		char buf[48];
		json_t *o = json_object();
		json_object_set_new(o, "arch", json_string(mx_macho_arch_name(a->cputype, a->cpusubtype,
		    buf, sizeof buf)));
		json_object_set_new(o, "kind", json_string(mx_sigkind_name(a->kind)));
		json_object_set_new(o, "cdhash", a->cdhash[0] ? json_string(a->cdhash) : json_null());
		json_object_set_new(o, "identifier", a->identifier[0] ? json_string(a->identifier)
		    : json_null());
		json_object_set_new(o, "team_id", a->team_id[0] ? json_string(a->team_id) : json_null());
		json_array_append_new(archs, o);
	}
	json_object_set_new(j, "archs", archs);
	json_object_set_new(j, "entitlements", si->entitlements ? plist_json(si->entitlements, 0)
	    : json_object());
	json_object_set_new(j, "expired", json_boolean(si->expired));
	json_object_set_new(j, "expired_certificates", expired_json(si));
	json_object_set_new(j, "check_expiration", json_boolean(strict));
	json_object_set_new(j, "reason", si->reason[0] ? json_string(si->reason) : json_null());
	return j;
}

static void
siginfo_print(const char *path, const mx_siginfo *si, bool strict)
{
	char when[32];
	iso_time(when, sizeof when, si->signing_time);
	mx_text_printf("%s: %s\n", path, mx_sigkind_name(si->kind));
	if (si->identifier[0])
		mx_text_printf("  identifier:   %s\n", si->identifier);
	if (si->team_id[0])
		mx_text_printf("  team_id:      %s\n", si->team_id);
	if (si->signer[0])
		mx_text_printf("  signer:       %s\n", si->signer);
	if (si->signing_time)
		mx_text_printf("  signing_time: %s\n", when);
	if (si->cdhash[0])
		mx_text_printf("  cdhash:       %s\n", si->cdhash);
	for (int i = 0; i < si->narch; i++) {
		const mx_sig_arch *a = &si->arch[i];
		char buf[48];
		mx_text_printf("  arch %-8s %-18s %s\n", mx_macho_arch_name(a->cputype, a->cpusubtype, buf,
		    sizeof buf), mx_sigkind_name(a->kind), a->cdhash[0] ? a->cdhash : "-");
	}
	mx_text_printf("  kext requirement (kernel-extensions §5.1): %s\n",
	    si->kext_requirement_met ? "met" : "not met");
	if (si->entitlements && plist_dict_get_size(si->entitlements) > 0) {
		json_t *e = plist_json(si->entitlements, 0);
		char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		mx_text_printf("  entitlements: %s\n", s ? s : "?");
		free(s);
		json_decref(e);
	}
	for (int i = 0; i < si->nexpired; i++) {
		char na[32];
		iso_time(na, sizeof na, si->expired_certs[i].not_after);
		mx_text_printf("  expired:      \"%s\" on %s (before %s)\n", si->expired_certs[i].subject, na,
		    si->expired_certs[i].at_signing_time ? "the signing time" : "now");
	}
	if (si->expired && !strict && si->kind != MX_SIG_INVALID)
		mx_text_printf("  expiration:   not grounds for rejection (macOS's default); "
		    "--check-expiration rejects it\n");
	if (si->reason[0])
		mx_text_printf("  reason:       %s\n", si->reason);
}

static int
codesign_verify(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *anchor = arg_value(&argc, argv, "--trust-anchor");
	bool strict = arg_flag(&argc, argv, "--check-expiration");
	int rc = arg_check(argc, argv, 1, 1, USAGE, err);
	if (rc)
		return rc;
	const char *path = argv[1];
	/* --device NAME (given explicitly) lends its trust anchor, as the kext and
	 * sysext commands use it; the transaction only reads */
	char dev_anchor[4096];
	if (anchor == NULL && cli->device_name != NULL) {
		mx_device d;
		if ((rc = cli_store(cli, err)) ||
		    (rc = mx_engine_device_get(cli->eng, cli->device_name, &d, err)))
			return rc;
		anchor = mx_engine_anchor_path(cli->eng, &d, dev_anchor, sizeof dev_anchor);
	}
	mx_trust trust = { .extra_anchor_pem = anchor, .now = cli_now(cli),
	    .check_expiration = strict };
	mx_siginfo si;
	if ((rc = mx_codesign_verify_path(&si, path, &trust, err)))
		return rc;
	if (cli->json)
		cli_json_print(cli, siginfo_json(path, &si, strict));
	else
		siginfo_print(path, &si, strict);
	if (si.kind == MX_SIG_INVALID)
		rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "%s: invalid signature: %s", path,
		    si.reason);
	mx_siginfo_free(&si);
	return rc;
}

static const cli_verb codesign_verbs_v[] = {
	{ "verify", codesign_verify, CLI_SHOW },
};
const cli_verbs codesign_verbs = CLI_VERBS("codesign", codesign_verbs_v,
    USAGE);

int
cmd_codesign(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &codesign_verbs, argc, argv, err);
}
