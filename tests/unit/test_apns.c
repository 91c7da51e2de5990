/*
 * test_apns.c — the APNs provider-API stand-in: the request parser
 * (apns_h1_parse), the answers APNs gives (apns_handle: statuses and
 * reasons, the PushMagic a Mac ignores), and the server on the wire over
 * HTTP/1.1, HTTP/2 with prior knowledge (h2c) and TLS with ALPN h2, with
 * libcurl as the MDM server's push client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "agent_testbe.h"
#include "daemon/agent.h"
#include "daemon/apns.h"
#include "harness.h"

static const char tok[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
static int pushes;

static int
fake_push(void *arg, const char *token, const char *topic, const char *magic, const char **why)
{
	(void)arg;
	*why = NULL;
	if (strcmp(token, tok) != 0) {
		*why = "BadDeviceToken";
		return 400;
	}
	if (topic && strcmp(topic, "com.apple.mgmt.lab") != 0) {
		*why = "DeviceTokenNotForTopic";
		return 400;
	}
	if (magic && strcmp(magic, "PM-1") == 0)
		pushes++;
	return 200;
}

MX_TEST(apns_answers)
{
	static const struct {
		const char *method, *path, *topic, *id, *type, *body;
		int status;
		const char *reason;
		int woke;
	} cases[] = {
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  "com.apple.mgmt.lab", NULL, "mdm", "{\"mdm\":\"PM-1\"}", 200, NULL, 1 },
		{ "POST", "/3/device/A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90",
		  NULL, "123e4567-e89b-42d3-a456-426614174000", NULL, "{\"mdm\":\"PM-1\"}", 200, NULL, 1 },
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  NULL, NULL, NULL, "{\"mdm\":\"other\"}", 200, NULL, 0 },
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  "com.apple.mgmt.other", NULL, NULL, "{\"mdm\":\"PM-1\"}", 400, "DeviceTokenNotForTopic", 0 },
		{ "POST", "/3/device/ffff000011112222", NULL, NULL, NULL, "{\"mdm\":\"x\"}", 400,
		  "BadDeviceToken", 0 },
		{ "POST", "/3/device/not-hex", NULL, NULL, NULL, "{}", 400, "BadDeviceToken", 0 },
		{ "POST", "/3/device/", NULL, NULL, NULL, "{}", 400, "MissingDeviceToken", 0 },
		{ "GET", "/3/device/a1b2", NULL, NULL, NULL, "", 405, "MethodNotAllowed", 0 },
		{ "POST", "/4/device/a1b2", NULL, NULL, NULL, "{}", 404, "BadPath", 0 },
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  NULL, "not-a-uuid", NULL, "{}", 400, "BadMessageId", 0 },
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  NULL, NULL, "carrier-pigeon", "{}", 400, "InvalidPushType", 0 },
		{ "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		  NULL, NULL, NULL, "", 400, "PayloadEmpty", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pushes = 0;
		apns_request r = { cases[i].method, cases[i].path, cases[i].topic, cases[i].id,
			cases[i].type, (const unsigned char *)cases[i].body, strlen(cases[i].body) };
		apns_reply rep;
		apns_handle(fake_push, NULL, &r, &rep);
		if (rep.status != cases[i].status || pushes != cases[i].woke ||
		    (cases[i].reason && strstr(rep.body, cases[i].reason) == NULL) ||
		    (cases[i].reason == NULL && rep.body[0]))
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: %d %s (woke %d)", i, rep.status,
			    rep.body, pushes);
		CHECK(strlen(rep.apns_id) == 36);
		if (cases[i].id && cases[i].status == 200)
			CHECK_EQ_STR(rep.apns_id, cases[i].id);
	}
	/* 4 KiB is APNs' limit */
	static unsigned char big[5000];
	memset(big, ' ', sizeof big);
	apns_request r = { "POST", "/3/device/a1b2c3d4e5f60718293a4b5c6d7e8f90", NULL, NULL, NULL,
		big, sizeof big };
	apns_reply rep;
	apns_handle(fake_push, NULL, &r, &rep);
	CHECK_EQ_INT(rep.status, 413);
	CHECK(strstr(rep.body, "PayloadTooLarge") != NULL);
}

MX_TEST(apns_h1_parser)
{
	static const struct { const char *in; long rc; const char *path, *topic; size_t body; } cases[] = {
		{ "POST /3/device/ab HTTP/1.1\r\nHost: x\r\napns-topic: t\r\nContent-Length: 2\r\n\r\n{}",
		  64, "/3/device/ab", "t", 2 },
		{ "POST /3/device/ab HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}", 0, NULL, NULL, 0 },
		{ "POST /3/device/ab HTTP/1.1\r\nHost: x\r\n", 0, NULL, NULL, 0 },
		{ "GARBAGE\r\n\r\n", -1, NULL, NULL, 0 },
		{ "POST /x HTTP/2\r\n\r\n", -1, NULL, NULL, 0 },
		{ "POST /x HTTP/1.1\r\nContent-Length: -3\r\n\r\n", -1, NULL, NULL, 0 },
		{ "POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", -1, NULL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		apns_h1 q;
		long rc = apns_h1_parse(&q, (const unsigned char *)cases[i].in, strlen(cases[i].in),
		    65536);
		if (cases[i].rc > 0 ? rc != (long)strlen(cases[i].in) : rc != cases[i].rc)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: rc %ld", i, rc);
		if (rc > 0) {
			CHECK_EQ_STR(q.path, cases[i].path);
			CHECK_EQ_STR(q.topic, cases[i].topic);
			CHECK_EQ_INT(q.len, cases[i].body);
		}
	}
}

static size_t
sink(char *p, size_t s, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), add = s * n;
	if (have + add < 512) {
		memcpy(buf + have, p, add);
		buf[have + add] = '\0';
	}
	return add;
}

static long
post(const char *url, long version, bool insecure, char *body, long *used)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "apns-topic: com.apple.mgmt.lab");
	body[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"mdm\":\"x\"}");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, version);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	long st = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, used);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return st;
}

/* A self-signed server certificate and key as PEM files in dir. */
static void
tls_files(const char *dir, char *cert, char *key, size_t len)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	snprintf(cert, len, "%s/apns.pem", dir);
	snprintf(key, len, "%s/apns.key", dir);
	FILE *f = fopen(cert, "w");
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(key, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_NAME_free(nm);
	X509_free(x);
	EVP_PKEY_free(k);
}

MX_TEST(apns_on_the_wire)
{
	const char *dir = mx_test_tmpdir();
	char state[1100], cert[1100], key[1100], url[256], body[512];
	snprintf(state, sizeof state, "%s/state", dir);
	mx_agent_options o;
	mx_agent_options_default(&o);
	o.backend = agent_test_backend();
	o.apns_listen = "127.0.0.1:0";
	mx_agent *a = NULL;
	mx_err err;
	CHECK_EQ_INT(mx_agent_start(&a, state, &o, &err), 0);
	if (a == NULL)
		return;
	mx_agent_status st;
	for (int i = 0; i < 100; i++) {
		mx_agent_status_get(a, &st);
		if (st.apns_port)
			break;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	long used = 0;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/3/device/%s", st.apns_port, tok);
	/* no device has this token: APNs' BadDeviceToken, over HTTP/1.1 and h2c */
	CHECK_EQ_INT(post(url, CURL_HTTP_VERSION_1_1, false, body, &used), 400);
	CHECK(strstr(body, "BadDeviceToken") != NULL);
	CHECK_EQ_INT(used, CURL_HTTP_VERSION_1_1);
	CHECK_EQ_INT(post(url, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE, false, body, &used), 400);
	CHECK(strstr(body, "BadDeviceToken") != NULL);
	CHECK_EQ_INT(used, CURL_HTTP_VERSION_2_0);
	mx_agent_stop(a);
	/* TLS: ALPN picks h2 for a client that offers it, HTTP/1.1 for one that does not */
	tls_files(dir, cert, key, sizeof cert);
	o.apns_cert = cert;
	o.apns_key = key;
	CHECK_EQ_INT(mx_agent_start(&a, state, &o, &err), 0);
	if (a == NULL)
		return;
	for (int i = 0; i < 100; i++) {
		mx_agent_status_get(a, &st);
		if (st.apns_port)
			break;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	snprintf(url, sizeof url, "https://127.0.0.1:%d/3/device/%s", st.apns_port, tok);
	CHECK_EQ_INT(post(url, CURL_HTTP_VERSION_2TLS, true, body, &used), 400);
	CHECK_EQ_INT(used, CURL_HTTP_VERSION_2_0);
	CHECK(strstr(body, "BadDeviceToken") != NULL);
	CHECK_EQ_INT(post(url, CURL_HTTP_VERSION_1_1, true, body, &used), 400);
	CHECK_EQ_INT(used, CURL_HTTP_VERSION_1_1);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/3/device/", st.apns_port);
	CHECK_EQ_INT(post(url, CURL_HTTP_VERSION_2TLS, true, body, &used), 400);
	CHECK(strstr(body, "MissingDeviceToken") != NULL);
	mx_agent_status_get(a, &st);
	CHECK_EQ_INT(st.push_rejected, 3);
	mx_agent_stop(a);
}
