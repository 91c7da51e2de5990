/*
 * auth.c — local users and password checks, as the dialogs of macOS ask
 * for them: "USER:PASSWORD", an administrator where macOS wants one.
 * Passwords are kept as PBKDF2-HMAC-SHA256 (OpenSSL) with a 16-byte salt.
 * A verified (hash, password) pair may be remembered in a memo the caller
 * owns (one per engine: a fleet run checks the same credentials on
 * thousands of devices); nothing is kept in static memory.
 * A user name is an account ("short") name as macOS's Users & Groups take
 * it: ASCII letters, digits, '_', '-' and '.', not starting with '-' or
 * '.' (Apple's server admin guide: "Use only the characters a through z,
 * A through Z, 0 through 9, . (period), _ (underscore), or - (hyphen)").
 * So no control character, space, ':' or byte that is not UTF-8 can ever
 * reach a log line or a JSON document (issue 14 §4, §9).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "macext/core.h"
#include "macext/rd.h"
#include "macext/text.h"

#define PBKDF2_ITER 20000

static int
fromhex(uint8_t *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9') v |= c - '0';
			else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
			else return -1;
		}
		out[i] = (uint8_t)v;
	}
	return s[2 * n] == '\0' || s[2 * n] == '$' ? 0 : -1;
}

static int
derive(uint8_t out[32], const char *password, const uint8_t *salt, int iter)
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, 16, iter, EVP_sha256(),
	    32, out) == 1 ? 0 : -1;
}

int
mx_pw_hash(char out[MX_PWHASH_LEN], const char *password, const uint8_t salt[16])
{
	uint8_t dk[32];
	char sh[33], hh[65];
	if (derive(dk, password, salt, PBKDF2_ITER) != 0)
		return -1;
	mx_hex_encode(sh, salt, 16);
	mx_hex_encode(hh, dk, 32);
	snprintf(out, MX_PWHASH_LEN, "pbkdf2-sha256$%d$%s$%s", PBKDF2_ITER, sh, hh);
	return 0;
}

bool
mx_pw_verify_memo(const char *hash, const char *password, mx_pw_memo *memo)
{
	uint8_t pwd[32];
	SHA256((const uint8_t *)password, strlen(password), pwd);
	if (memo && memo->valid && strcmp(memo->hash, hash) == 0 &&
	    CRYPTO_memcmp(memo->pw, pwd, 32) == 0) {
		OPENSSL_cleanse(pwd, sizeof pwd);
		return true;
	}
	int iter;
	char salthex[33], dkhex[65];
	bool ok = false;
	uint8_t salt[16], want[32], got[32];
	if (sscanf(hash, "pbkdf2-sha256$%d$%32[0-9a-f]$%64[0-9a-f]", &iter, salthex, dkhex) == 3
	    && iter >= 1000 && iter <= 10000000 && fromhex(salt, salthex, 16) == 0 &&
	    fromhex(want, dkhex, 32) == 0 && derive(got, password, salt, iter) == 0 &&
	    CRYPTO_memcmp(got, want, 32) == 0)
		ok = true;
	if (ok && memo) {
		snprintf(memo->hash, sizeof memo->hash, "%s", hash);
		memcpy(memo->pw, pwd, 32);
		memo->valid = true;
	}
	OPENSSL_cleanse(pwd, sizeof pwd);
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}

bool
mx_pw_verify(const char *hash, const char *password)
{
	return mx_pw_verify_memo(hash, password, NULL);
}

void
mx_pw_memo_wipe(mx_pw_memo *memo)
{
	if (memo)
		OPENSSL_cleanse(memo, sizeof *memo);
}

bool
mx_user_name_valid(const char *name)
{
	if (name == NULL || *name == '\0' || *name == '-' || *name == '.')
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-' || *p == '.'))
			return false;
	return n < sizeof ((mx_user *)0)->name;
}

int
mx_device_add_user(mx_device *d, const char *name, const char *password, bool admin,
    const uint8_t salt[16], mx_err *err)
{
	if (!mx_user_name_valid(name)) {
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad user name '%.200s': an account name "
		    "is 1 to %zu letters, digits, '_', '-' and '.', not starting with '-' or '.'",
		    name ? name : "", sizeof d->users[0].name - 1);
	}
	for (int i = 0; i < d->nusers; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "user '%s' already exists", name);
	if (d->nusers == MX_MAX_USERS)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "at most %d users per device",
		    MX_MAX_USERS);
	mx_user *u = &d->users[d->nusers];
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "%s", name);
	u->admin = admin;
	if (mx_pw_hash(u->pwhash, password, salt) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "password hashing failed");
	d->nusers++;
	return 0;
}

int
mx_auth_check(const mx_device *d, const char *cred, bool need_admin, const mx_user **out,
    mx_err *err)
{
	return mx_auth_check_memo(d, cred, need_admin, NULL, out, err);
}

int
mx_auth_check_memo(const mx_device *d, const char *cred, bool need_admin, mx_pw_memo *memo,
    const mx_user **out, mx_err *err)
{
	if (out)
		*out = NULL;
	if (cred == NULL)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "authentication required: an administrator's name and password (--as USER:PASSWORD)");
	const char *colon = strchr(cred, ':');
	if (colon == NULL || colon == cred)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--as takes USER:PASSWORD");
	size_t nlen = (size_t)(colon - cred);
	for (int i = 0; i < d->nusers; i++) {
		const mx_user *u = &d->users[i];
		if (strlen(u->name) != nlen || strncmp(u->name, cred, nlen) != 0)
			continue;
		if (!mx_pw_verify_memo(u->pwhash, colon + 1, memo))
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "authentication failed: wrong password for user '%s'", u->name);
		if (need_admin && !u->admin)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "user '%s' is not an administrator; an administrator's name and password are required",
			    u->name);
		if (out)
			*out = u;
		return 0;
	}
	/* what was typed may hold anything: text output escapes it */
	int shown = nlen < 200 ? (int)nlen : 200;
	return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "authentication failed: no user '%.*s' on %s",
	    shown, cred, d->name);
}
