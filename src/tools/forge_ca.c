/*
 * forge_ca.c — the test certificate authority behind `macext forge`:
 * a self-signed "macext Test Root CA", a Developer ID–like intermediate
 * ("Developer ID Certification Authority", OU "macext Test G1", carrying
 * Apple's Developer ID CA marker 1.2.840.113635.100.6.2.6), and leaf
 * certificates issued on demand per Team ID, shaped like Apple's
 * (formats-and-peers.md §1.12):
 *   UID=TEAMID, CN=Developer ID Application: NAME (TEAMID), OU=TEAMID, O=NAME, C=US
 *   EKU codeSigning (critical), keyUsage digitalSignature (critical),
 *   1.2.840.113635.100.6.1.13 (critical, NULL), and for kexts
 *   1.2.840.113635.100.6.1.18 (critical, NULL).
 * Keys are RSA-2048, certificates SHA-256 with default validity windows
 * (root 2020-2045, intermediate and leaves 2020-2040; "expired" leaves
 * 2020-01-01..2021-01-01), or windows the caller names (certificates valid
 * in the past, not yet valid, or under an intermediate of their own, kept
 * in DIR/intermediates/), and serials derived from the subject and window,
 * so only the keys differ between two CAs.  An Apple-like "Software
 * Signing" leaf (…6.22) under an "Apple Code Signing Certification
 * Authority" stand-in imitates Apple's own binaries.  Everything uses
 * OpenSSL in-process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "macext/cs_blobs.h"
#include "forge_int.h"

#define MAX_LEAVES 32

struct forge_ca {
	char dir[4096];
	EVP_PKEY *root_key, *ca_key;
	X509 *root, *ca;
	struct {
		char file[128];
		EVP_PKEY *key;
		X509 *cert;
	} leaf[MAX_LEAVES];
	int nleaves;
};

static int
ossl_err(mx_err *err, const char *what)
{
	char buf[256] = "";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

const char *
forge_ca_dir(const forge_ca *ca)
{
	return ca->dir;
}

void
forge_cert_cn(X509 *x, char *out, size_t len)
{
	out[0] = '\0';
	if (x && X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out,
	    (int)len) < 0)
		out[0] = '\0';
}

void
forge_ca_root_sha256(const forge_ca *ca, char out[65])
{
	uint8_t md[32];
	unsigned int n = 0;
	X509_digest(ca->root, EVP_sha256(), md, &n);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- writing files atomically ---- */

static int
write_pem(const char *path, X509 *cert, EVP_PKEY *key, mx_err *err)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, key ? 0600 : 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
	}
	int ok = (!cert || PEM_write_X509(f, cert)) &&
	    (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return ok ? MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno)) :
		    ossl_err(err, path);
	}
	return 0;
}

static int
read_pem(const char *path, X509 **cert, EVP_PKEY **key, mx_err *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? MX_ENOTFOUND :
		    MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	int rc = 0;
	if (cert && (*cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		rc = ossl_err(err, path);
	if (rc == 0 && key && (*key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		rc = ossl_err(err, path);
	fclose(f);
	if (rc) {
		if (cert) {
			X509_free(*cert);
			*cert = NULL;
		}
		rc = mx_fail(err, MX_EFORMAT, MX_NO_OFFSET, __FILE__, __LINE__, "%s: not a forge CA"
		    " file (certificate%s in PEM)", path, key ? " then private key" : "");
	}
	return rc;
}

/* ---- certificates ---- */

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* Apple's marker extensions: an OID whose value is DER NULL. */
static int
add_marker(X509 *x, const char *oid, int critical)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	int ok = o && v && ASN1_OCTET_STRING_set(v, null_der, 2);
	X509_EXTENSION *e = ok ? X509_EXTENSION_create_by_OBJ(NULL, o, critical, v) : NULL;
	ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
	return ok;
}

static EVP_PKEY *
new_key(void)
{
	return EVP_RSA_gen(2048);
}

struct name_part { const char *field, *value; };

static X509 *
new_cert(EVP_PKEY *key, const struct name_part *subj, int nsubj, X509 *issuer,
    EVP_PKEY *issuer_key, const char *not_before, const char *not_after)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	int ok = x && name && X509_set_version(x, 2);
	char serial_src[1024] = "";
	for (int i = 0; ok && i < nsubj; i++) {
		ok = X509_NAME_add_entry_by_txt(name, subj[i].field, MBSTRING_UTF8,
		    (const unsigned char *)subj[i].value, -1, -1, 0);
		strncat(serial_src, subj[i].value, sizeof serial_src - strlen(serial_src) - 1);
		strncat(serial_src, not_after, sizeof serial_src - strlen(serial_src) - 1);
	}
	/* serial: 8 bytes of SHA-256(subject values, notAfter), top bit clear */
	uint8_t md[32];
	unsigned int mdn;
	EVP_Digest(serial_src, strlen(serial_src), md, &mdn, EVP_sha256(), NULL);
	md[0] &= 0x7f;
	md[0] |= 0x01;
	bn = BN_bin2bn(md, 8, NULL);
	ok = ok && bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	    X509_set_subject_name(x, name) &&
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
	    ASN1_TIME_set_string_X509(X509_getm_notBefore(x), not_before) &&
	    ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after) &&
	    X509_set_pubkey(x, key) &&
	    add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
	    add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	(void)issuer_key;
	return x;
}

static int
sign_cert(X509 *x, EVP_PKEY *issuer_key)
{
	return X509_sign(x, issuer_key, EVP_sha256()) > 0;
}

static int
create_ca(forge_ca *ca, mx_err *err)
{
	static const struct name_part root_name[] = {
		{ "CN", "macext Test Root CA" }, { "OU", "macext Test Certification Authority" },
		{ "O", "macext Test" }, { "C", "US" } };
	static const struct name_part ca_name[] = {
		{ "CN", "Developer ID Certification Authority" }, { "OU", "macext Test G1" },
		{ "O", "macext Test" }, { "C", "US" } };
	ca->root_key = new_key();
	ca->ca_key = new_key();
	if (!ca->root_key || !ca->ca_key)
		return ossl_err(err, "generating CA keys");
	ca->root = new_cert(ca->root_key, root_name, 4, NULL, NULL, "20200101000000Z",
	    "20450101000000Z");
	if (!ca->root || !add_ext(ca->root, NULL, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(ca->root, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !sign_cert(ca->root, ca->root_key))
		return ossl_err(err, "making the test root");
	ca->ca = new_cert(ca->ca_key, ca_name, 4, ca->root, ca->root_key, "20200101000000Z",
	    "20400101000000Z");
	if (!ca->ca || !add_ext(ca->ca, ca->root, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(ca->ca, ca->root, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_marker(ca->ca, MX_OID_CA_DEVID, 1) || !sign_cert(ca->ca, ca->root_key))
		return ossl_err(err, "making the Developer ID-like CA");
	char p[4200];
	int rc;
	snprintf(p, sizeof p, "%s/root.key", ca->dir);
	if ((rc = write_pem(p, NULL, ca->root_key, err)))
		return rc;
	snprintf(p, sizeof p, "%s/devid-ca.pem", ca->dir);
	if ((rc = write_pem(p, ca->ca, NULL, err)))
		return rc;
	snprintf(p, sizeof p, "%s/devid-ca.key", ca->dir);
	if ((rc = write_pem(p, NULL, ca->ca_key, err)))
		return rc;
	/* root.pem last: its presence means the CA is complete */
	snprintf(p, sizeof p, "%s/root.pem", ca->dir);
	return write_pem(p, ca->root, NULL, err);
}

static int
load_ca(forge_ca *ca, mx_err *err)
{
	char p[4200];
	int rc;
	snprintf(p, sizeof p, "%s/root.pem", ca->dir);
	if ((rc = read_pem(p, &ca->root, NULL, err)))
		return rc;
	snprintf(p, sizeof p, "%s/devid-ca.pem", ca->dir);
	if ((rc = read_pem(p, &ca->ca, NULL, err)))
		return rc == MX_ENOTFOUND ? MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET,
		    "%s: missing (incomplete forge CA)", p) : rc;
	snprintf(p, sizeof p, "%s/devid-ca.key", ca->dir);
	FILE *f = fopen(p, "r");
	if (f == NULL)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	ca->ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (ca->ca_key == NULL)
		return ossl_err(err, p);
	if (X509_check_private_key(ca->ca, ca->ca_key) != 1)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: does not match devid-ca.pem", p);
	return 0;
}

int
forge_mkdirs(const char *path, mx_err *err)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static int
lock_dir(const char *dir, mx_err *err)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/.lock", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(e));
		return -1;
	}
	return fd;
}

int
forge_ca_open(forge_ca **out, const char *dir, mx_err *err)
{
	*out = NULL;
	forge_ca *ca = mx_xcalloc(1, sizeof *ca);
	snprintf(ca->dir, sizeof ca->dir, "%s", dir);
	int rc = load_ca(ca, err);
	if (rc == MX_ENOTFOUND) {
		int fd;
		rc = forge_mkdirs(dir, err);
		if (rc == 0 && (fd = lock_dir(dir, err)) < 0)
			rc = MX_EIO;
		if (rc == 0) {
			/* another forge may have made it while we waited */
			X509_free(ca->root);
			ca->root = NULL;
			rc = load_ca(ca, err);
			if (rc == MX_ENOTFOUND)
				rc = create_ca(ca, err);
			close(fd);
		}
	}
	if (rc) {
		mx_err_where(err, "forge CA %s", dir);
		forge_ca_free(ca);
		return rc;
	}
	*out = ca;
	return 0;
}

void
forge_ca_free(forge_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->ca_key);
	X509_free(ca->root);
	X509_free(ca->ca);
	for (int i = 0; i < ca->nleaves; i++) {
		EVP_PKEY_free(ca->leaf[i].key);
		X509_free(ca->leaf[i].cert);
	}
	free(ca);
}

static bool
team_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		    (t[i] >= 'a' && t[i] <= 'z')))
			return false;
	return true;
}

/* The cached certificate (and key) named file, from memory or
 * DIR/sub/file, else issued by issue(arg) under the CA lock and stored. */
typedef int (*issue_fn)(forge_ca *ca, const void *arg, X509 **cert, EVP_PKEY **key,
    mx_err *err);

static int
cached(forge_ca *ca, const char *sub, const char *file, issue_fn issue, const void *arg,
    X509 **cert_out, EVP_PKEY **key_out, mx_err *err)
{
	char key[128];
	snprintf(key, sizeof key, "%s/%s", sub, file);
	int i;
	for (i = 0; i < ca->nleaves; i++)
		if (strcmp(ca->leaf[i].file, key) == 0)
			break;
	if (i == ca->nleaves) {
		if (ca->nleaves == MAX_LEAVES)
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "more than %d certificates in one run",
			    MAX_LEAVES);
		char dir[4200], path[4400];
		snprintf(dir, sizeof dir, "%s/%s", ca->dir, sub);
		snprintf(path, sizeof path, "%s/%s", dir, file);
		X509 *cert = NULL;
		EVP_PKEY *k = NULL;
		int rc = read_pem(path, &cert, &k, err);
		if (rc == MX_ENOTFOUND) {
			int fd;
			if ((rc = forge_mkdirs(dir, err)) || (fd = lock_dir(ca->dir, err)) < 0)
				return rc ? rc : MX_EIO;
			rc = read_pem(path, &cert, &k, err);
			if (rc == MX_ENOTFOUND && (rc = issue(ca, arg, &cert, &k, err)) == 0)
				rc = write_pem(path, cert, k, err);
			close(fd);
		}
		if (rc) {
			X509_free(cert);
			EVP_PKEY_free(k);
			return rc;
		}
		snprintf(ca->leaf[i].file, sizeof ca->leaf[i].file, "%s", key);
		ca->leaf[i].cert = cert;
		ca->leaf[i].key = k;
		ca->nleaves++;
	}
	*cert_out = ca->leaf[i].cert;
	*key_out = ca->leaf[i].key;
	return 0;
}

struct inter_arg { bool apple; const char *nb, *na; };

/* An intermediate signed by the root: Developer ID-like (…6.2.6) or the
 * Apple Code Signing CA stand-in. */
static int
issue_intermediate(forge_ca *ca, const void *arg, X509 **cert, EVP_PKEY **key, mx_err *err)
{
	const struct inter_arg *a = arg;
	static const struct name_part devid[] = {
		{ "CN", "Developer ID Certification Authority" }, { "OU", "macext Test G1" },
		{ "O", "macext Test" }, { "C", "US" } };
	static const struct name_part apple[] = {
		{ "CN", "Apple Code Signing Certification Authority" },
		{ "OU", "macext Test Certification Authority" }, { "O", "macext Test" }, { "C", "US" } };
	if (ca->root_key == NULL) {
		char p[4200];
		snprintf(p, sizeof p, "%s/root.key", ca->dir);
		FILE *f = fopen(p, "r");
		if (f == NULL)
			return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s (needed to issue an"
			    " intermediate)", p, strerror(errno));
		ca->root_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (ca->root_key == NULL)
			return ossl_err(err, p);
	}
	*key = new_key();
	*cert = *key ? new_cert(*key, a->apple ? apple : devid, 4, ca->root, ca->root_key, a->nb,
	    a->na) : NULL;
	if (!*cert || !add_ext(*cert, ca->root, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(*cert, ca->root, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    (!a->apple && !add_marker(*cert, MX_OID_CA_DEVID, 1)) || !sign_cert(*cert, ca->root_key))
		return ossl_err(err, "issuing an intermediate certificate");
	return 0;
}

struct leaf_arg {
	const char *team, *team_name;
	const forge_leaf_opts *o;
	X509 *issuer;
	EVP_PKEY *issuer_key;
};

static int
issue_leaf(forge_ca *ca, const void *arg, X509 **cert, EVP_PKEY **key, mx_err *err)
{
	(void)ca;
	const struct leaf_arg *a = arg;
	const forge_leaf_opts *o = a->o;
	bool apple = o->flags & FORGE_LEAF_APPLE;
	char cn[512];
	const char *team = a->team ? a->team : "";
	snprintf(cn, sizeof cn, "Developer ID Application: %s (%s)", a->team_name, team);
	const struct name_part devid[] = { { "UID", team }, { "CN", cn }, { "OU", team },
		{ "O", a->team_name }, { "C", "US" } };
	/* Apple's "Software Signing" leaf names no team */
	static const struct name_part sw[] = { { "CN", "Software Signing" },
		{ "OU", "Apple Software" }, { "O", "macext Test" }, { "C", "US" } };
	const char *nb = o->not_before ? o->not_before : FORGE_LEAF_NB;
	const char *na = o->not_after ? o->not_after :
	    (o->flags & FORGE_LEAF_EXPIRED) ? "20210101000000Z" : FORGE_LEAF_NA;
	*key = new_key();
	*cert = *key ? new_cert(*key, apple ? sw : devid, apple ? 4 : 5, a->issuer, a->issuer_key,
	    nb, na) : NULL;
	if (!*cert || !add_ext(*cert, a->issuer, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(*cert, a->issuer, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(*cert, a->issuer, NID_ext_key_usage, "critical,codeSigning") ||
	    (apple && !add_marker(*cert, MX_OID_APPLE_SOFTWARE_SIGNING, 0)) ||
	    (!apple && !add_marker(*cert, MX_OID_DEVID_APPLICATION, 1)) ||
	    (!apple && (o->flags & FORGE_LEAF_KEXT) && !add_marker(*cert, MX_OID_DEVID_KEXT, 1)) ||
	    !sign_cert(*cert, a->issuer_key))
		return ossl_err(err, "issuing a leaf certificate");
	return 0;
}

int
forge_ca_leaf_opts(forge_ca *ca, const char *team, const char *team_name,
    const forge_leaf_opts *o, mx_cs_identity *out, mx_err *err)
{
	bool apple = o->flags & FORGE_LEAF_APPLE;
	if (!apple && !team_ok(team))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--team %s: expected 1-20 letters or"
		    " digits (Apple Team IDs are 10)", team);
	/* the issuer: the CA's own intermediate, or one with its own window */
	X509 *issuer = ca->ca;
	EVP_PKEY *issuer_key = ca->ca_key;
	char ifile[128] = "";
	int rc;
	if (apple || o->ca_not_before || o->ca_not_after) {
		struct inter_arg ia = { apple, o->ca_not_before ? o->ca_not_before :
		    apple ? FORGE_APPLE_CA_NB : "20200101000000Z", o->ca_not_after ? o->ca_not_after :
		    apple ? FORGE_APPLE_CA_NA : "20400101000000Z" };
		snprintf(ifile, sizeof ifile, "%s-%s-%s.pem", apple ? "apple-codesign-ca" : "devid-ca",
		    ia.nb, ia.na);
		if ((rc = cached(ca, "intermediates", ifile, issue_intermediate, &ia, &issuer,
		    &issuer_key, err)))
			return rc;
	}
	/* the leaf's file names what makes it differ: team, name, kind, windows, issuer */
	char src[1024];
	snprintf(src, sizeof src, "%s|%s|%s|%s|%s", team_name, o->not_before ? o->not_before : "",
	    o->not_after ? o->not_after : "", ifile, apple ? "apple" : "");
	uint8_t md[32];
	unsigned int mdn;
	EVP_Digest(src, strlen(src), md, &mdn, EVP_sha256(), NULL);
	char file[128];
	snprintf(file, sizeof file, "%s%s%s-%02x%02x%02x%02x.pem", apple ? "apple" : team,
	    !apple && (o->flags & FORGE_LEAF_KEXT) ? "-kext" : "",
	    (o->flags & FORGE_LEAF_EXPIRED) ? "-expired" : "", md[0], md[1], md[2], md[3]);
	struct leaf_arg la = { team, team_name, o, issuer, issuer_key };
	X509 *cert;
	EVP_PKEY *key;
	if ((rc = cached(ca, "leaves", file, issue_leaf, &la, &cert, &key, err)))
		return rc;
	memset(out, 0, sizeof *out);
	out->key = key;
	out->leaf = cert;
	out->chain[0] = issuer;
	out->chain[1] = ca->root;
	return 0;
}

int
forge_ca_leaf(forge_ca *ca, const char *team, const char *team_name, unsigned flags,
    mx_cs_identity *out, mx_err *err)
{
	forge_leaf_opts o = { .flags = flags };
	return forge_ca_leaf_opts(ca, team, team_name, &o, out, err);
}
