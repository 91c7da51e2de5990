/*
 * cli.c — the invocation context shared by every command: the engine (one
 * per process, or per crash-driver operation) with this invocation's clock
 * and randomness (fixed by MACEXT_FAKE_TIME and MACEXT_SEED for
 * reproducible outputs), the op bracket as commands use it, argument
 * helpers, output that a fleet run silences, and the exit status of a
 * result (docs/cli.md's table; Apple tools' own codes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "macext/text.h"
#include "tools.h"

/* ---- clock and randomness ---- */

/* splitmix64, for MACEXT_SEED runs only */
static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
fill_random(struct mx_cli *cli, uint8_t *buf, size_t n)
{
	if (getenv("MACEXT_SEED")) {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = splitmix(&cli->seed_state);
			memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
		}
		return;
	}
	/* the kernel's CSPRNG directly: OpenSSL's RAND_bytes would first set up
	 * its DRBG, providers and configuration (~3 ms, most of a short
	 * command's run); 32 bytes from getrandom(2) cost one system call */
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom(buf + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			mx_text_fprintf(stderr, "macext: no random bytes: %s\n", strerror(errno));
			abort();
		}
		got += (size_t)k;
	}
}

void
cli_random(struct mx_cli *cli)
{
	fill_random(cli, cli->in.random, sizeof cli->in.random);
}

static void
env_random(void *arg, uint8_t *buf, size_t n)
{
	fill_random(arg, buf, n);
}

static int64_t
env_now(void *arg)
{
	struct mx_cli *cli = arg;
	return cli->in.now ? cli->in.now : (int64_t)time(NULL);
}

int64_t
cli_now(struct mx_cli *cli)
{
	return env_now(cli);
}

void
cli_env(struct mx_cli *cli, mx_engine_env *out)
{
	memset(out, 0, sizeof *out);
	out->now = env_now;
	out->random = env_random;
	out->arg = cli;
}

/* ---- the engine and the op bracket ---- */

int
cli_store(struct mx_cli *cli, mx_err *err)
{
	if (cli->eng)
		return 0;
	mx_engine_env env;
	cli_env(cli, &env);
	int rc = mx_engine_open_flags(&cli->eng, cli->state_dir, &env,
	    cli->read_only ? MX_ENGINE_READONLY : 0, err);
	if (rc == 0)
		cli->st = mx_engine_store(cli->eng);
	return rc;
}

void
cli_close(struct mx_cli *cli)
{
	mx_engine_close(cli->eng);
	cli->eng = NULL;
	cli->st = NULL;
}

int
cli_op(struct mx_cli *cli, enum mx_op_mode mode, mx_op **out, mx_err *err)
{
	*out = NULL;
	int rc = cli_store(cli, err);
	return rc ? rc : mx_op_begin(out, cli->eng, cli->device_name, mode, err);
}

int
cli_end(mx_op *op, int rc, mx_err *err)
{
	return mx_op_end(op, rc, err);
}

int
cli_status(int rc, const mx_err *err)
{
	if (rc == 0)
		return 0;
	/* an Apple tool's own status (csrutil 1, kmutil 27/28, ...) */
	if (err && (err->domain == MX_DOM_TOOL || err->domain == MX_DOM_KMERROR) &&
	    err->subcode > 0 && err->subcode < 256)
		return err->subcode;
	return mx_exit_code(rc);
}

int
cli_finish(struct mx_cli *cli, int rc, mx_err *err)
{
	if (rc == 0 && cli->json_failed)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the JSON document could not be written:"
		    " a string in it is not valid UTF-8");
	cli->json_failed = false;
	return rc;
}

int
cli_tool_fail(struct mx_cli *cli, int code, mx_err *err)
{
	cli->printed = true;
	if (err->code == MX_OK)
		err->code = MX_EINVALID;
	return mx_err_domain(err, MX_DOM_TOOL, code, err->code);
}

int
cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot open", path);
	size_t n = 0, sz = 65536;
	uint8_t *buf = mx_xmalloc(sz);
	for (;;) {
		if (n == sz) {
			if (sz > cap) {
				fclose(f);
				free(buf);
				return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
				    "%s: larger than %zu bytes", path, cap);
			}
			sz *= 2;
			buf = mx_xrealloc(buf, sz);
		}
		size_t got = fread(buf + n, 1, sz - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	if (n > cap) {
		free(buf);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: larger than %zu bytes", path, cap);
	}
	*out = buf;
	*len = n;
	return 0;
}

int
cli_import_anchor(struct mx_cli *cli, const char *path, char out[65], mx_err *err)
{
	int rc = cli_store(cli, err);
	return rc ? rc : mx_engine_import_anchor(cli->eng, path, out, err);
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
cli_out(struct mx_cli *cli, const char *fmt, ...)
{
	if (cli->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	mx_text_vfprintf(stdout, fmt, ap);   /* every %s escaped: no forged lines */
	va_end(ap);
}

/* a fleet step keeps the last line it would have said, for its summary */
static void
keep_said(struct mx_cli *cli, const char *text)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", text);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	char *nl = strrchr(buf, '\n');
	if (n)
		snprintf(cli->said, sizeof cli->said, "%s", nl ? nl + 1 : buf);
}

void
cli_errf(struct mx_cli *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!cli->quiet) {
		mx_text_vfprintf(stderr, fmt, ap);
		va_end(ap);
		return;
	}
	char *all = mx_text_vformat(fmt, ap);
	va_end(ap);
	keep_said(cli, all);
	free(all);
}

void
cli_text(struct mx_cli *cli, const char *text)
{
	if (!cli->quiet)
		fputs(text, stdout);
}

void
cli_etext(struct mx_cli *cli, const char *text)
{
	if (!cli->quiet)
		fputs(text, stderr);
	else
		keep_said(cli, text);
}

void
cli_write(struct mx_cli *cli, const void *buf, size_t len)
{
	if (!cli->quiet)
		fwrite(buf, 1, len, stdout);
}

void
cli_json_print(struct mx_cli *cli, json_t *j)
{
	/* a document jansson could not build (json_pack refuses a string that is
	 * not UTF-8): the command fails (cli_finish) instead of printing nothing */
	if (j == NULL) {
		cli->json_failed = true;
		return;
	}
	if (!cli->quiet) {
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s) {
			fputs(s, stdout);
			fputc('\n', stdout);
			free(s);
		}
	}
	json_decref(j);
}

int
cli_json(struct mx_cli *cli, int rc, json_t **j)
{
	if (rc)
		return rc;
	cli_json_print(cli, *j);
	return 0;
}

int
cli_device_out(struct mx_cli *cli, const mx_device *d, mx_err *err)
{
	if (cli->quiet)
		return 0;
	if (cli->json) {
		json_t *j;
		return cli_json(cli, mx_json_device(&j, d, err), &j);
	}
	cli_device_print(cli, d);
	return 0;
}

static const char *
yn(bool b)
{
	return b ? "yes" : "no";
}

void
cli_device_print(struct mx_cli *cli, const mx_device *d)
{
	char os[32];
	mx_version_str(d->os, os, sizeof os);
	cli_out(cli, "%s\n", d->name);
	cli_out(cli, "  Mac:            %s, macOS %s, serial %s\n",
	    d->arch == MX_ARCH_ARM64 ? "Apple silicon (arm64)" : "Intel (x86_64)", os, d->serial);
	cli_out(cli, "  running:        %s%s%s\n",
	    d->env == MX_ENV_MACOS ? "macOS" : d->env == MX_ENV_RECOVERY ? "recoveryOS" : "off",
	    d->env == MX_ENV_RECOVERY ? (d->recovery_entry == MX_RECOVERY_POWER_BUTTON ?
	    " (entered by holding the power button)" : " (entered from software)") : "",
	    d->restart_pending ? ", restart pending" : "");
	if (mx_device_sip_enabled(d))
		cli_out(cli, "  SIP:            enabled\n");
	else
		cli_out(cli, "  SIP:            disabled (csr-active-config 0x%x)\n", d->csr);
	if (d->arch == MX_ARCH_ARM64)
		cli_out(cli, "  security:       %s Security%s%s\n",
		    d->policy == MX_SEC_FULL ? "Full" : d->policy == MX_SEC_REDUCED ? "Reduced" :
		    "Permissive",
		    d->kext_user_management ? ", user management of kexts allowed" : "",
		    d->kext_remote_management ? ", remote management of kexts allowed" : "");
	static const char *en[] = { "not enrolled", "User Enrollment", "Device Enrollment",
		"Automated Device Enrollment" };
	cli_out(cli, "  MDM:            %s", en[d->enroll]);
	if (d->enroll != MX_ENROLL_NONE)
		cli_out(cli, " (user approved: %s, supervised: %s, bootstrap token escrowed: %s)",
		    yn(d->user_approved), yn(d->supervised), yn(d->bootstrap_escrowed));
	cli_out(cli, "\n");
	cli_out(cli, "  users:         ");
	for (int i = 0; i < d->nusers; i++)
		cli_out(cli, " %s%s", d->users[i].name, d->users[i].admin ? " (admin)" : "");
	cli_out(cli, "\n");
}


int
cli_dispatch(struct mx_cli *cli, const cli_verbs *t, int argc, char **argv, mx_err *err)
{
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: %s", t->usage);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(argv[1], t->v[i].name) == 0)
			return t->v[i].fn(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown %s command '%.200s'; usage: %s",
	    t->command, argv[1], t->usage);
}

const char *
cli_shape_name(enum cli_shape s)
{
	static const char *const names[] = { [CLI_ACT] = "action", [CLI_LIST] = "list",
		[CLI_SHOW] = "show", [CLI_TEXT] = "text" };
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void
cli_expiry_print(struct mx_cli *cli, const mx_expiry *x)
{
	for (int i = 0; i < x->n; i++) {
		char line[1024];
		mx_expiry_line(x, i, line, sizeof line);
		cli_out(cli, "  expired: %s\n", line);
	}
	if (x->n)
		cli_out(cli, "  expiration: not grounds for rejection (macOS's default); "
		    "--check-expiration refuses it\n");
}

int
cli_expiry_json(json_t *j, const mx_expiry *x, mx_err *err)
{
	json_t *a;
	int rc = mx_json_expiry(&a, x, err);
	if (rc == 0)
		json_object_set_new(j, "expired_certificates", a);
	return rc;
}
