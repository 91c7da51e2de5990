/*
 * push.c — fires an MDM push at the APNs stand-in, as an MDM server does
 * at APNs (mdm-protocol-and-peers.md §1.5; NanoMDM push/nanopush):
 * POST <push URL>/3/device/<hex token> with `apns-topic: <Topic>`, the
 * JSON body {"mdm":"<PushMagic>"} and no `aps` key, over HTTP/2 when the
 * URL is https (HTTP/1.1 otherwise).  The stand-in is the agent's (the
 * daemon hosts it); the URL comes from --push-url or PUT /v1/config.  One
 * libcurl handle is reused so pushes to one stand-in share a connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mdms.h"

static pthread_mutex_t push_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *push_curl;

static size_t
sink(char *p, size_t size, size_t n, void *ud)
{
	mds_buf *b = ud;
	if (b->len < 4096)
		mds_buf_add(b, p, size * n);
	return size * n;
}

int
mds_push(mds_server *s, const mds_enr *e, char *detail, size_t dlen)
{
	char url[1024], topic[200], body[160], hex[2 * 64 + 1];
	pthread_mutex_lock(&s->fmu);
	const char *base = s->push_url;
	if (base == NULL) {
		pthread_mutex_unlock(&s->fmu);
		snprintf(detail, dlen, "no push URL (--push-url or PUT /v1/config)");
		mds_count(&s->rep, MDS_C_PUSH_FAIL);
		return -1;
	}
	mds_hex(hex, e->token, e->token_len);
	size_t bl = strlen(base);
	snprintf(url, sizeof url, "%.*s/3/device/%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl), base, hex);
	pthread_mutex_unlock(&s->fmu);
	if (e->token_len == 0) {
		snprintf(detail, dlen, "enrollment has no push token (no TokenUpdate)");
		mds_count(&s->rep, MDS_C_PUSH_FAIL);
		return -1;
	}
	snprintf(topic, sizeof topic, "apns-topic: %s", e->topic);
	snprintf(body, sizeof body, "{\"mdm\":\"%s\"}", e->push_magic);
	mds_buf resp = { 0 };
	pthread_mutex_lock(&push_mu);
	if (push_curl == NULL)
		push_curl = curl_easy_init();
	CURL *c = push_curl;
	struct curl_slist *h = curl_slist_append(NULL, topic);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "apns-expiration: 0");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (s->cfg.push_ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->cfg.push_ca);
	if (s->cfg.push_insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	pthread_mutex_unlock(&push_mu);
	int ret = 0;
	if (rc != CURLE_OK) {
		snprintf(detail, dlen, "%s", curl_easy_strerror(rc));
		ret = -1;
	} else if (code != 200) {
		snprintf(detail, dlen, "HTTP %ld %.200s", code, resp.p ? (char *)resp.p : "");
		ret = (int)code;
	}
	mds_buf_free(&resp);
	mds_count(&s->rep, ret == 0 ? MDS_C_PUSHES : MDS_C_PUSH_FAIL);
	return ret;
}

void
mds_push_cleanup(void)
{
	pthread_mutex_lock(&push_mu);
	if (push_curl)
		curl_easy_cleanup(push_curl);
	push_curl = NULL;
	pthread_mutex_unlock(&push_mu);
}
