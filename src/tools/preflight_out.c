/*
 * preflight_out.c — a preflight run as a person reads it (a table by class,
 * then the findings, then the coverage), as JSON for CI (one object:
 * classes, findings, coverage, exit), and as one self-contained HTML page
 * (inline CSS, an inline SVG timeline per class: the plan's steps, the
 * dialogs they brought up, restarts, and where a person was needed).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"

int
pf_exit_code(const struct pf_run *r)
{
	for (int i = 0; i < r->nfind; i++)
		if (r->find[i].blocks)
			return 2;
	for (int i = 0; i < r->nclasses; i++)
		if (r->cls[i].person_in_plan || r->cls[i].person_needed)
			return 1;
	return 0;
}

static const char *
mark_name(enum pf_mark m)
{
	static const char *const n[] = { "step", "person", "dialog", "restart", "needed" };
	return n[m];
}

/* Running, or gone because the plan removed it. */
static bool
loaded(const char *s)
{
	return !strcmp(s, "loaded") || !strcmp(s, "activated_enabled") || !strcmp(s, "removed") ||
	    !strcmp(s, "uninstalled") || !strcmp(s, "installed");
}

/* ---- text ---- */

void
pf_print_text(struct mx_cli *cli, const struct pf_run *r)
{
	int nblock = 0;
	for (int i = 0; i < r->nfind; i++)
		nblock += r->find[i].blocks;
	cli_out(cli, "preflight %s: %d kind%s of Mac (%ld devices), %d steps, simulated in %.2f s\n\n",
	    r->plan->name, r->nclasses, r->nclasses == 1 ? "" : "s", r->devices, r->plan->nsteps,
	    r->seconds);
	cli_out(cli, "%-44s %8s %7s %7s %8s  %s\n", "CLASS", "DEVICES", "DIALOGS", "PERSON", "RESTARTS",
	    "EXTENSIONS (after the plan -> after person steps)");
	for (int i = 0; i < r->nclasses; i++) {
		const struct pf_class *c = &r->cls[i];
		int dialogs = 0;
		for (int k = 0; k < c->nmoments; k++)
			dialogs += c->m[k].mark == PF_MARK_DIALOG;
		char person[16], rs[16];
		snprintf(person, sizeof person, "%d+%d", c->person_in_plan, c->person_needed);
		snprintf(rs, sizeof rs, "%d+%d", c->restarts, c->restarts_needed);
		cli_out(cli, "%-44s %8ld %7d %7s %8s ", c->label, c->devices, dialogs, person, rs);
		if (c->run_rc)
			cli_out(cli, " simulation failed: %s\n", c->run_err.msg);
		else if (c->nstates == 0)
			cli_out(cli, " (no extensions)\n");
		for (int k = 0; k < c->nstates; k++)
			cli_out(cli, "%s %s %s -> %s%s\n", k ? "                                                   "
			    "                                  " : "", c->states[k].id, c->states[k].state,
			    c->states[k].after, loaded(c->states[k].after) ? "" : "  (!)");
	}
	cli_out(cli, "\nPERSON and RESTARTS: in the plan + still needed after it.\n");
	for (int i = 0; i < r->nclasses; i++) {
		const struct pf_class *c = &r->cls[i];
		bool any = false;
		for (int k = 0; k < c->nmoments; k++) {
			const struct pf_moment *m = &c->m[k];
			if (m->mark != PF_MARK_DIALOG && m->mark != PF_MARK_NEEDED)
				continue;
			if (!any)
				cli_out(cli, "\n%s:\n", c->label);
			any = true;
			if (m->mark == PF_MARK_DIALOG) {
				char at[32];
				if (m->step < r->plan->nsteps)
					snprintf(at, sizeof at, "step %d", m->step + 1);
				else
					snprintf(at, sizeof at, "person step %d", m->step - r->plan->nsteps + 1);
				cli_out(cli, "  %-14s shows %s: \"%.160s%s\"\n", at, m->what, m->text,
				    strlen(m->text) > 160 ? "..." : "");
			} else {
				cli_out(cli, "  needed %-7d %s%s%s\n", m->step - r->plan->nsteps + 1, m->what,
				    m->code ? ": fails: " : "", m->code ? m->text : "");
			}
		}
	}
	cli_out(cli, "\nFINDINGS (%d, %d blocking)\n", r->nfind, nblock);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < r->nfind; i++) {
			const struct pf_finding *f = &r->find[i];
			if (f->blocks != (pass == 0))
				continue;
			cli_out(cli, "  %-5s %-18s %s\n", f->blocks ? "BLOCK" : "warn", f->code, f->message);
			cli_out(cli, "        rule: %s\n", f->rule);
			if (f->classes[0] && f->nclasses < r->nclasses)
				cli_out(cli, "        on: %s\n", f->classes);
		}
	if (json_array_size(r->coverage)) {
		cli_out(cli, "\nCOVERAGE (from the bundles, by the plan's profiles)\n");
		size_t i;
		json_t *o;
		json_array_foreach(r->coverage, i, o) {
			const char *cat = json_string_value(json_object_get(o, "category"));
			cli_out(cli, "  %s (%s, Team ID %s%s%s): %s\n",
			    json_string_value(json_object_get(o, "extension")),
			    json_string_value(json_object_get(o, "kind")),
			    json_string_value(json_object_get(o, "team")), cat ? ", " : "",
			    cat ? cat + (strncmp(cat, "com.apple.system_extension.", 27) ? 0 : 27) : "",
			    json_is_true(json_object_get(o, "allowed")) ? "allowed" : "NOT allowed");
			size_t j;
			json_t *c;
			json_array_foreach(json_object_get(o, "companions"), j, c) {
				bool present = json_is_true(json_object_get(c, "present"));
				bool ok = json_is_true(json_object_get(c, "well_formed"));
				cli_out(cli, "    %-8s %s%s%s%s%s\n", ok ? "ok" : present ? "BAD" : "missing",
				    json_string_value(json_object_get(c, "need")), present ? " in " : "",
				    present ? json_string_value(json_object_get(c, "profile")) : "",
				    present && !ok ? ": " : "", present && !ok ?
				    json_string_value(json_object_get(c, "problem")) : "");
			}
		}
	}
	int code = pf_exit_code(r);
	cli_out(cli, "\nexit %d: %s\n", code, code == 2 ? "findings block the rollout" : code == 1 ?
	    "a person has steps to do" : "nothing for a person to do");
}

/* ---- JSON ---- */

static json_t *
str(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_string("(not UTF-8)");
}

json_t *
pf_json(const struct pf_run *r)
{
	json_t *classes = json_array(), *finds = json_array();
	for (int i = 0; i < r->nclasses; i++) {
		const struct pf_class *c = &r->cls[i];
		char os[24], fos[24];
		mx_version_str(c->os, os, sizeof os);
		mx_version_str(c->final_os, fos, sizeof fos);
		json_t *ex = json_array(), *tl = json_array(), *needed = json_array(),
		    *dialogs = json_array();
		for (int k = 0; k < c->nstates; k++)
			json_array_append_new(ex, json_pack("{s:o, s:s, s:o, s:o, s:o, s:b}", "id",
			    str(c->states[k].id), "kind", c->states[k].kext ? "kext" : "system extension",
			    "after_plan", str(c->states[k].state), "after_person_steps",
			    str(c->states[k].after), "approval", str(c->states[k].approval), "loads",
			    loaded(c->states[k].after)));
		for (int k = 0; k < c->nmoments; k++) {
			const struct pf_moment *m = &c->m[k];
			bool plan = m->step < r->plan->nsteps;
			json_t *o = json_pack("{s:s, s:i, s:o, s:i, s:o}", "kind", mark_name(m->mark), plan ?
			    "step" : "needed_step", plan ? m->step + 1 : m->step - r->plan->nsteps + 1, "what",
			    str(m->what), "exit", m->code, "text", str(m->text));
			json_array_append(tl, o);
			if (m->mark == PF_MARK_NEEDED)
				json_array_append(needed, o);
			if (m->mark == PF_MARK_DIALOG)
				json_array_append(dialogs, o);
			json_decref(o);
		}
		json_t *co = json_pack("{s:o, s:s, s:s, s:s, s:s, s:b, s:I, s:o, s:o, s:o, s:o, s:i, s:i,"
		    " s:i}", "class", str(c->label), "arch", mx_arch_name(c->arch), "macos", os,
		    "final_macos", fos, "enrollment", mx_enroll_name(c->enroll), "sip", !c->sip_off,
		    "devices", (json_int_t)c->devices, "extensions", ex, "timeline", tl, "dialogs",
		    dialogs, "person_steps_needed", needed, "person_steps_in_plan", c->person_in_plan,
		    "restarts_in_plan", c->restarts, "restarts_needed", c->restarts_needed);
		if (c->run_rc)
			json_object_set_new(co, "simulation_error", str(c->run_err.msg));
		json_array_append_new(classes, co);
	}
	for (int i = 0; i < r->nfind; i++) {
		const struct pf_finding *f = &r->find[i];
		json_t *cl = json_array();
		for (int k = 0; k < r->nclasses; k++)
			if (f->classes[0] == '\0' || strstr(f->classes, r->cls[k].label))
				json_array_append_new(cl, str(r->cls[k].label));
		json_array_append_new(finds, json_pack("{s:s, s:b, s:o, s:o, s:o}", "code", f->code,
		    "blocks", f->blocks, "message", str(f->message), "rule", str(f->rule), "classes", cl));
	}
	return json_pack("{s:o, s:o, s:I, s:i, s:f, s:o, s:o, s:O, s:i}", "plan", str(r->plan->name),
	    "fleet", str(r->fleet_desc ? r->fleet_desc : ""), "devices", (json_int_t)r->devices,
	    "steps", r->plan->nsteps, "seconds", r->seconds, "classes", classes, "findings", finds,
	    "coverage", r->coverage ? r->coverage : json_array(), "exit", pf_exit_code(r));
}

/* ---- HTML ---- */

static void
esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

static const char CSS[] =
	"body{font:14px/1.45 -apple-system,'Helvetica Neue',Arial,sans-serif;margin:0;"
	"background:#f5f5f7;color:#1d1d1f}"
	"header{background:#1d1d1f;color:#fff;padding:18px 32px}"
	"header h1{margin:0;font-size:20px;font-weight:600}header p{margin:4px 0 0;color:#c7c7cc}"
	"main{padding:20px 32px;max-width:1200px}"
	".verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;"
	"font-size:13px;margin-left:8px}.v0{background:#d1f2d9;color:#0a6b25}"
	".v1{background:#ffe8c2;color:#8a4b00}.v2{background:#ffd6d6;color:#a10d0d}"
	"section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);"
	"padding:16px 20px;margin:0 0 18px}h2{font-size:16px;margin:0 0 10px}"
	"table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;"
	"border-bottom:1px solid #e5e5ea;vertical-align:top}th{font-size:12px;color:#6e6e73;"
	"text-transform:uppercase;letter-spacing:.04em}td.n{text-align:right}"
	".ok{color:#0a6b25}.bad{color:#a10d0d;font-weight:600}"
	".f{border-left:4px solid #ff9f0a;padding:6px 10px;margin:6px 0;background:#fffaf0}"
	".f.block{border-color:#d70015;background:#fff2f2}.f code{font-weight:600}"
	".rule{color:#6e6e73;font-size:12px}.on{color:#6e6e73;font-size:12px}"
	"svg{display:block;margin:6px 0 2px}svg text{font:11px -apple-system,Arial,sans-serif}"
	".legend span{display:inline-block;margin-right:14px;font-size:12px;color:#3a3a3c}"
	".dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;"
	"vertical-align:-1px}ul.d{margin:4px 0 0;padding-left:18px;font-size:13px}"
	".need{color:#8a4b00;font-weight:600}";

#define X0 60
#define DX 64

static void
svg_class(FILE *f, const struct pf_run *r, const struct pf_class *c)
{
	int needed = 0;
	for (int k = 0; k < c->nmoments; k++)
		if (c->m[k].step >= r->plan->nsteps && c->m[k].step - r->plan->nsteps + 1 > needed)
			needed = c->m[k].step - r->plan->nsteps + 1;
	int cols = r->plan->nsteps + (needed ? needed + 1 : 0);
	int w = X0 + cols * DX + 20, h = 134;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
	    " aria-label=\"timeline of ", w, h, w, h);
	esc(f, c->label);
	fprintf(f, "\"><line x1=\"%d\" y1=\"64\" x2=\"%d\" y2=\"64\" stroke=\"#c7c7cc\""
	    " stroke-width=\"2\"/>", X0 - 20, w - 10);
	fprintf(f, "<text x=\"4\" y=\"32\" fill=\"#6e6e73\">dialogs</text>"
	    "<text x=\"4\" y=\"68\" fill=\"#6e6e73\">steps</text>"
	    "<text x=\"4\" y=\"124\" fill=\"#6e6e73\">restarts</text>");
	if (needed) {
		int xs = X0 + r->plan->nsteps * DX;
		fprintf(f, "<line x1=\"%d\" y1=\"8\" x2=\"%d\" y2=\"130\" stroke=\"#8e8e93\""
		    " stroke-dasharray=\"4 4\"/><text x=\"%d\" y=\"12\" fill=\"#8a4b00\">still"
		    " needed</text>", xs, xs, xs + 6);
	}
	for (int s = 0; s < cols; s++) {
		bool gap = needed && s == r->plan->nsteps;
		if (gap)
			continue;
		int step = s > r->plan->nsteps ? s - 1 : s;   /* index in moments' numbering */
		int x = X0 + s * DX + DX / 2;
		const struct pf_moment *main = NULL;
		int ndialog = 0, nrestart = 0, worst = 0;
		bool person = false;
		for (int k = 0; k < c->nmoments; k++) {
			const struct pf_moment *m = &c->m[k];
			if (m->step != step)
				continue;
			if (m->mark == PF_MARK_DIALOG)
				ndialog++;
			else if (m->mark == PF_MARK_RESTART)
				nrestart++;
			else {
				if (main == NULL || m->code > worst)
					main = m, worst = m->code;
				person |= m->mark == PF_MARK_PERSON || m->mark == PF_MARK_NEEDED;
			}
		}
		const char *fill = main == NULL ? "#e5e5ea" : main->code == -1 ? "#d1d1d6" :
		    main->code == 0 ? "#34c759" : (main->code == 27 || main->code == 28) ? "#ff9f0a" :
		    "#ff3b30";
		fprintf(f, "<g><title>");
		if (main) {
			esc(f, main->what);
			if (main->text[0]) {
				fputs(": ", f);
				esc(f, main->text);
			}
		}
		fprintf(f, "</title>");
		if (person)
			fprintf(f, "<rect x=\"%d\" y=\"52\" width=\"24\" height=\"24\" rx=\"4\""
			    " transform=\"rotate(45 %d 64)\" fill=\"%s\" stroke=\"#8a4b00\""
			    " stroke-width=\"2\"/><circle cx=\"%d\" cy=\"59\" r=\"3\" fill=\"#fff\"/>"
			    "<path d=\"M%d 70 q6 -8 12 0\" stroke=\"#fff\" stroke-width=\"2\" fill=\"none\"/>",
			    x - 12, x, fill, x, x - 6);
		else
			fprintf(f, "<circle cx=\"%d\" cy=\"64\" r=\"11\" fill=\"%s\"/>", x, fill);
		fprintf(f, "</g><text x=\"%d\" y=\"94\" text-anchor=\"middle\" fill=\"#3a3a3c\">%s%d</text>",
		    x, s > r->plan->nsteps ? "+" : "", s > r->plan->nsteps ? s - r->plan->nsteps : s + 1);
		fprintf(f, "<text x=\"%d\" y=\"106\" text-anchor=\"middle\" fill=\"#8e8e93\""
		    " style=\"font-size:9px\">%s</text>", x, s < r->plan->nsteps ?
		    mx_pfplan_step_name(r->plan->steps[s].kind) : "person");
		if (ndialog) {
			fprintf(f, "<g><title>");
			for (int k = 0; k < c->nmoments; k++)
				if (c->m[k].step == step && c->m[k].mark == PF_MARK_DIALOG) {
					esc(f, c->m[k].what);
					fputs(" — ", f);
					esc(f, c->m[k].text);
					fputs("\n", f);
				}
			fprintf(f, "</title><rect x=\"%d\" y=\"18\" width=\"28\" height=\"20\" rx=\"5\""
			    " fill=\"#ffcc00\"/><path d=\"M%d 38 l4 6 l4 -6z\" fill=\"#ffcc00\"/><text"
			    " x=\"%d\" y=\"32\" text-anchor=\"middle\" fill=\"#1d1d1f\">%d</text></g>",
			    x - 14, x - 4, x, ndialog);
		}
		if (nrestart)
			fprintf(f, "<g><title>the Mac restarts</title><circle cx=\"%d\" cy=\"121\" r=\"7\""
			    " fill=\"none\" stroke=\"#0a84ff\" stroke-width=\"2.5\"/><path d=\"M%d 114 l4 -3"
			    " l0 6z\" fill=\"#0a84ff\"/></g>", x, x);
	}
	fputs("</svg>\n", f);
}

static void
html_class(FILE *f, const struct pf_run *r, const struct pf_class *c)
{
	fputs("<section><h2>", f);
	esc(f, c->label);
	fprintf(f, " <span class=\"on\">%ld devices</span></h2>\n", c->devices);
	svg_class(f, r, c);
	fputs("<div class=\"legend\"><span><i class=\"dot\" style=\"background:#34c759\"></i>done"
	    "</span><span><i class=\"dot\" style=\"background:#ff9f0a\"></i>waits (approval or"
	    " restart)</span><span><i class=\"dot\" style=\"background:#ff3b30\"></i>failed</span>"
	    "<span><i class=\"dot\" style=\"background:#d1d1d6\"></i>skipped</span><span>&#9670;"
	    " a person</span><span><i class=\"dot\" style=\"background:#ffcc00\"></i>dialogs shown"
	    "</span><span style=\"color:#0a84ff\">&#9711; restart</span></div>\n", f);
	fputs("<table><tr><th>extension</th><th>after the plan</th><th>after person steps</th></tr>",
	    f);
	for (int k = 0; k < c->nstates; k++) {
		fputs("<tr><td>", f);
		esc(f, c->states[k].id);
		fputs("</td><td>", f);
		esc(f, c->states[k].state);
		fprintf(f, "</td><td class=\"%s\">", loaded(c->states[k].after) ? "ok" : "bad");
		esc(f, c->states[k].after);
		fputs("</td></tr>", f);
	}
	fputs("</table>\n<ul class=\"d\">", f);
	for (int k = 0; k < c->nmoments; k++) {
		const struct pf_moment *m = &c->m[k];
		if (m->mark != PF_MARK_DIALOG && m->mark != PF_MARK_NEEDED)
			continue;
		if (m->mark == PF_MARK_DIALOG)
			fprintf(f, "<li>%s %d shows <b>", m->step < r->plan->nsteps ? "step" : "person step",
			    m->step < r->plan->nsteps ? m->step + 1 : m->step - r->plan->nsteps + 1);
		else
			fprintf(f, "<li class=\"need\">still needed %d: <b>", m->step - r->plan->nsteps + 1);
		esc(f, m->what);
		fputs("</b>", f);
		if (m->text[0]) {
			fputs(" — ", f);
			esc(f, m->text);
		}
		fputs("</li>", f);
	}
	fputs("</ul></section>\n", f);
}

int
pf_write_html(const struct pf_run *r, const char *path, mx_err *err)
{
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s.partial", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: cannot write", path);
	int code = pf_exit_code(r), nblock = 0;
	for (int i = 0; i < r->nfind; i++)
		nblock += r->find[i].blocks;
	fprintf(f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
	    "macext preflight: ");
	esc(f, r->plan->name);
	fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>Preflight: ", CSS);
	esc(f, r->plan->name);
	fprintf(f, "<span class=\"verdict v%d\">%s</span></h1><p>%d kinds of Mac, %ld devices, %d"
	    " steps; %d findings (%d blocking)</p></header><main>\n", code, code == 2 ?
	    "findings block the rollout" : code == 1 ? "a person has steps to do" :
	    "nothing for a person to do", r->nclasses, r->devices, r->plan->nsteps, r->nfind, nblock);
	fputs("<section><h2>By kind of Mac</h2><table><tr><th>class</th><th>devices</th>"
	    "<th>dialogs</th><th>person steps (plan + needed)</th><th>restarts (plan + needed)</th>"
	    "<th>every extension loads</th></tr>\n", f);
	for (int i = 0; i < r->nclasses; i++) {
		const struct pf_class *c = &r->cls[i];
		int d = 0;
		for (int k = 0; k < c->nmoments; k++)
			d += c->m[k].mark == PF_MARK_DIALOG;
		fputs("<tr><td>", f);
		esc(f, c->label);
		fprintf(f, "</td><td class=\"n\">%ld</td><td class=\"n\">%d</td><td class=\"n\">%d + %d"
		    "</td><td class=\"n\">%d + %d</td><td class=\"%s\">%s</td></tr>\n", c->devices, d,
		    c->person_in_plan, c->person_needed, c->restarts, c->restarts_needed,
		    c->never_loads ? "bad" : "ok", c->never_loads ? "no" : "yes");
	}
	fputs("</table></section>\n<section><h2>Findings</h2>\n", f);
	if (r->nfind == 0)
		fputs("<p class=\"ok\">none</p>\n", f);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < r->nfind; i++) {
			const struct pf_finding *fd = &r->find[i];
			if (fd->blocks != (pass == 0))
				continue;
			fprintf(f, "<div class=\"f%s\"><code>%s</code> ", fd->blocks ? " block" : "", fd->code);
			esc(f, fd->message);
			fputs("<div class=\"rule\">rule: ", f);
			esc(f, fd->rule);
			fputs("</div>", f);
			if (fd->classes[0] && fd->nclasses < r->nclasses) {
				fputs("<div class=\"on\">on: ", f);
				esc(f, fd->classes);
				fputs("</div>", f);
			}
			fputs("</div>\n", f);
		}
	fputs("</section>\n", f);
	for (int i = 0; i < r->nclasses; i++)
		html_class(f, r, &r->cls[i]);
	fputs("</main></body></html>\n", f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: cannot write", path);
	}
	return 0;
}
