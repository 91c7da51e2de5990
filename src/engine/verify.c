/*
 * verify.c — code signatures of stored bundles, verified for a device: the
 * one place the engine chooses how expiry counts.  By default as macOS does
 * (Apple's Code Signing API: expiration of participating certificates is
 * not automatic grounds for rejection, kSecCSConsiderExpiration is off):
 * the expired certificates are collected (mx_expiry) and reported by the
 * front ends.  With mx_verify_opts.check_expiration (`--check-expiration`,
 * as `codesign --verify --check-expiration`) a bundle whose chain has an
 * expired certificate is refused, naming the certificate and the date
 * (docs/codesign.md "Expired certificates").  Verdicts are remembered per
 * (stored path, trust anchor, strictness): the path names the bytes.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"

void
eng_verify(mx_engine *e, mx_siginfo *si, const char *path, const char *anchor_hash,
    bool strict)
{
	char anchor[PATH_MAX], key[PATH_MAX + 80];
	const char *ap = NULL;
	if (anchor_hash[0] &&
	    mx_cas_path(mx_engine_store(e), anchor_hash, anchor, sizeof anchor, NULL) == 0)
		ap = anchor;
	mx_trust trust = { ap, mx_engine_now(e), strict };
	snprintf(key, sizeof key, "%s\n%s\n%d", path, anchor_hash, strict ? 1 : 0);
	if (eng_sig_find(e, key, si))
		return;
	mx_err err;
	mx_err_clear(&err);
	if (mx_codesign_verify_path(si, path, &trust, &err) != 0) {
		si->kind = MX_SIG_INVALID;
		snprintf(si->reason, sizeof si->reason, "%s%s%s", err.where, err.where[0] ? ": " : "",
		    err.msg);
	}
	eng_sig_remember(e, key, si);
}

void
eng_expiry_add(mx_expiry *x, const mx_siginfo *si, const char *bundle)
{
	for (int i = 0; i < si->nexpired && x->n < MX_EXPIRY_MAX; i++) {
		snprintf(x->e[x->n].bundle, sizeof x->e[x->n].bundle, "%s", bundle);
		x->e[x->n].cert = si->expired_certs[i];
		x->n++;
	}
}

int
eng_expiry_refuse(bool strict, bool invalid, int nexpired, const char *reason,
    const char *bundle, mx_err *err)
{
	if (!strict || !invalid || nexpired == 0)
		return 0;
	return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "%s: invalid signature: %s", bundle, reason);
}

void
mx_expiry_line(const mx_expiry *x, int i, char *buf, size_t len)
{
	if (i < 0 || i >= x->n) {
		snprintf(buf, len, "?");
		return;
	}
	char when[32];
	time_t t = (time_t)x->e[i].cert.not_after;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		snprintf(when, sizeof when, "%lld", (long long)x->e[i].cert.not_after);
	else
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "certificate \"%s\" of %s's signature expired on %s (before %s)",
	    x->e[i].cert.subject, x->e[i].bundle, when,
	    x->e[i].cert.at_signing_time ? "the signing time" : "now");
}

void
mx_engine_stored_signature(mx_engine *e, const char *stored_path, const char *anchor_hash,
    mx_siginfo *si)
{
	memset(si, 0, sizeof *si);
	eng_verify(e, si, stored_path, anchor_hash ? anchor_hash : "", false);
}
