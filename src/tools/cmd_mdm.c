/*
 * cmd_mdm.c — the device side of MDM: enrollment (none / User Enrollment /
 * Device Enrollment / Automated Device Enrollment, user-approved or not),
 * bootstrap token escrow, and the commands an MDM server sends that matter
 * for extensions: InstallProfile, RemoveProfile, RestartDevice, plus
 * ProfileList and SecurityInfo queries.  `macext mdm command FILE.plist`
 * takes a raw command plist ({CommandUUID, Command: {RequestType, ...}})
 * and prints the response plist the Mac would send back.
 * Spec: mdm-protocol-and-peers.md §1.3-1.6, kernel-extensions.md §3.7-3.9.
 *
 * Choices (inferences, docs/mdm.md): a Device Enrollment that the user
 * approved on macOS 11 or later is supervised (Apple: macOS 11 supervises
 * user-approved enrollments); ADE is always user approved and supervised
 * and its serial is in Apple Business/School Manager.  RestartDevice's
 * NotifyUser is honoured from macOS 11.3 (the key's description) rather
 * than 11.4 (the YAML's `introduced`), since Apple's text describes the
 * behaviour and the seed says "macOS 11.3 or later".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plist/plist.h>

#include "macext/mdm.h"
#include "macext/profile.h"
#include "tools.h"

static int
need_macos(const mx_device *d, mx_err *err)
{
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not running macOS (it is %s): the MDM client cannot answer", d->name,
		    d->env == MX_ENV_OFF ? "off" : "in recoveryOS");
	return 0;
}

static int
need_enrolled(const mx_device *d, mx_err *err)
{
	if (d->enroll == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not enrolled in MDM: run 'macext mdm enroll --method ...' first", d->name);
	return 0;
}

static int
finish(struct mx_cli *cli, const mx_device *d, mx_err *err)
{
	int rc;
	if ((rc = cli_save_device(cli, d, err)) || (rc = cli_commit(cli, err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json)
		cli_json_print(cli_device_json(d));
	else
		cli_device_print(stdout, d);
	return 0;
}

static int
mdm_enroll(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *method = arg_value(&argc, argv, "--method");
	bool approved = arg_flag(&argc, argv, "--user-approved");
	bool in_abm = arg_flag(&argc, argv, "--in-abm");
	int rc = arg_check(argc, argv, 0, 0,
	    "macext mdm enroll --method device|automated|user [--user-approved] [--in-abm]", err);
	if (rc)
		return rc;
	enum mx_enroll e;
	if ((rc = mx_enroll_parse(&e, method, err)))
		return rc;
	if (e == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--method takes device, automated or user");
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)))
		return rc;
	if (d.enroll != MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is already enrolled (%s): unenroll first", d.name, mx_enroll_name(d.enroll));
	d.enroll = e;
	d.in_abm = in_abm || e == MX_ENROLL_AUTOMATED;
	switch (e) {
	case MX_ENROLL_AUTOMATED:
		d.user_approved = true;
		d.supervised = true;
		break;
	case MX_ENROLL_USER:
		/* User Enrollment is initiated by the user; never supervised. */
		d.user_approved = true;
		d.supervised = false;
		break;
	default:
		d.user_approved = approved;
		d.supervised = approved && mx_version_at_least(d.os, 11, 0, 0);
		break;
	}
	char what[160];
	snprintf(what, sizeof what, "enrolled: %s%s%s", mx_enroll_name(e),
	    d.user_approved ? ", user approved" : "", d.supervised ? ", supervised" : "");
	if ((rc = cli_event(cli, &d, "mdm", what, "enrollment", err)))
		return rc;
	return finish(cli, &d, err);
}

struct rm_ctx { char (*ids)[256]; int n, cap; };

static int
collect_mdm(const mx_profile_row *r, void *arg)
{
	struct rm_ctx *c = arg;
	if (strcmp(r->source, "mdm") != 0)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->ids = mx_xrealloc(c->ids, (size_t)c->cap * sizeof *c->ids);
	}
	snprintf(c->ids[c->n++], 256, "%s", r->identifier);
	return 0;
}

static int
mdm_unenroll(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext mdm unenroll", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = need_enrolled(&d, err)))
		return rc;
	/* Unenrolling removes every profile the MDM server installed. */
	struct rm_ctx c = { 0 };
	rc = mx_store_profile_each(cli->st, d.id, collect_mdm, &c, err);
	for (int i = 0; rc == 0 && i < c.n; i++)
		rc = cli_remove_profile(cli, &d, c.ids[i], true, err);
	free(c.ids);
	if (rc)
		return rc;
	d.enroll = MX_ENROLL_NONE;
	d.user_approved = d.supervised = d.bootstrap_escrowed = false;
	if ((rc = cli_event(cli, &d, "mdm", "unenrolled; MDM profiles removed", "unenroll", err)))
		return rc;
	return finish(cli, &d, err);
}

static int
mdm_escrow(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext mdm escrow-bootstrap-token", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = need_enrolled(&d, err)))
		return rc;
	/* SetBootstrapToken: supervised only, never with User Enrollment. */
	if (d.enroll == MX_ENROLL_USER)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "SetBootstrapToken is not allowed with User Enrollment");
	if (!d.supervised)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "SetBootstrapToken needs a supervised Mac (this enrollment is not)");
	d.bootstrap_escrowed = true;
	if ((rc = cli_event(cli, &d, "mdm", "bootstrap token escrowed", "SetBootstrapToken", err)))
		return rc;
	return finish(cli, &d, err);
}

static int
mdm_install_profile(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm install-profile FILE", err);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_read_file(argv[1], MX_PROFILE_MAX_BYTES, &buf, &len, err)))
		return rc;
	mx_device d;
	mx_profile_row row;
	if ((rc = cli_begin_device(cli, &d, err)) == 0 && (rc = need_macos(&d, err)) == 0 &&
	    (rc = need_enrolled(&d, err)) == 0)
		rc = cli_install_profile(cli, &d, buf, len, argv[1], true, &row, err);
	free(buf);
	if (rc || (rc = cli_commit(cli, err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json) {
		cli_json_print(json_pack("{s:s, s:s, s:s, s:s}", "identifier", row.identifier,
		    "uuid", row.uuid, "payload_types", row.payload_types, "signer", row.signer));
	} else {
		printf("installed %s (%s)%s%s\n", row.identifier, row.payload_types,
		    row.signer[0] ? ", signed by " : "", row.signer);
	}
	return 0;
}

static int
mdm_remove_profile(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm remove-profile IDENTIFIER", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = need_enrolled(&d, err)) ||
	    (rc = cli_remove_profile(cli, &d, argv[1], true, err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	if (!cli->quiet && !cli->json)
		printf("removed %s\n", argv[1]);
	return 0;
}

/* RestartDevice (mdm/commands/device.restart.yaml). */
static int
restart_device(struct mx_cli *cli, mx_device *d, bool notify, bool rebuild,
    const char **paths, int npaths, bool *restarted, mx_err *err)
{
	int rc;
	*restarted = false;
	if (d->enroll == MX_ENROLL_USER)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "RestartDevice is not allowed with User Enrollment");
	if (npaths && !rebuild)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "KextPaths only applies with RebuildKernelCache");
	if (notify && mx_version_at_least(d->os, 11, 3, 0)) {
		/* NotifyUser: the user restarts when convenient (and may dismiss it);
		 * that restart rebuilds the AuxKC like any restart from macOS. */
		d->restart_pending = true;
		if ((rc = cli_alert(cli, d, "restart-required", "mdm",
		    "Restart Required",
		    "Your organisation requires this Mac to restart to finish installing updates"
		    " to system software. Restart when convenient.",
		    "[\"Restart\", \"Later\"]", err)) ||
		    (rc = cli_save_device(cli, d, err)))
			return rc;
		return cli_event(cli, d, "mdm", "RestartDevice with NotifyUser: user notified to restart",
		    "RestartDevice", err);
	}
	if ((rc = cli_event(cli, d, "mdm", rebuild ? "RestartDevice (RebuildKernelCache)" :
	    "RestartDevice", "RestartDevice", err)) ||
	    (rc = cli_restart(cli, d, rebuild, paths, npaths, "mdm", err)))
		return rc;
	*restarted = true;
	return 0;
}

static int
mdm_restart(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	bool notify = arg_flag(&argc, argv, "--notify-user");
	bool rebuild = arg_flag(&argc, argv, "--rebuild-kernel-cache");
	const char *paths[32];
	int np = arg_values(&argc, argv, "--kext-path", paths, 32);
	int rc = arg_check(argc, argv, 0, 0, "macext mdm restart [--notify-user]"
	    " [--rebuild-kernel-cache] [--kext-path P]...", err);
	mx_device d;
	bool restarted;
	if (rc || (rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = need_enrolled(&d, err)) ||
	    (rc = restart_device(cli, &d, notify, rebuild, paths, np, &restarted, err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json)
		cli_json_print(cli_device_json(&d));
	else if (restarted)
		printf("%s restarted (boot session %s)\n", d.name, d.boot_session);
	else
		printf("%s: the user was notified to restart\n", d.name);
	return 0;
}

/* ---- raw MDM commands ---- */

static int
profile_list_item(const mx_profile_row *r, void *arg)
{
	plist_t arr = arg;
	plist_t item = plist_new_dict();
	plist_dict_set_item(item, "PayloadIdentifier", plist_new_string(r->identifier));
	plist_dict_set_item(item, "PayloadUUID", plist_new_string(r->uuid));
	plist_dict_set_item(item, "PayloadDisplayName", plist_new_string(r->display_name));
	plist_dict_set_item(item, "PayloadOrganization", plist_new_string(r->organization));
	plist_dict_set_item(item, "IsManaged", plist_new_bool(strcmp(r->source, "mdm") == 0));
	plist_array_append_item(arr, item);
	return 0;
}

static plist_t
security_info(const mx_device *d)
{
	plist_t si = plist_new_dict();
	plist_dict_set_item(si, "SystemIntegrityProtectionEnabled",
	    plist_new_bool(mx_device_sip_enabled(d)));
	if (d->arch == MX_ARCH_ARM64) {
		plist_t sb = plist_new_dict();
		const char *lvl = d->policy == MX_SEC_FULL ? "full" :
		    d->policy == MX_SEC_REDUCED ? "medium" : "off";
		plist_dict_set_item(sb, "SecureBootLevel", plist_new_string(lvl));
		if (d->policy == MX_SEC_REDUCED) {
			plist_t rs = plist_new_array();
			if (d->kext_user_management)
				plist_array_append_item(rs, plist_new_string("AllowsUserKextApproval"));
			if (d->kext_remote_management)
				plist_array_append_item(rs, plist_new_string("AllowsMDM"));
			plist_dict_set_item(sb, "ReducedSecurity", rs);
		}
		plist_dict_set_item(si, "SecureBoot", sb);
		plist_dict_set_item(si, "BootstrapTokenAllowedForAuthentication",
		    plist_new_string(d->enroll == MX_ENROLL_AUTOMATED || d->kext_remote_management ?
		    "allowed" : d->enroll == MX_ENROLL_USER ? "not supported" : "disallowed"));
	}
	plist_t ms = plist_new_dict();
	plist_dict_set_item(ms, "EnrolledViaDEP", plist_new_bool(d->enroll == MX_ENROLL_AUTOMATED));
	plist_dict_set_item(ms, "UserApprovedEnrollment", plist_new_bool(d->user_approved));
	plist_dict_set_item(ms, "IsUserEnrollment", plist_new_bool(d->enroll == MX_ENROLL_USER));
	plist_dict_set_item(si, "ManagementStatus", ms);
	return si;
}

static int
mdm_command(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm command FILE.plist", err);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_read_file(argv[1], 16u << 20, &buf, &len, err)))
		return rc;
	/* the envelope and every key's type are checked by the formats layer */
	mx_mdm_command mc;
	rc = mx_mdm_command_parse(&mc, buf, len, argv[1], err);
	free(buf);
	if (rc)
		return rc;
	plist_t root = mc.root;
	const char *uuid = mc.uuid, *type = mc.type;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = need_enrolled(&d, err))) {
		plist_free(root);
		return rc;
	}
	plist_t resp = plist_new_dict();
	plist_dict_set_item(resp, "CommandUUID", plist_new_string(uuid));
	plist_dict_set_item(resp, "UDID", plist_new_string(d.udid));
	mx_err cerr;
	mx_err_clear(&cerr);
	int crc = 0;
	if (mc.bad) {
		crc = mc.bad;
		cerr = mc.bad_err;
	} else if (strcmp(type, "InstallProfile") == 0) {
		crc = cli_install_profile(cli, &d, mc.payload, mc.payload_len, "Command.Payload",
		    true, NULL, &cerr);
	} else if (strcmp(type, "RemoveProfile") == 0) {
		crc = cli_remove_profile(cli, &d, mc.identifier, true, &cerr);
	} else if (strcmp(type, "RestartDevice") == 0) {
		bool restarted;
		crc = restart_device(cli, &d, mc.notify_user, mc.rebuild_kernel_cache,
		    mc.kext_paths, mc.nkext_paths, &restarted, &cerr);
	} else if (strcmp(type, "ProfileList") == 0) {
		plist_t arr = plist_new_array();
		crc = mx_store_profile_each(cli->st, d.id, profile_list_item, arr, &cerr);
		plist_dict_set_item(resp, "ProfileList", arr);
	} else if (strcmp(type, "SecurityInfo") == 0) {
		plist_dict_set_item(resp, "SecurityInfo", security_info(&d));
	} else {
		crc = MX_FAIL(&cerr, MX_EINVALID, MX_NO_OFFSET,
		    "RequestType '%s' is not supported by this Mac", type);
	}
	if (crc) {
		/* the command failed: nothing it did is kept, the error goes back to the server */
		mx_store_rollback(cli->st);
		plist_dict_set_item(resp, "Status", plist_new_string("Error"));
		plist_t chain = plist_new_array(), e = plist_new_dict();
		plist_dict_set_item(e, "ErrorCode", plist_new_uint((uint64_t)mx_exit_code(crc)));
		plist_dict_set_item(e, "ErrorDomain", plist_new_string("MCMDMErrorDomain"));
		char msg[800];
		snprintf(msg, sizeof msg, "%s%s%s", cerr.where, cerr.where[0] ? ": " : "", cerr.msg);
		plist_dict_set_item(e, "LocalizedDescription", plist_new_string(msg));
		plist_array_append_item(chain, e);
		plist_dict_set_item(resp, "ErrorChain", chain);
		if ((rc = mx_store_begin(cli->st, err)) ||
		    (rc = cli_event(cli, &d, "mdm", type, msg, err)) ||
		    (rc = cli_commit(cli, err))) {
			plist_free(resp);
			plist_free(root);
			return rc;
		}
	} else {
		plist_dict_set_item(resp, "Status", plist_new_string("Acknowledged"));
		if ((rc = cli_commit(cli, err))) {
			plist_free(resp);
			plist_free(root);
			return rc;
		}
	}
	char *xml = NULL;
	uint32_t xl = 0;
	plist_to_xml(resp, &xml, &xl);
	if (!cli->quiet)
		fwrite(xml, 1, xl, stdout);
	free(xml);
	plist_free(resp);
	plist_free(root);
	return 0;
}

int
cmd_mdm(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; mx_cmd_fn fn; } sub[] = {
		{ "enroll", mdm_enroll }, { "unenroll", mdm_unenroll },
		{ "escrow-bootstrap-token", mdm_escrow },
		{ "install-profile", mdm_install_profile }, { "remove-profile", mdm_remove_profile },
		{ "restart", mdm_restart }, { "command", mdm_command },
	};
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext mdm enroll|unenroll|"
		    "escrow-bootstrap-token|install-profile|remove-profile|restart|command");
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown mdm command '%s'", argv[1]);
}
