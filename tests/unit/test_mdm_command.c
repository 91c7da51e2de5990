/*
 * test_mdm_command.c — mx_mdm_command_parse: the envelope, the typed keys
 * of InstallProfile / RemoveProfile / RestartDevice, and where a bad key
 * is reported (bad/bad_err for the Error response, not a parse failure).
 */
#include <string.h>

#include "harness.h"
#include "macext/mdm.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>" \
	"<key>CommandUUID</key><string>U-1</string><key>Command</key><dict>"
#define TAIL "</dict></dict></plist>"

static const struct {
	const char *name, *xml;
	int rc;                 /* parse result */
	int bad;                /* command problem */
	const char *where;      /* substring of err.where or bad_err.where */
} cases[] = {
	{ "profile_list", HEAD "<key>RequestType</key><string>ProfileList</string>" TAIL, 0, 0, "" },
	{ "install", HEAD "<key>RequestType</key><string>InstallProfile</string>"
	  "<key>Payload</key><data>PD94bWw+</data>" TAIL, 0, 0, "" },
	{ "install_no_payload", HEAD "<key>RequestType</key><string>InstallProfile</string>" TAIL,
	  0, MX_EINVALID, "Command.Payload" },
	{ "install_payload_string", HEAD "<key>RequestType</key><string>InstallProfile</string>"
	  "<key>Payload</key><string>x</string>" TAIL, 0, MX_EINVALID, "Command.Payload" },
	{ "remove", HEAD "<key>RequestType</key><string>RemoveProfile</string>"
	  "<key>Identifier</key><string>com.x</string>" TAIL, 0, 0, "" },
	{ "remove_int", HEAD "<key>RequestType</key><string>RemoveProfile</string>"
	  "<key>Identifier</key><integer>3</integer>" TAIL, 0, MX_EINVALID, "Command.Identifier" },
	{ "restart", HEAD "<key>RequestType</key><string>RestartDevice</string>"
	  "<key>RebuildKernelCache</key><true/><key>KextPaths</key><array>"
	  "<string>/Library/Extensions/A.kext</string></array>" TAIL, 0, 0, "" },
	{ "restart_path_int", HEAD "<key>RequestType</key><string>RestartDevice</string>"
	  "<key>KextPaths</key><array><string>/a</string><integer>1</integer></array>" TAIL,
	  0, MX_EINVALID, "Command.KextPaths[1]" },
	{ "restart_notify_string", HEAD "<key>RequestType</key><string>RestartDevice</string>"
	  "<key>NotifyUser</key><string>yes</string>" TAIL, 0, MX_EINVALID, "Command.NotifyUser" },
	{ "no_request_type", HEAD TAIL, MX_EINVALID, 0, "RequestType" },
	{ "not_plist", "hello", MX_EFORMAT, 0, "" },
};

MX_TEST(mdm_command_parse_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_mdm_command c;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_mdm_command_parse(&c, (const uint8_t *)cases[i].xml, strlen(cases[i].xml),
		    "cmd.plist", &err);
		if (rc != cases[i].rc)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, expected %d (%s)", cases[i].name,
			    rc, cases[i].rc, err.msg);
		if (rc == 0) {
			CHECK_EQ_STR(c.uuid, "U-1");
			if (c.bad != cases[i].bad)
				mx_test_fail_at(__FILE__, __LINE__, "%s: bad %d, expected %d", cases[i].name,
				    c.bad, cases[i].bad);
			if (c.bad && strstr(c.bad_err.where, cases[i].where) == NULL)
				mx_test_fail_at(__FILE__, __LINE__, "%s: where '%s', expected '%s'",
				    cases[i].name, c.bad_err.where, cases[i].where);
			mx_mdm_command_free(&c);
		} else if (strstr(err.where, cases[i].where) == NULL &&
		    strstr(err.msg, cases[i].where) == NULL) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: error '%s: %s' does not name '%s'",
			    cases[i].name, err.where, err.msg, cases[i].where);
		}
	}
}

MX_TEST(mdm_command_restart_fields)
{
	const char *xml = HEAD "<key>RequestType</key><string>RestartDevice</string>"
	    "<key>NotifyUser</key><true/><key>RebuildKernelCache</key><true/><key>KextPaths</key>"
	    "<array><string>/L/E/A.kext</string><string>/L/E/B.kext</string></array>" TAIL;
	mx_mdm_command c;
	mx_err err;
	CHECK_EQ_INT(mx_mdm_command_parse(&c, (const uint8_t *)xml, strlen(xml), "x", &err), 0);
	CHECK(c.notify_user);
	CHECK(c.rebuild_kernel_cache);
	CHECK_EQ_INT(c.nkext_paths, 2);
	CHECK_EQ_STR(c.kext_paths[1], "/L/E/B.kext");
	CHECK_EQ_STR(c.type, "RestartDevice");
	mx_mdm_command_free(&c);
}
