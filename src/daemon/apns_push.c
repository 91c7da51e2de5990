/*
 * apns_push.c — what the APNs stand-in answers (apns_handle, apns.h): the
 * request checks APNs makes and their statuses and reasons — 405
 * MethodNotAllowed, 404 BadPath, 400 BadDeviceToken / BadMessageId /
 * InvalidPushType / PayloadEmpty / DeviceTokenNotForTopic, 413
 * PayloadTooLarge (over 4096 bytes), 410 Unregistered (with its timestamp)
 * — and, for a good one, the wake-up of the device whose token it is
 * (push: agent_push in the daemon).  An MDM push is {"mdm": "<PushMagic>"}: a Mac ignores one
 * whose magic is not its own, which APNs still accepts.
 * Spec: Apple's "Handling notification responses from APNs" (reasons),
 * mdm-protocol-and-peers.md §1.5.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "daemon/apns.h"
#include "macext/core.h"

static void
reason(apns_reply *out, int status, const char *why)
{
	out->status = status;
	if (status == 410)
		snprintf(out->body, sizeof out->body, "{\"reason\":\"%s\",\"timestamp\":%lld}", why,
		    (long long)time(NULL) * 1000);
	else
		snprintf(out->body, sizeof out->body, "{\"reason\":\"%s\"}", why);
}

static bool
is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

void
apns_handle(apns_push_fn push, void *arg, const apns_request *req, apns_reply *out)
{
	memset(out, 0, sizeof *out);
	if (req->id && is_uuid(req->id)) {
		snprintf(out->apns_id, sizeof out->apns_id, "%s", req->id);
	} else {
		uint8_t r[16];
		if (RAND_bytes(r, sizeof r) != 1)
			memset(r, 0, sizeof r);
		r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
		r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
		mx_device_uuid_fmt(r, out->apns_id);
	}
	static const char prefix[] = "/3/device/";
	if (strncmp(req->path, prefix, sizeof prefix - 1) != 0) {
		reason(out, 404, "BadPath");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		reason(out, 405, "MethodNotAllowed");
		return;
	}
	const char *token = req->path + sizeof prefix - 1;
	size_t tl = strlen(token);
	bool hex = tl >= 16 && tl <= 200;
	for (size_t i = 0; hex && i < tl; i++)
		hex = isxdigit((unsigned char)token[i]) != 0;
	if (tl == 0) {
		reason(out, 400, "MissingDeviceToken");
		return;
	}
	if (!hex) {
		reason(out, 400, "BadDeviceToken");
		return;
	}
	if (req->id && req->id[0] && !is_uuid(req->id)) {
		reason(out, 400, "BadMessageId");
		return;
	}
	static const char *const types[] = { "alert", "background", "location", "voip",
	    "complication", "fileprovider", "mdm", "liveactivity", "pushtotalk", "widgets" };
	if (req->push_type) {
		bool known = false;
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			known |= strcmp(req->push_type, types[i]) == 0;
		if (!known) {
			reason(out, 400, "InvalidPushType");
			return;
		}
	}
	if (req->len > 4096) {
		reason(out, 413, "PayloadTooLarge");
		return;
	}
	if (req->len == 0) {
		reason(out, 400, "PayloadEmpty");
		return;
	}
	/* tokens are compared in lower case, as the agent writes them */
	char low[201];
	for (size_t i = 0; i <= tl; i++)
		low[i] = (char)tolower((unsigned char)token[i]);
	json_error_t je;
	json_t *j = json_loadb((const char *)req->body, req->len, 0, &je);
	const char *magic = j ? json_string_value(json_object_get(j, "mdm")) : NULL;
	const char *why = NULL;
	/* without an "mdm" key the Mac has nothing to match: delivered, ignored */
	int st = push(arg, low, req->topic, magic ? magic : "\x01 no PushMagic", &why);
	json_decref(j);
	if (st != 200) {
		reason(out, st, why ? why : "InternalServerError");
		return;
	}
	out->status = 200;
}
