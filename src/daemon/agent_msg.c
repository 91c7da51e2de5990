/*
 * agent_msg.c — the bodies a Mac's mdmclient PUTs: the check-in messages
 * (Authenticate, TokenUpdate, UserAuthenticate, Set/GetBootstrapToken,
 * CheckOut) and the command channel's Idle and status reports, as XML
 * plists.  Keys and types follow the YAML files of Apple's mdm/checkin; the device
 * channel is named by UDID (EnrollmentID under User Enrollment), the user
 * channel adds UserID / UserShortName / UserLongName (EnrollmentUserID).
 * Model, ModelName, ProductName and BuildVersion are those of a Mac mini of
 * the device's architecture running its macOS version (the device record
 * has no model: choice, docs/mdm.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/agent_int.h"
#include "macext/mdm_answer.h"

void
agent_facts_from(agent_facts *f, const mx_device *d)
{
	memset(f, 0, sizeof *f);
	snprintf(f->udid, sizeof f->udid, "%s", d->udid);
	snprintf(f->serial, sizeof f->serial, "%s", d->serial);
	snprintf(f->name, sizeof f->name, "%s", d->name);
	f->arch = d->arch;
	f->os = d->os;
	f->env = d->env;
	f->enroll = d->enroll;
	f->supervised = d->supervised;
	f->user_approved = d->user_approved;
	f->escrowed = d->bootstrap_escrowed;
	f->kext_remote = d->kext_remote_management;
	f->boot_count = d->boot_count;
	/* the console user: the first standard user, else the first user */
	for (int i = 0; i < d->nusers && f->user[0] == '\0'; i++)
		if (!d->users[i].admin)
			snprintf(f->user, sizeof f->user, "%s", d->users[i].name);
	if (f->user[0] == '\0' && d->nusers > 0)
		snprintf(f->user, sizeof f->user, "%s", d->users[0].name);
}

const char *
agent_model(const agent_facts *f)
{
	return mx_mdm_model(f->arch);
}

const char *
agent_model_name(const agent_facts *f)
{
	return mx_mdm_model_name(f->arch);
}

const char *
agent_build(const agent_facts *f)
{
	static _Thread_local char b[16];
	mx_mdm_build(f->os, b, sizeof b);
	return b;
}

/* A version-4-shaped UUID from a hash of label and s (stable per device). */
static void
derived_uuid(char out[37], const char *label, const char *s, const char *t)
{
	mx_mdm_derived_uuid(out, label, s, t);
}

void
agent_bootstrap_token(const agent_dev *d, uint8_t out[32])
{
	unsigned int n = 32;
	static const char label[] = "macext bootstrap token";
	if (HMAC(EVP_sha256(), d->key, (int)d->key_len, (const unsigned char *)label,
	    sizeof label - 1, out, &n) == NULL)
		memset(out, 0, 32);
}

uint8_t *
agent_plist_xml(plist_t p, size_t *len)
{
	char *xml = NULL;
	uint32_t n = 0;
	plist_to_xml(p, &xml, &n);
	*len = n;
	return (uint8_t *)xml;
}

static plist_t
msg(const char *type)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "MessageType", plist_new_string(type));
	return p;
}

static bool
user_enrollment(const agent_dev *d)
{
	return d->method == MX_ENROLL_USER;
}

void
agent_msg_ids(plist_t p, const agent_dev *d, int channel)
{
	char id[37];
	if (user_enrollment(d)) {
		derived_uuid(id, "EnrollmentID", d->f.udid, "");
		plist_dict_set_item(p, "EnrollmentID", plist_new_string(id));
	} else {
		plist_dict_set_item(p, "UDID", plist_new_string(d->f.udid));
	}
	if (channel != CH_USER)
		return;
	if (user_enrollment(d)) {
		derived_uuid(id, "EnrollmentUserID", d->f.udid, d->f.user);
		plist_dict_set_item(p, "EnrollmentUserID", plist_new_string(id));
	} else {
		derived_uuid(id, "UserID", d->f.udid, d->f.user);
		plist_dict_set_item(p, "UserID", plist_new_string(id));
		plist_dict_set_item(p, "UserShortName", plist_new_string(d->f.user));
	}
	plist_dict_set_item(p, "UserLongName", plist_new_string(d->f.user));
	plist_dict_set_item(p, "NotOnConsole", plist_new_bool(false));
}

static uint8_t *
done(plist_t p, size_t *len)
{
	uint8_t *b = agent_plist_xml(p, len);
	plist_free(p);
	return b;
}

uint8_t *
agent_msg_authenticate(const agent_dev *d, size_t *len)
{
	plist_t p = msg("Authenticate");
	plist_dict_set_item(p, "Topic", plist_new_string(d->prof->p.topic));
	agent_msg_ids(p, d, CH_DEVICE);
	plist_dict_set_item(p, "DeviceName", plist_new_string(d->f.name));
	plist_dict_set_item(p, "Model", plist_new_string(agent_model(&d->f)));
	plist_dict_set_item(p, "ModelName", plist_new_string(agent_model_name(&d->f)));
	char os[16];
	mx_version_str(d->f.os, os, sizeof os);
	plist_dict_set_item(p, "OSVersion", plist_new_string(os));
	plist_dict_set_item(p, "BuildVersion", plist_new_string(agent_build(&d->f)));
	plist_dict_set_item(p, "ProductName", plist_new_string(agent_model(&d->f)));
	/* SerialNumber needs AllowQueryDeviceInformation and is never sent under User Enrollment */
	if ((d->prof->p.access_rights & MX_AR_DEVICE_INFO) && !user_enrollment(d))
		plist_dict_set_item(p, "SerialNumber", plist_new_string(d->f.serial));
	return done(p, len);
}

static int
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

uint8_t *
agent_msg_token_update(const agent_dev *d, int channel, size_t *len)
{
	plist_t p = msg("TokenUpdate");
	plist_dict_set_item(p, "Topic", plist_new_string(d->prof->p.topic));
	agent_msg_ids(p, d, channel);
	uint8_t tok[64];
	int n = unhex(tok, sizeof tok, d->token[channel]);
	plist_dict_set_item(p, "Token", plist_new_data((const char *)tok, n > 0 ? (uint64_t)n : 0));
	plist_dict_set_item(p, "PushMagic", plist_new_string(d->magic[channel]));
	if (channel == CH_DEVICE)
		plist_dict_set_item(p, "AwaitingConfiguration", plist_new_bool(d->awaiting_config));
	else
		plist_dict_set_item(p, "NotOnConsole", plist_new_bool(false));
	return done(p, len);
}

uint8_t *
agent_msg_checkout(const agent_dev *d, size_t *len)
{
	plist_t p = msg("CheckOut");
	plist_dict_set_item(p, "Topic", plist_new_string(d->prof->p.topic));
	agent_msg_ids(p, d, CH_DEVICE);
	return done(p, len);
}

uint8_t *
agent_msg_bootstrap(const agent_dev *d, bool set, const uint8_t *token, size_t tlen, size_t *len)
{
	plist_t p = msg(set ? "SetBootstrapToken" : "GetBootstrapToken");
	agent_msg_ids(p, d, CH_DEVICE);
	if (set)
		plist_dict_set_item(p, "BootstrapToken", plist_new_data((const char *)token, tlen));
	plist_dict_set_item(p, "AwaitingConfiguration", plist_new_bool(d->awaiting_config));
	return done(p, len);
}

uint8_t *
agent_msg_user_auth(const agent_dev *d, size_t *len)
{
	/* userauthenticate.yaml: UDID, UserID, DigestResponse.  The first message
	 * carries an empty DigestResponse; the answer to the server's
	 * DigestChallenge carries a digest (a stand-in: the simulated user's
	 * password exists only as a PBKDF2 hash, so the digest is of the user's
	 * identity; docs/mdm.md) */
	plist_t p = msg("UserAuthenticate");
	char id[37];
	plist_dict_set_item(p, "UDID", plist_new_string(d->f.udid));
	derived_uuid(id, "UserID", d->f.udid, d->f.user);
	plist_dict_set_item(p, "UserID", plist_new_string(id));
	char digest[65] = "";
	if (d->ua_round > 0) {
		uint8_t h[32];
		EVP_Digest(id, strlen(id), h, NULL, EVP_sha256(), NULL);
		for (int i = 0; i < 16; i++)
			snprintf(digest + 2 * i, 3, "%02x", h[i]);
	}
	plist_dict_set_item(p, "DigestResponse", plist_new_string(digest));
	return done(p, len);
}

uint8_t *
agent_msg_idle(const agent_dev *d, int channel, size_t *len)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "Status", plist_new_string("Idle"));
	agent_msg_ids(p, d, channel);
	return done(p, len);
}

uint8_t *
agent_msg_status(const agent_dev *d, int channel, const char *uuid, const char *status,
    size_t *len)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "CommandUUID", plist_new_string(uuid));
	plist_dict_set_item(p, "Status", plist_new_string(status));
	agent_msg_ids(p, d, channel);
	return done(p, len);
}

uint8_t *
agent_msg_fault_error(const agent_dev *d, int channel, const char *uuid, size_t *len)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "CommandUUID", plist_new_string(uuid));
	plist_dict_set_item(p, "Status", plist_new_string("Error"));
	agent_msg_ids(p, d, channel);
	plist_t chain = plist_new_array(), e = plist_new_dict();
	/* MCMDMErrorDomain 12004 "the device is busy": a transient failure an
	 * MDM server may see from any Mac (the injected fault's stand-in) */
	plist_dict_set_item(e, "ErrorCode", plist_new_uint(12004));
	plist_dict_set_item(e, "ErrorDomain", plist_new_string("MCMDMErrorDomain"));
	plist_dict_set_item(e, "LocalizedDescription",
	    plist_new_string("The device is busy (injected fault: --error-rate)"));
	plist_dict_set_item(e, "USEnglishDescription",
	    plist_new_string("The device is busy (injected fault: --error-rate)"));
	plist_array_append_item(chain, e);
	plist_dict_set_item(p, "ErrorChain", chain);
	return done(p, len);
}
