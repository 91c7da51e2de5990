/*
 * mdm_query.c — the MDM commands a Mac answers from its state, for
 * mx_op_mdm_command (engine/mdm.c): the gate every command passes (does
 * macOS know it, on this channel, for this enrolment, with the profile's
 * AccessRights; src/core/mdm_answer.c) and the queries — SecurityInfo,
 * DeviceInformation, ProfileList, InstalledApplicationList,
 * CertificateList, AvailableOSUpdates, DeviceConfigured — whose answers
 * are the core's pure builders over facts gathered here in the op: the
 * device record, the security state, the installed profiles and their
 * certificate payloads, the apps in /Applications and, when the Mac is
 * enrolled through the MDM agent, its enrolment (AccessRights, server
 * capabilities, push token, identity certificate).  Spec: the mdm/commands
 * YAML files named in mdm_answer.h; docs/mdm.md.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "engine_int.h"
#include "macext/bundle.h"
#include "macext/enroll.h"
#include "macext/mdm_answer.h"
#include "macext/plist_util.h"
#include "macext/store_mdm.h"

struct facts {
	mx_mdm_facts f;
	mx_mdm_enrollment *enr;          /* NULL when not enrolled through the agent */
	mx_mdm_profile_fact *profiles;
	size_t nprof, capprof;
	char (*pstr)[4][256];            /* identifier, uuid, display name, organization */
	plist_t *roots;                  /* owned copies */
	mx_mdm_app_fact *apps;
	size_t napps, capapps;
	char (*astr)[4][256];
	mx_mdm_cert_fact *certs;
	size_t ncerts, capcerts;
	uint8_t **cder;                  /* owned DER of payload certificates */
	uint8_t token[64];
	mx_err *err;
	mx_op *op;
};

static void
facts_free(struct facts *x)
{
	for (size_t i = 0; i < x->nprof; i++)
		plist_free(x->roots[i]);
	for (size_t i = 0; i < x->ncerts; i++)
		if (x->cder[i])
			free(x->cder[i]);
	free(x->profiles);
	free(x->pstr);
	free(x->roots);
	free(x->apps);
	free(x->astr);
	free(x->certs);
	free(x->cder);
	if (x->enr) {
		memset(x->enr, 0, sizeof *x->enr);   /* the identity key was in it */
		free(x->enr);
	}
}

static int
add_profile(const mx_profile_row *r, void *arg)
{
	struct facts *x = arg;
	plist_t root = NULL;
	if (eng_profile_body(x->op, r->body, &root, x->err) != 0)
		return x->err->code ? x->err->code : MX_EIO;
	if (x->nprof == x->capprof) {
		x->capprof = x->capprof ? x->capprof * 2 : 8;
		x->profiles = mx_xrealloc(x->profiles, x->capprof * sizeof *x->profiles);
		x->pstr = mx_xrealloc(x->pstr, x->capprof * sizeof *x->pstr);
		x->roots = mx_xrealloc(x->roots, x->capprof * sizeof *x->roots);
	}
	size_t i = x->nprof++;
	snprintf(x->pstr[i][0], 256, "%s", r->identifier);
	snprintf(x->pstr[i][1], 256, "%s", r->uuid);
	snprintf(x->pstr[i][2], 256, "%s", r->display_name);
	snprintf(x->pstr[i][3], 256, "%s", r->organization);
	x->roots[i] = plist_copy(root);   /* eng_profile_body's is borrowed until the next */
	x->profiles[i] = (mx_mdm_profile_fact){ x->pstr[i][0], x->pstr[i][1], x->pstr[i][2],
		x->pstr[i][3], strcmp(r->source, "mdm") == 0, MX_MDM_CH_DEVICE, x->roots[i] };
	return 0;
}

static void
add_cert(struct facts *x, uint8_t *der, size_t len, bool identity, bool managed)
{
	if (x->ncerts == x->capcerts) {
		x->capcerts = x->capcerts ? x->capcerts * 2 : 8;
		x->certs = mx_xrealloc(x->certs, x->capcerts * sizeof *x->certs);
		x->cder = mx_xrealloc(x->cder, x->capcerts * sizeof *x->cder);
	}
	x->cder[x->ncerts] = der;
	x->certs[x->ncerts++] = (mx_mdm_cert_fact){ der, len, identity, managed };
}

/* A certificate payload's PayloadContent (DER, or PEM) as DER (malloc'd). */
static int
payload_cert(plist_t payload, const char *profile_id, const char *uuid, void *arg)
{
	(void)uuid;
	struct facts *x = arg;
	plist_t data = plist_dict_get_item(payload, "PayloadContent");
	if (data == NULL || plist_get_node_type(data) != PLIST_DATA)
		return 0;
	uint64_t n = 0;
	const uint8_t *p = (const uint8_t *)plist_get_data_ptr(data, &n);
	X509 *c = NULL;
	const uint8_t *q = p;
	if (n && p[0] == 0x30)
		c = d2i_X509(NULL, &q, (long)n);
	if (c == NULL && n) {
		BIO *b = BIO_new_mem_buf(p, (int)n);
		c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	if (c == NULL)
		return 0;   /* not a certificate: installed profiles were checked, nothing to list */
	unsigned char *der = NULL;
	int dl = i2d_X509(c, &der);
	X509_free(c);
	if (dl > 0) {
		uint8_t *copy = mx_xmalloc((size_t)dl);
		memcpy(copy, der, (size_t)dl);
		bool managed = false;
		for (size_t i = 0; i < x->nprof; i++)
			if (strcmp(x->profiles[i].identifier, profile_id) == 0)
				managed = x->profiles[i].managed;
		add_cert(x, copy, (size_t)dl, false, managed);
	}
	OPENSSL_free(der);
	return 0;
}

static int
add_app(const char *path, const char *hash, void *arg)
{
	struct facts *x = arg;
	size_t l = strlen(path);
	if (l < 5 || strcmp(path + l - 4, ".app") != 0 || strchr(path + 14, '/'))
		return 0;
	char real[PATH_MAX];
	mx_bundle *b;
	mx_err e;
	if (mx_cas_path(x->op->st, hash, real, sizeof real, &e) != 0 ||
	    mx_bundle_open(&b, real, &e) != 0)
		return 0;   /* an unreadable app is not listed */
	if (x->napps == x->capapps) {
		x->capapps = x->capapps ? x->capapps * 2 : 8;
		x->apps = mx_xrealloc(x->apps, x->capapps * sizeof *x->apps);
		x->astr = mx_xrealloc(x->astr, x->capapps * sizeof *x->astr);
	}
	size_t i = x->napps++;
	snprintf(x->astr[i][0], 256, "%s", b->bundle_id);
	snprintf(x->astr[i][1], 256, "%s", b->name);
	snprintf(x->astr[i][2], 256, "%s", b->version);
	snprintf(x->astr[i][3], 256, "%s", b->short_version);
	x->apps[i] = (mx_mdm_app_fact){ x->astr[i][0], x->astr[i][1], x->astr[i][2], x->astr[i][3],
		-1, false };
	mx_bundle_free(b);
	return 0;
}

static int
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

/* What type needs: the gate needs the enrolment only; the queries more. */
static int
gather(mx_op *op, int channel, const char *type, struct facts *x, mx_err *err)
{
	memset(x, 0, sizeof *x);
	x->op = op;
	x->err = err;
	x->f.d = &op->d;
	x->f.channel = channel;
	x->f.authenticated_root = true;
	int rc;
	x->enr = mx_xmalloc(sizeof *x->enr);
	mx_err e2;
	if (mx_store_has_table(op->st, "mdm_enrollments") &&
	    mx_store_mdm_get(op->st, op->d.id, x->enr, &e2) == 0 && x->enr->state == MX_MDM_ENROLLED) {
		x->f.access_rights = x->enr->access_rights;
		x->f.awaiting_configuration = x->enr->awaiting_configuration;
		x->f.bootstrap_capability = (x->enr->capabilities & MX_CAP_BOOTSTRAP_TOKEN) != 0;
		x->f.prompt_bootstrap = (x->enr->capabilities & MX_MDM_CAP_PROMPT_BOOTSTRAP) != 0;
		int n = unhex(x->token, sizeof x->token, channel == MX_MDM_CH_USER ?
		    x->enr->user_token : x->enr->push_token);
		x->f.push_token = n ? x->token : NULL;
		x->f.push_token_len = (size_t)n;
	} else {
		memset(x->enr, 0, sizeof *x->enr);
		free(x->enr);
		x->enr = NULL;   /* `mdm command` without an agent enrolment: every right */
	}
	if (type == NULL)
		return 0;
	if (strcmp(type, "SecurityInfo") == 0) {
		mx_security_info si;
		if ((rc = mx_op_security_info(op, &si, err)))
			return rc;
		x->f.authenticated_root = si.authenticated_root;
	}
	if (strcmp(type, "ProfileList") == 0 || strcmp(type, "CertificateList") == 0) {
		if ((rc = mx_store_profile_each(op->st, op->d.id, add_profile, x, err)))
			return rc;
	}
	if (strcmp(type, "CertificateList") == 0) {
		if (x->enr && x->enr->cert_len) {
			uint8_t *c = mx_xmalloc(x->enr->cert_len);
			memcpy(c, x->enr->cert, x->enr->cert_len);
			add_cert(x, c, x->enr->cert_len, true, true);
		}
		static const char *const types[] = { "com.apple.security.root", "com.apple.security.pem",
		    "com.apple.security.pkcs1" };
		for (size_t i = 0; i < 3; i++)
			if ((rc = eng_payloads_each(op, types[i], payload_cert, x, err)))
				return rc;
	}
	if (strcmp(type, "InstalledApplicationList") == 0 &&
	    (rc = mx_store_file_each(op->st, op->d.id, "/Applications/", add_app, x, err)) < 0)
		return rc;
	x->f.profiles = x->profiles;
	x->f.nprofiles = x->nprof;
	x->f.apps = x->apps;
	x->f.napps = x->napps;
	x->f.certs = x->certs;
	x->f.ncerts = x->ncerts;
	return 0;
}

/* An optional boolean request key; a wrong type fails the command. */
static int
req_bool(const mx_mdm_command *mc, const char *key, bool *out, mx_err *err)
{
	*out = false;
	return mx_plist_get_bool(out, mc->command, key, false, "command", "Command", err);
}

static int
req_array(const mx_mdm_command *mc, const char *key, plist_t *out, mx_err *err)
{
	*out = NULL;
	int rc = mx_plist_get_node(out, mc->command, key, PLIST_ARRAY, false, "command", "Command",
	    err);
	for (uint32_t i = 0; rc == 0 && *out && i < plist_array_get_size(*out); i++) {
		char path[64];
		mx_path_index(path, sizeof path, key, i);
		rc = mx_plist_expect(plist_array_get_item(*out, i), PLIST_STRING, "command", path, err);
	}
	return rc;
}

static void
merge(plist_t resp, plist_t keys)
{
	plist_dict_iter it = NULL;
	plist_dict_new_iter(keys, &it);
	char *k = NULL;
	plist_t v = NULL;
	for (plist_dict_next_item(keys, it, &k, &v); k; plist_dict_next_item(keys, it, &k, &v)) {
		plist_dict_set_item(resp, k, plist_copy(v));
		free(k);
		k = NULL;
	}
	free(it);
	plist_free(keys);
}

int
eng_mdm_query(mx_op *op, const mx_mdm_command *mc, plist_t resp, bool *answered, mx_err *cerr)
{
	*answered = false;
	struct facts x;
	int rc = gather(op, mc->channel, NULL, &x, cerr), code = 0;
	if (rc == 0 && (rc = mx_mdm_gate(&x.f, mc->type, &code, cerr)) != 0)
		mx_err_domain(cerr, MX_DOM_MDM, code, rc);
	facts_free(&x);
	if (rc)
		return rc;
	const char *t = mc->type;
	static const char *const queries[] = { "SecurityInfo", "DeviceInformation", "ProfileList",
	    "InstalledApplicationList", "CertificateList", "AvailableOSUpdates", "DeviceConfigured" };
	bool query = false;
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		query |= strcmp(t, queries[i]) == 0;
	if (!query)
		return 0;   /* a command that changes the Mac: engine/mdm.c runs it */
	if ((rc = gather(op, mc->channel, t, &x, cerr))) {
		facts_free(&x);
		return rc;
	}
	*answered = true;
	bool b = false;
	plist_t arr = NULL;
	if (strcmp(t, "SecurityInfo") == 0) {
		plist_t si = mx_mdm_security_info(&x.f);
		plist_dict_set_item(resp, "SecurityInfo", si);
	} else if (strcmp(t, "DeviceInformation") == 0) {
		if ((rc = req_array(mc, "Queries", &arr, cerr)) == 0)
			merge(resp, mx_mdm_device_information(&x.f, arr));
	} else if (strcmp(t, "ProfileList") == 0) {
		if ((rc = req_bool(mc, "ManagedOnly", &b, cerr)) == 0)
			merge(resp, mx_mdm_profile_list(&x.f, b));
	} else if (strcmp(t, "InstalledApplicationList") == 0) {
		if ((rc = req_bool(mc, "ManagedAppsOnly", &b, cerr)) == 0 &&
		    (rc = req_array(mc, "Identifiers", &arr, cerr)) == 0)
			merge(resp, mx_mdm_installed_apps(&x.f, arr, b));
	} else if (strcmp(t, "CertificateList") == 0) {
		if ((rc = req_bool(mc, "ManagedOnly", &b, cerr)) == 0)
			merge(resp, mx_mdm_certificate_list(&x.f, b));
	} else if (strcmp(t, "AvailableOSUpdates") == 0) {
		merge(resp, mx_mdm_available_os_updates(&x.f));
	} else if (strcmp(t, "DeviceConfigured") == 0) {
		/* the end of Setup Assistant's AwaitingConfiguration (ADE) */
		if (x.enr == NULL || !x.enr->awaiting_configuration) {
			rc = MX_FAIL_DOM(cerr, MX_ESTATE, MX_DOM_MDM, MX_MDM_ERR_WRONG_CHANNEL,
			    "%s is not awaiting configuration", op->d.name);
		} else {
			x.enr->awaiting_configuration = false;
			x.enr->updated_at = op->now;
			rc = mx_store_mdm_put(op->st, x.enr, cerr);
		}
	}
	if (rc && cerr->domain == MX_DOM_NONE)
		mx_err_domain(cerr, MX_DOM_MDM, 12001, rc);   /* MDM_MALFORMED_COMMAND: a request key of the wrong type */
	facts_free(&x);
	return rc;
}
