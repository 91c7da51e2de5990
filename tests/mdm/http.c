/*
 * http.c — the server's listeners, on libmicrohttpd (Debian's build: HTTPS
 * through GnuTLS): the MDM port (HTTP, or HTTPS with the test server
 * certificate, and with --mtls a client-certificate request), the control
 * port (plain HTTP on loopback) and, with --scep-port, SCEP on its own
 * plain-HTTP port.
 *
 * Each listener runs MHD's internal epoll thread pool.  A request body is
 * collected up to --max-body (then 413) and handed to the handlers as one
 * buffer; the handlers' mds_resp says how to answer: a reply, a reply held
 * back (the connection is suspended and resumed by mds_http_tick), a reset
 * (SO_LINGER 0, then MHD closes: the peer sees RST) or a huge streamed
 * plist.  The TLS client chain comes from GnuTLS (gnutls_certificate_get_
 * peers) and is verified by ident.c with OpenSSL, like a signature.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "mdms.h"

enum lkind { L_MAIN, L_CONTROL, L_SCEP };

struct listener {
	struct mds_http *h;
	enum lkind kind;
	struct MHD_Daemon *d;
};

struct held {
	struct MHD_Connection *c;
	double due;
	struct held *next;
};

struct mds_http {
	mds_server *s;
	struct listener main, control, scep;
	pthread_mutex_t mu;
	struct held *held;
};

/* Per-request state, from the first call of the handler to completion. */
struct conn {
	mds_buf body;
	bool too_big;
	bool held;              /* suspended; resp is what to send once resumed */
	mds_resp resp;
};

static int
add_ctype(struct MHD_Response *r, const char *ct)
{
	if (ct && ct[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
	return 0;
}

static enum MHD_Result
send_resp(struct MHD_Connection *c, const mds_resp *rs)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(rs->body.len, rs->body.p ? rs->body.p : (void *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	add_ctype(r, rs->ctype);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* ---- the huge reply: a valid plist of n bytes, streamed ---- */

struct huge {
	char head[512], tail[256];
	size_t hl, tl, total;
	size_t pad;             /* newlines after the base64, so the size is exact */
};

static ssize_t
huge_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct huge *g = cls;
	if (pos >= g->total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = 0;
	while (n < max && pos + n < g->total) {
		uint64_t p = pos + n;
		if (p < g->hl)
			buf[n] = g->head[p];
		else if (p >= g->total - g->tl)
			buf[n] = g->tail[p - (g->total - g->tl)];
		else
			buf[n] = p < g->total - g->tl - g->pad ? 'A' : '\n';
		n++;
	}
	return (ssize_t)n;
}

static enum MHD_Result
send_huge(struct MHD_Connection *c, size_t total)
{
	struct huge *g = mds_xcalloc(1, sizeof *g);
	char u[37];
	mds_uuid(u);
	g->hl = (size_t)snprintf(g->head, sizeof g->head,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
	    "\t<key>Command</key>\n\t<dict>\n\t\t<key>RequestType</key>\n\t\t<string>InstallProfile</string>\n"
	    "\t\t<key>Payload</key>\n\t\t<data>");
	g->tl = (size_t)snprintf(g->tail, sizeof g->tail,
	    "</data>\n\t</dict>\n\t<key>CommandUUID</key>\n\t<string>%s</string>\n</dict>\n</plist>\n", u);
	if (total < g->hl + g->tl + 4)
		total = g->hl + g->tl + 4;
	/* base64 in groups of four, whitespace (which base64 skips) for the rest */
	g->pad = (total - g->hl - g->tl) % 4;
	g->total = total;
	struct MHD_Response *r = MHD_create_response_from_callback(total, 64 * 1024, huge_read, g, free);
	if (r == NULL) {
		free(g);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/xml; charset=utf-8");
	enum MHD_Result ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}

/* ---- the request ---- */

static enum MHD_Result
add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	mds_buf *b = cls;
	static const char hx[] = "0123456789ABCDEF";
	if (b->len)
		mds_buf_add(b, "&", 1);
	for (int part = 0; part < 2; part++) {
		const char *s = part ? (value ? value : "") : key;
		if (part)
			mds_buf_add(b, "=", 1);
		for (; *s; s++) {
			unsigned char ch = (unsigned char)*s;
			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    ch == '-' || ch == '_' || ch == '.') {
				mds_buf_add(b, s, 1);
			} else {
				char e[3] = { '%', hx[ch >> 4], hx[ch & 15] };
				mds_buf_add(b, e, 3);
			}
		}
	}
	return MHD_YES;
}

static bool
loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static void
hold(struct mds_http *h, struct MHD_Connection *c, unsigned ms)
{
	struct held *e = mds_xcalloc(1, sizeof *e);
	e->c = c;
	e->due = mds_now() + ms / 1000.0;
	pthread_mutex_lock(&h->mu);
	e->next = h->held;
	h->held = e;
	pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct listener *L = cls;
	mds_server *s = L->h->s;
	struct conn *k = *con_cls;
	if (k == NULL) {
		k = mds_xcalloc(1, sizeof *k);
		*con_cls = k;
		return MHD_YES;
	}
	if (k->held) {
		/* resumed: the held answer goes out now */
		k->held = false;
		return send_resp(c, &k->resp);
	}
	if (*upload_size) {
		size_t cap = L->kind == L_CONTROL ? (64u << 20) : s->cfg.max_body;
		if (!k->too_big && k->body.len + *upload_size <= cap)
			mds_buf_add(&k->body, upload, *upload_size);
		else
			k->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (k->too_big) {
		mds_resp r = { 0 };
		mds_resp_text(&r, 413, "Request Entity Too Large\n");
		mds_count(&s->rep, MDS_C_HTTP_4XX);
		enum MHD_Result ok = send_resp(c, &r);
		mds_buf_free(&r.body);
		return ok;
	}
	mds_buf query = { 0 };
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &query);
	mds_req rq = {
		.method = method, .path = url,
		.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
		.mdm_signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mdm-Signature"),
		.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
		.q_operation = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "operation"),
		.q_message = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "message"),
		.query = query.p ? (const char *)query.p : "",
		.body = k->body.p ? k->body.p : (const uint8_t *)"", .len = k->body.len,
		.from_loopback = loopback(c),
	};
	const uint8_t *pd[8];
	size_t pl[8];
	if (L->kind == L_MAIN && s->cfg.mtls) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci && ci->tls_session) {
			unsigned int n = 0;
			const gnutls_datum_t *certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
			for (unsigned i = 0; certs && i < n && i < 8; i++) {
				pd[i] = certs[i].data;
				pl[i] = certs[i].size;
			}
			rq.peer_der = pd;
			rq.peer_len = pl;
			rq.npeer = certs ? (n < 8 ? n : 8) : 0;
		}
	}
	mds_resp rs = { .status = 500 };
	if (L->kind == L_CONTROL)
		mds_handle_control(s, &rq, &rs);
	else if (L->kind == L_SCEP && strcmp(url, s->cfg.scep_path) != 0)
		mds_resp_text(&rs, 404, "Not Found\n");
	else
		mds_handle_main(s, &rq, &rs);
	mds_buf_free(&query);
	enum MHD_Result ok = MHD_YES;
	switch (rs.act) {
	case MDS_ACT_REPLY:
		ok = send_resp(c, &rs);
		break;
	case MDS_ACT_HUGE:
		ok = send_huge(c, rs.huge);
		break;
	case MDS_ACT_RESET: {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci) {
			struct linger lg = { 1, 0 };
			setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		ok = MHD_NO;
		break;
	}
	case MDS_ACT_HOLD:
		k->resp = rs;
		rs.body = (mds_buf){ 0 };       /* now owned by k->resp */
		k->held = true;
		MHD_suspend_connection(c);
		hold(L->h, c, rs.hold_ms);
		break;
	}
	mds_buf_free(&rs.body);
	return ok;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *k = *con_cls;
	if (k == NULL)
		return;
	mds_buf_free(&k->body);
	mds_buf_free(&k->resp.body);
	free(k);
	*con_cls = NULL;
}

static void
quiet_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

static int
start(struct listener *L, struct mds_http *h, enum lkind kind, int port, bool tls, int threads, mds_err *err)
{
	mds_server *s = h->s;
	L->h = h;
	L->kind = kind;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const char *bind = kind == L_CONTROL ? "127.0.0.1" : s->cfg.bind;
	if (inet_pton(AF_INET, bind, &sa.sin_addr) != 1)
		return mds_fail(err, 0, "--bind %s: not an IPv4 address", bind);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[16];
	int n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sa };
	if (threads > 1)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->cfg.conn_limit, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_BACKLOG_SIZE, 2048, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)quiet_log, NULL };
	if (tls) {
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->pki.tls_key_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->pki.tls_cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL" };
		if (s->cfg.mtls)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, s->pki.device_cas_pem };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	L->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, access_cb, L, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (L->d == NULL)
		return mds_fail(err, 0, "cannot listen on %s:%d%s", bind, port, tls ? " (TLS)" : "");
	return 0;
}

static int
bound_port(struct listener *L)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(L->d, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}

int
mds_http_start(mds_http **out, mds_server *s, mds_err *err)
{
	struct mds_http *h = mds_xcalloc(1, sizeof *h);
	h->s = s;
	pthread_mutex_init(&h->mu, NULL);
	*out = NULL;
	int threads = s->cfg.threads > 0 ? s->cfg.threads : 2;
	if (start(&h->main, h, L_MAIN, s->cfg.port, s->cfg.tls, threads, err) != 0 ||
	    start(&h->control, h, L_CONTROL, s->cfg.control_port, false, 1, err) != 0 ||
	    (s->cfg.scep_port >= 0 && start(&h->scep, h, L_SCEP, s->cfg.scep_port, false, 1, err) != 0)) {
		mds_http_stop(h);
		return -1;
	}
	s->port = bound_port(&h->main);
	s->control_port = bound_port(&h->control);
	s->scep_port = h->scep.d ? bound_port(&h->scep) : -1;
	const char *host = s->cfg.host;
	snprintf(s->base_url, sizeof s->base_url, "%s://%s:%d", s->cfg.tls ? "https" : "http", host, s->port);
	if (h->scep.d)
		snprintf(s->scep_url, sizeof s->scep_url, "http://%s:%d%s", host, s->scep_port, s->cfg.scep_path);
	else
		snprintf(s->scep_url, sizeof s->scep_url, "%s%s", s->base_url, s->cfg.scep_path);
	snprintf(s->control_url, sizeof s->control_url, "http://127.0.0.1:%d", s->control_port);
	*out = h;
	return 0;
}

void
mds_http_tick(mds_http *h)
{
	double now = mds_now();
	pthread_mutex_lock(&h->mu);
	struct held **pp = &h->held;
	while (*pp) {
		struct held *e = *pp;
		if (e->due <= now) {
			*pp = e->next;
			MHD_resume_connection(e->c);
			free(e);
		} else {
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&h->mu);
}

void
mds_http_stop(mds_http *h)
{
	if (h == NULL)
		return;
	/* suspended connections must be resumed before the daemon stops */
	pthread_mutex_lock(&h->mu);
	for (struct held *e = h->held; e; e = e->next)
		e->due = 0;
	pthread_mutex_unlock(&h->mu);
	mds_http_tick(h);
	struct listener *ls[] = { &h->main, &h->control, &h->scep };
	for (size_t i = 0; i < 3; i++)
		if (ls[i]->d)
			MHD_stop_daemon(ls[i]->d);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
