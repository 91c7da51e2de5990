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
#include <sodium.h>

#include "macext/boot.h"

/* Ed25519 comes from libsodium: the same RFC 8032 signatures OpenSSL makes,
 * about 2.5 times faster here, which a fleet restarting thousands of Macs
 * feels (each change of a LocalPolicy is one signature). */
static bool
sodium_ready(void)
{
	static int ok = -1;
	if (ok < 0)
		ok = sodium_init() >= 0;
	return ok;
}

/* The last few key pairs expanded from seeds, kept for the process: a
 * restart re-signs one Mac's LocalPolicy several times, and expanding a
 * seed costs as much as a signature. */
#define KEY_MEMO 4
static struct { uint8_t seed[32], pk[32], sk[64]; bool valid; } key_memo[KEY_MEMO];
static unsigned key_next;

static const uint8_t *
keypair(const uint8_t seed[32], const uint8_t **pk)
{
	for (int i = 0; i < KEY_MEMO; i++)
		if (key_memo[i].valid && CRYPTO_memcmp(key_memo[i].seed, seed, 32) == 0) {
			*pk = key_memo[i].pk;
			return key_memo[i].sk;
		}
	if (!sodium_ready())
		return NULL;
	unsigned i = key_next++ % KEY_MEMO;
	if (crypto_sign_ed25519_seed_keypair(key_memo[i].pk, key_memo[i].sk, seed) != 0) {
		key_memo[i].valid = false;
		return NULL;
	}
	memcpy(key_memo[i].seed, seed, 32);
	key_memo[i].valid = true;
	*pk = key_memo[i].pk;
	return key_memo[i].sk;
}

/* Successful (key, LocalPolicy, signature) verifications are remembered for
 * the process: fleet runs load and check the same LocalPolicy several times
 * per restart.  Results are unchanged: only repeated work is skipped. */
#define SEP_MEMO 8
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
	const uint8_t *pk;
	if (keypair(seed, &pk) == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: cannot derive the public key");
	memcpy(pub, pk, 32);
	return 0;
}

int
mx_sep_sign_lp(const uint8_t seed[32], mx_localpolicy *lp, mx_err *err)
{
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "SEP: LocalPolicy does not fit");
	const uint8_t *pk, *sk = keypair(seed, &pk);
	unsigned long long siglen = 0;
	if (sk == NULL || crypto_sign_ed25519_detached(lp->sig, &siglen, buf, n, sk) != 0 ||
	    siglen != MX_LP_SIG_LEN)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "SEP: signing the LocalPolicy failed");
	lp->has_sig = true;
	/* Ed25519 signatures we just made verify: remember this one */
	uint8_t dg[32];
	lp_digest(dg, pk, lp->sig, buf, n);
	remember_ok(dg);
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
	bool ok = sodium_ready() && crypto_sign_ed25519_verify_detached(lp->sig, buf, n, pub) == 0;
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
