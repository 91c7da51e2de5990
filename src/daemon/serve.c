/*
 * serve.c — the HTTP side of `macext serve` (libmicrohttpd): listening
 * (loopback unless --listen says otherwise, which is warned about), the
 * checks every request passes before its body is read (route, Host and
 * Origin, token or session, Content-Length against the route's cap), body
 * accumulation under that cap, one mx_engine per worker thread, problem
 * documents (RFC 9457) for every failure, the page's embedded files, the
 * token in STATE/serve.token (0600, made at first start), and a clean stop
 * on SIGTERM/SIGINT.  The routes are serve_router.c's; handlers are
 * serve_read.c and serve_write.c.  docs/api.md.  libmicrohttpd is opened
 * when serve starts (dl_mhd.h), not linked: other verbs never load it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "daemon/dl_mhd.h"
#include "daemon/page.h"
#include "daemon/serve_int.h"
#include "macext/text.h"

static pthread_key_t eng_key;
static pthread_once_t eng_once = PTHREAD_ONCE_INIT;
static char eng_dir[PATH_MAX];

static void
eng_free(void *p)
{
	mx_engine_close(p);
}

static void
eng_key_make(void)
{
	pthread_key_create(&eng_key, eng_free);
}

/* The calling worker thread's engine, opened at its first request. */
static mx_engine *
thread_engine(mx_err *err)
{
	mx_engine *e = pthread_getspecific(eng_key);
	if (e == NULL) {
		if (mx_engine_open(&e, eng_dir, NULL, err))
			return NULL;
		pthread_setspecific(eng_key, e);
	}
	return e;
}

static void
logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
logf_(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ macext serve: %s\n", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, line);
}

int
serve_status_for(const mx_err *e)
{
	switch (e->code) {
	case MX_ENOTFOUND: return 404;
	case MX_EDENIED: return 403;
	case MX_ESTATE: case MX_EEXIST: return 409;
	case MX_EUSAGE: case MX_EFORMAT: case MX_EINVALID: return 400;
	case MX_ESIGNATURE: return 422;
	case MX_ETOOBIG: return 413;
	case MX_EBUSY: return 503;
	default: return 500;
	}
}

static const char *
reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* A string of an error as valid UTF-8 (escaped when it is not). */
static json_t *
safe_str(const char *s)
{
	if (mx_utf8_valid(s, strlen(s)))
		return json_string(s);
	char *e = mx_text_escape_dup(s);
	json_t *j = json_string(e);
	free(e);
	return j ? j : json_string("?");
}

/* The problem document (application/problem+json) of err at status. */
static char *
problem_body(int status, const mx_err *e, size_t *len)
{
	json_t *p = json_object();
	char type[96], detail[900];
	snprintf(type, sizeof type, "/api/v1/problems/%s", mx_code_name(e->code));
	snprintf(detail, sizeof detail, "%s%s%s", e->where, e->where[0] ? ": " : "", e->msg);
	const char *dom = mx_domain_name(e->domain);
	json_object_set_new(p, "type", json_string(type));
	json_object_set_new(p, "title", json_string(reason(status)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "detail", safe_str(detail));
	json_object_set_new(p, "domain", json_string(dom && *dom ? dom : "macext"));
	json_object_set_new(p, "code", json_integer(e->domain ? e->subcode : mx_exit_code(e->code)));
	json_object_set_new(p, "name", json_string(mx_code_name(e->code)));
	char *s = json_dumps(p, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(p);
	*len = strlen(s);
	return s;
}

static void
common_headers(struct MHD_Response *r)
{
	sym_MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	sym_MHD_add_response_header(r, "Cache-Control", "no-store");
	sym_MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result
send_buf(struct MHD_Connection *c, int status, const char *ctype, char *buf, size_t len,
    const char *allow)
{
	struct MHD_Response *r = sym_MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	sym_MHD_add_response_header(r, "Content-Type", ctype);
	common_headers(r);
	if (allow)
		sym_MHD_add_response_header(r, "Allow", allow);
	if (status == 401)
		sym_MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"macext\"");
	enum MHD_Result ret = sym_MHD_queue_response(c, (unsigned)status, r);
	sym_MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_problem(struct MHD_Connection *c, int status, const mx_err *e, const char *allow)
{
	size_t len;
	char *b = problem_body(status, e, &len);
	return send_buf(c, status, "application/problem+json", b, len, allow);
}

/* ---- sessions ---- */

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
serve_session_new(serve_srv *s, char out[65])
{
	uint8_t r[32];
	if (RAND_bytes(r, sizeof r) != 1)
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	pthread_mutex_lock(&s->lock);
	int k = 0;
	for (int i = 1; i < SERVE_SESSIONS; i++)      /* a free slot, else the least recently used */
		if (s->sess[i].used < s->sess[k].used)
			k = i;
	memcpy(s->sess[k].id, out, 65);
	s->sess[k].used = now_ms();
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(r, sizeof r);
}

void
serve_session_drop(serve_srv *s, const char *id)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SERVE_SESSIONS; i++)
		if (s->sess[i].id[0] && strlen(id) == 64 && CRYPTO_memcmp(s->sess[i].id, id, 64) == 0)
			memset(&s->sess[i], 0, sizeof s->sess[i]);
	pthread_mutex_unlock(&s->lock);
}

static bool
session_ok(serve_srv *s, const char *id)
{
	bool ok = false;
	if (id == NULL || strlen(id) != 64)
		return false;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SERVE_SESSIONS && !ok; i++)
		if (s->sess[i].id[0] && CRYPTO_memcmp(s->sess[i].id, id, 64) == 0) {
			s->sess[i].used = now_ms();
			ok = true;
		}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* ---- the checks before the body ---- */

static bool
host_ok(serve_srv *s, const char *host)
{
	if (s->any_host)
		return true;
	if (host == NULL)
		return false;
	for (int i = 0; i < s->nhosts; i++)
		if (strcasecmp(host, s->hosts[i]) == 0)
			return true;
	return false;
}

/* Refuses what a browser sends for another site's page (and DNS
 * rebinding: a Host that is not this daemon's). */
static int
origin_check(serve_srv *s, struct MHD_Connection *c, mx_err *err)
{
	const char *host = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (!host_ok(s, host))
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "Host '%.80s' is not this daemon's"
		    " (it answers to %s)", host ? host : "", s->hosts[0]);
	const char *origin = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (origin) {
		char want[128];
		snprintf(want, sizeof want, "http://%s", host ? host : "");
		if (strcasecmp(origin, want) != 0)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "cross-origin request from '%.80s'"
			    " refused", origin);
	}
	const char *sfs = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (sfs && strcmp(sfs, "same-origin") != 0 && strcmp(sfs, "none") != 0)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "cross-site request (Sec-Fetch-Site: %.20s)"
		    " refused", sfs);
	return 0;
}

static bool
token_ok(serve_srv *s, struct MHD_Connection *c)
{
	const char *a = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (a && strncasecmp(a, "Bearer ", 7) == 0) {
		a += 7;
		return strlen(a) == 64 && CRYPTO_memcmp(a, s->token, 64) == 0;
	}
	return session_ok(s, sym_MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "macext_session"));
}

/* ---- requests ---- */

struct rctx {
	serve_match m;
	uint8_t *body;
	size_t len, cap, dropped;
	bool too_big;
};

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct rctx *x = *con_cls;
	if (x) {
		free(x->body);
		free(x);
		*con_cls = NULL;
	}
}

struct qb { char *buf; size_t len, cap; bool over; };

static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct qb *q = cls;
	size_t need = strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	if (q->len + need + 1 > q->cap) {
		q->over = true;
		return MHD_NO;
	}
	q->len += (size_t)snprintf(q->buf + q->len, q->cap - q->len, "%s%s%s%s", q->len ? "&" : "",
	    key, value ? "=" : "", value ? value : "");
	return MHD_YES;
}

static enum MHD_Result
serve_asset(struct MHD_Connection *c, const char *method, const char *url)
{
	mx_err err;
	mx_err_clear(&err);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		MX_FAIL(&err, MX_EUSAGE, MX_NO_OFFSET, "the page is read with GET");
		return send_problem(c, 405, &err, "GET, HEAD");
	}
	const mx_page_asset *a = mx_page_asset_find(url);
	if (a == NULL) {
		MX_FAIL(&err, MX_ENOTFOUND, MX_NO_OFFSET, "no such page file");
		return send_problem(c, 404, &err, NULL);
	}
	struct MHD_Response *r = sym_MHD_create_response_from_buffer(a->len, (void *)a->bytes,
	    MHD_RESPMEM_PERSISTENT);
	sym_MHD_add_response_header(r, "Content-Type", a->content_type);
	sym_MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	sym_MHD_add_response_header(r, "Cache-Control", "no-cache");
	sym_MHD_add_response_header(r, "X-Frame-Options", "DENY");
	sym_MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'; "
	    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
	enum MHD_Result ret = sym_MHD_queue_response(c, 200, r);
	sym_MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond(serve_srv *s, struct MHD_Connection *c, const struct rctx *x, sresp *out)
{
	char *buf;
	size_t len;
	const char *ctype = "application/json";
	if (out->raw) {
		buf = out->raw;
		len = out->rawlen;
		ctype = out->ctype ? out->ctype : "application/octet-stream";
		out->raw = NULL;
	} else if (out->json) {
		buf = json_dumps(out->json, JSON_PRESERVE_ORDER | JSON_COMPACT);
		len = strlen(buf);
		buf = realloc(buf, len + 2);
		buf[len++] = '\n';
		buf[len] = '\0';
	} else {
		buf = NULL;
		len = 0;
	}
	struct MHD_Response *r = sym_MHD_create_response_from_buffer(len, buf ? buf : (void *)"",
	    buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (len)
		sym_MHD_add_response_header(r, "Content-Type", ctype);
	common_headers(r);
	if (out->link[0])
		sym_MHD_add_response_header(r, "Link", out->link);
	if (out->cookie[0])
		sym_MHD_add_response_header(r, "Set-Cookie", out->cookie);
	if (out->location[0])
		sym_MHD_add_response_header(r, "Location", out->location);
	enum MHD_Result ret = sym_MHD_queue_response(c, (unsigned)out->status, r);
	sym_MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
dispatch(serve_srv *s, struct MHD_Connection *c, struct rctx *x, const char *method,
    const char *url)
{
	mx_err err;
	mx_err_clear(&err);
	if (x->too_big) {
		MX_FAIL(&err, MX_ETOOBIG, MX_NO_OFFSET, "the body is larger than %zu bytes",
		    x->m.route->body_max);
		return send_problem(c, 413, &err, NULL);
	}
	char qbuf[4096];
	struct qb q = { qbuf, 0, sizeof qbuf, false };
	qbuf[0] = '\0';
	sym_MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &q);
	if (q.over) {
		MX_FAIL(&err, MX_EINVALID, MX_NO_OFFSET, "the query is longer than %zu bytes", q.cap);
		return send_problem(c, 400, &err, NULL);
	}
	mx_engine *e = thread_engine(&err);
	if (e == NULL)
		return send_problem(c, serve_status_for(&err), &err, NULL);
	sreq rq = { s, &x->m, x->m.param[0], qbuf, x->body, x->len, e,
		sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Macext-Admin"),
		sym_MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "macext_session") };
	sresp out = { .status = 200 };
	serve_handler h = serve_handler_for(x->m.route->id);
	/* SQLite has one writer: workers that queued on its lock would sleep in
	 * its busy handler (up to 100 ms a round) and stretch the tail; they
	 * queue here instead.  Other processes (a CLI) still meet the busy wait. */
	bool mut = (x->m.route->flags & SR_MUTATES) && !(x->m.route->flags & SR_NOAUTH);
	if (mut)
		pthread_mutex_lock(&s->wlock);
	int rc = h ? h(&rq, &out, &err) : MX_FAIL(&err, MX_EIO, MX_NO_OFFSET, "no handler");
	if (mut)
		pthread_mutex_unlock(&s->wlock);
	if (rc) {
		json_decref(out.json);
		free(out.raw);
		int st = serve_status_for(&err);
		if (x->m.route->flags & SR_MUTATES || st >= 500 || s->o->debug)
			logf_("%s %s -> %d %s%s%s", method, url, st, err.where, err.where[0] ? ": " : "",
			    err.msg);
		return send_problem(c, st, &err, NULL);
	}
	if (out.sse) {
		struct MHD_Response *r = serve_sse_response(s, c, out.sse == 2 ? rq.dev : NULL, &err);
		if (r == NULL)
			return send_problem(c, serve_status_for(&err), &err, NULL);
		enum MHD_Result ret = sym_MHD_queue_response(c, 200, r);
		sym_MHD_destroy_response(r);
		return ret;
	}
	if ((x->m.route->flags & SR_MUTATES) || s->o->debug)
		logf_("%s %s -> %d", method, url, out.status);
	enum MHD_Result ret = respond(s, c, x, &out);
	json_decref(out.json);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	serve_srv *s = cls;
	struct rctx *x = *con_cls;
	if (x == NULL) {
		atomic_fetch_add(&s->requests, 1);
		mx_err err;
		mx_err_clear(&err);
		if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0)
			return serve_asset(c, method, url);
		x = mx_xcalloc(1, sizeof *x);
		*con_cls = x;
		char allow[64];
		int rc = serve_route_match(method, url, &x->m, allow, sizeof allow, &err);
		if (rc == MX_EUSAGE)
			return send_problem(c, 405, &err, allow);
		if (rc)
			return send_problem(c, serve_status_for(&err), &err, NULL);
		if ((rc = origin_check(s, c, &err)))
			return send_problem(c, 403, &err, NULL);
		unsigned f = x->m.route->flags;
		if ((f & SR_MUTATES) && !(f & SR_NOAUTH) && !token_ok(s, c)) {
			MX_FAIL(&err, MX_EDENIED, MX_NO_OFFSET, "this request changes state: it needs"
			    " 'Authorization: Bearer TOKEN' (STATE/serve.token) or the session cookie");
			return send_problem(c, 401, &err, NULL);
		}
		const char *cl = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl) {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (end == cl || *end || errno) {
				MX_FAIL(&err, MX_EINVALID, MX_NO_OFFSET, "Content-Length is not a number");
				return send_problem(c, 400, &err, NULL);
			}
			if (n > x->m.route->body_max) {
				MX_FAIL(&err, MX_ETOOBIG, MX_NO_OFFSET, "the body (%llu bytes) is larger than"
				    " %zu bytes", n, x->m.route->body_max);
				return send_problem(c, 413, &err, NULL);
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (x->too_big || x->len + n > x->m.route->body_max) {
			/* a chunked body over the cap: dropped, then refused; a client
			 * that keeps sending is cut off */
			x->too_big = true;
			x->dropped += n;
			free(x->body);
			x->body = NULL;
			x->len = 0;
			return x->dropped > 4 * x->m.route->body_max + (1u << 20) ? MHD_NO : MHD_YES;
		}
		if (x->len + n > x->cap) {
			size_t cap = x->cap ? x->cap : 4096;
			while (cap < x->len + n)
				cap *= 2;
			x->body = mx_xrealloc(x->body, cap + 1);
			x->cap = cap;
		}
		memcpy(x->body + x->len, upload, n);
		x->len += n;
		x->body[x->len] = 0;
		return MHD_YES;
	}
	return dispatch(s, c, x, method, url);
}

/* libmicrohttpd would percent-decode the path before the router sees it
 * ("..%2F" would arrive as "../"): keep it as sent; the router decodes each
 * segment and the query parser each value. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	return strlen(uri);
}

/* ---- the token ---- */

static int
load_token(serve_srv *s, mx_err *err)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/serve.token", s->dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		uint8_t r[32];
		if (RAND_bytes(r, sizeof r) != 1)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "no random bytes for the token");
		for (int i = 0; i < 32; i++)
			snprintf(s->token + 2 * i, 3, "%02x", r[i]);
		OPENSSL_cleanse(r, sizeof r);
		char tmp[PATH_MAX + 32];
		snprintf(tmp, sizeof tmp, "%s/serve.token.%ld", s->dir, (long)getpid());
		int w = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (w < 0)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
		char line[66];
		snprintf(line, sizeof line, "%s\n", s->token);
		bool ok = write(w, line, 65) == 65 && fsync(w) == 0;
		close(w);
		/* link: two daemons starting at once agree on the first token */
		if (!ok || (link(tmp, path) != 0 && errno != EEXIST)) {
			unlink(tmp);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
		}
		unlink(tmp);
		logf_("token written to %s (mode 0600)", path);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct stat sb;
	char buf[80];
	ssize_t n = fstat(fd, &sb) == 0 ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	if (n < 64)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: expected 64 hex digits", path);
	if (sb.st_mode & 077)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s: mode %03o lets others read the token"
		    " (chmod 600 it)", path, (unsigned)(sb.st_mode & 0777));
	for (int i = 0; i < 64; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return MX_FAIL(err, MX_EFORMAT, i, "%s: expected 64 lowercase hex digits", path);
	memcpy(s->token, buf, 64);
	s->token[64] = '\0';
	return 0;
}

/* ---- listening ---- */

static int
parse_listen(serve_srv *s, const char *spec, struct sockaddr_storage *ss, bool *loopback,
    mx_err *err)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--listen %.80s: expected HOST:PORT", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	int64_t port;
	if (!mx_parse_i64(colon + 1, 0, 65535, &port))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--listen %.80s: port 0 to 65535", spec);
	memset(ss, 0, sizeof *ss);
	char h6[64];
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memcpy(h6, host + 1, hl - 2);
		h6[hl - 2] = '\0';
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, h6, &a->sin6_addr) != 1)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--listen: '%s' is no IPv6 address", h6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		s->any_host = IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
	} else {
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof host, "127.0.0.1");
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--listen: '%s' is no IPv4 address"
			    " (or [IPv6])", host);
		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
		s->any_host = a->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	snprintf(s->hosts[0], sizeof s->hosts[0], "%s", host);
	return 0;
}

static void
set_hosts(serve_srv *s)
{
	char h[64];
	snprintf(h, sizeof h, "%s", s->hosts[0]);
	s->nhosts = 0;
	snprintf(s->hosts[s->nhosts++], sizeof s->hosts[0], "%s:%d", h, s->port);
	if (strcmp(h, "127.0.0.1") == 0 || strcmp(h, "[::1]") == 0) {
		snprintf(s->hosts[s->nhosts++], sizeof s->hosts[0], "localhost:%d", s->port);
		snprintf(s->hosts[s->nhosts++], sizeof s->hosts[0], "127.0.0.1:%d", s->port);
		snprintf(s->hosts[s->nhosts++], sizeof s->hosts[0], "[::1]:%d", s->port);
	}
	if (s->port == 80)
		snprintf(s->hosts[s->nhosts++], sizeof s->hosts[0], "%s", h);
}

int
mx_serve_run(const mx_serve_options *o, mx_err *err)
{
	static serve_srv srv;
	int rc = mx_dl_mhd(err);
	if (rc)
		return rc;
	serve_srv *s = &srv;
	memset(s, 0, sizeof *s);
	s->o = o;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->wlock, NULL);
	snprintf(s->dir, sizeof s->dir, "%s", o->state_dir);
	snprintf(eng_dir, sizeof eng_dir, "%s", o->state_dir);
	pthread_once(&eng_once, eng_key_make);

	struct sockaddr_storage ss;
	bool loopback = false;
	if ((rc = parse_listen(s, o->listen, &ss, &loopback, err)))
		return rc;
	/* creates and migrates the state before any worker opens it */
	mx_engine *e0;
	if ((rc = mx_engine_open(&e0, s->dir, NULL, err)))
		return rc;
	mx_engine_close(e0);
	if ((rc = load_token(s, err)))
		return rc;
	if (!loopback)
		logf_("WARNING: listening on %s, which is not a loopback address: anyone who can reach"
		    " it can read this fleet, and change it with the token", o->listen);

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	/* one worker per core: more only queue for the cores and stretch the
	 * latency tail (bench/serve.sh: p99 2.4 ms at 2 workers, 8 ms at 4, on 2 cores) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = o->threads > 0 ? o->threads : ncpu < 2 ? 2 : ncpu > 64 ? 64 : (int)ncpu;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	s->mhd = sym_MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections > 0 ? o->max_connections : 4096),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "cannot listen on %s: %s", o->listen,
		    strerror(errno));
	}
	const union MHD_DaemonInfo *di = sym_MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	set_hosts(s);
	if ((rc = serve_sse_start(s, err)) != 0) {
		sym_MHD_stop_daemon(s->mhd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	if (o->mdm && (rc = mx_agent_start(&s->agent, s->dir, &o->agent, err)) != 0) {
		serve_sse_stop(s);
		sym_MHD_stop_daemon(s->mhd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	logf_("listening on http://%s/ (state %s, %d threads%s)", s->hosts[0], s->dir, threads,
	    o->mdm ? ", MDM agent on" : "");
	if (o->ready_file) {
		char tmp[PATH_MAX + 8];
		snprintf(tmp, sizeof tmp, "%s.tmp", o->ready_file);
		FILE *f = fopen(tmp, "w");
		if (f) {
			fprintf(f, "{\"pid\": %ld, \"port\": %d, \"url\": \"http://%s/\"}\n", (long)getpid(),
			    s->port, s->hosts[0]);
			fclose(f);
			rename(tmp, o->ready_file);
		}
	}
	int sig = 0;
	while (sig != SIGINT && sig != SIGTERM) {
		struct timespec ts = { 1, 0 };
		sig = sigtimedwait(&set, NULL, &ts);
	}
	logf_("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	serve_sse_stop(s);
	if (s->agent)
		mx_agent_stop(s->agent);
	s->agent = NULL;
	sym_MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	serve_sse_free(s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	OPENSSL_cleanse(s->token, sizeof s->token);
	OPENSSL_cleanse(s->sess, sizeof s->sess);
	logf_("stopped after %ld requests", (long)atomic_load(&s->requests));
	return 0;
}
