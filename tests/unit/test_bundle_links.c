/*
 * test_bundle_links.c — issue 14 §6, the bundle reader and the resource
 * seal refuse what leads out of the bundle:
 *   - mx_bundle_open: Contents, Info.plist, the executable, _CodeSignature,
 *     a PlugIns entry that is a symbolic link (each a table row);
 *   - cs_verify_resources: a sealed symbolic link whose target leaves the
 *     bundle, and a sealed file reached through a linked directory; a link
 *     that stays inside is fine (macOS frameworks have them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cs_build.h"
#include "formats/codesign_int.h"
#include "harness.h"
#include "macext/bundle.h"

static const char info[] = "<plist><dict><key>CFBundleIdentifier</key><string>com.example.l"
    "</string><key>CFBundleVersion</key><string>1</string><key>CFBundleExecutable</key>"
    "<string>l</string></dict></plist>";

/* root/L.kext with Contents/{Info.plist,MacOS/l}; the part named by link
 * is moved to root/out/ and replaced by a symbolic link to it. */
static void
make_kext(char *kext, size_t kl, const char *root, const char *link)
{
	char p[1400], q[1400];
	snprintf(kext, kl, "%s/L.kext", root);
	mkdir(kext, 0755);
	snprintf(p, sizeof p, "%s/Contents", kext);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Contents/MacOS", kext);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Contents/Info.plist", kext);
	tb_write_file(p, info, strlen(info));
	snprintf(p, sizeof p, "%s/Contents/MacOS/l", kext);
	tb_write_file(p, "\xcf\xfa\xed\xfe", 4);
	snprintf(p, sizeof p, "%s/Contents/_CodeSignature", kext);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Contents/PlugIns", kext);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/out", root);
	mkdir(p, 0755);
	if (link == NULL)
		return;
	if (strcmp(link, "Contents/PlugIns/P.kext") == 0) {
		snprintf(p, sizeof p, "%s/out/P.kext", root);
		mkdir(p, 0755);
		snprintf(q, sizeof q, "%s/%s", kext, link);
		CHECK_EQ_INT(symlink(p, q), 0);
		return;
	}
	snprintf(p, sizeof p, "%s/%s", kext, link);
	snprintf(q, sizeof q, "%s/out/moved", root);
	CHECK_EQ_INT(rename(p, q), 0);
	CHECK_EQ_INT(symlink(q, p), 0);
}

MX_TEST(bundle_open_refuses_links)
{
	static const char *const links[] = { NULL, "Contents", "Contents/Info.plist",
		"Contents/MacOS", "Contents/MacOS/l", "Contents/_CodeSignature",
		"Contents/PlugIns/P.kext" };
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		char root[1100], kext[1200];
		snprintf(root, sizeof root, "%s", mx_test_tmpdir());
		make_kext(kext, sizeof kext, root, links[i]);
		mx_bundle *b = NULL;
		mx_err err = { 0 };
		int rc = mx_bundle_open_flags(&b, kext, MX_BUNDLE_NO_ENTITLEMENTS, &err);
		if (links[i] == NULL) {
			CHECK_EQ_INT(rc, 0);
		} else {
			char want[300];
			snprintf(want, sizeof want, "%s is a symbolic link", links[i]);
			if (rc != MX_EINVALID || strstr(err.msg, want) == NULL)
				mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d \"%s\"", links[i], rc, err.msg);
		}
		mx_bundle_free(b);
	}
}

#define HELLO_SHA256 "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="   /* base64 */

/* CodeResources with files2 = { Resources/real: {hash2}, key: {symlink =
 * target} or {hash2 = h} } and one rule "^Resources/" so the walk runs. */
static size_t
seal(char *out, size_t len, const char *key, const char *target, const char *file_hash_b64)
{
	return (size_t)snprintf(out, len, "<plist><dict><key>files2</key><dict>"
	    "<key>Resources/real</key><dict><key>hash2</key><data>" HELLO_SHA256 "</data></dict>"
	    "<key>%s</key><dict><key>%s</key>%s%s%s</dict></dict><key>rules2</key><dict>"
	    "<key>^Resources/</key><true/></dict></dict></plist>", key, target ? "symlink" : "hash2",
	    target ? "<string>" : "<data>", target ? target : file_hash_b64,
	    target ? "</string>" : "</data>");
}

MX_TEST(resource_seal_links_stay_inside)
{
	char top[1100], p[1300], cr[2048];
	snprintf(top, sizeof top, "%s", mx_test_tmpdir());
	snprintf(p, sizeof p, "%s/Resources", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Resources/real", top);
	tb_write_file(p, "hello", 5);
	static const struct { const char *target; bool ok; } cases[] = {
		{ "real", true }, { "./real", true }, { "../Resources/real", true },
		{ "../../outside", false }, { "/etc/passwd", false }, { "a/../../../x", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(p, sizeof p, "%s/Resources/link", top);
		unlink(p);
		CHECK_EQ_INT(symlink(cases[i].target, p), 0);
		size_t n = seal(cr, sizeof cr, "Resources/link", cases[i].target, NULL);
		char why[512];
		int rc = cs_verify_resources(why, sizeof why, top, NULL, (const uint8_t *)cr, n);
		if ((rc == 0) != cases[i].ok ||
		    (rc != 0 && strstr(why, "leads out of the bundle") == NULL))
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d \"%s\"", cases[i].target, rc, why);
	}
	/* a sealed file behind a linked directory: its hash matches, still refused */
	char outside[1300];
	snprintf(outside, sizeof outside, "%s/elsewhere", top);
	mkdir(outside, 0755);
	snprintf(p, sizeof p, "%s/f", outside);
	tb_write_file(p, "hello", 5);
	snprintf(p, sizeof p, "%s/Resources/dir", top);
	CHECK_EQ_INT(symlink(outside, p), 0);
	/* SHA-256("hello"), base64 */
	snprintf(p, sizeof p, "%s/Resources/link", top);
	unlink(p);
	size_t n = seal(cr, sizeof cr, "Resources/dir/f", NULL, HELLO_SHA256);
	char why[512];
	int rc = cs_verify_resources(why, sizeof why, top, NULL, (const uint8_t *)cr, n);
	CHECK(rc != 0);
	CHECK(strstr(why, "lies behind a symbolic link") != NULL);
}
