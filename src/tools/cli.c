/*
 * cli.c — the invocation context shared by every command: opening the
 * store, the one transaction per command, time and randomness (fixed by
 * MACEXT_FAKE_TIME and MACEXT_SEED for reproducible golden outputs),
 * argument helpers and JSON printing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tools.h"

int
cli_store(struct mx_cli *cli, mx_err *err)
{
	if (cli->st)
		return 0;
	return mx_store_open_flags(&cli->st, cli->state_dir, cli->read_only ? MX_STORE_READONLY : 0,
	    err);
}

int
cli_begin_device(struct mx_cli *cli, mx_device *out, mx_err *err)
{
	int rc;
	if ((rc = cli_store(cli, err)) || (rc = mx_store_begin(cli->st, err)))
		return rc;
	if ((rc = mx_store_device_load(cli->st, cli->device_name, out, err))) {
		mx_store_rollback(cli->st);
		return rc;
	}
	return 0;
}

int
cli_commit(struct mx_cli *cli, mx_err *err)
{
	return mx_store_commit(cli->st, err);
}

void
cli_rollback(struct mx_cli *cli)
{
	if (cli->st)
		mx_store_rollback(cli->st);
}

/* splitmix64, for MACEXT_SEED runs only */
static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
cli_random(struct mx_cli *cli)
{
	if (getenv("MACEXT_SEED")) {
		for (int i = 0; i < 32; i += 8) {
			uint64_t v = splitmix(&cli->seed_state);
			memcpy(cli->in.random + i, &v, 8);
		}
		return;
	}
	/* the kernel's CSPRNG directly: OpenSSL's RAND_bytes would first set up
	 * its DRBG, providers and configuration (~3 ms, most of a short
	 * command's run); 32 bytes from getrandom(2) cost one system call */
	size_t got = 0;
	while (got < sizeof cli->in.random) {
		ssize_t n = getrandom(cli->in.random + got, sizeof cli->in.random - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "macext: no random bytes: %s\n", strerror(errno));
			abort();
		}
		got += (size_t)n;
	}
}

void
cli_uuid(struct mx_cli *cli, char out[37])
{
	cli_random(cli);
	uint8_t u[16];
	memcpy(u, cli->in.random, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(u, out);
}

int
cli_event(struct mx_cli *cli, const mx_device *d, const char *actor, const char *what,
    const char *why, mx_err *err)
{
	return mx_store_event(cli->st, d->id, cli->in.now, actor, what, why, err);
}

const char *
cli_trust_anchor(struct mx_cli *cli, const mx_device *d, char *buf, size_t len)
{
	if (d->trust_anchor[0] == '\0')
		return NULL;
	if (mx_cas_path(cli->st, d->trust_anchor, buf, len, NULL) != 0)
		return NULL;
	return buf;
}

/* ---- arguments ---- */

static void
drop(int *argc, char **argv, int i, int n)
{
	for (int k = i; k + n <= *argc; k++)
		argv[k] = argv[k + n];
	*argc -= n;
}

const char *
arg_value(int *argc, char **argv, const char *flag)
{
	size_t fl = strlen(flag);
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], flag) == 0 && i + 1 < *argc) {
			const char *v = argv[i + 1];
			drop(argc, argv, i, 2);
			return v;
		}
		if (strncmp(argv[i], flag, fl) == 0 && argv[i][fl] == '=') {
			const char *v = argv[i] + fl + 1;
			drop(argc, argv, i, 1);
			return v;
		}
	}
	return NULL;
}

int
arg_values(int *argc, char **argv, const char *flag, const char **out, int n)
{
	int k = 0;
	const char *v;
	while ((v = arg_value(argc, argv, flag)) != NULL)
		if (k < n)
			out[k++] = v;
	return k;
}

bool
arg_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], flag) == 0) {
			drop(argc, argv, i, 1);
			return true;
		}
	}
	return false;
}

int
arg_check(int argc, char **argv, int min, int max, const char *usage, mx_err *err)
{
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2] != '\0')
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown or incomplete option '%s'"
			    " (usage: %s)", argv[i], usage);
		npos++;
	}
	if (npos < min || npos > max)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: %s", usage);
	return 0;
}

/* ---- output ---- */

void
cli_json_print(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(j);
}

json_t *
cli_device_json(const mx_device *d)
{
	char os[32];
	mx_version_str(d->os, os, sizeof os);
	const char *re = mx_recovery_entry_name(d->recovery_entry);
	json_t *users = json_array();
	for (int i = 0; i < d->nusers; i++)
		json_array_append_new(users, json_pack("{s:s, s:b}", "name", d->users[i].name,
		    "admin", d->users[i].admin));
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I,"
	    " s:{s:b, s:I},"
	    " s:{s:s, s:b, s:b},"
	    " s:{s:s, s:b, s:b, s:b, s:b},"
	    " s:b, s:o}",
	    "name", d->name, "arch", mx_arch_name(d->arch), "os", os, "serial", d->serial,
	    "udid", d->udid, "environment", mx_env_name(d->env),
	    "recovery_entry", re ? json_string(re) : json_null(),
	    "chip", d->arch == MX_ARCH_ARM64 ? "apple-silicon" : "intel",
	    "boot_session", d->boot_session, "boot_count", (json_int_t)d->boot_count,
	    "sip", "enabled", mx_device_sip_enabled(d), "flags", (json_int_t)d->csr,
	    "security", "policy", mx_secpolicy_name(d->policy),
	    "kext_user_management", d->kext_user_management,
	    "kext_remote_management", d->kext_remote_management,
	    "enrollment", "method", mx_enroll_name(d->enroll), "user_approved", d->user_approved,
	    "supervised", d->supervised, "in_abm", d->in_abm,
	    "bootstrap_token_escrowed", d->bootstrap_escrowed,
	    "restart_pending", d->restart_pending, "users", users);
}

static const char *
yn(bool b)
{
	return b ? "yes" : "no";
}

void
cli_device_print(FILE *f, const mx_device *d)
{
	char os[32];
	mx_version_str(d->os, os, sizeof os);
	fprintf(f, "%s\n", d->name);
	fprintf(f, "  Mac:            %s, macOS %s, serial %s\n",
	    d->arch == MX_ARCH_ARM64 ? "Apple silicon (arm64)" : "Intel (x86_64)", os, d->serial);
	fprintf(f, "  running:        %s%s%s\n",
	    d->env == MX_ENV_MACOS ? "macOS" : d->env == MX_ENV_RECOVERY ? "recoveryOS" : "off",
	    d->env == MX_ENV_RECOVERY ? (d->recovery_entry == MX_RECOVERY_POWER_BUTTON ?
	    " (entered by holding the power button)" : " (entered from software)") : "",
	    d->restart_pending ? ", restart pending" : "");
	if (mx_device_sip_enabled(d))
		fprintf(f, "  SIP:            enabled\n");
	else
		fprintf(f, "  SIP:            disabled (csr-active-config 0x%x)\n", d->csr);
	if (d->arch == MX_ARCH_ARM64)
		fprintf(f, "  security:       %s Security%s%s\n",
		    d->policy == MX_SEC_FULL ? "Full" : d->policy == MX_SEC_REDUCED ? "Reduced" :
		    "Permissive",
		    d->kext_user_management ? ", user management of kexts allowed" : "",
		    d->kext_remote_management ? ", remote management of kexts allowed" : "");
	static const char *en[] = { "not enrolled", "User Enrollment", "Device Enrollment",
		"Automated Device Enrollment" };
	fprintf(f, "  MDM:            %s", en[d->enroll]);
	if (d->enroll != MX_ENROLL_NONE)
		fprintf(f, " (user approved: %s, supervised: %s, bootstrap token escrowed: %s)",
		    yn(d->user_approved), yn(d->supervised), yn(d->bootstrap_escrowed));
	fputc('\n', f);
	fprintf(f, "  users:         ");
	for (int i = 0; i < d->nusers; i++)
		fprintf(f, " %s%s", d->users[i].name, d->users[i].admin ? " (admin)" : "");
	fputc('\n', f);
}

int
cli_refuse(struct mx_cli *cli, const mx_device *d, const char *actor, const char *what,
    mx_err *err)
{
	int code = err->code ? err->code : MX_EDENIED;
	if (cli->st == NULL)
		return code;
	mx_store_rollback(cli->st);
	char why[600];
	snprintf(why, sizeof why, "refused: %s", err->msg);
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_begin(cli->st, &e2) == 0) {
		if (mx_store_event(cli->st, d->id, cli->in.now, actor, what, why, &e2) == 0)
			mx_store_commit(cli->st, &e2);
		else
			mx_store_rollback(cli->st);
	}
	return code;
}

int
cli_save_device(struct mx_cli *cli, const mx_device *d, mx_err *err)
{
	return mx_store_device_update(cli->st, d, err);
}
