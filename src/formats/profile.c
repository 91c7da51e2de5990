/*
 * profile.c — reading a configuration profile (.mobileconfig) the way
 * macOS does (formats-and-peers.md §1.14):
 *
 *   first byte 0x30      DER ContentInfo(SignedData), eContentType id-data,
 *                        the plist bytes embedded (attached signature)
 *   "bplist00"           binary plist
 *   whitespace then '<'  XML plist (real Santa profiles start with "\n")
 *
 * A signed profile's signature is verified with OpenSSL CMS against the
 * signer certificate it carries (content digest + signature).  Like
 * macOS, which shows the signer and "Verified"/"Unverified" separately,
 * we do not require the signer to chain to a trusted root
 * (CMS_NO_SIGNER_CERT_VERIFY): a broken signature is MX_ESIGNATURE, an
 * unverifiable trust chain is not an error here.  Every byte of the file
 * must belong to the SignedData: trailing bytes, which no signature
 * covers, are MX_EFORMAT (validate and install read through here alike).
 *
 * The envelope (TopLevel.yaml, CommonPayloadKeys.yaml) is checked on read:
 * PayloadType "Configuration", PayloadIdentifier, PayloadUUID,
 * PayloadVersion, PayloadContent an array of dicts each with its own
 * PayloadType/Identifier/UUID (and PayloadVersion an integer when present:
 * Kandji's CrowdStrike profiles ship a payload without one, and macOS
 * installs them; the validator warns).  Everything else is
 * mx_profile_validate's business (profile_validate.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "macext/plist_util.h"
#include "macext/profile.h"
#include "macext/text.h"

struct mx_profile {
	plist_t root;
	plist_t content;          /* PayloadContent (borrowed from root) */
	bool is_signed;
	char signer[256];
	const char *identifier, *uuid, *display_name, *organization;
	/* PayloadContent, indexed once: libplist's lookups are not free */
	size_t n;
	plist_t *payload;
	const char **ptype, **puuid, **pid;
};

static int
fail_name(mx_err *err, int code, uint64_t off, const char *name, const char *msg)
{
	MX_FAIL(err, code, off, "%s", msg);
	if (err != NULL)
		snprintf(err->where, sizeof err->where, "%s", name);
	return code;
}

/* The first OpenSSL error, for messages; clears the queue. */
static void
ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* The signer certificate's common name as UTF-8 (whatever ASN.1 string
 * type holds it), cut at a character boundary to fit; the one-line
 * subject (ASCII, escaped by OpenSSL) when it has no common name.  A name
 * that cannot be UTF-8 is refused: it would reach the JSON output. */
static int
signer_name(X509 *x, char *out, size_t len, const char *name, mx_err *err)
{
	X509_NAME *sn = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(sn, NID_commonName, -1);
	if (i < 0) {
		X509_NAME_oneline(sn, out, (int)len);
		return 0;
	}
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i)));
	if (n < 0 || !mx_utf8_valid((const char *)u, (size_t)n) || memchr(u, 0, (size_t)n)) {
		OPENSSL_free(u);
		ERR_clear_error();
		return fail_name(err, MX_EFORMAT, MX_NO_OFFSET, name,
		    "the signer certificate's common name is not valid text (UTF-8)");
	}
	size_t k = (size_t)n < len ? (size_t)n : len - 1;
	while (k > 0 && k < (size_t)n && (u[k] & 0xC0) == 0x80)
		k--;            /* never end inside a character */
	memcpy(out, u, k);
	out[k] = '\0';
	OPENSSL_free(u);
	return 0;
}

/* Unwraps and verifies CMS SignedData.  On success *content is malloc'd. */
static int
cms_unwrap(const uint8_t *buf, size_t len, const char *name, uint8_t **content, size_t *clen,
    char *signer, size_t signer_len, mx_err *err)
{
	char why[256], msg[400];
	int rc = 0;
	BIO *out = BIO_new(BIO_s_mem());
	X509_STORE *store = X509_STORE_new();
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL;
	if (out == NULL || store == NULL) {
		rc = fail_name(err, MX_ENOMEM, MX_NO_OFFSET, name, "out of memory (OpenSSL)");
		goto done;
	}
	/* d2i_ with a pointer tells how many bytes the ContentInfo took (DER
	 * or BER with indefinite lengths alike) */
	const unsigned char *cur = buf;
	cms = d2i_CMS_ContentInfo(NULL, &cur, (long)len);
	if (cms == NULL) {
		ssl_reason(why, sizeof why);
		snprintf(msg, sizeof msg, "malformed CMS signed profile (truncated or not DER): %s", why);
		rc = fail_name(err, MX_EFORMAT, 0, name, msg);
		goto done;
	}
	/* bytes after the SignedData are covered by no signature: what would
	 * read them could be told anything (issue 14 §5) */
	size_t used = (size_t)(cur - buf);
	if (used < len) {
		snprintf(msg, sizeof msg, "%zu bytes after the CMS SignedData (bytes %zu to %zu of "
		    "%zu) are not covered by the signature", len - used, used, len - 1, len);
		rc = fail_name(err, MX_EFORMAT, used, name, msg);
		goto done;
	}
	int nid = OBJ_obj2nid(CMS_get0_type(cms));
	if (nid != NID_pkcs7_signed) {
		snprintf(msg, sizeof msg, "CMS content type %s, expected signedData%s",
		    OBJ_nid2sn(nid), nid == NID_pkcs7_enveloped ? " (encrypted profiles are not supported)" : "");
		rc = fail_name(err, MX_EFORMAT, 0, name, msg);
		goto done;
	}
	int enid = OBJ_obj2nid(CMS_get0_eContentType(cms));
	if (enid != NID_pkcs7_data) {
		snprintf(msg, sizeof msg, "signed content type %s, expected id-data", OBJ_nid2sn(enid));
		rc = fail_name(err, MX_EFORMAT, 0, name, msg);
		goto done;
	}
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
	if (pos == NULL || *pos == NULL) {
		rc = fail_name(err, MX_EFORMAT, 0, name,
		    "detached CMS signature: the profile itself is not embedded");
		goto done;
	}
	if (CMS_verify(cms, NULL, store, NULL, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		ssl_reason(why, sizeof why);
		snprintf(msg, sizeof msg, "CMS signature does not verify: %s", why);
		rc = fail_name(err, MX_ESIGNATURE, MX_NO_OFFSET, name, msg);
		goto done;
	}
	signers = CMS_get0_signers(cms);
	signer[0] = '\0';
	if (signers != NULL && sk_X509_num(signers) > 0 &&
	    (rc = signer_name(sk_X509_value(signers, 0), signer, signer_len, name, err)) != 0)
		goto done;
	char *data = NULL;
	long dl = BIO_get_mem_data(out, &data);
	if (dl <= 0) {
		rc = fail_name(err, MX_EFORMAT, MX_NO_OFFSET, name, "CMS signed profile has empty content");
		goto done;
	}
	*content = mx_xmalloc((size_t)dl);
	memcpy(*content, data, (size_t)dl);
	*clen = (size_t)dl;
done:
	sk_X509_free(signers);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(store);
	BIO_free(out);
	ERR_clear_error();
	return rc;
}

/* Envelope: TopLevel.yaml and the required CommonPayloadKeys. */
static int
check_envelope(mx_profile *p, const char *name, mx_err *err)
{
	plist_t r = p->root;
	int rc;
	if ((rc = mx_plist_expect(r, PLIST_DICT, name, "", err)) != 0)
		return rc;
	const char *type = NULL;
	int64_t ver = 0;
	if ((rc = mx_plist_get_string(&type, r, "PayloadType", true, name, "", err)) != 0)
		return rc;
	if (strcmp(type, "Configuration") != 0) {
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "expected \"Configuration\", got \"%.100s\"", type);
		if (err)
			snprintf(err->where, sizeof err->where, "%s: PayloadType", name);
		return MX_EINVALID;
	}
	if ((rc = mx_plist_get_string(&p->identifier, r, "PayloadIdentifier", true, name, "", err)) ||
	    (rc = mx_plist_get_string(&p->uuid, r, "PayloadUUID", true, name, "", err)) ||
	    (rc = mx_plist_get_int(&ver, r, "PayloadVersion", true, name, "", err)) ||
	    (rc = mx_plist_get_string(&p->display_name, r, "PayloadDisplayName", false, name, "", err)) ||
	    (rc = mx_plist_get_string(&p->organization, r, "PayloadOrganization", false, name, "", err)))
		return rc;
	if (p->identifier[0] == '\0' || p->uuid[0] == '\0') {
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "must not be empty");
		if (err)
			snprintf(err->where, sizeof err->where, "%s: %s", name,
			    p->identifier[0] == '\0' ? "PayloadIdentifier" : "PayloadUUID");
		return MX_EINVALID;
	}
	/* what an installed profile's record keeps (mx_profile_row): a longer
	 * value is refused here rather than cut there (issue 14 §9: never lose
	 * data silently) */
	static const struct { const char *key; size_t max; } caps[] = {
		{ "PayloadIdentifier", 255 }, { "PayloadUUID", 63 }, { "PayloadDisplayName", 255 },
		{ "PayloadOrganization", 255 },
	};
	const char *vals[] = { p->identifier, p->uuid, p->display_name, p->organization };
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
		if (vals[i] && strlen(vals[i]) > caps[i].max) {
			MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%zu bytes long: at most %zu are accepted",
			    strlen(vals[i]), caps[i].max);
			if (err)
				snprintf(err->where, sizeof err->where, "%s: %s", name, caps[i].key);
			return MX_EINVALID;
		}
	if (plist_dict_get_item(r, "PayloadContent") == NULL &&
	    plist_dict_get_item(r, "EncryptedPayloadContent") != NULL) {
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "encrypted profiles (EncryptedPayloadContent) are not supported");
		if (err)
			snprintf(err->where, sizeof err->where, "%s: EncryptedPayloadContent", name);
		return MX_EINVALID;
	}
	if ((rc = mx_plist_get_node(&p->content, r, "PayloadContent", PLIST_ARRAY, true, name, "",
	    err)) != 0)
		return rc;
	uint32_t n = plist_array_get_size(p->content);
	p->payload = mx_xcalloc(n ? n : 1, sizeof *p->payload);
	p->ptype = mx_xcalloc(n ? n : 1, sizeof *p->ptype);
	p->puuid = mx_xcalloc(n ? n : 1, sizeof *p->puuid);
	p->pid = mx_xcalloc(n ? n : 1, sizeof *p->pid);
	plist_array_iter it = NULL;
	plist_array_new_iter(p->content, &it);
	for (uint32_t i = 0; i < n; i++) {
		char path[64];
		plist_t pl = NULL;
		plist_array_next_item(p->content, it, &pl);
		mx_path_index(path, sizeof path, "PayloadContent", i);
		if ((rc = mx_plist_expect(pl, PLIST_DICT, name, path, err)) ||
		    (rc = mx_plist_get_string(&p->ptype[i], pl, "PayloadType", true, name, path, err)) ||
		    (rc = mx_plist_get_string(&p->pid[i], pl, "PayloadIdentifier", true, name, path, err)) ||
		    (rc = mx_plist_get_string(&p->puuid[i], pl, "PayloadUUID", true, name, path, err)) ||
		    (rc = mx_plist_get_int(&ver, pl, "PayloadVersion", false, name, path, err))) {
			free(it);
			return rc;
		}
		p->payload[i] = pl;
		p->n = i + 1;
	}
	free(it);
	if (p->display_name == NULL)
		p->display_name = "";
	if (p->organization == NULL)
		p->organization = "";
	return 0;
}

int
mx_profile_read(mx_profile **out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	*out = NULL;
	if (name == NULL)
		name = "profile";
	if (len > MX_PROFILE_MAX_BYTES) {
		char msg[128];
		snprintf(msg, sizeof msg, "%zu bytes is over the %u-byte limit", len,
		    MX_PROFILE_MAX_BYTES);
		return fail_name(err, MX_ETOOBIG, MX_NO_OFFSET, name, msg);
	}
	if (len == 0)
		return fail_name(err, MX_EFORMAT, 0, name, "empty file");
	mx_profile *p = mx_xcalloc(1, sizeof *p);
	uint8_t *inner = NULL;
	size_t inner_len = 0;
	int rc;
	if (buf[0] == 0x30) {
		rc = cms_unwrap(buf, len, name, &inner, &inner_len, p->signer, sizeof p->signer, err);
		if (rc != 0)
			goto fail;
		p->is_signed = true;
		rc = mx_plist_parse(&p->root, inner, inner_len, name, err);
	} else {
		rc = mx_plist_parse(&p->root, buf, len, name, err);
	}
	if (rc != 0)
		goto fail;
	if ((rc = check_envelope(p, name, err)) != 0)
		goto fail;
	free(inner);
	*out = p;
	return 0;
fail:
	free(inner);
	mx_profile_free(p);
	return rc;
}

int
mx_profile_read_file(mx_profile **out, const char *path, mx_err *err)
{
	*out = NULL;
	char msg[300];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
		return fail_name(err, errno == ENOENT ? MX_ENOTFOUND : MX_EIO, MX_NO_OFFSET, path, msg);
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail_name(err, MX_EIO, MX_NO_OFFSET, path, "not a regular file");
	}
	if ((uint64_t)st.st_size > MX_PROFILE_MAX_BYTES) {
		close(fd);
		snprintf(msg, sizeof msg, "%lld bytes is over the %u-byte limit",
		    (long long)st.st_size, MX_PROFILE_MAX_BYTES);
		return fail_name(err, MX_ETOOBIG, MX_NO_OFFSET, path, msg);
	}
	size_t len = (size_t)st.st_size, got = 0;
	uint8_t *buf = mx_xmalloc(len ? len : 1);
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != len) {
		free(buf);
		return fail_name(err, MX_EIO, MX_NO_OFFSET, path, "short read");
	}
	int rc = mx_profile_read(out, buf, len, path, err);
	free(buf);
	return rc;
}

void
mx_profile_free(mx_profile *p)
{
	if (p == NULL)
		return;
	if (p->root != NULL)
		plist_free(p->root);
	free(p->payload);
	free(p->ptype);
	free(p->puuid);
	free(p->pid);
	free(p);
}

const char *mx_profile_identifier(const mx_profile *p) { return p->identifier; }
const char *mx_profile_uuid(const mx_profile *p) { return p->uuid; }
const char *mx_profile_display_name(const mx_profile *p) { return p->display_name; }
const char *mx_profile_organization(const mx_profile *p) { return p->organization; }
const char *mx_profile_signer(const mx_profile *p) { return p->is_signed ? p->signer : ""; }
bool mx_profile_is_signed(const mx_profile *p) { return p->is_signed; }
plist_t mx_profile_root(const mx_profile *p) { return p->root; }

size_t
mx_profile_payload_count(const mx_profile *p)
{
	return p->n;
}

plist_t
mx_profile_payload(const mx_profile *p, size_t i)
{
	return i < p->n ? p->payload[i] : NULL;
}

const char *
mx_profile_payload_type(const mx_profile *p, size_t i)
{
	return i < p->n ? p->ptype[i] : NULL;
}

const char *
mx_profile_payload_uuid(const mx_profile *p, size_t i)
{
	return i < p->n ? p->puuid[i] : NULL;
}

const char *
mx_profile_payload_identifier(const mx_profile *p, size_t i)
{
	return i < p->n ? p->pid[i] : NULL;
}

int
mx_profile_to_bin(const mx_profile *p, uint8_t **out, size_t *len, mx_err *err)
{
	int rc = mx_plist_to_bin(p->root, out, len, err);
	if (rc != 0)
		mx_err_where(err, "profile %s: ", p->identifier);
	return rc;
}
