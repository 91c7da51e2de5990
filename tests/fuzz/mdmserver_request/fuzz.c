/*
 * fuzz.c — libFuzzer target for the conformance MDM server's request
 * handling, in process (no sockets): the first byte picks the route
 * (check-in, command report, SCEP PKIOperation, the control API's enqueue
 * and fault parsing) and whether identities are checked; with checks on,
 * the bytes up to the first NUL are the Mdm-Signature header.  Two servers
 * (one checking identities, one not, so that the protocol and state code is
 * reached) are built once; their state is dropped every 2,000 inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mdm/mdms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mds_server servers[2];
static int ready;
static unsigned count;

static void
setup(void)
{
	for (int i = 0; i < 2; i++) {
		const char *dir = getenv("MDMSERVER_SCHEMA");
		mds_config c = { .host = "127.0.0.1", .bind = "127.0.0.1", .scep_port = -1, .threads = 1,
			.ec_tls = true, .mdm_path = "/mdm", .checkin_path = "/checkin", .scep_path = "/scep",
			.scep_challenge = "macext-challenge", .scep_polls = 2, .scep_failinfo = 2, .cert_days = 1,
			.max_body = 1u << 20, .keep_bodies = 1u << 20, .identity = "scep", .access_rights = 8191,
			.keysize = 2048, .p12_password = "x", .no_auth = i == 1, .ua_decline = i == 1, .ddm = i == 1,
			.schema_dir = dir ? dir : "../shared/testdata/apple-device-management/mdm" };
		mds_err err = { 0 };
		if (mds_server_init(&servers[i], &c, &err) != 0) {
			/* without the schema the protocol is still exercised */
			mds_server_free(&servers[i]);
			c.schema_dir = NULL;
			if (mds_server_init(&servers[i], &c, &err) != 0) {
				fprintf(stderr, "fuzz: %s\n", err.msg);
				abort();
			}
		}
		snprintf(servers[i].base_url, sizeof servers[i].base_url, "http://127.0.0.1:1");
		snprintf(servers[i].scep_url, sizeof servers[i].scep_url, "http://127.0.0.1:1/scep");
	}
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	mds_server *s = &servers[(sel >> 4) & 1];
	data++;
	size--;
	if (++count % 2000 == 0) {
		for (int i = 0; i < 2; i++) {
			mds_state_free(&servers[i].st);
			mds_state_init(&servers[i].st, 1u << 20);
		}
	}
	char sig[4096] = "";
	const uint8_t *nul = memchr(data, 0, size < sizeof sig ? size : sizeof sig - 1);
	if (nul != NULL && !s->cfg.no_auth) {
		memcpy(sig, data, (size_t)(nul - data));
		sig[nul - data] = 0;
		size -= (size_t)(nul - data) + 1;
		data = nul + 1;
	}
	static const char *const ctypes[] = { "application/x-apple-aspen-mdm-checkin", "", "text/xml" };
	mds_req rq = { .method = "PUT", .path = "/mdm", .content_type = ctypes[(sel >> 5) % 3],
		.mdm_signature = sig, .body = data, .len = size, .from_loopback = true, .query = "" };
	mds_resp rs = { 0 };
	switch (sel & 15) {
	case 0: case 1: case 2: case 3:
		rq.path = "/checkin";
		mds_handle_main(s, &rq, &rs);
		break;
	case 4: case 5: case 6: case 7:
		mds_handle_main(s, &rq, &rs);
		break;
	case 8:
		rq.method = "POST";
		rq.path = "/scep";
		rq.q_operation = "PKIOperation";
		mds_handle_main(s, &rq, &rs);
		break;
	case 9:
		rq.method = "GET";
		rq.path = "/scep";
		rq.q_operation = "PKIOperation";
		char *m = mds_xstrndup((const char *)data, size);
		rq.q_message = m;
		mds_handle_main(s, &rq, &rs);
		free(m);
		break;
	case 10: case 11:
		rq.method = "POST";
		rq.path = (sel & 1) ? "/v1/enqueue/all" : "/v1/enqueue/D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C";
		mds_handle_control(s, &rq, &rs);
		break;
	case 12: {
		mds_fault f;
		mds_err err = { 0 };
		char *spec = mds_xstrndup((const char *)data, size > 400 ? 400 : size);
		mds_fault_parse(&f, spec, &err);
		free(spec);
		break;
	}
	case 13:
		rq.method = "POST";
		rq.path = "/v1/faults";
		mds_handle_control(s, &rq, &rs);
		pthread_mutex_lock(&s->fmu);
		s->nfaults = 0;         /* faults would spoil the next inputs */
		pthread_mutex_unlock(&s->fmu);
		break;
	case 14:
		rq.method = "POST";
		rq.path = "/v1/scep";
		mds_handle_control(s, &rq, &rs);
		pthread_mutex_lock(&s->fmu);
		s->scep_mode = MDS_SCEP_SUCCESS;
		pthread_mutex_unlock(&s->fmu);
		break;
	default:
		rq.method = "GET";
		rq.path = "/v1/results";
		rq.query = (const char *)mds_xstrndup((const char *)data, size > 200 ? 200 : size);
		mds_handle_control(s, &rq, &rs);
		free((char *)rq.query);
		break;
	}
	mds_buf_free(&rs.body);
	return 0;
}
