/*
 * cmd_validate.c — `macext profiles validate FILE [--os VERSION] [--json]`:
 * reads a .mobileconfig (XML, binary or CMS-signed), prints every problem
 * with its key path and, per payload, what a Mac running VERSION does
 * with it.  Exit 0 without errors, MX_EINVALID (66) with; a file that does
 * not read is its read error (format 65, signature 69, too-big 71, ...).
 * Touches no state: no device, no store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/profile.h"
#include "tools.h"
#include "macext/text.h"

#define VALIDATE_USAGE "macext profiles validate FILE [--os VERSION] [--json]"
/* the schema's release (apple/device-management Release_iOS-18-1_macOS-15-1) */
#define DEFAULT_OS "15.1"

static json_t *
problems_json(const mx_problems *ps)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ps->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
		    "severity", mx_severity_name(ps->v[i].severity),
		    "path", ps->v[i].path, "message", ps->v[i].msg));
	return a;
}

static json_t *
payload_json(const mx_profile *p, size_t i, mx_version os)
{
	mx_payload_rules r;
	mx_schema_rules(mx_profile_payload_type(p, i), &r);
	mx_strings s = { 0 };
	mx_profile_payload_describe(p, i, os, &s);
	json_t *sum = json_array();
	for (size_t k = 0; k < s.n; k++)
		json_array_append_new(sum, json_string(s.v[k]));
	mx_strings_free(&s);
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:o}",
	    "type", mx_profile_payload_type(p, i),
	    "identifier", mx_profile_payload_identifier(p, i),
	    "uuid", mx_profile_payload_uuid(p, i),
	    "known", r.known, "summary", sum);
	if (r.known)
		json_object_set_new(o, "delivery", json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}",
		    "introduced", r.introduced,
		    "mdm_only", !r.allow_manual_install,
		    "requires_user_approved_mdm", r.requires_user_approved_mdm,
		    "requires_supervision", r.requires_supervision,
		    "user_enrollment_forbidden", r.user_enrollment_forbidden,
		    "multiple", r.multiple));
	return o;
}

int
cmd_profiles_validate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *os_s = arg_value(&argc, argv, "--os");
	bool json = arg_flag(&argc, argv, "--json") || cli->json;
	int rc = arg_check(argc, argv, 1, 1, VALIDATE_USAGE, err);
	if (rc)
		return rc;
	const char *file = argv[1];
	mx_version os;
	if ((rc = mx_version_parse(&os, os_s ? os_s : DEFAULT_OS, err)) != 0) {
		err->code = MX_EUSAGE;
		snprintf(err->where, sizeof err->where, "--os");
		return MX_EUSAGE;
	}
	char osname[24];
	mx_version_str(os, osname, sizeof osname);

	mx_profile *p = NULL;
	if ((rc = mx_profile_read_file(&p, file, err)) != 0)
		return rc;
	mx_problems ps = { 0 };
	size_t nerr = mx_profile_validate(p, os, &ps);
	size_t nwarn = 0;
	for (size_t i = 0; i < ps.n; i++)
		nwarn += ps.v[i].severity == MX_SEV_WARNING;
	size_t n = mx_profile_payload_count(p);

	if (json) {
		json_t *pls = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(pls, payload_json(p, i, os));
		json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:i}",
		    "file", file, "os", osname, "signed", mx_profile_is_signed(p),
		    "signer", mx_profile_signer(p), "identifier", mx_profile_identifier(p),
		    "uuid", mx_profile_uuid(p), "display_name", mx_profile_display_name(p),
		    "organization", mx_profile_organization(p), "payloads", pls,
		    "problems", problems_json(&ps), "errors", (int)nerr, "warnings", (int)nwarn);
		if (mx_profile_is_signed(p))
			json_object_set_new(o, "signer", json_string(mx_profile_signer(p)));
		else
			json_object_set_new(o, "signer", json_null());
		cli_json_print(cli, o);
	} else if (!cli->quiet) {
		mx_text_printf("%s: profile %s", file, mx_profile_identifier(p));
		if (mx_profile_display_name(p)[0])
			mx_text_printf(" \"%s\"", mx_profile_display_name(p));
		if (mx_profile_is_signed(p))
			mx_text_printf(", signed by \"%s\" (signature verified, signer not trusted-checked)",
			    mx_profile_signer(p));
		else
			mx_text_printf(", unsigned");
		mx_text_printf(", %zu payload%s, for macOS %s\n", n, n == 1 ? "" : "s", osname);
		for (size_t i = 0; i < ps.n; i++)
			mx_text_printf("  %s: %s: %s\n", mx_severity_name(ps.v[i].severity), ps.v[i].path,
			    ps.v[i].msg);
		for (size_t i = 0; i < n; i++) {
			mx_text_printf("PayloadContent[%zu] %s (%s)\n", i, mx_profile_payload_type(p, i),
			    mx_profile_payload_identifier(p, i));
			mx_strings s = { 0 };
			mx_profile_payload_describe(p, i, os, &s);
			for (size_t k = 0; k < s.n; k++)
				mx_text_printf("  - %s\n", s.v[k]);
			mx_strings_free(&s);
		}
		mx_text_printf("%zu error%s, %zu warning%s\n", nerr, nerr == 1 ? "" : "s", nwarn,
		    nwarn == 1 ? "" : "s");
	}
	if (nerr > 0) {
		/* the one stderr line names the first error; the report has all */
		const mx_problem *first = NULL;
		for (size_t i = 0; i < ps.n && first == NULL; i++)
			if (ps.v[i].severity == MX_SEV_ERROR)
				first = &ps.v[i];
		if (nerr == 1)
			MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", first->msg);
		else
			MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s (and %zu more errors)", first->msg,
			    nerr - 1);
		snprintf(err->where, sizeof err->where, "%s: %s", file, first->path);
	}
	mx_problems_free(&ps);
	mx_profile_free(p);
	return nerr > 0 ? MX_EINVALID : 0;
}
