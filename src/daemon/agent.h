/*
 * agent.h — the device-side MDM agent: every simulated Mac of a state
 * directory that has an MDM enrolment (`macext mdm enroll --profile`, or
 * the same through fleet and the API) enrols with the real MDM server its
 * profile names — SCEP or PKCS#12 identity, Authenticate, TokenUpdate,
 * SetBootstrapToken, the user channel — and then answers its commands as
 * macOS does, through the engine's operations (the same code as the CLI).
 *
 * One agent runs many devices: a network thread (libcurl's multi interface:
 * bounded connections, TLS sessions shared), crypto workers (RSA key
 * generation, SCEP, Mdm-Signature) on every core, and one store thread with
 * its own engine that runs device operations in batched transactions.  An
 * APNs provider-API stand-in (POST /3/device/{token}) wakes the device whose
 * push token it is; a poll interval with jitter wakes the others.
 * `macext serve` hosts it (mx_agent_start/stop/status); `macext mdm agent`
 * runs it in the foreground.  Spec: docs/mdm.md, mdm-protocol-and-peers.md §1.
 */
#ifndef MACEXT_DAEMON_AGENT_H
#define MACEXT_DAEMON_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "macext/err.h"

typedef struct mx_agent mx_agent;
struct mx_agent_backend;

typedef struct mx_agent_options {
	const struct mx_agent_backend *backend;  /* how device operations run (agent_int.h);
	                                          * NULL: the engine's (agent_engine.c) */
	int max_connections;         /* concurrent HTTP transfers to the servers (64) */
	int max_active;              /* Macs enrolling or in a session at once (0: 4 x connections) */
	int workers;                 /* crypto threads (0: one per core) */
	double poll_interval;        /* seconds between check-ins of an idle device (300) */
	double poll_jitter;          /* +- fraction of the interval (0.2) */
	double timeout;              /* one HTTP exchange, seconds (30) */
	double backoff_min, backoff_max;   /* retry delays after a failure, seconds (1, 60) */
	double reboot_delay;         /* a Mac restarting is away this long, seconds (2) */
	double start_spread;         /* enrolled Macs check in at start within this many s (5) */
	bool pool_keys;              /* take identity keys from the pool first (true) */
	int batch_max;               /* store operations per transaction (256) */
	/* faults for load tests, deterministic from seed */
	double notnow_rate, error_rate, drop_rate;   /* 0..1 per command */
	double ack_delay;            /* seconds before each result is sent */
	uint64_t seed;
	/* the APNs stand-in: "" = off; "127.0.0.1:0" picks a port */
	const char *apns_listen;
	const char *apns_cert, *apns_key;   /* PEM files for TLS (NULL: plain HTTP/1.1 + h2c) */
	/* log lines (level 0 info, 1 warning, 2 debug); NULL: silent */
	void (*log)(void *arg, int level, const char *line);
	void *log_arg;
} mx_agent_options;

/* The defaults named above. */
void mx_agent_options_default(mx_agent_options *o);

/* Opens the state in dir, loads every MDM enrolment and starts the threads.
 * On success *out is the caller's (mx_agent_stop). */
int mx_agent_start(mx_agent **out, const char *dir, const mx_agent_options *o, mx_err *err);
/* Stops the threads (transfers in flight are abandoned: their results are
 * stored and sent at the next start), closes everything, frees a. */
void mx_agent_stop(mx_agent *a);

/* Devices by what the agent is doing with them. */
typedef struct mx_agent_status {
	int64_t devices;             /* with an MDM enrolment record */
	int64_t enrolling;           /* identity, Authenticate, TokenUpdate under way */
	int64_t enrolled;
	int64_t idle;                /* enrolled, nothing to do until a push or a poll */
	int64_t pending;             /* enrolled, in a command session or waiting to start one */
	int64_t failing;             /* the last attempt failed; retrying with backoff */
	int64_t failed;              /* gave up (SCEP FAILURE, a refused profile, ...) */
	int64_t checked_out;
	int64_t offline;             /* shut down, restarting or in recoveryOS */
	/* counters since start */
	uint64_t requests, http_errors, commands, acknowledged, errors, notnow;
	uint64_t pushes, push_rejected, scep_requests, keys_pooled, keys_generated;
	uint64_t enrolments;         /* completed since start */
	uint64_t generation;         /* grows with every change (for SSE) */
	int apns_port;               /* the stand-in's port, 0 when off */
	double uptime;
	char last_error[320];        /* the latest failure: "DEVICE: what happened" */
} mx_agent_status;
void mx_agent_status_get(mx_agent *a, mx_agent_status *out);
/* The status as JSON (serve's /api/v1/status "agent" and the "agent" event);
 * the caller's (json_decref). */
json_t *mx_agent_status_json(void *a);
/* The same for a status already taken. */
json_t *mx_agent_status_to_json(const mx_agent_status *s);
/* One line for a terminal: "enrolled 930/1000, idle 900, pending 30, failing 0". */
void mx_agent_status_line(const mx_agent_status *s, char *buf, size_t len);

/* Asks device (NULL: every one) to check in now, as a push would. */
void mx_agent_wake(mx_agent *a, const char *device);
/* Reloads the enrolment records (a CLI or the API added some). */
void mx_agent_rescan(mx_agent *a);

/* The identity key pool: generates n RSA keys of bits on workers threads
 * (0: one per core) and stores them in dir's state (batched transactions),
 * for enrolments to take instead of generating inline.  backend NULL: the
 * engine's.  progress (may be NULL) is called now and then with the count
 * stored so far.  *made gets how many were stored. */
int mx_agent_keys_generate(const char *dir, int n, int bits, int workers,
    const struct mx_agent_backend *backend, void (*progress)(void *arg, int done), void *arg,
    int *made, mx_err *err);
/* Keys of bits waiting in dir's pool. */
int mx_agent_keys_count(const char *dir, int bits, const struct mx_agent_backend *backend,
    int64_t *out, mx_err *err);

#endif
