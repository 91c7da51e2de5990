/*
 * load.c — `mdmserver load`: a load driver for the conformance server, to
 * measure it (not the agent).  N simulated devices, C connections (libcurl
 * multi, keep-alive), Mdm-Signature made with OpenSSL's CMS API.
 *
 * Device identities share one RSA-2048 key (key generation is the device's
 * cost, not the server's) but each has its own certificate from the
 * server's SCEP CA (read from the server's --dir), so cert-auth and the
 * chain cache see N identities.  Every body is signed once, ahead, since
 * the bodies repeat (the commands go to "all" with one CommandUUID).
 * Phases, each timed: enrol (Authenticate + TokenUpdate per device),
 * commands (InstallProfile and SecurityInfo enqueued for all, then Idle →
 * InstallProfile, Acknowledged → SecurityInfo, Acknowledged → empty),
 * idle (R rounds of Idle on an empty queue) and, with --scep K, K SCEP
 * PKCSReqs (prepared ahead: the server decrypts, issues and signs).
 * Prints one JSON object.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mdms.h"

struct msg {
	char *body;             /* plist */
	char *hdr;              /* "Mdm-Signature: ..." */
	size_t len;
};

struct dev {
	char udid[40];
	struct msg auth, tu, idle, ack_ip, ack_si;
	int step;
};

struct run {
	struct dev *d;
	size_t n, next;
	int phase;              /* 0 enrol, 1 commands, 2 idle, 3 scep */
	int rounds;
	const char *url_mdm, *url_checkin, *url_scep;
	const char *cacert;
	uint64_t requests, errors, unexpected;
	uint8_t **scep;
	size_t *scep_len;
};

struct slot {
	CURL *c;
	struct curl_slist *h;
	mds_buf resp;
	size_t dev;
	int round;
};

static char *
sign(X509 *cert, EVP_PKEY *key, const char *body, size_t len)
{
	BIO *in = BIO_new_mem_buf(body, (int)len);
	CMS_ContentInfo *cms = CMS_sign(cert, key, NULL, in, CMS_BINARY | CMS_DETACHED);
	BIO_free(in);
	uint8_t *der = NULL;
	int n = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
	CMS_ContentInfo_free(cms);
	if (n <= 0)
		return NULL;
	char *b = mds_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	mds_buf h = { 0 };
	mds_buf_printf(&h, "Mdm-Signature: %s", b);
	free(b);
	return (char *)h.p;
}

static void
mkmsg(struct msg *m, X509 *cert, EVP_PKEY *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
mkmsg(struct msg *m, X509 *cert, EVP_PKEY *key, const char *fmt, ...)
{
	char keys[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(keys, sizeof keys, fmt, ap);
	va_end(ap);
	mds_buf b = { 0 };
	mds_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n%s\n</dict>\n</plist>\n", keys);
	m->body = (char *)b.p;
	m->len = b.len;
	m->hdr = sign(cert, key, m->body, m->len);
}

static size_t
sink(char *p, size_t size, size_t n, void *ud)
{
	mds_buf_add(ud, p, size * n);
	return size * n;
}

/* What a device sends next, or NULL when it is done with this phase. */
static struct msg *
next_msg(struct run *r, struct dev *d, const char **url)
{
	*url = r->url_mdm;
	switch (r->phase) {
	case 0:
		*url = r->url_checkin;
		return d->step == 0 ? &d->auth : d->step == 1 ? &d->tu : NULL;
	case 1:
		return d->step == 0 ? &d->idle : d->step == 1 ? &d->ack_ip : d->step == 2 ? &d->ack_si : NULL;
	default:
		return d->step < r->rounds ? &d->idle : NULL;
	}
}

/* The reply to step was right? */
static bool
expected(struct run *r, struct dev *d, const mds_buf *resp)
{
	const char *b = resp->p ? (const char *)resp->p : "";
	if (r->phase == 1 && d->step == 0)
		return strstr(b, "LOAD-IP") != NULL;
	if (r->phase == 1 && d->step == 1)
		return strstr(b, "LOAD-SI") != NULL;
	return r->phase == 3 || resp->len == 0;
}

static bool
start(struct run *r, struct slot *s, CURLM *m)
{
	const char *url = NULL;
	const void *body = NULL;
	size_t len = 0;
	const char *hdr = NULL;
	for (;;) {
		if (s->dev == (size_t)-1) {
			if (r->next >= r->n)
				return false;
			s->dev = r->next++;
			if (r->phase != 3)
				r->d[s->dev].step = 0;
		}
		if (r->phase == 3) {
			if (s->round++ > 0) {
				s->dev = (size_t)-1;
				s->round = 0;
				continue;
			}
			url = r->url_scep;
			body = r->scep[s->dev];
			len = r->scep_len[s->dev];
			break;
		}
		struct msg *mm = next_msg(r, &r->d[s->dev], &url);
		if (mm == NULL) {
			s->dev = (size_t)-1;
			continue;
		}
		body = mm->body;
		len = mm->len;
		hdr = mm->hdr;
		break;
	}
	curl_slist_free_all(s->h);
	s->h = NULL;
	if (hdr)
		s->h = curl_slist_append(s->h, hdr);
	s->h = curl_slist_append(s->h, r->phase == 3 ? "Content-Type: application/octet-stream" :
	    url == r->url_checkin ? "Content-Type: application/x-apple-aspen-mdm-checkin" : "Content-Type:");
	s->h = curl_slist_append(s->h, "Expect:");
	s->resp.len = 0;
	curl_easy_setopt(s->c, CURLOPT_URL, url);
	curl_easy_setopt(s->c, CURLOPT_CUSTOMREQUEST, r->phase == 3 ? "POST" : "PUT");
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->h);
	curl_multi_add_handle(m, s->c);
	return true;
}

static double
run_phase(struct run *r, int phase, size_t conc)
{
	r->phase = phase;
	r->next = 0;
	CURLM *m = curl_multi_init();
	struct slot *sl = mds_xcalloc(conc, sizeof *sl);
	double t0 = mds_now();
	int active = 0;
	for (size_t i = 0; i < conc; i++) {
		sl[i].c = curl_easy_init();
		sl[i].dev = (size_t)-1;
		curl_easy_setopt(sl[i].c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(sl[i].c, CURLOPT_WRITEDATA, &sl[i].resp);
		curl_easy_setopt(sl[i].c, CURLOPT_PRIVATE, &sl[i]);
		curl_easy_setopt(sl[i].c, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(sl[i].c, CURLOPT_NOSIGNAL, 1L);
		if (r->cacert)
			curl_easy_setopt(sl[i].c, CURLOPT_CAINFO, r->cacert);
		if (start(r, &sl[i], m))
			active++;
	}
	while (active > 0) {
		int running = 0;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct slot *s = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			long code = 0;
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &code);
			curl_multi_remove_handle(m, s->c);
			r->requests++;
			if (msg->data.result != CURLE_OK || code != 200)
				r->errors++;
			else if (!expected(r, &r->d[phase == 3 ? 0 : s->dev], &s->resp))
				r->unexpected++;
			if (phase != 3)
				r->d[s->dev].step++;
			if (!start(r, s, m))
				active--;
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double dt = mds_now() - t0;
	for (size_t i = 0; i < conc; i++) {
		curl_easy_cleanup(sl[i].c);
		curl_slist_free_all(sl[i].h);
		mds_buf_free(&sl[i].resp);
	}
	free(sl);
	curl_multi_cleanup(m);
	return dt;
}

static int
control(const char *base, const char *token, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	char url[512], auth[300];
	snprintf(url, sizeof url, "%s%s", base, path);
	struct curl_slist *h = NULL;
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	mds_buf out = { 0 };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	mds_buf_free(&out);
	return rc == CURLE_OK && code == 200 ? 0 : -1;
}

/* A PKCSReq for a CSR of key, signed by a self-signed cert of key, to ca. */
static int
pkcsreq(uint8_t **out, size_t *len, EVP_PKEY *key, X509 *signer, X509 *ca, const char *cn, int nid_mt, int nid_tx, int nid_sn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_REQ_get_subject_name(req);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_pubkey(req, key);
	X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)"macext-challenge", -1);
	X509_REQ_sign(req, key, EVP_sha256());
	uint8_t *csr = NULL;
	int cl = i2d_X509_REQ(req, &csr);
	X509_REQ_free(req);
	STACK_OF(X509) *rc = sk_X509_new_null();
	sk_X509_push(rc, ca);
	BIO *in = BIO_new_mem_buf(csr, cl);
	CMS_ContentInfo *env = CMS_encrypt(rc, in, EVP_aes_128_cbc(), CMS_BINARY);
	BIO_free(in);
	sk_X509_free(rc);
	OPENSSL_free(csr);
	uint8_t *ed = NULL;
	int el = env ? i2d_CMS_ContentInfo(env, &ed) : -1;
	CMS_ContentInfo_free(env);
	if (el <= 0)
		return -1;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	CMS_SignerInfo *si = CMS_add1_signer(cms, signer, key, EVP_sha256(), CMS_BINARY);
	uint8_t nonce[16];
	RAND_bytes(nonce, sizeof nonce);
	CMS_signed_add1_attr_by_NID(si, nid_mt, V_ASN1_PRINTABLESTRING, "19", 2);
	CMS_signed_add1_attr_by_NID(si, nid_tx, V_ASN1_PRINTABLESTRING, cn, (int)strlen(cn));
	CMS_signed_add1_attr_by_NID(si, nid_sn, V_ASN1_OCTET_STRING, nonce, 16);
	BIO *data = BIO_new_mem_buf(ed, el);
	int ok = CMS_final(cms, data, NULL, CMS_BINARY);
	BIO_free(data);
	OPENSSL_free(ed);
	*out = NULL;
	int n = ok == 1 ? i2d_CMS_ContentInfo(cms, out) : -1;
	CMS_ContentInfo_free(cms);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* `mdmserver load --sigbench N`: Mdm-Signature checks per second of one
 * core, in process: the fast path (cached certificate), the full CMS path
 * (cached chain), and a first sight (chain verified too). */
static int
sigbench(size_t n)
{
	EVP_PKEY *cakey = mds_pki_ec(), *key = mds_pki_rsa(2048);
	X509 *ca = mds_pki_cert(cakey, "bench CA", NULL, NULL, NULL, "ca", NULL, -60, 86400, 1);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_add_cert(st, ca);
	const char *body = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Status</key><string>Idle</string>"
	    "<key>UDID</key><string>BENCH</string></dict></plist>";
	size_t bl = strlen(body);
	X509 **certs = mds_xcalloc(n, sizeof *certs);
	char **sigs = mds_xcalloc(n, sizeof *sigs);
	for (size_t i = 0; i < n; i++) {
		certs[i] = mds_pki_cert(key, "bench device", NULL, ca, cakey, "client", NULL, -60, 86400, 100 + i);
		char *h = sign(certs[i], key, body, bl);
		sigs[i] = mds_xstrdup(h + strlen("Mdm-Signature: "));
		free(h);
	}
	json_t *out = json_object();
	for (int mode = 0; mode < 3; mode++) {
		mds_idcache c;
		mds_idcache_init(&c);
		c.no_fast = mode == 1;
		mds_identity id;
		mds_err err = { 0 };
		if (mode != 2)
			for (size_t i = 0; i < n; i++)
				mds_verify_mdm_signature(&id, &c, st, 0, sigs[i], (const uint8_t *)body, bl, &err);
		size_t ok = 0;
		double t0 = mds_now();
		for (size_t i = 0; i < n; i++)
			ok += mds_verify_mdm_signature(&id, &c, st, 0, sigs[i], (const uint8_t *)body, bl, &err) == 0;
		double dt = mds_now() - t0;
		static const char *const names[] = { "fast_path_per_s", "cms_path_cached_chain_per_s", "first_sight_with_chain_per_s" };
		json_object_set_new(out, names[mode], json_real(n / dt));
		if (ok != n)
			json_object_set_new(out, "failures", json_integer((json_int_t)(n - ok)));
		mds_idcache_free(&c);
	}
	char *t = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
	puts(t);
	free(t);
	json_decref(out);
	for (size_t i = 0; i < n; i++) {
		X509_free(certs[i]);
		free(sigs[i]);
	}
	free(certs);
	free(sigs);
	X509_STORE_free(st);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	return 0;
}

int
mds_load_main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--sigbench") == 0)
		return sigbench(strtoul(argv[2], NULL, 10));
	const char *dir = NULL, *ready = NULL, *token = NULL;
	size_t n = 100, conc = 32, scep = 0;
	int rounds = 3;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "mdmserver load: %s needs a value\n", a);
			return 64;
		}
		if (strcmp(a, "--dir") == 0) dir = v;
		else if (strcmp(a, "--ready") == 0) ready = v;
		else if (strcmp(a, "--token") == 0) token = v;
		else if (strcmp(a, "--devices") == 0) n = strtoul(v, NULL, 10);
		else if (strcmp(a, "--concurrency") == 0) conc = strtoul(v, NULL, 10);
		else if (strcmp(a, "--rounds") == 0) rounds = atoi(v);
		else if (strcmp(a, "--scep") == 0) scep = strtoul(v, NULL, 10);
		else {
			fprintf(stderr, "usage: mdmserver load --ready FILE --dir PKIDIR [--devices N] [--concurrency C] "
			    "[--rounds R] [--scep K] [--token T]\n");
			return 64;
		}
	}
	if (dir == NULL || ready == NULL || n == 0 || conc == 0) {
		fprintf(stderr, "mdmserver load: --ready and --dir are required\n");
		return 64;
	}
	json_error_t je;
	json_t *rj = json_load_file(ready, 0, &je);
	const char *su = json_string_value(json_object_get(rj, "server_url"));
	const char *ci = json_string_value(json_object_get(rj, "checkin_url"));
	const char *sc = json_string_value(json_object_get(rj, "scep_url"));
	const char *ctl = json_string_value(json_object_get(rj, "control_url"));
	const char *topic = json_string_value(json_object_get(rj, "topic"));
	if (su == NULL || ci == NULL || ctl == NULL || topic == NULL) {
		fprintf(stderr, "mdmserver load: %s: not a ready file\n", ready);
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/scep-ca.pem", dir);
	FILE *f = fopen(path, "r");
	X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/scep-ca.key", dir);
	f = fopen(path, "r");
	EVP_PKEY *cakey = f ? PEM_read_PrivateKey(f, NULL, NULL, (void *)"") : NULL;
	if (f)
		fclose(f);
	if (ca == NULL || cakey == NULL) {
		fprintf(stderr, "mdmserver load: %s: no scep-ca.pem/scep-ca.key\n", dir);
		return 1;
	}
	char scep_op[600];
	snprintf(scep_op, sizeof scep_op, "%s?operation=PKIOperation", sc ? sc : "");
	char cacert[4096] = "";
	if (json_is_true(json_object_get(rj, "tls")))
		snprintf(cacert, sizeof cacert, "%s/tls-ca.pem", dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	double t0 = mds_now();
	EVP_PKEY *key = mds_pki_rsa(2048);
	struct run r = { .n = n, .url_mdm = su, .url_checkin = ci, .url_scep = scep_op, .rounds = rounds,
		.cacert = cacert[0] ? cacert : NULL };
	r.d = mds_xcalloc(n, sizeof *r.d);
	uint64_t serial = (uint64_t)time(NULL) << 24;
	for (size_t i = 0; i < n; i++) {
		struct dev *d = &r.d[i];
		snprintf(d->udid, sizeof d->udid, "10AD%04zX-%04zX-4000-8000-%012zX", (i >> 16) & 0xffff, i & 0xffff, i);
		X509 *c = mds_pki_cert(key, d->udid, "macext load", ca, cakey, "client", NULL, -600, 86400, serial + i);
		mkmsg(&d->auth, c, key, "<key>MessageType</key><string>Authenticate</string><key>UDID</key><string>%s</string>"
		    "<key>Topic</key><string>%s</string><key>DeviceName</key><string>load %zu</string><key>Model</key>"
		    "<string>Mac16,10</string><key>ModelName</key><string>Mac mini</string><key>OSVersion</key><string>15.4</string>"
		    "<key>BuildVersion</key><string>24E263</string><key>SerialNumber</key><string>LOAD%08zX</string>",
		    d->udid, topic, i, i);
		mkmsg(&d->tu, c, key, "<key>MessageType</key><string>TokenUpdate</string><key>UDID</key><string>%s</string>"
		    "<key>Topic</key><string>%s</string><key>Token</key><data>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</data>"
		    "<key>PushMagic</key><string>PM-%zu</string><key>AwaitingConfiguration</key><false/>", d->udid, topic, i);
		mkmsg(&d->idle, c, key, "<key>Status</key><string>Idle</string><key>UDID</key><string>%s</string>", d->udid);
		mkmsg(&d->ack_ip, c, key, "<key>Status</key><string>Acknowledged</string><key>UDID</key><string>%s</string>"
		    "<key>CommandUUID</key><string>LOAD-IP</string>", d->udid);
		mkmsg(&d->ack_si, c, key, "<key>Status</key><string>Acknowledged</string><key>UDID</key><string>%s</string>"
		    "<key>CommandUUID</key><string>LOAD-SI</string><key>SecurityInfo</key><dict>"
		    "<key>SystemIntegrityProtectionEnabled</key><true/><key>AuthenticatedRootVolumeEnabled</key><true/>"
		    "<key>SecureBoot</key><dict><key>SecureBootLevel</key><string>full</string></dict>"
		    "<key>ManagementStatus</key><dict><key>EnrolledViaDEP</key><false/><key>UserApprovedEnrollment</key><true/>"
		    "</dict></dict>", d->udid);
		X509_free(c);
		if (d->auth.hdr == NULL || d->ack_si.hdr == NULL) {
			fprintf(stderr, "mdmserver load: cannot sign\n");
			return 1;
		}
	}
	int nid_mt = OBJ_create("2.16.840.1.113733.1.9.2", "ldMessageType", "ldMessageType");
	int nid_tx = OBJ_create("2.16.840.1.113733.1.9.7", "ldTransactionID", "ldTransactionID");
	int nid_sn = OBJ_create("2.16.840.1.113733.1.9.5", "ldSenderNonce", "ldSenderNonce");
	if (scep) {
		X509 *signer = mds_pki_cert(key, "SCEP SIGNER", NULL, NULL, NULL, "noeku", NULL, -600, 86400, 1);
		r.scep = mds_xcalloc(scep, sizeof *r.scep);
		r.scep_len = mds_xcalloc(scep, sizeof *r.scep_len);
		for (size_t i = 0; i < scep; i++) {
			char cn[64];
			snprintf(cn, sizeof cn, "LOAD-SCEP-%zu-%llx", i, (unsigned long long)serial);
			if (pkcsreq(&r.scep[i], &r.scep_len[i], key, signer, ca, cn, nid_mt, nid_tx, nid_sn) != 0) {
				fprintf(stderr, "mdmserver load: cannot build a PKCSReq\n");
				return 1;
			}
		}
		X509_free(signer);
	}
	double prep = mds_now() - t0;
	json_t *out = json_object();
	json_object_set_new(out, "devices", json_integer((json_int_t)n));
	json_object_set_new(out, "concurrency", json_integer((json_int_t)conc));
	json_object_set_new(out, "prepare_s", json_real(prep));
	double te = run_phase(&r, 0, conc);
	json_object_set_new(out, "enrol_s", json_real(te));
	json_object_set_new(out, "enrolments_per_s", json_real(n / te));
	json_object_set_new(out, "enrol_requests_per_s", json_real(2.0 * n / te));
	char cmd[256];
	snprintf(cmd, sizeof cmd, "{\"request_type\":\"InstallProfile\",\"payload_base64\":\"%s\",\"command_uuid\":\"LOAD-IP\"}",
	    "PD94bWwgdmVyc2lvbj0iMS4wIj8+PHBsaXN0IHZlcnNpb249IjEuMCI+PGRpY3QvPjwvcGxpc3Q+");
	if (control(ctl, token, "/v1/enqueue/all", cmd) != 0 ||
	    control(ctl, token, "/v1/enqueue/all", "{\"request_type\":\"SecurityInfo\",\"command_uuid\":\"LOAD-SI\"}") != 0) {
		fprintf(stderr, "mdmserver load: enqueue failed\n");
		return 1;
	}
	double tc = run_phase(&r, 1, conc);
	json_object_set_new(out, "commands_s", json_real(tc));
	json_object_set_new(out, "devices_per_s_installprofile_and_securityinfo", json_real(n / tc));
	json_object_set_new(out, "command_requests_per_s", json_real(3.0 * n / tc));
	double ti = run_phase(&r, 2, conc);
	json_object_set_new(out, "idle_s", json_real(ti));
	json_object_set_new(out, "idle_requests_per_s", json_real((double)rounds * n / ti));
	if (scep) {
		r.n = scep;
		double ts = run_phase(&r, 3, conc);
		json_object_set_new(out, "scep_requests", json_integer((json_int_t)scep));
		json_object_set_new(out, "scep_per_s", json_real(scep / ts));
	}
	json_object_set_new(out, "requests", json_integer((json_int_t)r.requests));
	json_object_set_new(out, "errors", json_integer((json_int_t)r.errors));
	json_object_set_new(out, "unexpected_replies", json_integer((json_int_t)r.unexpected));
	char *t = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
	puts(t);
	free(t);
	json_decref(out);
	json_decref(rj);
	for (size_t i = 0; i < n; i++) {
		struct msg *ms[] = { &r.d[i].auth, &r.d[i].tu, &r.d[i].idle, &r.d[i].ack_ip, &r.d[i].ack_si };
		for (size_t k = 0; k < 5; k++) {
			free(ms[k]->body);
			free(ms[k]->hdr);
		}
	}
	for (size_t i = 0; i < scep; i++)
		OPENSSL_free(r.scep[i]);
	free(r.scep);
	free(r.scep_len);
	free(r.d);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	curl_global_cleanup();
	return r.errors || r.unexpected ? 1 : 0;
}
