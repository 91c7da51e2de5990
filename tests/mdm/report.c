/*
 * report.c — the conformance report: counters (check-ins, deliveries,
 * results by status, signature checks, SCEP, HTTP classes), every schema
 * violation found (the first MDS_REPORT_KEEP kept verbatim, all counted by
 * kind) and, per message kind ("checkin:TokenUpdate",
 * "response:SecurityInfo"), how many were validated and how many failed.
 * Tests assert on it through GET /v1/report or the --report file, written
 * at exit; its JSON shape is documented in tests/mdm/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mdms.h"

const char *const mds_counter_names[MDS_C_N] = {
	"requests", "checkins", "authenticate", "token_update", "checkout",
	"user_authenticate", "set_bootstrap_token", "get_bootstrap_token", "declarative_management",
	"get_token", "reports", "idle", "acknowledged", "error", "not_now", "command_format_error",
	"delivered", "enqueued", "duplicate_results", "unknown_command_uuid",
	"validated", "invalid", "violations",
	"signature_verified_full", "signature_verified_cached", "signature_verified_fast", "signature_failed", "mtls_verified",
	"http_2xx", "http_4xx", "http_5xx", "faults_applied",
	"scep_getcacaps", "scep_getcacert", "scep_pkcsreq", "scep_getcertinitial",
	"scep_issued", "scep_pending", "scep_failure", "scep_certrep_des",
	"pushes", "push_failures",
};

void
mds_report_init(mds_report *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	r->kept = mds_xcalloc(MDS_REPORT_KEEP, sizeof *r->kept);
}

void
mds_report_free(mds_report *r)
{
	free(r->kept);
	pthread_mutex_destroy(&r->mu);
}

static struct mds_rkind *
kind_slot(struct mds_rkind *v, size_t *n, size_t cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	if (*n == cap)
		return &v[cap - 1];     /* the last slot collects the overflow */
	struct mds_rkind *k = &v[(*n)++];
	snprintf(k->name, sizeof k->name, "%s", name);
	return k;
}

void
mds_report_message(mds_report *r, const char *kind, const char *where, const mds_viols *vs)
{
	mds_count(r, MDS_C_VALIDATED);
	if (vs->total) {
		mds_count(r, MDS_C_INVALID);
		atomic_fetch_add_explicit(&r->c[MDS_C_VIOLATIONS], vs->total, memory_order_relaxed);
	}
	pthread_mutex_lock(&r->mu);
	struct mds_rkind *k = kind_slot(r->kinds, &r->nkinds, sizeof r->kinds / sizeof r->kinds[0], kind);
	k->validated++;
	if (vs->total)
		k->invalid++;
	r->total += vs->total;
	for (size_t i = 0; i < vs->n; i++) {
		struct mds_rkind *vk = kind_slot(r->vkinds, &r->nvkinds,
		    sizeof r->vkinds / sizeof r->vkinds[0], vs->v[i].kind);
		vk->validated++;
		if (r->nkept < MDS_REPORT_KEEP) {
			struct mds_rviol *rv = &r->kept[r->nkept++];
			snprintf(rv->where, sizeof rv->where, "%s", where);
			rv->v = vs->v[i];
		}
	}
	pthread_mutex_unlock(&r->mu);
}

char *
mds_report_json(mds_server *s)
{
	mds_report *r = &s->rep;
	json_t *root = json_object();
	json_t *c = json_object();
	for (int i = 0; i < MDS_C_N; i++)
		json_object_set_new(c, mds_counter_names[i],
		    json_integer((json_int_t)atomic_load_explicit(&r->c[i], memory_order_relaxed)));
	json_object_set_new(root, "counters", c);
	pthread_mutex_lock(&s->st.mu);
	size_t enabled = 0;
	for (mds_enr *e = s->st.ehead; e; e = e->lnext)
		enabled += e->enabled;
	json_object_set_new(root, "enrollments", json_integer((json_int_t)s->st.en));
	json_object_set_new(root, "enrollments_enabled", json_integer((json_int_t)enabled));
	json_object_set_new(root, "commands", json_integer((json_int_t)s->st.cn));
	pthread_mutex_unlock(&s->st.mu);

	json_t *v = json_object();
	pthread_mutex_lock(&r->mu);
	json_t *kinds = json_object();
	for (size_t i = 0; i < r->nkinds; i++) {
		json_t *k = json_object();
		json_object_set_new(k, "validated", json_integer((json_int_t)r->kinds[i].validated));
		json_object_set_new(k, "invalid", json_integer((json_int_t)r->kinds[i].invalid));
		json_object_set_new(kinds, r->kinds[i].name, k);
	}
	json_object_set_new(v, "messages", kinds);
	json_t *bykind = json_object();
	for (size_t i = 0; i < r->nvkinds; i++)
		json_object_set_new(bykind, r->vkinds[i].name, json_integer((json_int_t)r->vkinds[i].validated));
	json_object_set_new(v, "violations_by_kind", bykind);
	json_object_set_new(v, "violations_total", json_integer((json_int_t)r->total));
	json_t *list = json_array();
	for (size_t i = 0; i < r->nkept; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "where", json_string(r->kept[i].where));
		json_object_set_new(o, "kind", json_string(r->kept[i].v.kind));
		json_object_set_new(o, "path", json_string(r->kept[i].v.path));
		json_object_set_new(o, "message", json_string(r->kept[i].v.msg));
		json_array_append_new(list, o);
	}
	json_object_set_new(v, "violations", list);
	json_object_set_new(v, "violations_kept", json_integer((json_int_t)r->nkept));
	pthread_mutex_unlock(&r->mu);
	json_object_set_new(v, "strict", json_boolean(s->cfg.strict));
	json_object_set_new(v, "schema_checkin_files", json_integer((json_int_t)s->schema.ncheckin));
	json_object_set_new(v, "schema_command_files", json_integer((json_int_t)s->schema.ncommands));
	json_object_set_new(root, "validation", v);
	char *out = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	return out;
}

int
mds_report_write(mds_server *s, const char *path, mds_err *err)
{
	char *j = mds_report_json(s);
	if (j == NULL)
		return mds_fail(err, 0, "report: cannot serialize");
	size_t n = strlen(j);
	char *w = mds_xmalloc(n + 2);
	memcpy(w, j, n);
	w[n] = '\n';
	free(j);
	int rc = mds_write_file(path, w, n + 1, err);
	free(w);
	return rc;
}
