/*
 * agent_net.c — the MDM agent's transport: libcurl's multi interface on the
 * network thread, at most max_connections transfers at a time (the others
 * wait in a FIFO), connections and TLS sessions kept and shared across
 * devices (curl share: SSL sessions, DNS, connections), replies capped as
 * they arrive.  TLS: the host's CA bundle plus the enrolment profile's
 * com.apple.security.root/pem payloads; when the profile pins
 * (ServerURLPinningCertificateUUIDs / CheckInURLPinningCertificateUUIDs) the
 * verified chain must contain one of the pinned certificates; --insecure
 * turns verification off (the agent says so loudly).  Without SignMessage
 * the device's identity is the TLS client certificate, and curl then keeps
 * that device's connections to itself.  Spec: mdm-protocol-and-peers.md §1.4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "daemon/agent_int.h"
#include "daemon/dl_curl.h"
#include "daemon/dl_ssl.h"

typedef struct xfer {
	CURL *easy;
	agent_dev *dev;
	agent_http h;
	struct curl_slist *hdrs;
	uint8_t *buf;
	size_t len, cap, max;
	bool toobig;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;           /* free list / wait list */
} xfer;

struct agent_net {
	CURLM *multi;
	CURLSH *share;
	xfer *free_list;
	xfer *wait_head, *wait_tail; /* over the connection bound */
	int running;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	xfer *x = arg;
	size_t add = size * n;
	if (x->len + add > x->max) {
		x->toobig = true;
		return 0;           /* aborts the transfer */
	}
	if (x->len + add + 1 > x->cap) {
		size_t c = x->cap ? x->cap : 4096;
		while (c < x->len + add + 1)
			c *= 2;
		x->buf = mx_xrealloc(x->buf, c);
		x->cap = c;
	}
	memcpy(x->buf + x->len, p, add);
	x->len += add;
	x->buf[x->len] = 0;
	return add;
}

/* After OpenSSL's own verification, the chain must hold a pinned
 * certificate of the URL being fetched (arg: the transfer doing the
 * handshake). */
static int
verify_pins(X509_STORE_CTX *sc, void *arg)
{
	const xfer *x = arg;
	int ok = X509_verify_cert(sc);
	if (ok != 1)
		return ok;
	const agent_profile *ap = x->dev->prof;
	int which = x->h.pin_set;
	const int *pins = which == 2 ? ap->p.checkin_pins : ap->p.server_pins;
	int npins = which == 2 ? ap->p.ncheckin_pins : ap->p.nserver_pins;
	if (npins == 0)
		return 1;
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sc);
	for (int i = 0; i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(chain, i), &der);
		for (int k = 0; k < npins && n > 0; k++) {
			const mx_enroll_cert *c = &ap->p.certs[pins[k]];
			if ((size_t)n == c->der_len && memcmp(der, c->der, c->der_len) == 0) {
				OPENSSL_free(der);
				return 1;
			}
		}
		OPENSSL_free(der);
	}
	X509_STORE_CTX_set_error(sc, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* curl calls this for each new TLS connection: install the pin check. */
static CURLcode
ssl_ctx_cb(CURL *curl, void *sslctx, void *arg)
{
	(void)curl;
	X509_STORE_set_flags(sym_SSL_CTX_get_cert_store(sslctx), X509_V_FLAG_PARTIAL_CHAIN);
	sym_SSL_CTX_set_cert_verify_callback(sslctx, verify_pins, arg);
	return CURLE_OK;
}

static void
global_init(void)
{
	sym_curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
agent_net_init(mx_agent *a, mx_err *err)
{
	int rc;
	if ((rc = mx_dl_curl(err)) || (rc = mx_dl_ssl(err)))
		return rc;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	struct agent_net *n = mx_xcalloc(1, sizeof *n);
	n->multi = sym_curl_multi_init();
	n->share = sym_curl_share_init();
	if (n->multi == NULL || n->share == NULL) {
		sym_curl_multi_cleanup(n->multi);
		sym_curl_share_cleanup(n->share);
		free(n);
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "libcurl multi/share handle");
	}
	/* everything runs on the network thread: no share locks needed */
	sym_curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	sym_curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	int maxc = a->o.max_connections > 0 ? a->o.max_connections : 64;
	sym_curl_multi_setopt(n->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)maxc);
	sym_curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS, (long)maxc);
	a->net = n;
	return 0;
}

void
agent_net_free(mx_agent *a)
{
	struct agent_net *n = a->net;
	if (n == NULL)
		return;
	for (xfer *x = n->free_list, *nx; x; x = nx) {
		nx = x->next;
		sym_curl_easy_cleanup(x->easy);
		free(x->buf);
		free(x);
	}
	for (xfer *x = n->wait_head, *nx; x; x = nx) {
		nx = x->next;
		sym_curl_easy_cleanup(x->easy);
		free(x->h.body);
		free(x->buf);
		free(x);
	}
	sym_curl_multi_cleanup(n->multi);
	sym_curl_share_cleanup(n->share);
	free(n);
	a->net = NULL;
}

static void
start(mx_agent *a, xfer *x)
{
	struct agent_net *n = a->net;
	CURL *e = x->easy;
	agent_dev *d = x->dev;
	sym_curl_easy_reset(e);
	sym_curl_easy_setopt(e, CURLOPT_URL, x->h.url);
	sym_curl_easy_setopt(e, CURLOPT_SHARE, n->share);
	sym_curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	sym_curl_easy_setopt(e, CURLOPT_USERAGENT, "MDM-OSX/1.0 mdmclient/1543");
	long tmo = (long)((a->o.timeout > 0 ? a->o.timeout : 30) * 1000);
	sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo < 10000 ? tmo : 10000L);
	x->hdrs = sym_curl_slist_append(NULL, "Expect:");
	char line[4200];
	if (x->h.ctype) {
		snprintf(line, sizeof line, "Content-Type: %s", x->h.ctype);
		x->hdrs = sym_curl_slist_append(x->hdrs, line);
	}
	if (x->h.signature[0]) {
		snprintf(line, sizeof line, "Mdm-Signature: %s", x->h.signature);
		x->hdrs = sym_curl_slist_append(x->hdrs, line);
	}
	sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	if (x->h.method == NET_GET) {
		sym_curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->h.len);
		sym_curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->h.body ? (char *)x->h.body : "");
		if (x->h.method == NET_PUT)
			sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	}
	if (d->insecure) {
		sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (d->prof) {
		int which = x->h.pin_set == 2 ? 1 : 0;
		const char *pins = x->h.pin_set ? d->prof->pins_pem[which] : NULL;
		if (pins) {
			/* pinned: the pinned certificates are the only anchors (a leaf
			 * may be one: partial chains are accepted), so a connection made
			 * without this pin is never reused for it (curl matches
			 * connections by their CA blob); verify_pins checks again */
			struct curl_blob b = { (void *)pins, d->prof->pins_len[which], CURL_BLOB_NOCOPY };
			sym_curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
			sym_curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
			sym_curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
			sym_curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
			sym_curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, x);
		} else if (d->prof->anchors_len) {
			struct curl_blob b = { d->prof->anchors_pem, d->prof->anchors_len, CURL_BLOB_NOCOPY };
			sym_curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
		}
	}
	if (x->h.mtls && d->key && d->cert) {
		struct curl_blob c = { d->cert, d->cert_len, CURL_BLOB_NOCOPY };
		struct curl_blob k = { d->key, d->key_len, CURL_BLOB_NOCOPY };
		sym_curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &c);
		sym_curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "DER");
		sym_curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &k);
		sym_curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "DER");
	}
	x->errbuf[0] = '\0';
	a->in_flight++;
	sym_curl_multi_add_handle(n->multi, e);
}

void
agent_net_send(mx_agent *a, agent_dev *d, agent_http *h)
{
	struct agent_net *n = a->net;
	xfer *x = n->free_list;
	if (x) {
		n->free_list = x->next;
	} else {
		x = mx_xcalloc(1, sizeof *x);
		x->easy = sym_curl_easy_init();
	}
	x->dev = d;
	x->h = *h;
	x->len = 0;
	x->toobig = false;
	x->max = h->max_reply ? h->max_reply : (16u << 20);
	x->next = NULL;
	d->step = ST_HTTP;
	int maxc = a->o.max_connections > 0 ? a->o.max_connections : 64;
	if (a->in_flight >= maxc) {
		if (n->wait_tail)
			n->wait_tail->next = x;
		else
			n->wait_head = x;
		n->wait_tail = x;
		return;
	}
	start(a, x);
}

static void
finish(mx_agent *a, xfer *x, CURLcode res)
{
	struct agent_net *n = a->net;
	CURL *e = x->easy;
	long status = 0;
	char *ct = NULL;
	sym_curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	sym_curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
	char ctype[128];
	snprintf(ctype, sizeof ctype, "%s", ct ? ct : "");
	sym_curl_multi_remove_handle(n->multi, e);
	a->in_flight--;
	sym_curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	free(x->h.body);
	x->h.body = NULL;
	mx_err err;
	mx_err_clear(&err);
	uint8_t *body = x->buf;
	size_t len = x->len;
	x->buf = NULL;
	x->len = x->cap = 0;
	agent_dev *d = x->dev;
	if (x->toobig) {
		MX_FAIL(&err, MX_ETOOBIG, MX_NO_OFFSET, "reply larger than %zu bytes", x->max);
		status = 0;
	} else if (res != CURLE_OK) {
		bool pinned = x->h.pin_set && d->prof && !d->insecure &&
		    d->prof->pins_pem[x->h.pin_set == 2 ? 1 : 0];
		MX_FAIL(&err, MX_EIO, MX_NO_OFFSET, "%s (curl %d)%s",
		    x->errbuf[0] ? x->errbuf : sym_curl_easy_strerror(res), (int)res,
		    pinned && res == CURLE_PEER_FAILED_VERIFICATION ? "; the profile pins this URL to"
		    " certificates the server's chain does not hold" : "");
		status = 0;
	}
	if (status == 0) {
		free(body);
		body = NULL;
		len = 0;
	}
	mx_err_where(&err, "%s: ", x->h.url);
	x->dev = NULL;
	x->next = n->free_list;
	n->free_list = x;
	/* a slot is free: start a waiting transfer */
	int maxc = a->o.max_connections > 0 ? a->o.max_connections : 64;
	while (n->wait_head && a->in_flight < maxc) {
		xfer *w = n->wait_head;
		n->wait_head = w->next;
		if (n->wait_head == NULL)
			n->wait_tail = NULL;
		w->next = NULL;
		start(a, w);
	}
	d->step = ST_IDLE;
	agent_flow_http_done(a, d, status, ctype, body, len, &err);
}

void
agent_net_poll(mx_agent *a, int timeout_ms)
{
	struct agent_net *n = a->net;
	sym_curl_multi_perform(n->multi, &n->running);
	CURLMsg *m;
	int left;
	while ((m = sym_curl_multi_info_read(n->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		xfer *x = NULL;
		sym_curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(a, x, m->data.result);
	}
	sym_curl_multi_poll(n->multi, NULL, 0, timeout_ms, NULL);
}

void
agent_net_wakeup(mx_agent *a)
{
	if (a->net)
		sym_curl_multi_wakeup(a->net->multi);
}
