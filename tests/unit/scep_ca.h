/*
 * scep_ca.h — a test-only SCEP certificate authority (the server side of
 * RFC 8894, just enough to answer the client's PKCSReq and CertPoll with a
 * CertRep of the status a test asks for).  Product code never links it.
 */
#ifndef MACEXT_TEST_SCEP_CA_H
#define MACEXT_TEST_SCEP_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct tca {
	EVP_PKEY *key;
	X509 *cert;
	char challenge[64];     /* "" accepts any */
} tca;

/* A CA named cn with a fresh RSA key of bits. */
int tca_new(tca *ca, const char *cn, int bits);
void tca_free(tca *ca);
/* Answers a PKCSReq/CertPoll: status 0 issues a certificate, 2 fails with
 * fail_info, 3 is PENDING.  A wrong challenge is FAILURE badRequest.  A
 * tamper of 1 flips the recipientNonce, 2 the transactionID.
 * *out is malloc'd. */
int tca_answer(tca *ca, const uint8_t *req, size_t len, int status, int fail_info, int tamper,
    uint8_t **out, size_t *out_len);
/* The DER of the CA certificate (malloc'd). */
int tca_cert_der(tca *ca, uint8_t **out, size_t *len);

#endif
