/*
 * fuzz.c — differential libFuzzer target for the conformance server's
 * Mdm-Signature check (tests/mdm/ident.c): the input is a DER CMS message,
 * checked over a fixed body twice, through the fast path (DER walk, cached
 * key) and through OpenSSL's CMS only.  The fast path may decline, never
 * accept what the CMS path refuses: that would let a forged message in.
 * The test CA and device identity below are throw-away material made for
 * this target (valid 2026-2126); the seeds in corpus/ are signatures by
 * that identity (SHA-1, SHA-256, SHA-512, with and without signed
 * attributes, without certificates, attached, two signers, over another
 * body).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "../../mdm/mdms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBejCCASGgAwIBAgIUYBYQJVdjAwoNB+Ac7lMLHj8gZc8wCgYIKoZIzj0EAwIw\n"
	"EjEQMA4GA1UEAwwHZnV6eiBDQTAgFw0yNjEyMDIwNjA4NDhaGA8yMTI2MTEwODA2\n"
	"MDg0OFowEjEQMA4GA1UEAwwHZnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABIaQR9fTWv+9OG7pjzMDUa2KMz3QY5VpiUdExGHGXPRiG6pIhF//9fruegeE\n"
	"URaIbspUA3u2LePZetNFHP/31hyjUzBRMB0GA1UdDgQWBBTMS9ZqsJxs3IMCZ9S5\n"
	"ziZGTWRpSDAfBgNVHSMEGDAWgBTMS9ZqsJxs3IMCZ9S5ziZGTWRpSDAPBgNVHRMB\n"
	"Af8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIDZoBL0sJaDrCiR5lyjn7FB+vePw\n"
	"PLKsA+cDjirkyF81AiBjhqcxIDPUo0eGNpzogKT4KK/DaiXwkWENGktLhOufrw==\n"
	"-----END CERTIFICATE-----\n";
/* a good signature of BODY, to put the identity in the fast cache */
static const char warm[] =
	"MIIEnwYJKoZIhvcNAQcCoIIEkDCCBIwCAQExDTALBglghkgBZQMEAgEwCwYJKoZIhvcNAQcBoIICPjCCAjowggHhoAMCAQIC"
	"AQcwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHZnV6eiBDQTAgFw0yNjEyMDIwNjA4NDhaGA8yMTI2MTEwODA2MDg0OFowFjEU"
	"MBIGA1UEAwwLZnV6eiBkZXZpY2UwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCkLXSkxN4PxcM2p/1s6ylS3d6v"
	"6FS48Cfz4QY+HHlcbubjRI7Z8HVO9CQTN80m5qJVpBC6nTwGjRl/edSbuVJtJF+XSXMU1CcU9VCoIjTwiAVcZKSR6mLUsRDx"
	"578p/ffWNOauKzk4duYQM9uogcBYnRzY/oz5X3YRL+tStpPjqaa/kf72zxr1A9q6BPUwLXh/RMG+P8PU99BtBztYNIXXBZCm"
	"JlxZIVRCMGy32lXTWbfq0OVflvXtNGa9QwGqaigIdfHF9WkwE5prpbOU8T7kfFC1hyuxDhKRixUossmPyShZ6jGLM+NWIjVx"
	"Kq+PUBNt2A3pbMXHnEcbPHjiaJInAgMBAAGjVzBVMBMGA1UdJQQMMAoGCCsGAQUFBwMCMB0GA1UdDgQWBBQsC+9vUsHvTk1h"
	"60y7CA8M3nXrJDAfBgNVHSMEGDAWgBTMS9ZqsJxs3IMCZ9S5ziZGTWRpSDAKBggqhkjOPQQDAgNHADBEAiBnUWtIpoY4QGJg"
	"eXOIDWolC5+DvAJjo02F8QHqrE/IfgIgTTnAgXDxQ5er1ILqxgvqY6n9s7siVuQgpHL9m0/BGnIxggInMIICIwIBATAXMBIx"
	"EDAOBgNVBAMMB2Z1enogQ0ECAQcwCwYJYIZIAWUDBAIBoIHkMBgGCSqGSIb3DQEJAzELBgkqhkiG9w0BBwEwHAYJKoZIhvcN"
	"AQkFMQ8XDTI2MTIwMjA2MDg1MlowLwYJKoZIhvcNAQkEMSIEIFMSRPQWjdG5LWPMkf07frNm1XY+Yl9qElkowHzj3QBZMHkG"
	"CSqGSIb3DQEJDzFsMGowCwYJYIZIAWUDBAEqMAsGCWCGSAFlAwQBFjALBglghkgBZQMEAQIwCgYIKoZIhvcNAwcwDgYIKoZI"
	"hvcNAwICAgCAMA0GCCqGSIb3DQMCAgFAMAcGBSsOAwIHMA0GCCqGSIb3DQMCAgEoMA0GCSqGSIb3DQEBAQUABIIBABc+ddGs"
	"x/9xKp+3z69Rm/H18SCqO+av47jcxACwt1wJhww2Yyer2Y6TOVvZXYwoU1YHFJ2KVQCv/m55Eoup4pcCSM9jVQDFWdL0Vt/A"
	"tfprpkFuG6e95/mMR6QxmVCV+C9mJSyRcTfZJsV06QaLwXibl6XiGA2JtxLrG8A/jj07XP58KClcIFxpqsYmS3abVZQ9W/xw"
	"Iway1NKDMw1XNE3Rd4bAMtKBXmf7tGt2pcRcxdlgOm1r3ACKFvkg6iww80aK9b2BJnzJ41ZHazdGKm9wuBLedrKRusTU5FSD"
	"aLX+3zum7QryZKi5lKD0BE6916CAHNIM3PXu3nRnQq+nnQU=";
static const char BODY[] = "macext fuzz body\n";
static const time_t VTIME = 1796195328;  /* 2026-12-02T07:08:48Z */

static X509_STORE *store;
static mds_idcache fast, slow;

static void
setup(void)
{
	BIO *b = BIO_new_mem_buf(ca_pem, -1);
	X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	store = X509_STORE_new();
	if (ca == NULL || X509_STORE_add_cert(store, ca) != 1)
		abort();
	X509_free(ca);
	mds_idcache_init(&fast);
	mds_idcache_init(&slow);
	slow.no_fast = true;
	mds_identity id;
	mds_err err = { 0 };
	if (mds_verify_mdm_signature(&id, &fast, store, VTIME, warm, (const uint8_t *)BODY, strlen(BODY), &err) != 0) {
		fprintf(stderr, "fuzz: the warm-up signature does not verify: %s\n", err.msg);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (store == NULL)
		setup();
	char *b64 = mds_b64_encode(data, size);
	mds_identity a, b;
	mds_err ea = { 0 }, eb = { 0 };
	int rf = mds_verify_mdm_signature(&a, &fast, store, VTIME, b64, (const uint8_t *)BODY, strlen(BODY), &ea);
	int rs = mds_verify_mdm_signature(&b, &slow, store, VTIME, b64, (const uint8_t *)BODY, strlen(BODY), &eb);
	if (rf == 0 && a.fast && rs != 0) {
		fprintf(stderr, "fast path accepted a signature OpenSSL's CMS refuses: %s\n", eb.msg);
		abort();
	}
	if (rf == 0 && rs == 0 && memcmp(a.sha256, b.sha256, 32) != 0) {
		fprintf(stderr, "the two paths name different signers\n");
		abort();
	}
	free(b64);
	return 0;
}
