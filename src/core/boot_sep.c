/*
 * boot_sep.c — the simulated Secure Enclave's LocalPolicy signing key and
 * the measurements it signs (kernel-extensions.md §4.2-§4.5).
 *
 * On a real Mac the SEP signs the LocalPolicy with the Owner Identity Key,
 * unlocked only by an owner's password in recoveryOS.  Here each device has
 * an Ed25519 key whose 32-byte private seed the tools layer generates at
 * first use and keeps in the store (never printed); Ed25519 is
 * deterministic, so signing needs no randomness and stays pure.
 * Hashes are SHA-384, the size of the LocalPolicy's auxp/auxi/auxr.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "macext/boot.h"

/* The last few keys made from seeds, kept for the process: a restart
 * re-signs one Mac's LocalPolicy several times, and OpenSSL's key import
 * costs more than the signature.  The caller does not free the key. */
#define KEY_MEMO 4
static struct { uint8_t seed[32]; EVP_PKEY *k; } key_memo[KEY_MEMO];
static unsigned key_next;

static EVP_PKEY *
key_from_seed(const uint8_t seed[32])
{
	for (int i = 0; i < KEY_MEMO; i++)
		if (key_memo[i].k && CRYPTO_memcmp(key_memo[i].seed, seed, 32) == 0)
			return key_memo[i].k;
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (k == NULL)
		return NULL;
	unsigned i = key_next++ % KEY_MEMO;
	EVP_PKEY_free(key_memo[i].k);
	memcpy(key_memo[i].seed, seed, 32);
	key_memo[i].k = k;
	return k;
}

/* Fleet runs load and check the same LocalPolicy several times per restart
 * on thousands of Macs: the last few (seed -> public key) derivations and
 * successful (key, LocalPolicy, signature) verifications are remembered
 * for the process.  Results are unchanged: only repeated work is skipped. */
#define SEP_MEMO 8
static struct { uint8_t seed[32], pub[32]; bool valid; } pub_memo[SEP_MEMO];
static unsigned pub_next;
static struct { uint8_t digest[32]; bool valid; } ok_memo[SEP_MEMO];
static unsigned ok_next;

static void
lp_digest(uint8_t out[32], const uint8_t pub[32], const uint8_t *sig, const uint8_t *buf,
    size_t n)
{
	EVP_MD_CTX *hx = EVP_MD_CTX_new();
	unsigned dl;
	EVP_DigestInit_ex(hx, EVP_sha256(), NULL);
	EVP_DigestUpdate(hx, pub, 32);
	EVP_DigestUpdate(hx, sig, MX_LP_SIG_LEN);
	EVP_DigestUpdate(hx, buf, n);
	EVP_DigestFinal_ex(hx, out, &dl);
	EVP_MD_CTX_free(hx);
}

static void
remember_ok(const uint8_t dg[32])
{
	unsigned i = ok_next++ % SEP_MEMO;
	memcpy(ok_memo[i].digest, dg, 32);
	ok_memo[i].valid = true;
}

int
mx_sep_public(const uint8_t seed[32], uint8_t pub[32], mx_err *err)
{
	for (int i = 0; i < SEP_MEMO; i++)
		if (pub_memo[i].valid && memcmp(pub_memo[i].seed, seed, 32) == 0) {
			memcpy(pub, pub_memo[i].pub, 32);
			return 0;
		}
	EVP_PKEY *k = key_from_seed(seed);
	size_t n = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;
	if (ok) {
		unsigned i = pub_next++ % SEP_MEMO;
		memcpy(pub_memo[i].seed, seed, 32);
		memcpy(pub_memo[i].pub, pub, 32);
		pub_memo[i].valid = true;
	}
	return ok ? 0 : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: cannot derive the public key");
}

int
mx_sep_sign_lp(const uint8_t seed[32], mx_localpolicy *lp, mx_err *err)
{
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "SEP: LocalPolicy does not fit");
	EVP_PKEY *k = key_from_seed(seed);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = MX_LP_SIG_LEN;
	int ok = k && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1
	    && EVP_DigestSign(ctx, lp->sig, &siglen, buf, n) == 1 && siglen == MX_LP_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: signing the LocalPolicy failed");
	lp->has_sig = true;
	/* Ed25519 signatures we just made verify: remember this one */
	uint8_t pub[32], dg[32];
	if (mx_sep_public(seed, pub, NULL) == 0) {
		lp_digest(dg, pub, lp->sig, buf, n);
		remember_ok(dg);
	}
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
	uint8_t dg[32];
	lp_digest(dg, pub, lp->sig, buf, n);
	for (int i = 0; i < SEP_MEMO; i++)
		if (ok_memo[i].valid && memcmp(ok_memo[i].digest, dg, 32) == 0)
			return 0;
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1
	    && EVP_DigestVerify(ctx, lp->sig, MX_LP_SIG_LEN, buf, n) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	if (ok)
		remember_ok(dg);
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
