/*
 * agent_crypto.c — the crypto workers' jobs: an RSA identity key
 * (EVP_RSA_gen, about 0.1-0.2 s of one core for 2048 bits), a PKCS#12
 * identity opened with its password, a SCEP PKCSReq or CertPoll built and
 * a CertRep read (src/formats/scep.c), and the Mdm-Signature header: a
 * detached CMS SignedData over the exact body, SHA-256, signed with the
 * identity and carrying its certificate, standard base64 on one line
 * (mdm-observed.md "Mdm-Signature").  Keys travel as DER in heap buffers
 * that are wiped when freed; each device's key is parsed once for signing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "daemon/agent_int.h"

static int
ssl_fail(mx_err *err, const char *what)
{
	char why[256];
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, why, sizeof why);
	else
		snprintf(why, sizeof why, "no detail");
	ERR_clear_error();
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s", what, why);
}

static int
key_der(EVP_PKEY *k, uint8_t **out, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	unsigned char *d = NULL;
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &d) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return -1;
	*out = mx_xmalloc((size_t)n);
	memcpy(*out, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_clear_free(d, (size_t)n);
	return 0;
}

/* The identity key from its DER.  RSA is asked for first: OpenSSL's
 * type-guessing decoder costs about twice as much, per device. */
static EVP_PKEY *
key_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (k == NULL) {
		ERR_clear_error();
		p = der;
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	return k;
}

static int
cert_der(X509 *x, uint8_t **out, size_t *len)
{
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);
	if (n <= 0)
		return -1;
	*out = mx_xmalloc((size_t)n);
	memcpy(*out, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
	return 0;
}

void
agent_scep_free(agent_scep *s)
{
	if (s == NULL)
		return;
	free(s->cacert);
	mx_scep_ca_free(&s->ca);
	EVP_PKEY_free(s->key);
	X509_free(s->signer);
	X509_NAME_free(s->subject);
	mx_scep_msg_free(&s->req);
	free(s);
}

static void
keygen(agent_job *j)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)(j->bits ? j->bits : 2048));
	if (k == NULL || key_der(k, &j->out, &j->out_len) != 0)
		j->rc = ssl_fail(&j->err, "RSA key generation");
	EVP_PKEY_free(k);
}

static void
p12(agent_job *j)
{
	agent_dev *d = j->dev;
	const mx_enroll_pkcs12 *p = &d->prof->p.pkcs12;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	if ((j->rc = mx_pkcs12_open(&k, &c, NULL, p->der, p->der_len, p->password,
	    "com.apple.security.pkcs12", &j->err)))
		return;
	if (key_der(k, &j->out, &j->out_len) != 0 || cert_der(c, &j->out2, &j->out2_len) != 0)
		j->rc = ssl_fail(&j->err, "PKCS#12 identity");
	EVP_PKEY_free(k);
	X509_free(c);
}

/* The PKCSReq (first time) or a CertPoll (after PENDING). */
static void
scep_build(mx_agent *a, agent_job *j)
{
	agent_dev *d = j->dev;
	agent_scep *s = d->scep;
	const mx_enroll_scep *ps = &d->prof->p.scep;
	int rc = 0;
	if (!s->ca_ok) {
		if ((rc = mx_scep_ca_parse(&s->ca, s->cacert, s->cacert_len, s->cacert_type,
		    ps->ca_fingerprint_len ? ps->ca_fingerprint : NULL, ps->ca_fingerprint_len,
		    &j->err)))
			goto out;
		s->ca_ok = true;
	}
	if (s->key == NULL && (s->key = key_parse(d->key, d->key_len)) == NULL) {
		rc = ssl_fail(&j->err, "identity key");
		goto out;
	}
	int64_t now = (int64_t)agent_now();
	if (s->signer == NULL &&
	    (rc = mx_scep_signer_cert(&s->signer, s->key, "SCEP SIGNER", now, &j->err)))
		goto out;
	uint8_t nonce[16];
	if (RAND_bytes(nonce, sizeof nonce) != 1) {
		rc = ssl_fail(&j->err, "SCEP nonce");
		goto out;
	}
	mx_scep_msg_free(&s->req);
	/* a CertPoll only after the CA said PENDING: a retry of a request that
	 * failed (a 5xx, a reset, a CertRep we could not read) is a new PKCSReq,
	 * or a CA without GetCertInitial (micromdm's scepserver) answers 500 */
	if (s->polls == 0) {
		X509_NAME_free(s->subject);
		s->subject = NULL;
		/* the Subject and the challenge with %HardwareUUID% etc. substituted */
		mx_enroll_vars v = { d->f.udid, d->f.serial, d->f.name };
		mx_enroll_rdn subj[MX_ENROLL_MAX_RDN];
		int n = ps->nsubject;
		for (int i = 0; i < n && rc == 0; i++) {
			snprintf(subj[i].oid, sizeof subj[i].oid, "%s", ps->subject[i].oid);
			rc = mx_enroll_subst(subj[i].value, sizeof subj[i].value, ps->subject[i].value, &v,
			    &j->err);
		}
		if (n == 0) {
			snprintf(subj[0].oid, sizeof subj[0].oid, "CN");
			snprintf(subj[0].value, sizeof subj[0].value, "%s", d->f.udid);
			n = 1;
		}
		char challenge[512];
		if (rc == 0)
			rc = mx_enroll_subst(challenge, sizeof challenge, ps->challenge, &v, &j->err);
		X509_REQ *csr = NULL;
		if (rc == 0)
			rc = mx_scep_csr(&csr, s->key, subj, n, challenge, ps, &j->err);
		OPENSSL_cleanse(challenge, sizeof challenge);
		if (rc == 0) {
			s->subject = X509_NAME_dup(X509_REQ_get_subject_name(csr));
			rc = mx_scep_request(&s->req, MX_SCEP_PKCSREQ, csr, NULL, s->key, s->signer,
			    &s->ca, &s->caps, nonce, now, &j->err);
		}
		X509_REQ_free(csr);
	} else {
		rc = mx_scep_request(&s->req, MX_SCEP_CERTPOLL, NULL, s->subject, s->key, s->signer,
		    &s->ca, &s->caps, nonce, now, &j->err);
	}
	if (rc == 0) {
		j->out = mx_xmalloc(s->req.len);
		memcpy(j->out, s->req.der, s->req.len);
		j->out_len = s->req.len;
	}
out:
	(void)a;
	j->rc = rc;
}

static void
scep_parse(agent_job *j)
{
	agent_scep *s = j->dev->scep;
	mx_scep_reply r;
	j->rc = mx_scep_certrep_parse(&r, j->in, j->in_len, &s->ca, &s->req, s->key, s->signer,
	    &j->err);
	if (j->rc)
		return;
	j->status = r.status;
	j->fail_info = r.fail_info;
	if (r.status == MX_SCEP_SUCCESS && cert_der(r.cert, &j->out, &j->out_len) != 0)
		j->rc = ssl_fail(&j->err, "issued certificate");
	mx_scep_reply_free(&r);
}

/* Mdm-Signature over j->in. */
static void
sign(mx_agent *a, agent_job *j)
{
	agent_dev *d = j->dev;
	if (d->pkey == NULL) {
		if ((d->pkey = key_parse(d->key, d->key_len)) == NULL) {
			j->rc = ssl_fail(&j->err, "identity key");
			return;
		}
		atomic_fetch_add(&a->parsed_keys, 1);
	}
	if (d->x509 == NULL) {
		const unsigned char *p = d->cert;
		if ((d->x509 = d2i_X509(NULL, &p, (long)d->cert_len)) == NULL) {
			j->rc = ssl_fail(&j->err, "identity certificate");
			return;
		}
	}
	BIO *in = BIO_new_mem_buf(j->in, (int)j->in_len);
	CMS_ContentInfo *cms = in ? CMS_sign(d->x509, d->pkey, NULL, in,
	    CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP) : NULL;
	unsigned char *der = NULL;
	int n = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
	if (n <= 0) {
		j->rc = ssl_fail(&j->err, "Mdm-Signature");
	} else {
		j->out = mx_xmalloc(4 * ((size_t)n + 2) / 3 + 4);
		j->out_len = (size_t)EVP_EncodeBlock(j->out, der, n);
	}
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
}

void
agent_crypto_run(mx_agent *a, agent_job *j)
{
	switch (j->kind) {
	case J_KEYGEN: keygen(j); break;
	case J_P12: p12(j); break;
	case J_SCEP_BUILD: scep_build(a, j); break;
	case J_SCEP_PARSE: scep_parse(j); break;
	case J_SIGN: sign(a, j); break;
	default:
		j->rc = MX_FAIL(&j->err, MX_EINVALID, MX_NO_OFFSET, "job %d is not a crypto job",
		    (int)j->kind);
	}
	ERR_clear_error();
	agent_done(a, j);
}
