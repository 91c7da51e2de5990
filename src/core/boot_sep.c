/*
 * boot_sep.c — the simulated Secure Enclave's LocalPolicy signing key and
 * the measurements it signs (kernel-extensions.md §4.2-§4.5).
 *
 * On a real Mac the SEP signs the LocalPolicy with the Owner Identity Key,
 * unlocked only by an owner's password in recoveryOS.  Here each device has
 * an Ed25519 key whose 32-byte private seed the engine generates at first
 * use and keeps in the store (never printed); Ed25519 is
 * deterministic, so signing needs no randomness and stays pure.
 * Hashes are SHA-384, the size of the LocalPolicy's auxp/auxi/auxr.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "macext/boot.h"

/* Ed25519 comes from libsodium: the same RFC 8032 signatures OpenSSL makes,
 * about 2.5 times faster here, which a fleet restarting thousands of Macs
 * feels (each change of a LocalPolicy is one signature).  sodium_init is
 * run once for the process (it is safe to call from any thread). */
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static bool sodium_ok;

static void
sodium_start(void)
{
	sodium_ok = sodium_init() >= 0;
}

static bool
sodium_ready(void)
{
	pthread_once(&sodium_once, sodium_start);
	return sodium_ok;
}

/* No key or verification result is kept here: the engine that owns the
 * device's seed keeps expanded key pairs and verified digests in its own
 * memory (src/engine/memo.c) and wipes them when it closes. */

int
mx_sep_keypair(mx_sep_key *out, const uint8_t seed[32], mx_err *err)
{
	if (!sodium_ready() || crypto_sign_ed25519_seed_keypair(out->pk, out->sk, seed) != 0) {
		mx_sep_key_wipe(out);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: cannot derive the key pair");
	}
	memcpy(out->seed, seed, 32);
	return 0;
}

void
mx_sep_key_wipe(mx_sep_key *k)
{
	if (k)
		sodium_memzero(k, sizeof *k);
}

int
mx_sep_public(const uint8_t seed[32], uint8_t pub[32], mx_err *err)
{
	mx_sep_key k;
	if (mx_sep_keypair(&k, seed, NULL) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: cannot derive the public key");
	memcpy(pub, k.pk, 32);
	mx_sep_key_wipe(&k);
	return 0;
}

int
mx_sep_sign_lp_key(const mx_sep_key *k, mx_localpolicy *lp, mx_err *err)
{
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "SEP: LocalPolicy does not fit");
	unsigned long long siglen = 0;
	if (!sodium_ready() || crypto_sign_ed25519_detached(lp->sig, &siglen, buf, n, k->sk) != 0
	    || siglen != MX_LP_SIG_LEN)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: signing the LocalPolicy failed");
	lp->has_sig = true;
	return 0;
}

int
mx_sep_sign_lp(const uint8_t seed[32], mx_localpolicy *lp, mx_err *err)
{
	mx_sep_key k;
	int rc = mx_sep_keypair(&k, seed, err);
	if (rc == 0)
		rc = mx_sep_sign_lp_key(&k, lp, err);
	mx_sep_key_wipe(&k);
	return rc;
}

int
mx_sep_lp_digest(const uint8_t pub[32], const mx_localpolicy *lp, uint8_t out[32], mx_err *err)
{
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "LocalPolicy does not fit");
	EVP_MD_CTX *hx = EVP_MD_CTX_new();
	unsigned dl;
	EVP_DigestInit_ex(hx, EVP_sha256(), NULL);
	EVP_DigestUpdate(hx, pub, 32);
	EVP_DigestUpdate(hx, lp->sig, MX_LP_SIG_LEN);
	EVP_DigestUpdate(hx, buf, n);
	EVP_DigestFinal_ex(hx, out, &dl);
	EVP_MD_CTX_free(hx);
	return 0;
}

int
mx_sep_verify_lp(const uint8_t pub[32], const mx_localpolicy *lp, mx_err *err)
{
	if (!lp->has_sig)
		return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "LocalPolicy is not signed");
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "LocalPolicy does not fit");
	bool ok = sodium_ready() && crypto_sign_ed25519_verify_detached(lp->sig, buf, n, pub) == 0;
	return ok ? 0 : MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET,
	    "LocalPolicy signature does not verify with this Mac's Secure Enclave key");
}

void
mx_boot_sha384(const uint8_t *data, size_t len, uint8_t out[MX_LP_HASH_LEN])
{
	SHA384(data ? data : (const uint8_t *)"", len, out);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
mx_boot_uakl_hash(const char *const *entries, size_t n, uint8_t out[MX_LP_HASH_LEN])
{
	const char **v = mx_xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = entries[i];
	qsort(v, n, sizeof *v, cmp_str);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha384(), NULL);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;       /* duplicates count once */
		EVP_DigestUpdate(ctx, v[i], strlen(v[i]));
		EVP_DigestUpdate(ctx, "\n", 1);
	}
	unsigned int ol = MX_LP_HASH_LEN;
	EVP_DigestFinal_ex(ctx, out, &ol);
	EVP_MD_CTX_free(ctx);
	free(v);
}
