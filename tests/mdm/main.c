/*
 * main.c — `mdmserver`: the conformance MDM server that macext's agent
 * tests and benches run against (tests/mdm/README.md: flags, control API,
 * what it validates).
 *
 *   mdmserver [flags]                  serve until SIGINT/SIGTERM; write --report
 *   mdmserver validate [--os V] [--request-type RT | --command] [--user-channel]
 *             [--user-enrollment] [--schema DIR] FILE...
 *                                      validate saved device messages (a check-in
 *                                      when it has MessageType, else a command
 *                                      result; with --command, commands a server
 *                                      sends) and print the violations
 *
 *   mdmserver load --ready FILE --dir PKIDIR [--devices N] [--concurrency C]
 *             [--rounds R] [--scep K]    drive a running server with N simulated
 *                                      devices and print the rates (load.c)
 *
 * At start it loads Apple's schema, sets up (or reloads from --dir) its
 * CAs, listens (port 0 picks a free port), writes --profile-out and then
 * --ready-file (JSON: URLs, ports, topic, pid, file paths) so a test knows
 * where it is.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "mdms.h"

static void
usage(void)
{
	fputs("usage: mdmserver [--dir DIR] [--schema DIR] [--host H] [--port N] [--control-port N]\n"
	    "         [--scep-port N] [--threads N] [--tls] [--mtls] [--tls-mode good|other-ca|wrong-host|expired]\n"
	    "         [--tls-rsa] [--strict] [--report FILE] [--ready-file FILE] [--profile-out FILE]\n"
	    "         [--topic T] [--control-token T] [--scep-challenge S|--scep-any-challenge]\n"
	    "         [--scep-mode success|pending|failure] [--scep-polls N] [--scep-failinfo NAME] [--scep-ra]\n"
	    "         [--scep-cipher des|des3|aes128|aes256]\n"
	    "         [--cert-days N] [--device-ca PEM]... [--verify-time T] [--max-body N] [--assume-os V]\n"
	    "         [--push-url URL] [--push-ca PEM] [--push-insecure] [--ua-decline] [--ddm]\n"
	    "         [--fault SPEC]... [--conn-limit N] [--keep-bodies N]\n"
	    "         [--identity scep|pkcs12] [--pin ca|leaf|other] [--capabilities LIST] [--access-rights N]\n"
	    "         [--keysize N] [--sign-message yes|no] [--no-checkout-when-removed] [--no-checkin-url]\n"
	    "         [--p12-password PW] [--mdm-path P] [--checkin-path P] [--scep-path P] [--no-schema]\n"
	    "         [--no-fast-verify]\n"
	    "       mdmserver validate [--os V] [--request-type RT | --command] [--user-channel]\n"
	    "         [--user-enrollment] [--schema DIR] FILE...\n", stderr);
	exit(64);
}

static const char *
default_schema(void)
{
	const char *env = getenv("MDMSERVER_SCHEMA");
	if (env)
		return env;
	static const char *const tries[] = {
		"../shared/testdata/apple-device-management/mdm",
		"../../shared/testdata/apple-device-management/mdm",
		"/work/shared/testdata/apple-device-management/mdm",
	};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
		if (access(tries[i], R_OK) == 0)
			return tries[i];
	return tries[0];
}

static int
failinfo(const char *s)
{
	static const char *const n[] = { "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId" };
	for (int i = 0; i < 5; i++)
		if (strcmp(s, n[i]) == 0)
			return i;
	fprintf(stderr, "mdmserver: --scep-failinfo %s: one of badAlg badMessageCheck badRequest badTime badCertId\n", s);
	exit(64);
}

static time_t
parse_time(const char *s)
{
	struct tm tm = { 0 };
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && *end == 0)
		return timegm(&tm);
	char *e = NULL;
	long long v = strtoll(s, &e, 10);
	if (e == s || *e != 0 || v <= 0) {
		fprintf(stderr, "mdmserver: --verify-time %s: epoch seconds or YYYY-MM-DDTHH:MM:SSZ\n", s);
		exit(64);
	}
	return (time_t)v;
}

/* ---- validate ---- */

static int
cmd_validate(int argc, char **argv)
{
	const char *schema = NULL, *rt = NULL, *os = NULL;
	bool user = false, ue = false, command = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--os") == 0 && i + 1 < argc)
			os = argv[++i];
		else if (strcmp(argv[i], "--request-type") == 0 && i + 1 < argc)
			rt = argv[++i];
		else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
			schema = argv[++i];
		else if (strcmp(argv[i], "--user-channel") == 0)
			user = true;
		else if (strcmp(argv[i], "--user-enrollment") == 0)
			ue = true;
		else if (strcmp(argv[i], "--command") == 0)
			command = true;
		else
			usage();
	}
	if (i >= argc)
		usage();
	mds_schema sc;
	mds_err err = { 0 };
	if (mds_schema_load(&sc, schema ? schema : default_schema(), &err) != 0) {
		fprintf(stderr, "mdmserver: %s\n", err.msg);
		return 2;
	}
	int worst = 0;
	for (; i < argc; i++) {
		uint8_t *buf = NULL;
		size_t n = 0;
		if (mds_read_file(&buf, &n, argv[i], 64u << 20, &err) != 0) {
			fprintf(stderr, "mdmserver: %s\n", err.msg);
			worst = 2;
			continue;
		}
		mds_arena a = { 0 };
		mds_pnode *root = NULL;
		if (mds_plist_parse(&root, &a, buf, n, &err) != 0) {
			printf("%s: malformed: offset %zu: %s\n", argv[i], err.offset, err.msg);
			worst = 2;
			free(buf);
			mds_arena_free(&a);
			continue;
		}
		mds_vctx ctx = { .user_channel = user, .user_enrollment = ue };
		if (os && mds_version_parse(os, ctx.os))
			ctx.os_known = true;
		mds_viols vs = { .n = 0 };
		const char *mt = mds_plist_str(root, "MessageType");
		const char *what = mt ? mt : rt ? rt : "response";
		if (command) {
			what = mds_plist_str(mds_plist_get(root, "Command"), "RequestType");
			what = what ? what : "command";
			mds_validate_command(&sc, root, &ctx, &vs);
		} else if (mt) {
			const mds_sdoc *d = mds_schema_checkin(&sc, mt);
			if (d)
				mds_validate_checkin(&sc, d, root, &ctx, &vs);
			else
				mds_viol_add(&vs, "unknown-message", "MessageType", "\"%s\" is not a check-in message", mt);
		} else {
			const mds_sdoc *d = rt ? mds_schema_command(&sc, rt) : NULL;
			if (rt && d == NULL)
				mds_viol_add(&vs, "unknown-command", "RequestType", "\"%s\" has no schema", rt);
			mds_validate_response(&sc, d, root, &ctx, &vs);
		}
		if (vs.total == 0)
			printf("%s: %s: valid\n", argv[i], what);
		for (size_t k = 0; k < vs.n; k++)
			printf("%s: %s: %s: %s: %s\n", argv[i], what, vs.v[k].kind, vs.v[k].path, vs.v[k].msg);
		if (vs.total && worst < 1)
			worst = 1;
		free(buf);
		mds_arena_free(&a);
	}
	mds_schema_free(&sc);
	return worst;
}

/* ---- serve ---- */

static int
write_ready(mds_server *s, const char *path, const mds_config *c)
{
	json_t *j = json_object();
	json_object_set_new(j, "pid", json_integer(getpid()));
	json_object_set_new(j, "base_url", json_string(s->base_url));
	json_object_set_new(j, "server_url", json_sprintf("%s%s", s->base_url, c->mdm_path));
	json_object_set_new(j, "checkin_url", json_sprintf("%s%s", s->base_url, c->checkin_path));
	json_object_set_new(j, "scep_url", json_string(s->scep_url));
	json_object_set_new(j, "control_url", json_string(s->control_url));
	json_object_set_new(j, "port", json_integer(s->port));
	json_object_set_new(j, "control_port", json_integer(s->control_port));
	json_object_set_new(j, "scep_port", json_integer(s->scep_port));
	json_object_set_new(j, "topic", json_string(s->cfg.topic));
	json_object_set_new(j, "tls", json_boolean(c->tls));
	json_object_set_new(j, "mtls", json_boolean(c->mtls));
	if (c->dir) {
		json_object_set_new(j, "tls_ca", json_sprintf("%s/tls-ca.pem", c->dir));
		json_object_set_new(j, "scep_ca", json_sprintf("%s/scep-ca.pem", c->dir));
		json_object_set_new(j, "scep_ca_key", json_sprintf("%s/scep-ca.key", c->dir));
		json_object_set_new(j, "other_ca", json_sprintf("%s/other-ca.pem", c->dir));
		json_object_set_new(j, "server_cert", json_sprintf("%s/tls-server.pem", c->dir));
	}
	if (c->profile_out)
		json_object_set_new(j, "profile", json_string(c->profile_out));
	if (c->report_path)
		json_object_set_new(j, "report", json_string(c->report_path));
	char *t = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	mds_err err = { 0 };
	mds_buf b = { 0 };
	mds_buf_adds(&b, t);
	mds_buf_add(&b, "\n", 1);
	free(t);
	int rc = mds_write_file(path, b.p, b.len, &err);
	mds_buf_free(&b);
	if (rc != 0)
		fprintf(stderr, "mdmserver: %s\n", err.msg);
	return rc;
}

static void
raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "validate") == 0)
		return cmd_validate(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "load") == 0)
		return mds_load_main(argc - 1, argv + 1);
	mds_config c = {
		.host = "127.0.0.1", .bind = "127.0.0.1", .scep_port = -1, .threads = 2,
		.ec_tls = true, .mdm_path = "/mdm", .checkin_path = "/checkin", .scep_path = "/scep",
		.scep_challenge = "macext-challenge", .scep_polls = 2, .scep_failinfo = 2, .cert_days = 365,
		.max_body = 8u << 20, .conn_limit = 16384, .keep_bodies = 256u << 20,
		.identity = "scep", .capabilities = "com.apple.mdm.per-user-connections,com.apple.mdm.bootstraptoken",
		.access_rights = 8191, .keysize = 2048, .checkout_when_removed = true, .p12_password = "macext",
	};
	const char *schema = NULL;
	bool no_schema = false;
	const char *faults[32];
	size_t nfaults = 0;
	enum {
		O_DIR = 256, O_SCHEMA, O_HOST, O_BIND, O_PORT, O_CPORT, O_SPORT, O_THREADS, O_TLS, O_MTLS,
		O_TLSMODE, O_TLSRSA, O_STRICT, O_REPORT, O_READY, O_PROFILE, O_TOPIC, O_CTOKEN, O_CHAL,
		O_ANYCHAL, O_SMODE, O_SPOLLS, O_SFAIL, O_SRA, O_SCIPHER, O_DAYS, O_DEVCA, O_VTIME, O_MAXBODY, O_OS,
		O_PUSH, O_PUSHCA, O_PUSHINS, O_UADECL, O_DDM, O_FAULT, O_CLIMIT, O_KEEP, O_IDENT, O_PIN,
		O_CAPS, O_AR, O_KEYSIZE, O_SIGN, O_NOCO, O_NOCI, O_P12PW, O_MPATH, O_CPATH, O_SPATH, O_NOSCHEMA,
		O_NOFAST,
	};
	static const struct option lo[] = {
		{ "dir", 1, 0, O_DIR }, { "schema", 1, 0, O_SCHEMA }, { "host", 1, 0, O_HOST },
		{ "bind", 1, 0, O_BIND }, { "port", 1, 0, O_PORT }, { "control-port", 1, 0, O_CPORT },
		{ "scep-port", 1, 0, O_SPORT }, { "threads", 1, 0, O_THREADS }, { "tls", 0, 0, O_TLS },
		{ "mtls", 0, 0, O_MTLS }, { "tls-mode", 1, 0, O_TLSMODE }, { "tls-rsa", 0, 0, O_TLSRSA },
		{ "strict", 0, 0, O_STRICT }, { "report", 1, 0, O_REPORT }, { "ready-file", 1, 0, O_READY },
		{ "profile-out", 1, 0, O_PROFILE }, { "topic", 1, 0, O_TOPIC }, { "control-token", 1, 0, O_CTOKEN },
		{ "scep-challenge", 1, 0, O_CHAL }, { "scep-any-challenge", 0, 0, O_ANYCHAL },
		{ "scep-mode", 1, 0, O_SMODE }, { "scep-polls", 1, 0, O_SPOLLS }, { "scep-failinfo", 1, 0, O_SFAIL },
		{ "scep-ra", 0, 0, O_SRA }, { "scep-cipher", 1, 0, O_SCIPHER }, { "cert-days", 1, 0, O_DAYS }, { "device-ca", 1, 0, O_DEVCA },
		{ "verify-time", 1, 0, O_VTIME }, { "max-body", 1, 0, O_MAXBODY }, { "assume-os", 1, 0, O_OS },
		{ "push-url", 1, 0, O_PUSH }, { "push-ca", 1, 0, O_PUSHCA }, { "push-insecure", 0, 0, O_PUSHINS },
		{ "ua-decline", 0, 0, O_UADECL }, { "ddm", 0, 0, O_DDM }, { "fault", 1, 0, O_FAULT },
		{ "conn-limit", 1, 0, O_CLIMIT }, { "keep-bodies", 1, 0, O_KEEP }, { "identity", 1, 0, O_IDENT },
		{ "pin", 1, 0, O_PIN }, { "capabilities", 1, 0, O_CAPS }, { "access-rights", 1, 0, O_AR },
		{ "keysize", 1, 0, O_KEYSIZE }, { "sign-message", 1, 0, O_SIGN },
		{ "no-checkout-when-removed", 0, 0, O_NOCO }, { "no-checkin-url", 0, 0, O_NOCI },
		{ "p12-password", 1, 0, O_P12PW }, { "mdm-path", 1, 0, O_MPATH }, { "checkin-path", 1, 0, O_CPATH },
		{ "scep-path", 1, 0, O_SPATH }, { "no-schema", 0, 0, O_NOSCHEMA }, { "help", 0, 0, 'h' },
		{ "no-fast-verify", 0, 0, O_NOFAST },
		{ 0, 0, 0, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case O_DIR: c.dir = optarg; break;
		case O_SCHEMA: schema = optarg; break;
		case O_HOST: c.host = optarg; break;
		case O_BIND: c.bind = optarg; break;
		case O_PORT: c.port = atoi(optarg); break;
		case O_CPORT: c.control_port = atoi(optarg); break;
		case O_SPORT: c.scep_port = atoi(optarg); break;
		case O_THREADS: c.threads = atoi(optarg); break;
		case O_TLS: c.tls = true; break;
		case O_MTLS: c.tls = c.mtls = true; break;
		case O_TLSMODE:
			c.tls_mode = strcmp(optarg, "good") == 0 ? MDS_TLS_GOOD : strcmp(optarg, "other-ca") == 0 ?
			    MDS_TLS_OTHER_CA : strcmp(optarg, "wrong-host") == 0 ? MDS_TLS_WRONG_HOST :
			    strcmp(optarg, "expired") == 0 ? MDS_TLS_EXPIRED : -1;
			if (c.tls_mode < 0)
				usage();
			c.tls = true;
			break;
		case O_TLSRSA: c.ec_tls = false; break;
		case O_STRICT: c.strict = true; break;
		case O_REPORT: c.report_path = optarg; break;
		case O_READY: c.ready_file = optarg; break;
		case O_PROFILE: c.profile_out = optarg; break;
		case O_TOPIC: c.topic = optarg; break;
		case O_CTOKEN: c.control_token = optarg; break;
		case O_CHAL: c.scep_challenge = optarg; break;
		case O_ANYCHAL: c.scep_challenge = NULL; break;
		case O_SMODE:
			c.scep_mode = strcmp(optarg, "success") == 0 ? MDS_SCEP_SUCCESS : strcmp(optarg, "pending") == 0 ?
			    MDS_SCEP_PENDING : strcmp(optarg, "failure") == 0 ? MDS_SCEP_FAILURE : -1;
			if (c.scep_mode < 0)
				usage();
			break;
		case O_SPOLLS: c.scep_polls = atoi(optarg); break;
		case O_SFAIL: c.scep_failinfo = failinfo(optarg); break;
		case O_SRA: c.scep_ra = true; break;
		case O_SCIPHER:
			if (strcmp(optarg, "des") != 0 && strcmp(optarg, "des3") != 0 &&
			    strcmp(optarg, "aes128") != 0 && strcmp(optarg, "aes256") != 0)
				usage();
			c.scep_cipher = optarg;
			break;
		case O_DAYS: c.cert_days = atoi(optarg); break;
		case O_DEVCA:
			if (c.ndevice_cas == sizeof c.device_cas / sizeof c.device_cas[0])
				usage();
			c.device_cas[c.ndevice_cas++] = optarg;
			break;
		case O_VTIME: c.verify_time = parse_time(optarg); break;
		case O_MAXBODY: c.max_body = (size_t)strtoull(optarg, NULL, 10); break;
		case O_OS:
			if (!mds_version_parse(optarg, c.assume_os))
				usage();
			c.os_set = true;
			break;
		case O_PUSH: c.push_url = optarg; break;
		case O_PUSHCA: c.push_ca = optarg; break;
		case O_PUSHINS: c.push_insecure = true; break;
		case O_UADECL: c.ua_decline = true; break;
		case O_DDM: c.ddm = true; break;
		case O_FAULT:
			if (nfaults == sizeof faults / sizeof faults[0])
				usage();
			faults[nfaults++] = optarg;
			break;
		case O_CLIMIT: c.conn_limit = (unsigned)atoi(optarg); break;
		case O_KEEP: c.keep_bodies = (size_t)strtoull(optarg, NULL, 10); break;
		case O_IDENT: c.identity = optarg; break;
		case O_PIN: c.pin = optarg; break;
		case O_CAPS: c.capabilities = optarg; break;
		case O_AR: c.access_rights = atoi(optarg); break;
		case O_KEYSIZE: c.keysize = atoi(optarg); break;
		case O_SIGN:
			c.sign_message_set = true;
			c.sign_message = strcmp(optarg, "yes") == 0 || strcmp(optarg, "true") == 0;
			break;
		case O_NOCO: c.checkout_when_removed = false; break;
		case O_NOCI: c.no_checkin_url = true; break;
		case O_P12PW: c.p12_password = optarg; break;
		case O_MPATH: c.mdm_path = optarg; break;
		case O_CPATH: c.checkin_path = optarg; break;
		case O_SPATH: c.scep_path = optarg; break;
		case O_NOSCHEMA: no_schema = true; break;
		case O_NOFAST: c.no_fast_verify = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	c.schema_dir = no_schema ? NULL : schema ? schema : default_schema();
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	static mds_server s;
	mds_err err = { 0 };
	if (mds_server_init(&s, &c, &err) != 0) {
		fprintf(stderr, "mdmserver: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < nfaults; i++) {
		if (mds_fault_parse(&s.faults[s.nfaults], faults[i], &err) != 0) {
			fprintf(stderr, "mdmserver: %s\n", err.msg);
			return 64;
		}
		s.nfaults++;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);     /* the listener threads inherit the mask */
	mds_http *h = NULL;
	if (mds_http_start(&h, &s, &err) != 0) {
		fprintf(stderr, "mdmserver: %s\n", err.msg);
		mds_server_free(&s);
		return 1;
	}
	int rc = 0;
	if (c.profile_out) {
		mds_buf prof = { 0 };
		if (mds_profile_build(&s, &prof, NULL, NULL, &err) != 0 ||
		    mds_write_file(c.profile_out, prof.p, prof.len, &err) != 0) {
			fprintf(stderr, "mdmserver: %s\n", err.msg);
			rc = 1;
		}
		mds_buf_free(&prof);
	}
	if (rc == 0 && c.ready_file && write_ready(&s, c.ready_file, &c) != 0)
		rc = 1;
	if (rc == 0) {
		fprintf(stderr, "mdmserver: serving %s%s (control %s, SCEP %s)%s\n", s.base_url, c.mdm_path,
		    s.control_url, s.scep_url, s.have_schema ? "" : " without schema validation");
		struct timespec tick = { 0, 20 * 1000 * 1000 };
		for (;;) {
			int sig = sigtimedwait(&set, NULL, &tick);
			if (sig == SIGINT || sig == SIGTERM)
				break;
			mds_http_tick(h);
		}
	}
	mds_http_stop(h);
	if (c.report_path && mds_report_write(&s, c.report_path, &err) != 0) {
		fprintf(stderr, "mdmserver: %s\n", err.msg);
		rc = 1;
	}
	mds_push_cleanup();
	mds_server_free(&s);
	curl_global_cleanup();
	return rc;
}
