/* test_pfplan.c — the preflight plan parser (src/formats/pfplan.c): a plan
 * read into its inputs, fleet and typed steps; every malformed plan refused
 * naming the file, the line and the key (table-driven). */
#include <stdlib.h>
#include <string.h>

#include "macext/pfplan.h"
#include "harness.h"

static mx_pfplan *
parse(const char *text, mx_err *err)
{
	mx_pfplan *p = NULL;
	mx_err_clear(err);
	if (mx_pfplan_parse(&p, (const uint8_t *)text, strlen(text), "plan.yaml", err) != 0)
		return NULL;
	return p;
}

MX_TEST(pfplan_reads_every_step)
{
	const char *y =
	    "version: 1\n"
	    "inputs:\n"
	    "  app: { app: A.app }\n"
	    "  k: { kext: K.kext }\n"
	    "  p: { profile: p.mobileconfig }\n"
	    "  pk: { pkg: A.pkg }\n"
	    "fleet:\n"
	    "  count: 7\n"
	    "  arch: [arm64, x86_64]\n"
	    "  macos: [\"14.6\", \"15.1\"]\n"
	    "  enrollment: [automated, device-unapproved]\n"
	    "  sip: [on, off]\n"
	    "timeline:\n"
	    "  - install-profile: { profile: p, via: manual }\n"
	    "  - remove-profile: com.example.id\n"
	    "  - install-app: app\n"
	    "  - activate: { app: pk, extension: com.example.ext }\n"
	    "  - install-kext: { kext: k, load: false }\n"
	    "    when: arch=x86_64\n"
	    "  - install-pkg: pk\n"
	    "  - mdm-restart: { notify-user: true, rebuild-kernel-cache: yes }\n"
	    "  - upgrade: \"15.2\"\n"
	    "  - approve: { extension: com.example.ext, as: standard }\n"
	    "  - restart:\n"
	    "  - recovery-security: { policy: reduced, kext-user-management: true }\n";
	mx_err err;
	mx_pfplan *p = parse(y, &err);
	CHECK(p != NULL);
	if (p == NULL) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: %s", err.where, err.msg);
		return;
	}
	CHECK_EQ_INT(p->ninputs, 4);
	CHECK_EQ_INT(p->inputs[3].kind, MX_PFI_PKG);
	CHECK_EQ_INT(p->fleet.count, 7);
	CHECK_EQ_INT(p->fleet.narch * p->fleet.nos * p->fleet.nenroll * p->fleet.nsip, 16);
	CHECK(p->fleet.sip_off[1] && !p->fleet.sip_off[0]);
	CHECK_EQ_INT(p->nsteps, 11);
	CHECK(p->steps[0].manual && p->steps[0].input == 2);
	CHECK_EQ_STR(p->steps[1].id, "com.example.id");
	CHECK_EQ_INT(p->steps[1].input, -1);
	CHECK_EQ_INT(p->steps[3].input, 3);
	CHECK_EQ_STR(p->steps[3].id, "com.example.ext");
	CHECK(!p->steps[4].load);
	CHECK_EQ_STR(p->steps[4].when, "arch=x86_64");
	CHECK_EQ_INT(p->steps[4].line, 18);
	CHECK(p->steps[6].notify_user && p->steps[6].rebuild_kernel_cache);
	CHECK_EQ_INT(p->steps[7].os.minor, 2);
	CHECK(p->steps[8].standard_user);
	CHECK_EQ_INT(p->steps[9].kind, MX_PFS_RESTART);
	CHECK(p->steps[10].kext_user && p->steps[10].level == MX_SEC_REDUCED);
	CHECK(mx_pfplan_step_is_person(p->steps[10].kind));
	CHECK(!mx_pfplan_step_is_person(p->steps[7].kind));
	mx_pfplan_free(p);
}

MX_TEST(pfplan_refuses_with_line_and_key)
{
	static const struct { const char *yaml, *where, *msg; int code; } t[] = {
		{ "timeline:\n  - install-profile: nothing\n", "plan.yaml:2",
		  "timeline[0].install-profile: no input named 'nothing'", MX_EINVALID },
		{ "inputs: {a: {app: A.app}}\ntimeline:\n  - install-kext: a\n", "plan.yaml:3",
		  "timeline[0].install-kext: 'a' is a app input", MX_EINVALID },
		{ "timeline:\n  - toggle:\n      enabled: true\n", "plan.yaml:3",
		  "timeline[0].toggle: names no extension", MX_EINVALID },
		{ "timeline:\n  - toggle:\n      extension: x\n      enabled: maybe\n", "plan.yaml:4",
		  "timeline[0].toggle.enabled", MX_EINVALID },
		{ "timeline:\n  - restart:\n    approve: x\n", "plan.yaml:3",
		  "timeline[0]: one action per step", MX_EINVALID },
		{ "timeline:\n  - restart: nobody\n", "plan.yaml:2",
		  "timeline[0].restart: expected admin or standard", MX_EINVALID },
		{ "timeline:\n  - upgrade: banana\n", "plan.yaml:2",
		  "timeline[0].upgrade: 'banana' is not a macOS version", MX_EINVALID },
		{ "timeline:\n  - recovery-security: { policy: full, kext-user-management: true }\n",
		  "plan.yaml:2", "timeline[0].recovery-security: the kernel extension options", MX_EINVALID },
		{ "timeline:\n  - recovery-security: { policy: permissive }\n", "plan.yaml:2",
		  "timeline[0].recovery-security.policy: expected full or reduced", MX_EINVALID },
		{ "fleet:\n  arch: [arm64]\n  macos: [\"15.1\"]\n  sip: [maybe]\n"
		  "timeline:\n  - restart:\n", "plan.yaml:4", "fleet.sip[0]: expected true or false",
		  MX_EINVALID },
		{ "fleet: { mix: \"arm64:15.1=100%\", arch: [arm64] }\ntimeline:\n  - restart:\n",
		  "plan.yaml:1", "fleet: give either mix or", MX_EINVALID },
		{ "fleet: { count: -3, mix: x }\ntimeline:\n  - restart:\n", "plan.yaml:1",
		  "fleet.count: expected a device count", MX_EINVALID },
		{ "fleet: { enrollment: [sideways], arch: [arm64], macos: [\"15\"] }\ntimeline:\n"
		  "  - restart:\n", "plan.yaml:1", "fleet.enrollment[0]: 'sideways' is not", MX_EINVALID },
		{ "inputs:\n  a: { app: A.app }\n  a: { kext: K.kext }\ntimeline:\n  - restart:\n",
		  "plan.yaml:3", "inputs.a: defined twice", MX_EINVALID },
		{ "inputs:\n  a: { widget: A }\ntimeline:\n  - restart:\n", "plan.yaml:2",
		  "inputs.a: unknown input kind 'widget'", MX_EINVALID },
		{ "inputs:\n  'a b': { app: A }\ntimeline:\n  - restart:\n", "plan.yaml:2",
		  "inputs.a b: an input name is", MX_EINVALID },
		{ "timeline: []\n", "plan.yaml:1", "timeline: no steps", MX_EINVALID },
		{ "inputs: {}\n", "plan.yaml:1", "timeline: missing", MX_EINVALID },
		{ "version: 2\ntimeline:\n  - restart:\n", "plan.yaml:1", "version: this macext reads",
		  MX_EINVALID },
		{ "colour: red\ntimeline:\n  - restart:\n", "plan.yaml:1", "colour: unknown key",
		  MX_EINVALID },
		{ "timeline:\n  - approve: \"a\\tb\"\n", "plan.yaml:2",
		  "timeline[0].approve: contains a control character", MX_EINVALID },
		{ "- just\n- a list\n", "plan.yaml:1", "(document): a plan is a mapping", MX_EINVALID },
		{ "timeline: [\n", "plan.yaml:2", "not YAML", MX_EFORMAT },
		{ "timeline: &x [*x]\n", "plan.yaml:1", "timeline[0]: expected a mapping",
		  MX_EINVALID },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		mx_err err;
		mx_pfplan *p = parse(t[i].yaml, &err);
		if (p != NULL) {
			mx_test_fail_at(__FILE__, __LINE__, "case %zu accepted", i);
			mx_pfplan_free(p);
			continue;
		}
		if (err.code != t[i].code || strcmp(err.where, t[i].where) != 0 ||
		    strncmp(err.msg, t[i].msg, strlen(t[i].msg)) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: %d %s: %s (wanted %d %s: %s...)", i,
			    err.code, err.where, err.msg, t[i].code, t[i].where, t[i].msg);
	}
}

MX_TEST(pfplan_caps_size)
{
	size_t n = MX_PFPLAN_MAX_BYTES + 1;
	char *big = malloc(n);
	memset(big, '#', n);
	mx_pfplan *p = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_pfplan_parse(&p, (uint8_t *)big, n, "big.yaml", &err), MX_ETOOBIG);
	CHECK(p == NULL);
	free(big);
}
