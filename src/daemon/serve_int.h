/*
 * serve_int.h — what the files of `macext serve` share: the server, a
 * request as handlers see it (route, decoded path identifiers, query,
 * body, the worker thread's engine) and the response they fill.
 */
#ifndef MACEXT_DAEMON_SERVE_INT_H
#define MACEXT_DAEMON_SERVE_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "daemon/serve.h"
#include "daemon/serve_router.h"
#include "macext/engine.h"

#define SERVE_SESSIONS 64

struct serve_sse;
struct MHD_Connection;
struct MHD_Response;
struct MHD_Daemon;

typedef struct serve_srv {
	char dir[PATH_MAX];
	char token[65];              /* STATE/serve.token */
	pthread_mutex_t lock;        /* sessions */
	pthread_mutex_t wlock;       /* one mutating request at a time in this process */
	struct { char id[65]; long long used; } sess[SERVE_SESSIONS];
	char hosts[6][96];           /* Host header values that are this daemon */
	int nhosts;
	bool any_host;               /* listening on a wildcard address */
	int port;
	struct MHD_Daemon *mhd;
	struct serve_sse *sse;
	mx_agent *agent;
	const mx_serve_options *o;
	atomic_long requests;
} serve_srv;

typedef struct sreq {
	serve_srv *srv;
	const serve_match *m;
	const char *dev;             /* m->param[0] */
	const char *query;           /* raw, "" when none */
	const uint8_t *body;
	size_t len;
	mx_engine *e;
	const char *admin;           /* X-Macext-Admin: "USER:PASSWORD" (bodies that are not JSON) */
	const char *session;         /* the macext_session cookie */
} sreq;

typedef struct sresp {
	int status;
	json_t *json;                /* owned */
	char *raw;                   /* owned (malloc) */
	size_t rawlen;
	const char *ctype;           /* for raw */
	char link[700];              /* Link: header */
	char cookie[200];            /* Set-Cookie: header */
	char location[400];
	int sse;                     /* 1: the fleet stream, 2: the device's */
} sresp;

typedef int (*serve_handler)(sreq *, sresp *, mx_err *);
/* The handler of each route (serve_read.c, serve_write.c). */
serve_handler serve_handler_for(enum serve_route_id id);
int serve_read_handler(enum serve_route_id id, serve_handler *out);
int serve_write_handler(enum serve_route_id id, serve_handler *out);

/* Creating Macs (serve_devices.c): POST /api/v1/devices, POST /api/v1/fleet/devices. */
int serve_device_create(sreq *q, sresp *r, mx_err *err);
int serve_fleet_devices(sreq *q, sresp *r, mx_err *err);

/* The HTTP status for an error (docs/api.md's table). */
int serve_status_for(const mx_err *e);

/* Sessions (serve.c) */
void serve_session_new(serve_srv *s, char out[65]);
void serve_session_drop(serve_srv *s, const char *id);

/* Archives (serve_upload.c): unpacks buf into a fresh directory under
 * STATE/tmp and finds the one top-level bundle with suffix (".kext",
 * ".app"); *dir (to remove with serve_rmtree) and *bundle are malloc'd. */
int serve_unpack(serve_srv *s, const uint8_t *buf, size_t len, const char *suffix, char **dir,
    char **bundle, mx_err *err);
void serve_rmtree(const char *dir);

/* SSE (serve_sse.c) */
int serve_sse_start(serve_srv *s, mx_err *err);
void serve_sse_stop(serve_srv *s);
/* After MHD stopped: frees the hub. */
void serve_sse_free(serve_srv *s);
/* A change the daemon knows of itself (a device deleted through the API). */
void serve_sse_note(serve_srv *s, const char *device, const char *what);
/* The MHD response for a stream (device NULL: the fleet), or NULL when
 * there are already max_streams (then MX_EBUSY in err). */
struct MHD_Response *serve_sse_response(serve_srv *s, struct MHD_Connection *c,
    const char *device, mx_err *err);

#endif
