/*
 * apns.h — a stand-in for Apple's APNs provider API in front of the MDM
 * agent: an MDM server configured (or pointed through its hosts file) to
 * push to it sends POST /3/device/{token} with {"mdm": PushMagic}, and the
 * simulated Mac whose token it is checks in, as if woken through Apple.
 * HTTP/2 (nghttp2) when the client asks for it (TLS ALPN "h2", or the h2c
 * connection preface), HTTP/1.1 otherwise; APNs' own statuses and reasons.
 * Spec: Apple's "Sending notification requests to APNs" (status codes and
 * reasons), mdm-protocol-and-peers.md §1.5.
 */
#ifndef MACEXT_DAEMON_APNS_H
#define MACEXT_DAEMON_APNS_H

#include <stdbool.h>
#include <stddef.h>

#include "macext/err.h"

struct mx_agent;
struct agent_apns;

/* Listens on listen ("HOST:PORT", port 0 picks one) with TLS when cert and
 * key (PEM files) are given, else plain; runs its own thread that calls
 * agent_push.  On success *out is the caller's (agent_apns_stop). */
int agent_apns_start(struct agent_apns **out, struct mx_agent *a, const char *listen,
    const char *cert, const char *key, mx_err *err);
void agent_apns_stop(struct agent_apns *s);
int agent_apns_port(const struct agent_apns *s);

/* What one push request asks; what APNs answers (apns_push.c, pure). */
typedef struct apns_request {
	const char *method, *path;
	const char *topic;            /* apns-topic, NULL when absent */
	const char *id;               /* apns-id, NULL when absent */
	const char *push_type;        /* apns-push-type, NULL when absent */
	const unsigned char *body;
	size_t len;
} apns_request;
typedef struct apns_reply {
	int status;
	char apns_id[40];
	char body[160];               /* JSON {"reason": ...} on errors, "" on 200 */
} apns_reply;
/* Who takes a good push: agent_push, or a test's. */
typedef int (*apns_push_fn)(void *arg, const char *token, const char *topic, const char *magic,
    const char **reason);
/* Answers req (checking the path, method, token, payload), handing a good
 * push to push(arg, ...). */
void apns_handle(apns_push_fn push, void *arg, const apns_request *req, apns_reply *out);

/* One HTTP/1.1 request in buf[0..len) (apns_parse.c), with strings copied
 * into out and body pointing into buf. */
typedef struct apns_h1 {
	char method[16], path[512], topic[256], id[64], push_type[32];
	bool has_topic, has_id, has_push_type, close;
	const unsigned char *body;
	size_t len;                   /* > APNS_MAX_BODY when the body was too big */
} apns_h1;
#define APNS_MAX_HEAD (16u << 10)
#define APNS_MAX_BODY 4096u
/* >0: a whole request of that many bytes; 0: incomplete; -1: malformed, or
 * a body so large it cannot be skipped (the connection is closed). */
long apns_h1_parse(apns_h1 *out, const unsigned char *buf, size_t len, size_t max_in);

#endif
