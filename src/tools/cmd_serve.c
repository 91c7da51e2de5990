/*
 * cmd_serve.c — `macext serve [--listen 127.0.0.1:8460] [--threads N]
 * [--max-streams N] [--ready-file FILE] [--debug] [--mdm [agent flags]]`:
 * argv into mx_serve_options, then the daemon (src/daemon/serve.c) runs in
 * the foreground until SIGTERM or SIGINT.  The agent flags are `macext mdm
 * agent`'s (cli_agent_options).  docs/api.md.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/serve.h"
#include "macext/text.h"
#include "tools.h"

#define SERVE_USAGE "macext serve [--listen HOST:PORT] [--threads N] [--max-streams N]" \
	" [--keepalive S] [--ready-file FILE] [--verbose] [--mdm [mdm agent flags]]"

static int
count(const char *flag, const char *v, int lo, int hi, int *out, mx_err *err)
{
	int64_t x;
	if (!mx_parse_i64(v, lo, hi, &x))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: expected a whole number from %d to %d,"
		    " got '%.40s'", flag, lo, hi, v);
	*out = (int)x;
	return 0;
}

int
cmd_serve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_serve_options o;
	memset(&o, 0, sizeof o);
	const char *listen = arg_value(&argc, argv, "--listen");
	const char *threads = arg_value(&argc, argv, "--threads");
	const char *streams = arg_value(&argc, argv, "--max-streams");
	const char *conns = arg_value(&argc, argv, "--max-connections");
	const char *ka = arg_value(&argc, argv, "--keepalive");
	o.ready_file = arg_value(&argc, argv, "--ready-file");
	o.mdm = arg_flag(&argc, argv, "--mdm");
	o.debug = cli->debug || arg_flag(&argc, argv, "--verbose");
	int rc = cli_agent_options(&argc, argv, &o.agent, err);
	if (rc || (rc = arg_check(argc, argv, 0, 0, SERVE_USAGE, err)))
		return rc;
	if ((threads && (rc = count("--threads", threads, 1, 256, &o.threads, err))) ||
	    (streams && (rc = count("--max-streams", streams, 1, 10000, &o.max_streams, err))) ||
	    (conns && (rc = count("--max-connections", conns, 16, 100000, &o.max_connections, err))))
		return rc;
	if (ka) {
		int64_t secs;
		if (!mx_parse_i64(ka, 1, 3600, &secs))
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--keepalive: seconds from 1 to 3600");
		o.keepalive = (double)secs;
	}
	o.listen = listen ? listen : "127.0.0.1:8460";
	o.state_dir = cli->state_dir;
	return mx_serve_run(&o, err);
}
