/*
 * pki.c — the test PKI of the conformance server, through OpenSSL 3.
 *
 * Three CAs, kept in --dir between runs (created when absent): the SCEP CA
 * (RSA-2048, it decrypts PKCSReq envelopes and issues the device
 * identities, clientAuth, as micromdm/scep does: mdm-observed.md §3), the
 * TLS CA that the enrolment profile's com.apple.security.root payload
 * carries, and an "other" CA nobody trusts (bad-certificate modes and pin
 * tests).  The server certificate is made at each start for --host, in the
 * --tls-mode asked for: good, signed by the other CA, for a wrong host
 * name, or expired.  The device trust store holds the SCEP CA plus every
 * --device-ca file (e.g. the lab CA of the recorded captures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "mdms.h"

EVP_PKEY *
mds_pki_rsa(int bits)
{
	return EVP_RSA_gen((unsigned)bits);
}

EVP_PKEY *
mds_pki_ec(void)
{
	return EVP_EC_gen("P-256");
}

static int
ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	if (e == NULL)
		return -1;
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

X509 *
mds_pki_cert(EVP_PKEY *pub, const char *cn, const char *org, X509 *issuer, EVP_PKEY *ikey,
    const char *kind, const char *san, long not_before, long not_after, uint64_t serial)
{
	X509 *x = X509_new();
	if (x == NULL)
		return NULL;
	X509_set_version(x, 2);
	if (serial == 0) {
		uint8_t r[8];
		RAND_bytes(r, sizeof r);
		for (int i = 0; i < 8; i++)
			serial = serial << 8 | r[i];
		serial &= 0x7fffffffffffffffull;
		serial |= 1;
	}
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), not_before);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after);
	X509_NAME *nm = X509_get_subject_name(x);
	if (org)
		X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm);
	X509_set_pubkey(x, pub);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	int rc = 0;
	if (strcmp(kind, "ca") == 0) {
		rc |= ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		rc |= ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
		rc |= ext(x, &ctx, NID_subject_key_identifier, "hash");
	} else {
		rc |= ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		rc |= ext(x, &ctx, NID_subject_key_identifier, "hash");
		rc |= ext(x, &ctx, NID_authority_key_identifier, "keyid");
		if (strcmp(kind, "server") == 0) {
			rc |= ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
			rc |= ext(x, &ctx, NID_ext_key_usage, "serverAuth");
		} else if (strcmp(kind, "client") == 0) {
			rc |= ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
			rc |= ext(x, &ctx, NID_ext_key_usage, "clientAuth");
		} else if (strcmp(kind, "ra") == 0) {
			rc |= ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		} else if (strcmp(kind, "noeku") == 0) {
			rc |= ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
		} else if (strcmp(kind, "serveronly") == 0) {
			rc |= ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
			rc |= ext(x, &ctx, NID_ext_key_usage, "serverAuth");
		}
		if (san != NULL)
			rc |= ext(x, &ctx, NID_subject_alt_name, san);
	}
	if (rc != 0 || X509_sign(x, issuer ? ikey : pub, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static char *
bio_string(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *s = mds_xstrndup(p ? p : "", n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return s;
}

char *
mds_pki_pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	return bio_string(b);
}

char *
mds_pki_pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	return bio_string(b);
}

int
mds_pki_der(X509 *x, uint8_t **out, size_t *len)
{
	*out = NULL;
	int n = i2d_X509(x, out);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int
save(const char *dir, const char *name, const char *pem, mds_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return mds_write_file(path, pem, strlen(pem), err);
}

static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	return k;
}

/* Loads dir/name.pem and dir/name.key, or makes a CA and saves it. */
static int
ca(const char *dir, const char *name, const char *cn, bool rsa, X509 **cert, EVP_PKEY **key, mds_err *err)
{
	char cp[4096], kp[4096];
	if (dir != NULL) {
		snprintf(cp, sizeof cp, "%s/%s.pem", dir, name);
		snprintf(kp, sizeof kp, "%s/%s.key", dir, name);
		*cert = load_cert(cp);
		*key = load_key(kp);
		if (*cert && *key && X509_check_private_key(*cert, *key) == 1)
			return 0;
		X509_free(*cert);
		EVP_PKEY_free(*key);
	}
	*key = rsa ? mds_pki_rsa(2048) : mds_pki_ec();
	*cert = *key ? mds_pki_cert(*key, cn, "macext conformance MDM", NULL, NULL, "ca", NULL,
	    -3600, 10L * 365 * 86400, 0) : NULL;
	if (*cert == NULL)
		return mds_fail(err, 0, "%s: cannot create the CA", name);
	if (dir != NULL) {
		char *pem = mds_pki_pem_cert(*cert), *kpem = mds_pki_pem_key(*key);
		char fn[256];
		snprintf(fn, sizeof fn, "%s.pem", name);
		int rc = save(dir, fn, pem, err);
		snprintf(fn, sizeof fn, "%s.key", name);
		if (rc == 0)
			rc = save(dir, fn, kpem, err);
		free(pem);
		free(kpem);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static bool
is_ip(const char *h)
{
	for (const char *p = h; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == ':'))
			return false;
	return true;
}

int
mds_pki_setup(mds_pki *p, const char *dir, int tls_mode, const char *host, bool ec_tls,
    bool with_ra, const char *const *extra_cas, size_t nextra, mds_err *err)
{
	memset(p, 0, sizeof *p);
	if (dir != NULL)
		mkdir(dir, 0700);
	if (ca(dir, "scep-ca", "macext MDM SCEP CA", true, &p->scep_ca, &p->scep_key, err) != 0 ||
	    ca(dir, "tls-ca", "macext MDM TLS CA", false, &p->tls_ca, &p->tls_ca_key, err) != 0 ||
	    ca(dir, "other-ca", "macext untrusted CA", false, &p->other_ca, &p->other_ca_key, err) != 0)
		return -1;
	if (with_ra) {
		p->ra_key = mds_pki_rsa(2048);
		p->ra = p->ra_key ? mds_pki_cert(p->ra_key, "macext MDM SCEP RA", "macext conformance MDM",
		    p->scep_ca, p->scep_key, "ra", NULL, -3600, 365L * 86400, 0) : NULL;
		if (p->ra == NULL)
			return mds_fail(err, 0, "cannot create the SCEP RA certificate");
	}
	/* the server certificate, in the mode asked for */
	char san[512];
	if (tls_mode == MDS_TLS_WRONG_HOST)
		snprintf(san, sizeof san, "DNS:wrong-host.invalid");
	else if (is_ip(host))
		snprintf(san, sizeof san, "IP:%s,DNS:localhost", host);
	else
		snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1", host);
	X509 *iss = tls_mode == MDS_TLS_OTHER_CA ? p->other_ca : p->tls_ca;
	EVP_PKEY *ikey = tls_mode == MDS_TLS_OTHER_CA ? p->other_ca_key : p->tls_ca_key;
	long nb = tls_mode == MDS_TLS_EXPIRED ? -30L * 86400 : -3600;
	long na = tls_mode == MDS_TLS_EXPIRED ? -86400 : 397L * 86400;
	p->tls_key = ec_tls ? mds_pki_ec() : mds_pki_rsa(2048);
	p->tls_cert = p->tls_key ? mds_pki_cert(p->tls_key, tls_mode == MDS_TLS_WRONG_HOST ?
	    "wrong-host.invalid" : host, "macext conformance MDM", iss, ikey, "server", san, nb, na, 0) : NULL;
	if (p->tls_cert == NULL)
		return mds_fail(err, 0, "cannot create the server certificate");
	p->tls_issuer = iss;
	char *leaf = mds_pki_pem_cert(p->tls_cert), *chain = mds_pki_pem_cert(iss);
	size_t ll = strlen(leaf), cl = strlen(chain);
	p->tls_cert_pem = mds_xmalloc(ll + cl + 1);
	memcpy(p->tls_cert_pem, leaf, ll);
	memcpy(p->tls_cert_pem + ll, chain, cl + 1);
	free(leaf);
	free(chain);
	p->tls_key_pem = mds_pki_pem_key(p->tls_key);
	if (dir != NULL && save(dir, "tls-server.pem", p->tls_cert_pem, err) != 0)
		return -1;

	/* device trust anchors */
	p->device_store = X509_STORE_new();
	p->device_cas = sk_X509_new_null();
	X509_STORE_add_cert(p->device_store, p->scep_ca);
	X509_up_ref(p->scep_ca);
	sk_X509_push(p->device_cas, p->scep_ca);
	for (size_t i = 0; i < nextra; i++) {
		FILE *f = fopen(extra_cas[i], "r");
		if (f == NULL)
			return mds_fail(err, 0, "%s: cannot open", extra_cas[i]);
		int got = 0;
		X509 *x;
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			X509_STORE_add_cert(p->device_store, x);
			sk_X509_push(p->device_cas, x);
			got++;
		}
		ERR_clear_error();
		fclose(f);
		if (got == 0)
			return mds_fail(err, 0, "%s: no PEM certificate", extra_cas[i]);
	}
	mds_buf all = { 0 };
	for (int i = 0; i < sk_X509_num(p->device_cas); i++) {
		char *pem = mds_pki_pem_cert(sk_X509_value(p->device_cas, i));
		mds_buf_adds(&all, pem);
		free(pem);
	}
	p->device_cas_pem = (char *)all.p;
	atomic_store(&p->serial, ((uint64_t)time(NULL) << 20));
	return 0;
}

void
mds_pki_free(mds_pki *p)
{
	X509_free(p->scep_ca);
	EVP_PKEY_free(p->scep_key);
	X509_free(p->ra);
	EVP_PKEY_free(p->ra_key);
	X509_free(p->tls_ca);
	EVP_PKEY_free(p->tls_ca_key);
	X509_free(p->tls_cert);
	EVP_PKEY_free(p->tls_key);
	X509_free(p->other_ca);
	EVP_PKEY_free(p->other_ca_key);
	X509_STORE_free(p->device_store);
	sk_X509_pop_free(p->device_cas, X509_free);
	free(p->tls_cert_pem);
	free(p->tls_key_pem);
	free(p->device_cas_pem);
	memset(p, 0, sizeof *p);
}
