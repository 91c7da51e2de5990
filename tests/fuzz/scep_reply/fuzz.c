/*
 * fuzz.c — libFuzzer target for the SCEP replies a Mac's SCEP client reads
 * (src/formats/scep.c).  The first byte picks the parser: 'c' GetCACaps,
 * 'a' GetCACert (one DER certificate or a certs-only PKCS#7), anything else
 * a CertRep answering a fixed PKCSReq made with the throw-away test CA and
 * device key below (the corpus CertReps are signed by that CA, so inputs
 * reach the signed-attribute checks and the envelope).  Never a crash or a
 * leak; a SUCCESS reply must carry a certificate for the device key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "macext/scep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* throw-away test material: never used outside this fuzz target */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICGjCCAYOgAwIBAgIUDUMexH+LEUjEED80lH88rbJipwkwDQYJKoZIhvcNAQEL\n"
	"BQAwHjEcMBoGA1UEAwwTbWFjZXh0IGZ1enogU0NFUCBDQTAgFw0yNjEyMDIwNTIw\n"
	"MTlaGA8yMTI2MTEwODA1MjAxOVowHjEcMBoGA1UEAwwTbWFjZXh0IGZ1enogU0NF\n"
	"UCBDQTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEAwGns/99YcA1JKWVu+XDn\n"
	"d77Bhn636L/7bmxoG0NMYe4iLSDeTkWRy9ozV5sMsI2GCZnLxChFpB1UMsUKnLgw\n"
	"7UWxipqKkpzYN3hK0Gvp69Lh4XEXYQxB8/7pOL0E1v7WTSvs3eJdf2HSqxGHNCPk\n"
	"LUq3R/24JG9B143WKc4tjOUCAwEAAaNTMFEwHQYDVR0OBBYEFDm5X0tnJrAifm0c\n"
	"1mptFEkuKvINMB8GA1UdIwQYMBaAFDm5X0tnJrAifm0c1mptFEkuKvINMA8GA1Ud\n"
	"EwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEAk2+/0sLAP8dtcMikhtXoR8p+\n"
	"OTObMXYM19ssio2A/3MTRHbublphlEZOTQbK2u6PWULblqmfl3K3sZ2UGwG398O6\n"
	"m+VGyP0Yn6/J8CVZcheqGISIeLLjiIPM2S/1gAdO99fNs0xJM3tB1ivgdReIEcpo\n"
	"IXA3cMMEXEuqvWtbgxQ=\n"
	"-----END CERTIFICATE-----\n";
static const char dev_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALgXJCFDawy3cYBS\n"
	"SxPYezcrizLpZSmM0imadnK8NyoiQbK9UK7zruTMFiB+8wQ/Hwa7CI6FB33EXMv8\n"
	"+1C4cQIsOnYY4AkoZfhin2NaGe4423Ge22aLXVANpzVUBNoJjEO6cCPvwBs9w4vL\n"
	"47+BSxKqdXz4YMuIkLHz/A+9U4k7AgMBAAECgYEAskR2kF+hAqeCGimW2pkAeOSJ\n"
	"37t0Y1AjFHanzWPGZ97UkCoUP9dqvdWEd+N3od0eRn5IQvs/zeKhmkhZdkml5Dd+\n"
	"ZZ7QhWZ06t2qx0lOtCXAUfCy+oub2ugNGy0q9FWdKQyMfcLyK6mJ6UWFgZjglqJ4\n"
	"HHtPYvgg8nmH1zuk3sECQQDm+auWFuiN/oeVhEMmsSZdAMG4J3Vx0F2L9sTz92aq\n"
	"phGfDfBqMJ0EYsZ6c2f73do+AKq1HXH5bYrC74jPu16fAkEAzAkSa5dAt1dVGlaU\n"
	"dD+U81x6tzan0do9lXBFzTK3fa3TMXdkvHPX0t1759K8yrO7n0l8kkcA2aIwzFL4\n"
	"T8775QJAKD6aahVlwc/2mdOoy6YUNCI8nrSpXwJaOlft60BRMCytZ1RLboU35pq7\n"
	"UHypQpZeP21oURRnVnmCswJ/iQpxqwJALp5MBSUz9jAQE8qAdOcqI0iYCVCFm58f\n"
	"vws+B5p07lRPEthSvfRB9b4BV4CA/ld+oPBrdAihGxjByY2TiriiOQJBAKi2GWhs\n"
	"yAnPHPW5VDzPUya2709ZsCrB7YKwL/AWjk7zN+NEmrU6Wyhti11C5frtfxnj5NTA\n"
	"rUf1Btw/zWtzqv8=\n"
	"-----END PRIVATE KEY-----\n";

static mx_scep_ca ca;
static EVP_PKEY *key;
static X509 *signer;
static mx_scep_msg req;

static void
setup(void)
{
	static const uint8_t nonce[16] = "macext-fuzz-0001";
	BIO *b = BIO_new_mem_buf(ca_pem, -1);
	X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(dev_pem, -1);
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);
	mx_err err;
	mx_scep_caps caps = { .aes = true, .sha256 = true };
	mx_enroll_rdn subj = { "CN", "fuzz" };
	X509_REQ *csr = NULL;
	if (c == NULL || key == NULL ||
	    mx_scep_ca_parse(&ca, der, (size_t)n, NULL, NULL, 0, &err) != 0 ||
	    mx_scep_signer_cert(&signer, key, "SCEP SIGNER", 1764640000, &err) != 0 ||
	    mx_scep_csr(&csr, key, &subj, 1, "", NULL, &err) != 0 ||
	    mx_scep_request(&req, MX_SCEP_PKCSREQ, csr, NULL, key, signer, &ca, &caps, nonce,
	    1764640000, &err) != 0)
		abort();
	X509_REQ_free(csr);
	X509_free(c);
	OPENSSL_free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (key == NULL)
		setup();
	if (size == 0)
		return 0;
	mx_err err;
	mx_err_clear(&err);
	if (data[0] == 'c') {
		mx_scep_caps caps;
		(void)mx_scep_caps_parse(&caps, data + 1, size - 1, &err);
	} else if (data[0] == 'a') {
		mx_scep_ca c;
		static const uint8_t fp[20];
		if (mx_scep_ca_parse(&c, data + 1, size - 1, size & 2 ? "application/x-x509-ca-ra-cert" :
		    NULL, size & 4 ? fp : NULL, size & 4 ? 20 : 0, &err) == 0) {
			if (c.ca == NULL || c.recipient == NULL || sk_X509_num(c.signers) < 1)
				abort();
			mx_scep_ca_free(&c);
		}
	} else {
		mx_scep_reply r;
		if (mx_scep_certrep_parse(&r, data + 1, size - 1, &ca, &req, key, signer, &err) == 0) {
			if (r.status == MX_SCEP_SUCCESS && (r.cert == NULL ||
			    X509_check_private_key(r.cert, key) != 1))
				abort();
			mx_scep_reply_free(&r);
		}
	}
	return 0;
}
