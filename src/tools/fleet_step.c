/*
 * fleet_step.c — the typed step table of `fleet apply`: each device
 * operation a steps file may name, with its arguments parsed exactly as
 * the CLI verb parses them (flags anywhere, --flag=VALUE, the same
 * positional counts and value checks), once, when the plan is loaded.
 * Arguments the verb would reject, and commands that are not device
 * operations (fleet, store, forge, codesign, pkg, device create|delete|
 * list, profiles validate, kmutil create|inspect, kext auxkc), are plan
 * errors: fleet_apply.c names the file and line.  The operations
 * themselves are fleet_exec.c.  Spec: docs/fleet.md "fleet apply".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_step.h"

#define USAGE(err, ...) MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, __VA_ARGS__)

static int
not_a_step(const char *cmd, const char *sub, mx_err *err)
{
	return USAGE(err, "'%s%s%s' is not a device operation fleet apply runs (docs/fleet.md lists"
	    " the steps)", cmd, sub ? " " : "", sub ? sub : "");
}

/* ---- macext verbs ---- */

static int
parse_power(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (strcmp(argv[0], "restart") == 0) {
		s->kind = FS_RESTART;
		s->cred = arg_value(&argc, argv, "--as");
		return arg_check(argc, argv, 0, 0, "macext restart [--as USER:PASSWORD]", err);
	}
	if (strcmp(argv[0], "shutdown") == 0) {
		s->kind = FS_SHUTDOWN;
		return arg_check(argc, argv, 0, 0, "macext shutdown", err);
	}
	s->kind = FS_RECOVERY;
	const char *via = arg_value(&argc, argv, "--via");
	int rc = arg_check(argc, argv, 0, 0, "macext recovery --via power-button|software", err);
	if (rc)
		return rc;
	if (via && strcmp(via, "power-button") == 0)
		s->v.via = MX_RECOVERY_POWER_BUTTON;
	else if (via && strcmp(via, "software") == 0)
		s->v.via = MX_RECOVERY_SOFTWARE;
	else
		return USAGE(err, "--via takes power-button (press and hold the power button at"
		    " start-up) or software (restart to recovery from macOS)");
	return 0;
}

#define SET_USAGE "macext security set full|reduced|permissive [--kext-user-management]" \
	" [--kext-remote-management] --as USER:PASSWORD"

static int
parse_security(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0) {
		s->kind = FS_SECURITY_SHOW;
		return arg_check(argc - 1, argv + 1, 0, 0, "macext security show [--json]", err);
	}
	if (argc < 2 || strcmp(argv[1], "set") != 0)
		return USAGE(err, "usage: %s | macext security show [--json]", SET_USAGE);
	argc--, argv++;
	s->kind = FS_SECURITY_SET;
	s->cred = arg_value(&argc, argv, "--as");
	s->a = arg_flag(&argc, argv, "--kext-user-management");
	s->b = arg_flag(&argc, argv, "--kext-remote-management");
	int rc = arg_check(argc, argv, 1, 1, SET_USAGE, err);
	if (rc || (rc = mx_secpolicy_parse(&s->v.level, argv[1], err)))
		return rc;
	if (s->v.level == MX_SEC_FULL && (s->a || s->b))
		return USAGE(err, "the kernel extension options belong to Reduced Security (or"
		    " Permissive), not Full");
	return 0;
}

static int
parse_mdm(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (argc < 2)
		return USAGE(err, "usage: macext mdm enroll|unenroll|escrow-bootstrap-token|"
		    "install-profile|remove-profile|restart|command");
	const char *v = argv[1];
	argc--, argv++;
	if (strcmp(v, "enroll") == 0) {
		s->kind = FS_MDM_ENROLL;
		const char *method = arg_value(&argc, argv, "--method");
		s->a = arg_flag(&argc, argv, "--user-approved");
		s->b = arg_flag(&argc, argv, "--in-abm");
		int rc = arg_check(argc, argv, 0, 0, "macext mdm enroll --method device|automated|user"
		    " [--user-approved] [--in-abm]", err);
		if (rc || (rc = mx_enroll_parse(&s->v.method, method, err)))
			return rc;
		if (s->v.method == MX_ENROLL_NONE)
			return USAGE(err, "--method takes device, automated or user");
		return 0;
	}
	if (strcmp(v, "unenroll") == 0) {
		s->kind = FS_MDM_UNENROLL;
		return arg_check(argc, argv, 0, 0, "macext mdm unenroll", err);
	}
	if (strcmp(v, "escrow-bootstrap-token") == 0) {
		s->kind = FS_MDM_ESCROW;
		return arg_check(argc, argv, 0, 0, "macext mdm escrow-bootstrap-token", err);
	}
	if (strcmp(v, "install-profile") == 0) {
		s->kind = FS_MDM_INSTALL_PROFILE;
		s->path = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext mdm install-profile FILE", err);
	}
	if (strcmp(v, "remove-profile") == 0) {
		s->kind = FS_MDM_REMOVE_PROFILE;
		s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext mdm remove-profile IDENTIFIER", err);
	}
	if (strcmp(v, "restart") == 0) {
		s->kind = FS_MDM_RESTART;
		s->a = arg_flag(&argc, argv, "--notify-user");
		s->b = arg_flag(&argc, argv, "--rebuild-kernel-cache");
		s->n = arg_values(&argc, argv, "--kext-path", s->names, MX_MDM_MAX_KEXT_PATHS);
		return arg_check(argc, argv, 0, 0, "macext mdm restart [--notify-user]"
		    " [--rebuild-kernel-cache] [--kext-path P]...", err);
	}
	if (strcmp(v, "command") == 0) {
		s->kind = FS_MDM_COMMAND;
		s->path = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext mdm command FILE.plist", err);
	}
	return USAGE(err, "unknown mdm command '%s'", v);
}

static int
parse_profiles(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (argc < 2)
		return USAGE(err, "usage: macext profiles list|show|install|remove|validate");
	const char *v = argv[1];
	argc--, argv++;
	if (strcmp(v, "list") == 0) {
		s->kind = FS_PROFILES_LIST;
		return arg_check(argc, argv, 0, 0, "macext profiles list [--json]", err);
	}
	if (strcmp(v, "show") == 0) {
		s->kind = FS_PROFILES_SHOW;
		s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext profiles show IDENTIFIER [--json]", err);
	}
	if (strcmp(v, "install") == 0 || strcmp(v, "remove") == 0) {
		bool install = v[0] == 'i';
		s->kind = install ? FS_PROFILES_INSTALL : FS_PROFILES_REMOVE;
		s->cred = arg_value(&argc, argv, "--as");
		s->path = s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, install ?
		    "macext profiles install FILE --as USER:PASSWORD" :
		    "macext profiles remove IDENTIFIER --as USER:PASSWORD", err);
	}
	if (strcmp(v, "validate") == 0)
		return not_a_step("profiles", v, err);
	return USAGE(err, "unknown profiles command '%s'", v);
}

static int
parse_app(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "install") == 0) {
		s->kind = FS_APP_INSTALL;
		s->path = argv[argc > 2 ? 2 : 1];
		return arg_check(argc - 1, argv + 1, 1, 1, "macext app install PATH.app", err);
	}
	if (argc >= 2 && strcmp(argv[1], "delete") == 0) {
		argc--, argv++;
		s->kind = FS_APP_DELETE;
		s->cred = arg_value(&argc, argv, "--as");
		s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext app delete BUNDLE_ID [--as USER:PASSWORD]",
		    err);
	}
	return USAGE(err, "usage: macext app install PATH.app | app delete BUNDLE_ID"
	    " [--as USER:PASSWORD]");
}

static int
parse_sysext(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *v = argc >= 2 ? argv[1] : "";
	argc--, argv++;
	if (strcmp(v, "activate") == 0) {
		s->kind = FS_SYSEXT_ACTIVATE;
		const char *on_replace = arg_value(&argc, argv, "--on-replace");
		int rc = arg_check(argc, argv, 2, 2, "macext sysext activate APP_ID|PATH.app EXT_ID"
		    " [--on-replace replace|cancel]", err);
		if (rc)
			return rc;
		if (on_replace && strcmp(on_replace, "replace") && strcmp(on_replace, "cancel"))
			return USAGE(err, "--on-replace takes replace or cancel");
		s->a = !on_replace || strcmp(on_replace, "cancel") != 0;     /* replace */
		s->id = argv[1];
		s->id2 = argv[2];
		if (strchr(argv[1], '/'))
			s->path = argv[1];       /* an app run from elsewhere: imported */
		return 0;
	}
	if (strcmp(v, "deactivate") == 0) {
		s->kind = FS_SYSEXT_DEACTIVATE;
		s->cred = arg_value(&argc, argv, "--as");
		int rc = arg_check(argc, argv, 2, 2,
		    "macext sysext deactivate APP_ID EXT_ID [--as USER:PASSWORD]", err);
		s->id = argv[1];
		s->id2 = argv[2];
		return rc;
	}
	if (strcmp(v, "enable") == 0 || strcmp(v, "disable") == 0) {
		s->kind = FS_SYSEXT_SET_ENABLED;
		s->a = strcmp(v, "enable") == 0;
		s->cred = arg_value(&argc, argv, "--as");
		s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, s->a ? "macext sysext enable EXT_ID --as USER:PASSWORD" :
		    "macext sysext disable EXT_ID --as USER:PASSWORD", err);
	}
	if (strcmp(v, "list") == 0) {
		s->kind = FS_SYSEXT_LIST;
		return arg_check(argc, argv, 0, 0, "macext sysext list [--json]", err);
	}
	return USAGE(err, "usage: macext sysext activate APP_ID EXT_ID [--on-replace replace|cancel]"
	    " | deactivate APP_ID EXT_ID [--as USER:PASSWORD] | enable|disable EXT_ID"
	    " --as USER:PASSWORD | list [--json]");
}

static int
parse_kext(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (argc < 2)
		return USAGE(err, "usage: macext kext install|list|remove|auxkc ...");
	const char *v = argv[1];
	argc--, argv++;
	if (strcmp(v, "install") == 0) {
		s->kind = FS_KEXT_INSTALL;
		s->path = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext kext install PATH.kext", err);
	}
	if (strcmp(v, "list") == 0) {
		s->kind = FS_KEXT_LIST;
		return arg_check(argc, argv, 0, 0, "macext kext list [--json]", err);
	}
	if (strcmp(v, "remove") == 0 || strcmp(v, "uninstall") == 0) {
		s->kind = FS_KEXT_REMOVE;
		s->id = argv[argc > 1 ? 1 : 0];
		return arg_check(argc, argv, 1, 1, "macext kext remove BUNDLE_ID|PATH", err);
	}
	if (strcmp(v, "auxkc") == 0)
		return not_a_step("kext", v, err);
	return USAGE(err, "unknown kext command '%s'", v);
}

static int
parse_approve(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	bool sx = argc >= 2 && strcmp(argv[1], "sysext") == 0;
	if (!sx && !(argc >= 2 && strcmp(argv[1], "kext") == 0))
		return USAGE(err, "usage: macext approve sysext|kext BUNDLE_ID --as USER:PASSWORD");
	argc--, argv++;
	s->kind = sx ? FS_SYSEXT_APPROVE : FS_KEXT_APPROVE;
	s->cred = arg_value(&argc, argv, "--as");
	s->id = argv[argc > 1 ? 1 : 0];
	int rc = arg_check(argc, argv, 1, 1, sx ? "macext approve sysext BUNDLE_ID --as"
	    " USER:PASSWORD" : "macext approve kext BUNDLE_ID --as USER:PASSWORD", err);
	if (rc == 0 && !sx && s->cred == NULL)
		rc = USAGE(err, "approving a kernel extension needs --as USER:PASSWORD");
	return rc;
}

static int
parse_reads(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	if (strcmp(argv[0], "alerts") == 0) {
		/* an alert's id is one device's: closing one is not a fleet step */
		if (argc > 1 && strcmp(argv[1], "dismiss") == 0)
			return not_a_step("alerts", "dismiss", err);
		s->kind = FS_ALERTS;
		return arg_check(argc, argv, 0, 0, "macext alerts [--json]", err);
	}
	if (strcmp(argv[0], "log") == 0) {
		s->kind = FS_LOG;
		return arg_check(argc, argv, 0, 0, "macext log [--json]", err);
	}
	/* device: only show is an operation on the device a step runs on */
	if (argc < 2)
		return USAGE(err, "usage: macext device create|list|show|delete|export|import");
	if (strcmp(argv[1], "show") != 0)
		return not_a_step("device", argv[1], err);
	s->kind = FS_DEVICE_SHOW;
	int rc = arg_check(argc - 1, argv + 1, 0, 1, "macext device show [NAME] [--json]", err);
	s->id = argc > 2 ? argv[2] : NULL;
	return rc;
}

/* ---- kmutil and the legacy tools (apple_kmutil.c) ---- */

/* "-b ID" / "--bundle-identifier ID" / "-p PATH" / "--bundle-path PATH",
 * and --as USER:PASSWORD where as is given (skipped otherwise). */
static int
km_targets(struct fleet_step_op *s, int argc, char **argv, int max, bool take_as, mx_err *err)
{
	s->n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool b = strcmp(a, "-b") == 0 || strcmp(a, "--bundle-identifier") == 0;
		bool p = strcmp(a, "-p") == 0 || strcmp(a, "--bundle-path") == 0;
		if ((b || p || strcmp(a, "--as") == 0) && i + 1 < argc) {
			if (strcmp(a, "--as") == 0) {
				i++;
				if (take_as)
					s->cred = argv[i];
				continue;
			}
			if (s->n == max)
				return USAGE(err, "at most %d extensions", max);
			s->names[s->n++] = argv[++i];
			continue;
		}
		return USAGE(err, "unexpected argument '%s'", a);
	}
	return 0;
}

static int
km_showloaded(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *coll = NULL, *show = "loaded";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--collection") == 0) && i + 1 < argc)
			coll = argv[++i];
		else if ((strcmp(a, "-b") == 0 || strcmp(a, "--bundle-identifier") == 0) &&
		    i + 1 < argc)
			i++;
		else if (strcmp(a, "--show") == 0 && i + 1 < argc)
			show = argv[++i];
		else if (strcmp(a, "--list-only") != 0 && strcmp(a, "--no-kernel-components") != 0)
			return USAGE(err, "unexpected argument '%s'", a);
	}
	if (coll && strcmp(coll, "boot") && strcmp(coll, "sys") && strcmp(coll, "aux") &&
	    strcmp(coll, "codeless"))
		return USAGE(err, "--collection takes boot, sys, aux or codeless");
	if (strcmp(show, "loaded") && strcmp(show, "unloaded") && strcmp(show, "all"))
		return USAGE(err, "--show takes loaded, unloaded or all");
	return 0;
}

/* kmutil VERB ARGS: argv[0] is the verb. */
static int
km_verb(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *v = argv[0];
	if (strcmp(v, "load") == 0) {
		s->kind = FS_KM_LOAD;
		int rc = km_targets(s, argc, argv, MX_KEXT_LOAD_MAX, false, err);
		if (rc == 0 && s->n == 0)
			rc = USAGE(err, "usage: kmutil load -b BUNDLE_ID... | -p PATH...");
		return rc;
	}
	if (strcmp(v, "unload") == 0) {
		s->kind = FS_KM_UNLOAD;
		int rc = km_targets(s, argc, argv, 64, false, err);
		if (rc == 0 && s->n == 0)
			rc = USAGE(err, "usage: kmutil unload -b BUNDLE_ID | -p PATH");
		return rc;
	}
	if (strcmp(v, "showloaded") == 0) {
		s->kind = FS_KM_SHOWLOADED;
		return km_showloaded(s, argc, argv, err);
	}
	if (strcmp(v, "rebuild") == 0) {
		s->kind = FS_KM_REBUILD;
		return km_targets(s, argc, argv, 0, true, err);
	}
	if (strcmp(v, "trigger-panic-medic") == 0) {
		s->kind = FS_KM_PANIC_MEDIC;
		return arg_check(argc, argv, 0, 0, "kmutil trigger-panic-medic", err);
	}
	if (strcmp(v, "log") == 0) {
		s->kind = FS_KM_LOG;
		int rc = arg_check(argc, argv, 0, 1, "kmutil log show", err);
		if (rc == 0 && argc == 2 && strcmp(argv[1], "show"))
			rc = USAGE(err, "usage: kmutil log show");
		return rc;
	}
	if (strcmp(v, "create") == 0 || strcmp(v, "inspect") == 0)
		return not_a_step("kmutil", v, err);
	return USAGE(err, "unknown subcommand '%s'; usage: kmutil load|unload|showloaded|inspect|"
	    "create|rebuild|trigger-panic-medic|log ...", v);
}

/* kextload/kextunload/kextstat: the options they share with kmutil,
 * translated as the shims translate them (apple_kmutil.c shim()). */
static int
legacy_tool(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *verb = strcmp(argv[0], "kextload") == 0 ? "load" :
	    strcmp(argv[0], "kextunload") == 0 ? "unload" : "showloaded";
	char *nargv[72];
	int nn = 0;
	nargv[nn++] = (char *)verb;
	for (int i = 1; i < argc && nn < 70; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-b") == 0 || strcmp(a, "-bundle-id") == 0) {
			nargv[nn++] = "-b";
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "-dependency") == 0) {
			nargv[nn++] = "-p";
		} else if (strcmp(a, "-l") == 0 || strcmp(a, "-list-only") == 0) {
			nargv[nn++] = "--list-only";
		} else if (strcmp(a, "-k") == 0 || strcmp(a, "-no-kernel") == 0) {
			nargv[nn++] = "--no-kernel-components";
		} else if (a[0] != '-' && i > 1 && (strcmp(argv[i - 1], "-b") == 0 ||
		    strcmp(argv[i - 1], "-d") == 0 || strcmp(argv[i - 1], "-bundle-id") == 0)) {
			nargv[nn++] = (char *)a;
		} else if (a[0] != '-' && strcmp(verb, "showloaded") != 0) {
			nargv[nn++] = "-p";
			nargv[nn++] = (char *)a;
		} else {
			return USAGE(err, "unsupported option '%s'", a);
		}
	}
	nargv[nn] = NULL;
	int rc = km_verb(s, nn, nargv, err);
	s->kind = verb[0] == 'l' ? FS_KEXTLOAD : verb[0] == 'u' ? FS_KEXTUNLOAD : FS_KEXTSTAT;
	return rc;
}

/* ---- the other Apple tools ---- */

static int
parse_sxctl(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *v = argc >= 2 ? argv[1] : "";
	bool bad = false;
	if (strcmp(v, "list") == 0) {
		s->kind = FS_SXCTL_LIST;
		bad = argc > 3;
	} else if (strcmp(v, "developer") == 0) {
		s->kind = FS_SXCTL_DEVELOPER;
		bad = argc > 3 || (argc == 3 && strcmp(argv[2], "on") && strcmp(argv[2], "off"));
		s->a = argc == 3;                               /* a value was given ... */
		s->b = argc == 3 && strcmp(argv[2], "on") == 0; /* ... and it is on */
	} else if (strcmp(v, "reset") == 0) {
		s->kind = FS_SXCTL_RESET;
	} else if (strcmp(v, "uninstall") == 0) {
		s->kind = FS_SXCTL_UNINSTALL;
		bad = argc != 4;
		s->id = argc == 4 ? argv[2] : NULL;
		s->id2 = argc == 4 ? argv[3] : NULL;
	} else if (strcmp(v, "gc") == 0) {
		s->kind = FS_SXCTL_GC;
	} else {
		bad = true;
	}
	if (bad)
		return USAGE(err, "systemextensionsctl: usage: developer [on|off] | list [category] |"
		    " reset | uninstall <teamId> <bundleId> | gc");
	return 0;
}

static int
parse_spctl(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; enum mx_consent_action act; bool team, query; } acts[] = {
		{ "enable", MX_CONSENT_ENABLE, false, false },
		{ "disable", MX_CONSENT_DISABLE, false, false },
		{ "add", MX_CONSENT_ADD, true, false }, { "remove", MX_CONSENT_REMOVE, true, false },
		{ "status", 0, false, true }, { "list", 0, false, true },
	};
	if (argc < 2 || strcmp(argv[1], "kext-consent") != 0)
		return USAGE(err, "spctl: only the kext-consent command is implemented by macext");
	size_t k = 0;
	if (argc >= 3)
		for (k = 0; k < sizeof acts / sizeof acts[0]; k++)
			if (strcmp(argv[2], acts[k].name) == 0)
				break;
	if (argc < 3 || k == sizeof acts / sizeof acts[0] || argc != (acts[k].team ? 4 : 3))
		return USAGE(err, "usage: spctl kext-consent status|list|enable|disable|add TEAM|"
		    "remove TEAM");
	s->kind = acts[k].query ? FS_SPCTL_GET : FS_SPCTL_SET;
	s->v.consent = acts[k].act;
	s->id = acts[k].team ? argv[3] : NULL;
	return 0;
}

static int
parse_csrutil(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; uint32_t bits; } without[] = {
		{ "kext", MX_CSR_ALLOW_UNTRUSTED_KEXTS },
		{ "fs", MX_CSR_ALLOW_UNRESTRICTED_FS },
		{ "debug", MX_CSR_ALLOW_TASK_FOR_PID | MX_CSR_ALLOW_KERNEL_DEBUGGER },
		{ "dtrace", MX_CSR_ALLOW_UNRESTRICTED_DTRACE },
		{ "nvram", MX_CSR_ALLOW_UNRESTRICTED_NVRAM },
		{ "basesystem", MX_CSR_ALLOW_ANY_RECOVERY_OS },
	};
	s->cred = arg_value(&argc, argv, "--as");
	const char *wo[8];
	int nwo = arg_values(&argc, argv, "--without", wo, 8);
	if (argc < 2) {
		s->kind = FS_NOOP;           /* the usage text on stdout, exit 0 */
		return 0;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "authenticated-root") == 0) {
		const char *v = argc == 3 ? argv[2] : "";
		if (strcmp(v, "status") == 0)
			s->kind = FS_CSRUTIL_AUTHROOT_STATUS;
		else if (strcmp(v, "enable") == 0 || strcmp(v, "disable") == 0)
			s->kind = FS_CSRUTIL_AUTHROOT_SET, s->a = v[0] == 'd';
		else
			return USAGE(err, "usage: csrutil authenticated-root status|enable|disable");
		return 0;
	}
	if (argc != 2 || (nwo && strcmp(cmd, "enable") != 0))
		return USAGE(err, "usage: csrutil clear|disable|enable [--without NAME]...|status");
	if (strcmp(cmd, "status") == 0) {
		s->kind = FS_CSRUTIL_STATUS;
		return 0;
	}
	s->kind = FS_CSRUTIL_SET;
	snprintf(s->cmd, sizeof s->cmd, "%s", cmd);
	s->v.csr = 0;
	if (strcmp(cmd, "disable") == 0) {
		s->v.csr = MX_CSR_DISABLE_FLAGS;
	} else if (strcmp(cmd, "enable") == 0) {
		for (int i = 0; i < nwo; i++) {
			size_t k;
			for (k = 0; k < sizeof without / sizeof without[0]; k++)
				if (strcmp(wo[i], without[k].name) == 0)
					break;
			if (k == sizeof without / sizeof without[0])
				return USAGE(err, "csrutil: unknown option for --without: %s", wo[i]);
			s->v.csr |= without[k].bits;
		}
	} else if (strcmp(cmd, "clear") != 0) {
		return USAGE(err, "usage: csrutil clear|disable|enable [--without NAME]...|status");
	}
	return 0;
}

static const char *
opt(int *argc, char **argv, const char *s, const char *l)
{
	const char *v = arg_value(argc, argv, s);
	return v ? v : arg_value(argc, argv, l);
}

static bool
flg(int *argc, char **argv, const char *s, const char *l)
{
	bool a = arg_flag(argc, argv, s);
	bool b = arg_flag(argc, argv, l);
	return a || b;
}

static int
parse_bputil(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	const char *user = opt(&argc, argv, "-u", "--username");
	const char *pass = opt(&argc, argv, "-p", "--password");
	bool disp = flg(&argc, argv, "-d", "--display-policy");
	bool dall = flg(&argc, argv, "-e", "--display-all-policies");
	bool json = flg(&argc, argv, "-j", "--json");
	bool f = flg(&argc, argv, "-f", "--full-security");
	bool g = flg(&argc, argv, "-g", "--reduced-security");
	bool n = flg(&argc, argv, "-n", "--permissive-security");
	bool k = flg(&argc, argv, "-k", "--enable-kexts");
	bool m = flg(&argc, argv, "-m", "--enable-mdm");
	bool c = flg(&argc, argv, "-c", "--disable-kernel-ctrr");
	bool a = flg(&argc, argv, "-a", "--disable-boot-args-restriction");
	bool ss = flg(&argc, argv, "-s", "--disable-ssv");
	if (flg(&argc, argv, "-h", "--help")) {
		s->kind = FS_NOOP;
		return 0;
	}
	if (argc > 1)
		return USAGE(err, "bputil: unknown option '%s'", argv[1]);
	if (!disp && !dall && !json && !f && !g && !n && !k && !m && !c && !a && !ss)
		return USAGE(err, "bputil: no option given (bputil -h)");
	if (f && (g || n || k || m || c || a || ss))
		return USAGE(err, "bputil: -f (Full Security) cannot be combined with any option that"
		    " lowers security");
	if (g && n)
		return USAGE(err, "bputil: -g and -n are mutually exclusive");
	bool modify = f || g || n || k || m || c || a || ss;
	s->kind = modify ? FS_BPUTIL_SET : FS_BPUTIL_SHOW;
	s->lp = (mx_lp_request){ .origin = MX_ORIGIN_BPUTIL };
	s->lp.level = f ? MX_SEC_FULL : n || c || a || ss ? MX_SEC_PERMISSIVE : MX_SEC_REDUCED;
	s->a = !f && !g && !n;       /* -k/-m alone keep a Permissive OS Permissive */
	s->lp.rebuild = g || n;
	s->lp.kext_user = k;
	s->lp.kext_remote = m;
	s->lp.ctrr_off = c;
	s->lp.bootargs_off = a;
	s->lp.ssv_off = ss;
	if (user && pass) {
		snprintf(s->owned_cred, sizeof s->owned_cred, "%s:%s", user, pass);
		s->cred = s->owned_cred;
	}
	return 0;
}

/* ---- the table ---- */

static const struct {
	const char *name;
	int (*parse)(struct fleet_step_op *, int, char **, mx_err *);
} table[] = {
	{ "restart", parse_power }, { "shutdown", parse_power }, { "recovery", parse_power },
	{ "security", parse_security }, { "mdm", parse_mdm }, { "profiles", parse_profiles },
	{ "app", parse_app }, { "sysext", parse_sysext }, { "kext", parse_kext },
	{ "approve", parse_approve }, { "alerts", parse_reads }, { "log", parse_reads },
	{ "device", parse_reads }, { "systemextensionsctl", parse_sxctl },
	{ "spctl", parse_spctl }, { "csrutil", parse_csrutil }, { "bputil", parse_bputil },
	{ "kextload", legacy_tool }, { "kextunload", legacy_tool }, { "kextstat", legacy_tool },
};

int
fleet_step_parse(struct fleet_step_op *s, int argc, char **argv, mx_err *err)
{
	memset(s, 0, sizeof *s);
	if (argc < 1)
		return USAGE(err, "no command");
	/* the flag helpers take flags out of the array: parse a copy of it */
	char *av[MX_KEXT_LOAD_MAX + 8];
	if (argc > (int)(sizeof av / sizeof av[0]) - 1)
		return USAGE(err, "too many words");
	memcpy(av, argv, sizeof(char *) * (size_t)argc);
	av[argc] = NULL;
	if (strcmp(av[0], "kmutil") == 0) {
		if (argc < 2)
			return USAGE(err, "usage: kmutil load|unload|showloaded|inspect|create|rebuild|"
			    "trigger-panic-medic|log ...");
		return km_verb(s, argc - 1, av + 1, err);
	}
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(av[0], table[i].name) == 0)
			return table[i].parse(s, argc, av, err);
	static const char *const others[] = { "fleet", "store", "forge", "codesign", "pkg" };
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strcmp(av[0], others[i]) == 0)
			return not_a_step(av[0], NULL, err);
	return USAGE(err, "unknown command '%s'", av[0]);
}

void
fleet_step_free(struct fleet_step_op *s)
{
	struct fleet_import *im = s->imp;
	if (im) {
		mx_profile_import_free(&im->profile);
		if (im->have_mdm)
			mx_mdm_request_free(&im->mdm);
		free(im);
	}
	free(s->report);
	memset(s, 0, sizeof *s);
}
