/*
 * mdm_enrol.c — recording an MDM enrolment for the agent (issue 11): the
 * enrolment profile's bytes go to the blob store and the device gets a
 * pending enrolment record, which the agent (daemon/agent*.c, hosted by
 * `macext serve --mdm` or run by `macext mdm agent`) carries out over the
 * wire.  Shared by `macext mdm|fleet enroll --profile` and serve's
 * POST .../mdm/enroll.  Spec: docs/mdm.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "macext/engine.h"
#include "macext/enroll.h"
#include "macext/store_mdm.h"

int
mx_op_mdm_enrol_record(mx_op *op, const mx_enroll_profile *prof, const uint8_t *bytes,
    size_t len, enum mx_enroll method, bool approved, bool insecure, const char *why,
    mx_err *err)
{
	const mx_device *d = mx_op_device(op);
	mx_store *st = mx_engine_store(mx_op_engine(op));
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS: it cannot enrol",
		    d->name);
	if (d->enroll != MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already enrolled (%s): unenroll first",
		    d->name, mx_enroll_name(d->enroll));
	mx_mdm_enrollment *e = mx_xcalloc(1, sizeof *e);
	mx_err e2;
	if (mx_store_mdm_get(st, d->id, e, &e2) == 0 && e->state != MX_MDM_CHECKED_OUT &&
	    e->state != MX_MDM_FAILED) {
		enum mx_mdm_state was = e->state;
		free(e);
		return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s already has an MDM enrolment (%s)",
		    d->name, mx_mdm_state_name(was));
	}
	memset(e, 0, sizeof *e);
	char hash[65];
	int rc = mx_store_blob_put(st, bytes, len, hash, err);
	if (rc == 0)
		rc = mx_store_mdm_cmd_clear(st, d->id, err);
	if (rc == 0) {
		e->device_id = d->id;
		snprintf(e->profile, sizeof e->profile, "%s", hash);
		e->method = method;
		e->user_approved = approved || method != MX_ENROLL_DEVICE;
		e->insecure = insecure;
		e->state = MX_MDM_PENDING;
		e->access_rights = prof->access_rights;
		e->capabilities = prof->capabilities |
		    (prof->prompt_bootstrap_auth ? MX_MDM_CAP_PROMPT_BOOTSTRAP : 0);
		e->updated_at = mx_op_now(op);
		rc = mx_store_mdm_put(st, e, err);
	}
	free(e);
	char what[1200];
	snprintf(what, sizeof what, "MDM enrolment with %s requested (%s)", prof->server_url,
	    mx_enroll_name(method));
	if (rc == 0)
		rc = mx_op_event(op, "mdm", what, why ? why : "mdm enroll --profile", err);
	return rc;
}
