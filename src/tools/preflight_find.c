/*
 * preflight_find.c — the findings of a preflight run, each with the rule
 * behind it (docs/preflight.md lists them), from two sources: what the
 * throw-away devices did (refused profiles and activations, dialogs shown
 * before the allowing profile, extensions that never load, removals that
 * deactivated something), and the plan's inputs read as macOS reads them
 * (the merged policies of core/sysext_policy.c and core/kext.c, the
 * validator of `profiles validate`, the schema's delivery rules).
 * Coverage: for every extension the bundles hold, which allow-list entry
 * covers its Team ID, bundle ID and category, and whether the companion
 * payloads a security agent needs are present and well-formed (presence
 * and form only: TCC itself is not simulated).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/bundle.h"
#include "macext/plist_util.h"
#include "preflight.h"

void
pf_finding(struct pf_run *r, const char *code, bool blocks, const struct pf_class *c,
    const char *rule, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct pf_finding *f = NULL;
	for (int i = 0; i < r->nfind && f == NULL; i++)
		if (!strcmp(r->find[i].code, code) && !strcmp(r->find[i].message, msg))
			f = &r->find[i];
	if (f == NULL) {
		if (r->nfind == (int)(sizeof r->find / sizeof r->find[0]))
			return;
		f = &r->find[r->nfind++];
		memset(f, 0, sizeof *f);
		snprintf(f->code, sizeof f->code, "%s", code);
		snprintf(f->message, sizeof f->message, "%s", msg);
		snprintf(f->rule, sizeof f->rule, "%s", rule);
		f->blocks = blocks;
	}
	if (c == NULL || strstr(f->classes, c->label))
		return;
	size_t l = strlen(f->classes);
	snprintf(f->classes + l, sizeof f->classes - l, "%s%s", l ? "; " : "", c->label);
	f->nclasses++;
}

/* ---- the plan's profiles as policies ---- */

static bool
step_runs_profile(const struct pf_run *r, int input)
{
	for (int i = 0; i < r->plan->nsteps; i++)
		if (r->plan->steps[i].kind == MX_PFS_INSTALL_PROFILE && r->plan->steps[i].input == input)
			return true;
	return false;
}

#define SXP "com.apple.system-extension-policy"
#define KXP "com.apple.syspolicy.kernel-extension-policy"

/* Policies merged from the given profile inputs (mask; -1: every installed one). */
static void
policies(const struct pf_run *r, long long mask, mx_sxpolicy **sx, mx_kext_policy *kx)
{
	*sx = mx_sxpolicy_new();
	mx_kext_policy_init(kx);
	for (int i = 0; i < r->plan->ninputs; i++) {
		const mx_profile *p = r->in[i].prof;
		if (p == NULL || !(mask & (1ll << i)))
			continue;
		for (size_t k = 0; k < mx_profile_payload_count(p); k++) {
			mx_err e;
			const char *t = mx_profile_payload_type(p, k);
			if (!strcmp(t, SXP))
				mx_sxpolicy_add_payload(*sx, mx_profile_payload(p, k), r->in[i].path, &e);
			else if (!strcmp(t, KXP))
				mx_kext_policy_add(kx, mx_profile_payload(p, k), mx_profile_payload_uuid(p, k), &e);
		}
	}
}

static long long
installed_mask(const struct pf_run *r)
{
	long long m = 0;
	for (int i = 0; i < r->plan->ninputs; i++)
		if (step_runs_profile(r, i))
			m |= 1ll << i;
	return m;
}

/* ---- from the simulation ---- */

static const char *
delivery_rule(const mx_profile *p, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t k = 0; p && k < mx_profile_payload_count(p); k++) {
		mx_payload_rules pr;
		if (!mx_schema_rules(mx_profile_payload_type(p, k), &pr) || !pr.known)
			continue;
		char parts[160] = "";
		if (!pr.allow_manual_install)
			strcat(parts, "MDM only");
		if (pr.requires_user_approved_mdm)
			strcat(strcat(parts, parts[0] ? ", " : ""), "user-approved MDM enrollment");
		if (pr.user_enrollment_forbidden)
			strcat(strcat(parts, parts[0] ? ", " : ""), "not on User Enrollment");
		size_t l = strlen(buf);
		if (parts[0])
			snprintf(buf + l, len - l, "%s%s: %s", l ? "; " : "", mx_profile_payload_type(p, k),
			    parts);
	}
	if (!buf[0])
		snprintf(buf, len, "the profile delivery rules (src/core/rules.c)");
	return buf;
}

static void
from_moments(struct pf_run *r, struct pf_class *c)
{
	const mx_pfplan *p = r->plan;
	for (int i = 0; i < c->nmoments; i++) {
		const struct pf_moment *m = &c->m[i];
		/* kmutil's 27 and 28 are the way to loaded, not failures */
		if (m->step < 0 || m->step >= p->nsteps || m->code <= 0 || m->code == 27 ||
		    m->code == 28)
			continue;
		const mx_pf_step *st = &p->steps[m->step];
		char rule[384];
		if (st->kind == MX_PFS_INSTALL_PROFILE) {
			const struct pf_in *in = &r->in[st->input];
			pf_finding(r, "profile-refused", true, c, delivery_rule(in->prof, rule, sizeof rule),
			    "%s (step %d, line %d) is refused: %s", p->inputs[st->input].name, m->step + 1,
			    st->line, m->text);
		} else if (st->kind == MX_PFS_ACTIVATE && m->mark != PF_MARK_DIALOG) {
			pf_finding(r, "activation-refused", true, c, "OSSystemExtensionRequest validation"
			    " (sysextd: signature, Team ID, entitlements, location in /Applications)",
			    "%s (step %d, line %d) fails: %s", m->what, m->step + 1, st->line, m->text);
		} else if (m->mark == PF_MARK_STEP || m->mark == PF_MARK_PERSON) {
			pf_finding(r, "step-failed", false, c, "the engine operation the step runs"
			    " (docs/engine.md)", "step %d (line %d) %s fails (exit %d): %s", m->step + 1,
			    st->line, m->what, m->code, m->text);
		}
	}
	/* never loads: after every person step the simulation could take */
	for (int i = 0; i < c->nstates; i++) {
		const struct pf_state *s = &c->states[i];
		/* installed: never asked to load (install-kext load: false) */
		if (!strcmp(s->after, "loaded") || !strcmp(s->after, "activated_enabled") ||
		    !strcmp(s->after, "removed") || !strcmp(s->after, "uninstalled") ||
		    !strcmp(s->after, "installed"))
			continue;
		/* switched off on purpose by the plan's own macOS 15 toggle step */
		bool switched_off = false;
		for (int k = 0; k < p->nsteps && !strcmp(s->after, "activated_disabled"); k++)
			switched_off |= p->steps[k].kind == MX_PFS_TOGGLE && !p->steps[k].enable &&
			    !strcmp(p->steps[k].id, s->id);
		if (switched_off)
			continue;
		const char *why = "";
		for (int k = c->nmoments - 1; k >= 0 && !why[0]; k--)
			if (c->m[k].mark == PF_MARK_NEEDED && c->m[k].code > 0)
				why = c->m[k].text;
		pf_finding(r, "never-loads", true, c, s->kext ? "kernel-extensions.md: approval,"
		    " Startup Security Utility (Apple silicon), AuxKC rebuild and restart" :
		    "system-extensions.md §1.6: allowed by policy, or approved by a user where"
		    " AllowUserOverrides permits", "%s %s stays %s after every person step%s%s",
		    s->kext ? "kext" : "system extension", s->id, s->after, why[0] ? ": " : "", why);
	}
}

/* The dialog an activation or a kext load showed at step i, if any. */
static const struct pf_moment *
dialog_at(const struct pf_class *c, int step, const char *kind_part)
{
	for (int i = 0; i < c->nmoments; i++)
		if (c->m[i].step == step && c->m[i].mark == PF_MARK_DIALOG &&
		    strstr(c->m[i].what, kind_part))
			return &c->m[i];
	return NULL;
}

/* Activation (or a kext load) before the profile that allows it. */
static void
ordering(struct pf_run *r)
{
	const mx_pfplan *p = r->plan;
	for (int i = 0; i < p->nsteps; i++) {
		const mx_pf_step *a = &p->steps[i];
		bool kext = a->kind == MX_PFS_INSTALL_KEXT && a->load;
		if (a->kind != MX_PFS_ACTIVATE && !kext)
			continue;
		for (int x = 0; x < PF_MAX_EXT && r->ext[x].id[0]; x++) {
			const struct pf_ext *e = &r->ext[x];
			if (e->input != a->input || e->kext != kext || (a->id[0] && strcmp(a->id, e->id)))
				continue;
			for (int j = i + 1; j < p->nsteps; j++) {
				const mx_pf_step *b = &p->steps[j];
				if (b->kind != MX_PFS_INSTALL_PROFILE)
					continue;
				mx_sxpolicy *sx;
				mx_kext_policy kx;
				policies(r, 1ll << b->input, &sx, &kx);
				bool allows = kext ? mx_kext_policy_allows(&kx, e->team, e->id, true, NULL) :
				    mx_sxpolicy_allows(sx, e->team, e->id, e->category);
				mx_sxpolicy_free(sx);
				mx_kext_policy_free(&kx);
				if (!allows)
					continue;
				for (int k = 0; k < r->nclasses; k++) {
					const struct pf_moment *d = dialog_at(&r->cls[k], i, "blocked");
					if (d)
						pf_finding(r, "ordering-race", false, &r->cls[k], kext ?
						    "kernel-extensions.md: a kext loaded before its team is in the MDM"
						    " policy needs user approval" : "system-extensions.md §1.6–§1.7:"
						    " a request the policy does not allow waits for the user; the profile"
						    " only approves it later (11.3+)", "%s %s (step %d) comes before %s"
						    " (step %d), which allows it: users see \"%s\" in between",
						    kext ? "loading" : "activating", e->id, i + 1, p->inputs[b->input].name,
						    j + 1, d->what + strcspn(d->what, ":") + 2);
				}
				break;
			}
		}
	}
}

/* ---- from the inputs ---- */

struct ovr { int input; size_t payload; bool set, value; };

static void
overrides(struct pf_run *r)
{
	const char *types[2] = { SXP, KXP };
	for (int t = 0; t < 2; t++) {
		struct ovr o[64];
		int n = 0;
		for (int i = 0; i < r->plan->ninputs && n < 64; i++) {
			const mx_profile *p = r->in[i].prof;
			if (p == NULL || !step_runs_profile(r, i))
				continue;
			for (size_t k = 0; k < mx_profile_payload_count(p) && n < 64; k++) {
				if (strcmp(mx_profile_payload_type(p, k), types[t]))
					continue;
				plist_t v = plist_dict_get_item(mx_profile_payload(p, k), "AllowUserOverrides");
				uint8_t b = t == 0;      /* the defaults: true for system extensions, false for kexts */
				if (v && plist_get_node_type(v) == PLIST_BOOLEAN)
					plist_get_bool_val(v, &b);
				o[n++] = (struct ovr){ i, k, v != NULL, b != 0 };
			}
		}
		for (int a = 0; a < n; a++)
			for (int b = 0; b < n; b++) {
				if (o[a].input == o[b].input || o[a].value || !(o[b].value))
					continue;
				/* a says false (explicitly, or by the kext default), b relies on true */
				if (t == 0 && !o[a].set)
					continue;
				pf_finding(r, "overrides-conflict", false, NULL, t == 0 ?
				    "system-extensions.md §1.4: AllowUserOverrides is ANDed over every installed"
				    " payload: one false wins" : "kernel-extension policy: the relaxing booleans"
				    " are ANDed over every payload (a payload without the key counts as false)",
				    "%s %s AllowUserOverrides false%s while %s sets it true: with both installed"
				    " users cannot approve %s outside the allow lists (no Allow button)",
				    r->plan->inputs[o[a].input].name, o[a].set ? "sets" : "leaves",
				    o[a].set ? "" : " (the default)", r->plan->inputs[o[b].input].name,
				    t == 0 ? "system extensions" : "kernel extensions");
			}
	}
}

static void
validate(struct pf_run *r)
{
	for (int i = 0; i < r->plan->ninputs; i++) {
		const mx_profile *p = r->in[i].prof;
		if (p == NULL || !step_runs_profile(r, i))
			continue;
		for (int k = 0; k < r->nclasses; k++) {
			mx_problems ps = { 0 };
			mx_profile_validate(p, r->cls[k].os, &ps);
			for (size_t j = 0; j < ps.n; j++) {
				bool ignored = strstr(ps.v[j].msg, "ignored by macOS") ||
				    strstr(ps.v[j].msg, "not supported on macOS");
				if (ps.v[j].severity == MX_SEV_ERROR)
					pf_finding(r, "payload-error", false, &r->cls[k], "macext profiles validate"
					    " (Apple's device-management schema)", "%s: %s: %s",
					    r->plan->inputs[i].name, ps.v[j].path, ps.v[j].msg);
				else if (ignored && ps.v[j].severity == MX_SEV_WARNING)
					pf_finding(r, "key-ignored", false, &r->cls[k], "the schema's"
					    " supportedOS.macOS (introduced/removed) for the key", "%s: %s: %s",
					    r->plan->inputs[i].name, ps.v[j].path, ps.v[j].msg);
			}
			mx_problems_free(&ps);
		}
	}
}

/* Crossing 11.3, 12.0.1, 15.0 on an upgrade. */
static void
upgrades(struct pf_run *r)
{
	static const struct { mx_version at; const char *what; } marks[] = {
		{ { 11, 3, 0 }, "from 11.3 a profile change approves or blocks existing system"
		  " extensions at once, and MDM RestartDevice honours NotifyUser" },
		{ { 12, 0, 1 }, "from 12.0.1 RemovableSystemExtensions is read: the extensions it lists"
		  " can be removed without an administrator" },
		{ { 15, 0, 0 }, "from 15.0 NonRemovableSystemExtensions and"
		  " NonRemovableFromUISystemExtensions are read, and users can switch extensions off in"
		  " System Settings unless NonRemovableFromUISystemExtensions lists them" },
	};
	for (int k = 0; k < r->nclasses; k++) {
		mx_version os = r->cls[k].os;
		for (int i = 0; i < r->plan->nsteps; i++) {
			const mx_pf_step *st = &r->plan->steps[i];
			if (st->kind != MX_PFS_UPGRADE || mx_version_cmp(st->os, os) <= 0)
				continue;
			for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
				char at[24];
				mx_version_str(marks[m].at, at, sizeof at);
				if (mx_version_cmp(os, marks[m].at) < 0 && mx_version_cmp(st->os, marks[m].at) >= 0)
					pf_finding(r, "upgrade-crossing", false, &r->cls[k], "src/core/sysext_policy.c,"
					    " src/core/rules.c (version gates)", "the upgrade at step %d crosses"
					    " macOS %s: %s", i + 1, at, marks[m].what);
			}
			os = st->os;
		}
	}
}

/* ---- coverage ---- */

static plist_t
payload_of(const struct pf_run *r, const char *type, int *input, size_t *k, int from)
{
	for (int i = from; i < r->plan->ninputs; i++) {
		const mx_profile *p = r->in[i].prof;
		for (size_t j = 0; p && step_runs_profile(r, i) && j < mx_profile_payload_count(p); j++)
			if (!strcmp(mx_profile_payload_type(p, j), type)) {
				*input = i, *k = j;
				return mx_profile_payload(p, j);
			}
	}
	return NULL;
}

static const char *
str_of(plist_t d, const char *key)
{
	plist_t v = d ? plist_dict_get_item(d, key) : NULL;
	return v && plist_get_node_type(v) == PLIST_STRING ? mx_plist_str(v) : NULL;
}

/* A companion payload: present (which profile), well-formed (why not). */
static json_t *
companion(const char *need, const char *profile, const char *problem)
{
	return json_pack("{s:s, s:b, s:s?, s:b, s:s?}", "need", need, "present", profile != NULL,
	    "profile", profile, "well_formed", profile && !problem, "problem", profile ? problem : NULL);
}

static json_t *
fda(const struct pf_run *r, const struct pf_ext *e)
{
	int in;
	size_t k;
	for (int from = 0; payload_of(r, "com.apple.TCC.configuration-profile-policy", &in, &k, from);
	    from = in + 1) {
		plist_t svc = plist_dict_get_item(mx_profile_payload(r->in[in].prof, k), "Services");
		plist_t all = svc ? plist_dict_get_item(svc, "SystemPolicyAllFiles") : NULL;
		if (all == NULL || plist_get_node_type(all) != PLIST_ARRAY)
			continue;
		for (uint32_t i = 0; i < plist_array_get_size(all); i++) {
			plist_t d = plist_array_get_item(all, i);
			const char *id = str_of(d, "Identifier");
			if (id == NULL || strcmp(id, e->id))
				continue;
			const char *problem = NULL;
			plist_t al = plist_dict_get_item(d, "Allowed");
			const char *auth = str_of(d, "Authorization");
			uint8_t b = 0;
			if (al && plist_get_node_type(al) == PLIST_BOOLEAN)
				plist_get_bool_val(al, &b);
			if (!str_of(d, "CodeRequirement"))
				problem = "no CodeRequirement";
			else if (!str_of(d, "IdentifierType"))
				problem = "no IdentifierType";
			else if (!b && !(auth && !strcmp(auth, "Allow")))
				problem = "neither Allowed true nor Authorization Allow";
			else if (e->team[0] && !strstr(str_of(d, "CodeRequirement"), e->team))
				problem = "the CodeRequirement does not name the bundle's Team ID";
			return companion("Full Disk Access (com.apple.TCC.configuration-profile-policy"
			    " SystemPolicyAllFiles)", r->plan->inputs[in].name, problem);
		}
	}
	return companion("Full Disk Access (com.apple.TCC.configuration-profile-policy"
	    " SystemPolicyAllFiles)", NULL, NULL);
}

static json_t *
network(const struct pf_run *r, const struct pf_ext *e)
{
	static const char *const types[] = { "com.apple.webcontent-filter", "com.apple.vpn.managed",
		"com.apple.dnsProxy.managed", "com.apple.relay.managed" };
	static const char *const keys[] = { "FilterDataProviderBundleIdentifier",
		"FilterPacketProviderBundleIdentifier", "ProviderBundleIdentifier" };
	const char *need = "a content-filter or VPN payload naming it (com.apple.webcontent-filter,"
	    " com.apple.vpn.managed, ...)";
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		int in;
		size_t k;
		for (int from = 0; payload_of(r, types[t], &in, &k, from); from = in + 1) {
			plist_t pl = mx_profile_payload(r->in[in].prof, k);
			plist_t vpn = plist_dict_get_item(pl, "VPN");
			for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++) {
				const char *v = str_of(pl, keys[j]);
				if (v == NULL && vpn)
					v = str_of(vpn, keys[j]);
				if (v == NULL || strcmp(v, e->id))
					continue;
				const char *problem = NULL;
				if (t == 0 && (!str_of(pl, "FilterType") || strcmp(str_of(pl, "FilterType"), "Plugin")))
					problem = "FilterType is not Plugin";
				else if (t == 0 && !str_of(pl, "PluginBundleID"))
					problem = "no PluginBundleID";
				else if (t == 1 && !str_of(pl, "VPNType"))
					problem = "no VPNType";
				return companion(need, r->plan->inputs[in].name, problem);
			}
		}
	}
	return companion(need, NULL, NULL);
}

static json_t *
background(const struct pf_run *r, const char *app_id, const char *team)
{
	const char *need = "login and background items (com.apple.servicemanagement rule for the"
	    " app's Team ID or bundle ID)";
	int in;
	size_t k;
	for (int from = 0; payload_of(r, "com.apple.servicemanagement", &in, &k, from); from = in + 1) {
		plist_t rules = plist_dict_get_item(mx_profile_payload(r->in[in].prof, k), "Rules");
		if (rules == NULL || plist_get_node_type(rules) != PLIST_ARRAY)
			continue;
		for (uint32_t i = 0; i < plist_array_get_size(rules); i++) {
			plist_t d = plist_array_get_item(rules, i);
			const char *t = str_of(d, "RuleType"), *v = str_of(d, "RuleValue");
			if (t == NULL || v == NULL)
				continue;
			if ((!strcmp(t, "TeamIdentifier") && team[0] && !strcmp(v, team)) ||
			    (!strcmp(t, "BundleIdentifier") && !strcmp(v, app_id)) ||
			    (!strcmp(t, "BundleIdentifierPrefix") && !strncmp(app_id, v, strlen(v))))
				return companion(need, r->plan->inputs[in].name, NULL);
		}
	}
	return companion(need, NULL, NULL);
}

/* Is the input's bundle put on the Macs by some step? */
static bool
used(const struct pf_run *r, int input)
{
	for (int i = 0; i < r->plan->nsteps; i++) {
		enum mx_pf_step_kind k = r->plan->steps[i].kind;
		if (r->plan->steps[i].input == input && (k == MX_PFS_INSTALL_APP || k == MX_PFS_ACTIVATE ||
		    k == MX_PFS_INSTALL_KEXT || k == MX_PFS_INSTALL_PKG))
			return true;
	}
	return false;
}

static void
coverage(struct pf_run *r)
{
	mx_sxpolicy *sx;
	mx_kext_policy kx;
	policies(r, installed_mask(r), &sx, &kx);
	r->coverage = json_array();
	for (int x = 0; x < PF_MAX_EXT && r->ext[x].id[0]; x++) {
		const struct pf_ext *e = &r->ext[x];
		if (!used(r, e->input))
			continue;
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "extension", e->id, "kind", e->kext ? "kext" :
		    "system extension", "team", e->team, "input", r->plan->inputs[e->input].name);
		json_t *comp = json_array();
		bool allowed;
		if (e->kext) {
			allowed = mx_kext_policy_allows(&kx, e->team, e->id, true, NULL);
			json_object_set_new(o, "team_allowed", json_boolean(
			    mx_kext_policy_allows(&kx, e->team, "", true, NULL) || allowed));
		} else {
			allowed = mx_sxpolicy_allows(sx, e->team, e->id, e->category);
			json_object_set_new(o, "category", json_string(e->category));
			json_object_set_new(o, "listed", json_boolean(mx_sxpolicy_lists(sx, e->team, e->id)));
			json_object_set_new(o, "category_allowed", json_boolean(allowed ||
			    !mx_sxpolicy_lists(sx, e->team, e->id)));
			json_object_set_new(o, "verdict", json_string(mx_sx_verdict_name(mx_sx_decide(sx,
			    e->team, e->id, e->category))));
			if (!strcmp(e->category, MX_CAT_ES))
				json_array_append_new(comp, fda(r, e));
			if (!strcmp(e->category, MX_CAT_NETWORK))
				json_array_append_new(comp, network(r, e));
		}
		if (e->app_id[0])
			json_array_append_new(comp, background(r, e->app_id, e->team));
		json_object_set_new(o, "allowed", json_boolean(allowed));
		json_object_set_new(o, "companions", comp);
		json_array_append_new(r->coverage, o);
		if (!allowed) {
			bool listed = !e->kext && mx_sxpolicy_lists(sx, e->team, e->id);
			pf_finding(r, "not-allowed", false, NULL, e->kext ? "kext policy: AllowedTeamIdentifiers"
			    " or AllowedKernelExtensions[team] (core/kext.c)" : "system-extensions.md §1.6:"
			    " AllowedTeamIdentifiers, AllowedSystemExtensions[team], narrowed by"
			    " AllowedSystemExtensionTypes[team]", "%s %s (Team ID %s%s%s) matches no allowing"
			    " entry of the plan's profiles%s", e->kext ? "kext" : "system extension", e->id,
			    e->team[0] ? e->team : "none", e->kext ? "" : ", ", e->kext ? "" : e->category,
			    listed ? ": its team's AllowedSystemExtensionTypes leaves its category out" :
			    ": a person must approve it");
		}
		size_t j;
		json_t *c;
		json_array_foreach(comp, j, c)
			if (!json_is_true(json_object_get(c, "well_formed")))
				pf_finding(r, "companion-missing", false, NULL, "coverage only: the payload a"
				    " security agent needs, by identifier (TCC is not simulated)", "%s: %s %s%s%s",
				    e->id, json_string_value(json_object_get(c, "need")),
				    json_is_true(json_object_get(c, "present")) ? "is not well-formed: " :
				    "is missing", json_is_true(json_object_get(c, "present")) ?
				    json_string_value(json_object_get(c, "problem")) : "", "");
	}
	/* macOS 15: users may switch enabled extensions off */
	for (int k = 0; k < r->nclasses; k++) {
		const struct pf_class *c = &r->cls[k];
		if (c->final_os.major < 15)
			continue;
		for (int x = 0; x < PF_MAX_EXT && r->ext[x].id[0]; x++) {
			const struct pf_ext *e = &r->ext[x];
			if (!used(r, e->input))
				continue;
			if (e->kext || mx_sxpolicy_nonremovable_from_ui(sx, c->final_os, e->team, e->id))
				continue;
			pf_finding(r, "user-can-disable", false, c, "macOS 15 System Settings › General ›"
			    " Login Items & Extensions; NonRemovableFromUISystemExtensions (15.0)",
			    "users can switch %s off in System Settings: NonRemovableFromUISystemExtensions"
			    " does not list it", e->id);
		}
	}
	mx_sxpolicy_free(sx);
	mx_kext_policy_free(&kx);
}

void
pf_find_all(struct pf_run *r)
{
	for (int k = 0; k < r->nclasses; k++)
		from_moments(r, &r->cls[k]);
	ordering(r);
	overrides(r);
	validate(r);
	upgrades(r);
	coverage(r);
}
