/*
 * serve.h — `macext serve`: the state directory's fleet as a long-running
 * HTTP daemon (libmicrohttpd, a thread pool with one mx_engine per worker
 * thread) with the JSON API of docs/api.md, the System Settings page
 * embedded at build time (page.h), Server-Sent Events of every committed
 * change, and, with --mdm, the MDM agent (agent.h) in the same process.
 */
#ifndef MACEXT_DAEMON_SERVE_H
#define MACEXT_DAEMON_SERVE_H

#include <stdbool.h>

#include "daemon/agent.h"
#include "macext/err.h"

typedef struct mx_serve_options {
	const char *state_dir;
	const char *listen;          /* "127.0.0.1:8460"; port 0 picks one (see ready_file) */
	int threads;                 /* worker threads (0: one per core, at least 2) */
	int max_streams;             /* SSE streams at once (64) */
	double keepalive;            /* seconds between SSE keep-alive comments (15) */
	int max_connections;         /* (4096) */
	bool mdm;                    /* host the MDM agent */
	mx_agent_options agent;
	const char *ready_file;      /* written once listening: {"pid", "port", "url"} */
	bool debug;                  /* log every request */
} mx_serve_options;

/* Runs until SIGTERM or SIGINT; 0 after a clean stop. */
int mx_serve_run(const mx_serve_options *o, mx_err *err);

#endif
