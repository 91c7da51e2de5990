/*
 * fuzz.c — libFuzzer target for `macext serve`'s router and request
 * parsers (src/daemon/serve_router.c): the input is "METHOD\nPATH\nQUERY\n"
 * then a body.  The path goes through serve_route_match (identifiers
 * percent-decoded and validated), the query through the limit/after/q
 * parsers, the body through the JSON object, credential, member and type
 * checks every handler uses, and through the checks of POST
 * /api/v1/fleet/devices (src/daemon/serve_devices.c: a list of devices or a
 * count with a template, every member as the single route checks it, names
 * given twice).  Never a crash, a read past the input or a leak; a matched
 * route's identifiers are always valid names; an accepted bulk body names
 * 1 to SR_BULK_MAX valid, distinct devices.  The daemon files are compiled
 * in here: the fuzz build links only libmacext.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/daemon/serve_router.c"
#include "../../../src/daemon/serve_devices.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next line of data (NUL-terminated copy, malloc'd); *off moves past it. */
static char *
line(const uint8_t *data, size_t size, size_t *off)
{
	size_t s = *off, e = s;
	while (e < size && data[e] != '\n')
		e++;
	char *out = malloc(e - s + 1);
	memcpy(out, data + s, e - s);
	out[e - s] = '\0';
	*off = e < size ? e + 1 : e;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	char *method = line(data, size, &off);
	char *path = line(data, size, &off);
	char *query = line(data, size, &off);
	serve_match m;
	mx_err err;
	char allow[64];
	if (serve_route_match(method, path, &m, allow, sizeof allow, &err) == 0) {
		if (m.nparams > 0 && !serve_valid_name(m.param[0]))
			abort();
		for (int i = 1; i < m.nparams; i++)
			if (!serve_valid_ident(m.param[i]))
				abort();
	}
	int limit;
	char v[128];
	serve_query_limit(query, 100, 1000, &limit, &err);
	if (serve_query_get(query, "after", v, sizeof v, &err) == 1 && strlen(v) >= sizeof v)
		abort();
	serve_query_get(query, "q", v, sizeof v, &err);
	json_t *o;
	if (serve_body_object(data + off, size - off, true, &o, &err) == 0) {
		static const char *const keys[] = { "user", "password", "enabled", "policy", NULL };
		char cred[330];
		const char *s;
		bool b;
		serve_json_only(o, keys, &err);
		serve_body_cred(o, cred, sizeof cred, &err);
		serve_json_str(o, "policy", 16, &s, &err);
		serve_json_bool(o, "enabled", &b, NULL, &err);
		/* the bulk create body (nothing is written: only its checks run) */
		dev_req *dr;
		size_t n;
		if (requests_of(o, &dr, &n, &err) == 0) {
			if (n < 1 || n > SR_BULK_MAX)
				abort();
			for (size_t i = 0; i < n; i++)
				if (!serve_valid_name(dr[i].spec.name) ||
				    mx_engine_device_spec_check(&dr[i].spec, &err) != 0)
					abort();
			if (no_twice(dr, n, &err) == 0)
				for (size_t i = 1; i < n && n < 64; i++)
					for (size_t k = 0; k < i; k++)
						if (strcmp(dr[i].spec.name, dr[k].spec.name) == 0)
							abort();
			free(dr);
		}
		json_decref(o);
	}
	free(method);
	free(path);
	free(query);
	return 0;
}
