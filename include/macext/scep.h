/*
 * scep.h — the messages of the Simple Certificate Enrolment Protocol as a
 * Mac's SCEP client writes and reads them (RFC 8894): the GetCACaps text,
 * the GetCACert reply (one DER certificate, or a degenerate PKCS#7 holding
 * an RA and its CA), the PKCSReq and CertPoll (GetCertInitial) requests
 * (SignedData over EnvelopedData, with messageType, transactionID and
 * senderNonce), and the CertRep reply (pkiStatus SUCCESS / FAILURE with
 * failInfo / PENDING).  Replies are untrusted: sizes are capped, the CertRep
 * must be signed by the CA or RA the GetCACert reply named and answer our
 * transactionID and nonce.  Time and nonces come in as arguments.
 * Spec: RFC 8894 §3 (messages), §3.2.1.4 (failInfo), §4 (transport);
 * mdm-observed.md ("Identity through SCEP").
 */
#ifndef MACEXT_SCEP_H
#define MACEXT_SCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "macext/enroll.h"
#include "macext/err.h"

#define MX_SCEP_MAX_REPLY (256u << 10)   /* a bigger GetCACert or CertRep reply: MX_ETOOBIG */

typedef struct mx_scep_caps {
	bool post;        /* POSTPKIOperation */
	bool sha256, sha512, sha1;
	bool aes, des3;
	bool renewal, scep_standard, next_ca;
} mx_scep_caps;

/* Parses a GetCACaps reply (one capability per line, case-insensitive;
 * unknown ones ignored).  SCEPStandard implies AES, SHA-256 and POST. */
int mx_scep_caps_parse(mx_scep_caps *out, const uint8_t *buf, size_t len, mx_err *err);

/* The CA as GetCACert named it.  Owned: mx_scep_ca_free. */
typedef struct mx_scep_ca {
	X509 *ca;                    /* the issuing CA */
	X509 *recipient;             /* whom PKCSReq is encrypted to: the RA when there is one */
	STACK_OF(X509) *signers;     /* who may sign a CertRep: the RA(s) and the CA */
} mx_scep_ca;

/* Parses a GetCACert reply: content_type "application/x-x509-ca-cert" (one
 * DER certificate) or "application/x-x509-ca-ra-cert" (a certs-only
 * PKCS#7 with the CA and at least one RA); NULL or another type is judged
 * from the bytes.  When fp (len 16/20/32: MD5/SHA-1/SHA-256) is given, the
 * CA's DER must hash to it (the SCEP payload's CAFingerprint). */
int mx_scep_ca_parse(mx_scep_ca *out, const uint8_t *buf, size_t len, const char *content_type,
    const uint8_t *fp, size_t fp_len, mx_err *err);
void mx_scep_ca_free(mx_scep_ca *ca);

/* A self-signed certificate for key (the requester's signer certificate in
 * PKCSReq, RFC 8894 §2.3), valid from now - 1 h for 1 day. */
int mx_scep_signer_cert(X509 **out, EVP_PKEY *key, const char *cn, int64_t now, mx_err *err);

/* A PKCS#10 request for key with the subject (values already substituted),
 * the challengePassword when challenge is not "", a keyUsage extension from
 * the SCEP payload's Key Usage (1 digitalSignature, 4 keyEncipherment) and
 * the subjectAltNames of s; signed with SHA-256. */
int mx_scep_csr(X509_REQ **out, EVP_PKEY *key, const mx_enroll_rdn *subject, int nsubject,
    const char *challenge, const mx_enroll_scep *s, mx_err *err);

enum mx_scep_msgtype { MX_SCEP_PKCSREQ = 19, MX_SCEP_CERTPOLL = 20, MX_SCEP_CERTREP = 3 };

/* One request on the wire; owned: mx_scep_msg_free. */
typedef struct mx_scep_msg {
	uint8_t *der;
	size_t len;
	char transaction_id[65];     /* hex SHA-256 of the public key (RFC 8894 §3.2.1.1) */
	uint8_t nonce[16];           /* senderNonce */
} mx_scep_msg;
void mx_scep_msg_free(mx_scep_msg *m);

/* Builds a PKCSReq (csr != NULL) or a CertPoll for the same key (csr NULL:
 * IssuerAndSubject of the CA and subject_of_csr), encrypted to
 * ca->recipient with AES-128-CBC (DES3 when the CA offers only that) and
 * signed by key with signer (SHA-256, or SHA-1 when the CA offers only
 * that), signingTime now. */
int mx_scep_request(mx_scep_msg *out, enum mx_scep_msgtype type, X509_REQ *csr,
    const X509_NAME *subject_of_csr, EVP_PKEY *key, X509 *signer, const mx_scep_ca *ca,
    const mx_scep_caps *caps, const uint8_t nonce[16], int64_t now, mx_err *err);

enum mx_scep_status { MX_SCEP_SUCCESS = 0, MX_SCEP_FAILURE = 2, MX_SCEP_PENDING = 3 };

typedef struct mx_scep_reply {
	enum mx_scep_status status;
	int fail_info;               /* FAILURE: RFC 8894 failInfo 0-4, -1 when absent */
	X509 *cert;                  /* SUCCESS: the issued certificate for key (owned) */
	STACK_OF(X509) *chain;       /* SUCCESS: the other certificates sent (owned, may be NULL) */
} mx_scep_reply;

/* Parses and checks a CertRep in buf[0..len): a SignedData whose signer is
 * one of ca->signers and whose signature verifies, messageType 3, the
 * transactionID of req and recipientNonce = req's senderNonce; a SUCCESS
 * envelope is decrypted with key/signer and must hold a certificate for
 * key's public key.  On success *out is the caller's (mx_scep_reply_free). */
int mx_scep_certrep_parse(mx_scep_reply *out, const uint8_t *buf, size_t len,
    const mx_scep_ca *ca, const mx_scep_msg *req, EVP_PKEY *key, X509 *signer, mx_err *err);
void mx_scep_reply_free(mx_scep_reply *r);
/* "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId", "unknown". */
const char *mx_scep_fail_info_name(int fail_info);

/* Opens a PKCS#12 identity with its password: *key and *cert are the
 * caller's (EVP_PKEY_free, X509_free); extra certificates go to *chain
 * (may be NULL).  A wrong password or a blob without a key is MX_EINVALID. */
int mx_pkcs12_open(EVP_PKEY **key, X509 **cert, STACK_OF(X509) **chain, const uint8_t *der,
    size_t len, const char *password, const char *name, mx_err *err);

#endif
