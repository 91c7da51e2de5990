/*
 * schema.c — loads Apple's MDM schemas (apple/device-management,
 * mdm/checkin/ *.yaml and mdm/commands/ *.yaml) with libyaml at start-up.
 *
 * Format (docs/schema.md of that repository, and the quirks that
 * tools/gen_schema.py also handles): each file has `payload` (requesttype,
 * supportedOS), `payloadkeys` (the request: a check-in message's keys, a
 * command's keys) and, for commands, `responsekeys`.  A key has `key`,
 * `type` (<string> <integer> <real> <boolean> <date> <data> <array>
 * <dictionary> <any>), `presence`, `rangelist`, `range`, `supportedOS` and
 * `subkeys`: an array's single subkey describes its items, a dict's
 * subkeys its keys, a key named "ANY" or "ANY <words>" stands for any
 * key, and a scalar with subkeys (DeviceInformation's QueriesItem,
 * SecurityInfo's ReducedSecurityItems) enumerates its allowed values.
 * YAML anchors share subkey lists (device.restrictions.list.yaml): the
 * loader resolves an alias to the same node, and we build one key set per
 * node, so shared and recursive lists cost nothing extra.  Version
 * strings are kept as text ("10.14.4" is unquoted in places).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "mdms.h"

struct ld {
	yaml_document_t *doc;
	mds_arena *a;
	mds_skeyset **memo;     /* by node index: the key set built for a sequence */
	size_t nmemo;
	const char *file;
	mds_err *err;
};

static yaml_node_t *
get(struct ld *l, int idx)
{
	return yaml_document_get_node(l->doc, idx);
}

static const char *
scalar(struct ld *l, yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return mds_arena_strndup(l->a, (const char *)n->data.scalar.value, n->data.scalar.length);
}

/* map[name], or NULL. */
static yaml_node_t *
mget(struct ld *l, yaml_node_t *map, const char *name)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = get(l, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(name) &&
		    memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0)
			return get(l, pr->value);
	}
	return NULL;
}

static int8_t
tribool(struct ld *l, yaml_node_t *n)
{
	const char *s = scalar(l, n);
	if (s == NULL)
		return -1;
	return strcmp(s, "true") == 0 ? 1 : 0;
}

static void
load_mac(struct ld *l, yaml_node_t *supported, mds_smac *m)
{
	memset(m, 0, sizeof *m);
	m->devch = m->userch = -1;
	yaml_node_t *mac = mget(l, supported, "macOS");
	if (mac == NULL)
		return;
	m->present = true;
	m->introduced = scalar(l, mget(l, mac, "introduced"));
	m->deprecated = scalar(l, mget(l, mac, "deprecated"));
	m->removed = scalar(l, mget(l, mac, "removed"));
	m->devch = tribool(l, mget(l, mac, "devicechannel"));
	m->userch = tribool(l, mget(l, mac, "userchannel"));
	const char *mode = scalar(l, mget(l, mget(l, mac, "userenrollment"), "mode"));
	if (mode != NULL)
		m->ue = strcmp(mode, "allowed") == 0 ? MDS_UE_ALLOWED :
		    strcmp(mode, "forbidden") == 0 ? MDS_UE_FORBIDDEN :
		    strcmp(mode, "required") == 0 ? MDS_UE_REQUIRED : MDS_UE_IGNORED;
}

static int keyset(struct ld *l, yaml_node_t *seq, int idx, mds_skeyset **out);

static int
stype(struct ld *l, const char *t, enum mds_stype *out, const char *key)
{
	static const struct { const char *n; enum mds_stype t; } types[] = {
		{ "<any>", MDS_S_ANY }, { "<string>", MDS_S_STRING }, { "<integer>", MDS_S_INTEGER },
		{ "<real>", MDS_S_REAL }, { "<boolean>", MDS_S_BOOL }, { "<date>", MDS_S_DATE },
		{ "<data>", MDS_S_DATA }, { "<array>", MDS_S_ARRAY }, { "<dictionary>", MDS_S_DICT },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (t != NULL && strcmp(t, types[i].n) == 0) {
			*out = types[i].t;
			return 0;
		}
	}
	return mds_fail(l->err, 0, "%s: key %s: unknown type %s", l->file, key, t ? t : "(none)");
}

static int
load_key(struct ld *l, yaml_node_t *m, mds_skey *k)
{
	k->name = scalar(l, mget(l, m, "key"));
	if (k->name == NULL)
		return mds_fail(l->err, 0, "%s: a key without a name", l->file);
	k->any = strcmp(k->name, "ANY") == 0 || strncmp(k->name, "ANY ", 4) == 0;
	if (stype(l, scalar(l, mget(l, m, "type")), &k->type, k->name) != 0)
		return -1;
	const char *pres = scalar(l, mget(l, m, "presence"));
	k->required = pres != NULL && strcmp(pres, "required") == 0;
	load_mac(l, mget(l, m, "supportedOS"), &k->mac);
	yaml_node_t *rl = mget(l, m, "rangelist");
	if (rl != NULL && rl->type == YAML_SEQUENCE_NODE) {
		size_t n = (size_t)(rl->data.sequence.items.top - rl->data.sequence.items.start);
		k->range = mds_arena_alloc(l->a, (n + 1) * sizeof *k->range);
		for (yaml_node_item_t *it = rl->data.sequence.items.start; it < rl->data.sequence.items.top; it++) {
			const char *v = scalar(l, get(l, *it));
			if (v != NULL)
				k->range[k->nrange++] = v;
		}
	}
	yaml_node_t *rg = mget(l, m, "range");
	const char *mn = scalar(l, mget(l, rg, "min")), *mx = scalar(l, mget(l, rg, "max"));
	if (mn) {
		k->has_min = true;
		k->min = strtod(mn, NULL);
	}
	if (mx) {
		k->has_max = true;
		k->max = strtod(mx, NULL);
	}
	yaml_node_item_t idx = 0;
	yaml_node_t *sub = NULL;
	if (m->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
			yaml_node_t *kn = get(l, pr->key);
			if (kn && kn->type == YAML_SCALAR_NODE && kn->data.scalar.length == 7 &&
			    memcmp(kn->data.scalar.value, "subkeys", 7) == 0) {
				idx = pr->value;
				sub = get(l, idx);
			}
		}
	}
	if (sub != NULL) {
		if (keyset(l, sub, idx, &k->sub) != 0)
			return -1;
		bool scalar_type = k->type != MDS_S_ARRAY && k->type != MDS_S_DICT && k->type != MDS_S_ANY;
		if (scalar_type && k->sub != NULL) {
			/* a scalar's subkeys enumerate the values it may take */
			k->enumv = mds_arena_alloc(l->a, (k->sub->n + 1) * sizeof *k->enumv);
			for (size_t i = 0; i < k->sub->n; i++)
				k->enumv[k->nenum++] = k->sub->keys[i].name;
		}
	}
	return 0;
}

/* The key set for sequence node idx, built once per node. */
static int
keyset(struct ld *l, yaml_node_t *seq, int idx, mds_skeyset **out)
{
	*out = NULL;
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	size_t slot = (size_t)idx;
	if (slot < l->nmemo && l->memo[slot] != NULL) {
		*out = l->memo[slot];
		return 0;
	}
	mds_skeyset *ks = mds_arena_alloc(l->a, sizeof *ks);
	if (slot < l->nmemo)
		l->memo[slot] = ks;     /* before the children: cycles end here */
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	ks->keys = mds_arena_alloc(l->a, (n + 1) * sizeof *ks->keys);
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *m = get(l, *it);
		if (m == NULL || m->type != YAML_MAPPING_NODE)
			continue;
		if (load_key(l, m, &ks->keys[ks->n]) != 0)
			return -1;
		ks->n++;
	}
	*out = ks;
	return 0;
}

static int
load_file(mds_sdoc *d, mds_arena *a, const char *path, const char *fname, mds_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mds_fail(err, 0, "%s: cannot open", path);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int rc = -1;
	if (!yaml_parser_load(&parser, &doc)) {
		mds_fail(err, parser.problem_offset, "%s: YAML: %s", path,
		    parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	struct ld l = { .doc = &doc, .a = a, .file = fname, .err = err };
	l.nmemo = (size_t)(doc.nodes.top - doc.nodes.start) + 2;
	l.memo = mds_xcalloc(l.nmemo, sizeof *l.memo);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *payload = mget(&l, root, "payload");
	memset(d, 0, sizeof *d);
	d->file = mds_arena_strndup(a, fname, strlen(fname));
	d->name = scalar(&l, mget(&l, payload, "requesttype"));
	if (d->name == NULL) {
		mds_fail(err, 0, "%s: no payload.requesttype", path);
		goto out;
	}
	load_mac(&l, mget(&l, payload, "supportedOS"), &d->mac);
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	    root->type == YAML_MAPPING_NODE && pr < root->data.mapping.pairs.top; pr++) {
		const char *k = scalar(&l, get(&l, pr->key));
		if (k == NULL)
			continue;
		if (strcmp(k, "payloadkeys") == 0 && keyset(&l, get(&l, pr->value), pr->value, &d->req) != 0)
			goto out;
		if (strcmp(k, "responsekeys") == 0 && keyset(&l, get(&l, pr->value), pr->value, &d->resp) != 0)
			goto out;
	}
	rc = 0;
out:
	free(l.memo);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(mds_sdoc **out, size_t *nout, mds_arena *a, const char *dir, mds_err *err)
{
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return mds_fail(err, 0, "%s: cannot open schema directory", dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = mds_xrealloc(names, cap * sizeof *names);
		}
		names[n++] = mds_xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, namecmp);
	*out = mds_arena_alloc(a, (n + 1) * sizeof **out);
	*nout = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (rc == 0 && load_file(&(*out)[*nout], a, path, names[i], err) != 0)
			rc = -1;
		else if (rc == 0)
			(*nout)++;
		free(names[i]);
	}
	free(names);
	if (rc == 0 && *nout == 0)
		return mds_fail(err, 0, "%s: no YAML schema files", dir);
	return rc;
}

/*
 * Keys every command-channel message may carry, from Apple's documentation
 * of the command responses (e.g. "DeviceLockResponse" and
 * "DeclarativeManagementResponse" at developer.apple.com/documentation/
 * devicemanagement): CommandUUID, Status (Acknowledged, Error,
 * CommandFormatError, Idle, NotNow), UDID (device enrollments),
 * EnrollmentID / EnrollmentUserID (user enrollment), UserID,
 * UserShortName, UserLongName and NotOnConsole (the user channel), and
 * ErrorChain items {ErrorCode, ErrorDomain, LocalizedDescription,
 * USEnglishDescription}.  The YAML has no file for them.  RequestType is
 * not in Apple's list; peers send it (mdmb writes it in every result,
 * mdm-observed.md §7), so it is accepted as an optional string and, when
 * not empty, must name the command answered (validate.c).
 */
static void
common_keys(mds_schema *s)
{
	static const char *const statuses[] = { "Acknowledged", "Error", "CommandFormatError", "Idle", "NotNow" };
	mds_arena *a = &s->arena;
	mds_skeyset *item = mds_arena_alloc(a, sizeof *item);
	item->keys = mds_arena_alloc(a, 4 * sizeof *item->keys);
	static const struct { const char *n; enum mds_stype t; bool req; } ec[] = {
		{ "ErrorCode", MDS_S_INTEGER, true }, { "ErrorDomain", MDS_S_STRING, true },
		{ "LocalizedDescription", MDS_S_STRING, true }, { "USEnglishDescription", MDS_S_STRING, false },
	};
	for (size_t i = 0; i < 4; i++) {
		mds_skey *k = &item->keys[item->n++];
		k->name = ec[i].n;
		k->type = ec[i].t;
		k->required = ec[i].req;
		k->mac.devch = k->mac.userch = -1;
	}
	mds_skeyset *chain = mds_arena_alloc(a, sizeof *chain);
	chain->keys = mds_arena_alloc(a, sizeof *chain->keys);
	chain->n = 1;
	chain->keys[0] = (mds_skey){ .name = "ErrorChainItem", .type = MDS_S_DICT, .sub = item,
		.mac = { .devch = -1, .userch = -1 } };
	static const struct { const char *n; enum mds_stype t; int8_t devch; uint8_t ue; } ck[] = {
		{ "CommandUUID", MDS_S_STRING, -1, 0 },
		{ "Status", MDS_S_STRING, -1, 0 },
		{ "UDID", MDS_S_STRING, -1, MDS_UE_FORBIDDEN },
		{ "EnrollmentID", MDS_S_STRING, -1, MDS_UE_REQUIRED },
		{ "EnrollmentUserID", MDS_S_STRING, 0, MDS_UE_REQUIRED },
		{ "UserID", MDS_S_STRING, 0, 0 },
		{ "UserShortName", MDS_S_STRING, 0, 0 },
		{ "UserLongName", MDS_S_STRING, 0, 0 },
		{ "NotOnConsole", MDS_S_BOOL, 0, 0 },
		{ "ErrorChain", MDS_S_ARRAY, -1, 0 },
		{ "RequestType", MDS_S_STRING, -1, 0 },
	};
	size_t n = sizeof ck / sizeof ck[0];
	s->common.keys = mds_arena_alloc(a, n * sizeof *s->common.keys);
	for (size_t i = 0; i < n; i++) {
		mds_skey *k = &s->common.keys[s->common.n++];
		k->name = ck[i].n;
		k->type = ck[i].t;
		k->mac.present = true;
		k->mac.devch = ck[i].devch;
		k->mac.userch = -1;
		k->mac.ue = ck[i].ue;
		/* Status always; UDID on device enrollments, EnrollmentID on user
		 * enrollments (the ue mode decides); UserLongName and NotOnConsole
		 * on the user channel ("Required" in Apple's response docs) */
		k->required = strcmp(k->name, "Status") == 0 || strcmp(k->name, "UDID") == 0 ||
		    strcmp(k->name, "EnrollmentID") == 0 || strcmp(k->name, "EnrollmentUserID") == 0 ||
		    strcmp(k->name, "UserLongName") == 0 || strcmp(k->name, "NotOnConsole") == 0;
		if (strcmp(k->name, "Status") == 0) {
			k->range = (const char **)statuses;
			k->nrange = 5;
		}
		if (strcmp(k->name, "ErrorChain") == 0)
			k->sub = chain;
	}
}

/*
 * Keys a check-in may carry to say who sends it, when its YAML does not
 * list them: getbootstraptoken.yaml and setbootstraptoken.yaml name only
 * MessageType, BootstrapToken and AwaitingConfiguration, yet the device
 * must identify itself (NanoMDM resolves every check-in by UDID or
 * EnrollmentID, mdm/type.go).  Optional, looked up after the file's own.
 */
static void
checkin_keys(mds_schema *s)
{
	static const struct { const char *n; enum mds_stype t; int8_t devch; uint8_t ue; } ck[] = {
		{ "UDID", MDS_S_STRING, -1, MDS_UE_FORBIDDEN },
		{ "EnrollmentID", MDS_S_STRING, -1, 0 },
		{ "EnrollmentUserID", MDS_S_STRING, 0, 0 },
		{ "UserID", MDS_S_STRING, 0, 0 },
		{ "UserShortName", MDS_S_STRING, 0, 0 },
		{ "UserLongName", MDS_S_STRING, 0, 0 },
		{ "NotOnConsole", MDS_S_BOOL, 0, 0 },
	};
	size_t n = sizeof ck / sizeof ck[0];
	s->checkin_common.keys = mds_arena_alloc(&s->arena, n * sizeof *s->checkin_common.keys);
	for (size_t i = 0; i < n; i++) {
		mds_skey *k = &s->checkin_common.keys[s->checkin_common.n++];
		k->name = ck[i].n;
		k->type = ck[i].t;
		k->mac.present = true;
		k->mac.devch = ck[i].devch;
		k->mac.userch = -1;
		k->mac.ue = ck[i].ue;
	}
}

int
mds_schema_load(mds_schema *out, const char *mdm_dir, mds_err *err)
{
	memset(out, 0, sizeof *out);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/checkin", mdm_dir);
	if (load_dir(&out->checkin, &out->ncheckin, &out->arena, dir, err) != 0)
		goto fail;
	snprintf(dir, sizeof dir, "%s/commands", mdm_dir);
	if (load_dir(&out->commands, &out->ncommands, &out->arena, dir, err) != 0)
		goto fail;
	common_keys(out);
	checkin_keys(out);
	return 0;
fail:
	mds_schema_free(out);
	return -1;
}

static const mds_sdoc *
find(const mds_sdoc *v, size_t n, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

const mds_sdoc *
mds_schema_checkin(const mds_schema *s, const char *msgtype)
{
	return find(s->checkin, s->ncheckin, msgtype);
}

const mds_sdoc *
mds_schema_command(const mds_schema *s, const char *reqtype)
{
	return find(s->commands, s->ncommands, reqtype);
}

void
mds_schema_free(mds_schema *s)
{
	mds_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

bool
mds_version_parse(const char *s, int v[3])
{
	v[0] = v[1] = v[2] = 0;
	if (s == NULL)
		return false;
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return false;
		long x = 0;
		while (*s >= '0' && *s <= '9' && x < 100000)
			x = x * 10 + (*s++ - '0');
		v[i] = (int)x;
		if (*s == 0)
			return true;
		if (*s != '.')
			return false;
		s++;
	}
	return *s == 0;
}
