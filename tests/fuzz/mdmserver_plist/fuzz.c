/*
 * fuzz.c — libFuzzer target for the conformance MDM server's XML plist
 * reader (tests/mdm/xplist.c) and schema validator (validate.c): parse,
 * validate as a check-in, as a result of every command in Apple's schema
 * and as a command, then write the tree and read it back (it must parse
 * again, to the same number of top-level entries).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../mdm/mdms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mds_schema schema;
static int loaded;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (loaded == 0) {
		const char *dir = getenv("MDMSERVER_SCHEMA");
		mds_err e = { 0 };
		loaded = mds_schema_load(&schema, dir ? dir : "../shared/testdata/apple-device-management/mdm", &e) == 0 ? 1 : -1;
	}
	mds_arena a = { 0 };
	mds_pnode *root = NULL;
	mds_err err = { 0 };
	if (mds_plist_parse(&root, &a, data, size, &err) != 0) {
		mds_arena_free(&a);
		return 0;
	}
	if (loaded == 1) {
		mds_vctx ctx = { .user_channel = size & 1, .user_enrollment = (size >> 1) & 1,
			.os_known = (size >> 2) & 1, .os = { 11, 0, 0 } };
		mds_viols vs = { .n = 0 };
		const char *mt = mds_plist_str(root, "MessageType");
		const mds_sdoc *d = mds_schema_checkin(&schema, mt ? mt : "Authenticate");
		if (d)
			mds_validate_checkin(&schema, d, root, &ctx, &vs);
		const char *rt = mds_plist_str(root, "RequestType");
		mds_validate_response(&schema, mds_schema_command(&schema, rt), root, &ctx, &vs);
		/* a few big command schemas, whatever the input names */
		static const char *const some[] = { "SecurityInfo", "DeviceInformation", "ProfileList", "Settings",
			"InstalledApplicationList", "Restrictions", "ManagedApplicationList" };
		for (size_t i = 0; i < sizeof some / sizeof some[0]; i++)
			mds_validate_response(&schema, mds_schema_command(&schema, some[i]), root, &ctx, &vs);
		mds_validate_command(&schema, root, &ctx, &vs);
	}
	mds_buf out = { 0 };
	mds_plist_write(&out, root);
	mds_arena b = { 0 };
	mds_pnode *again = NULL;
	if (mds_plist_parse(&again, &b, out.p, out.len, &err) != 0 || again->n != root->n || again->type != root->type) {
		fprintf(stderr, "written plist does not read back: %s\n", err.msg);
		abort();
	}
	mds_arena_free(&b);
	mds_buf_free(&out);
	mds_arena_free(&a);
	return 0;
}
