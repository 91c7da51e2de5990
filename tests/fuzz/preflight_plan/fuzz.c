/* fuzz.c — the preflight plan reader (src/formats/pfplan.c) that `macext
 * preflight` runs on a YAML plan: any bytes are refused with a message that
 * names the file and a line, or read into a plan whose every step names an
 * input of the right kind (when it needs one) and whose counts stay inside
 * the caps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pfplan.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_pfplan *p = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_pfplan_parse(&p, data, size, "plan.yaml", &err) != 0) {
		if (p != NULL || err.code == 0 || err.msg[0] == '\0' ||
		    strncmp(err.where, "plan.yaml", 9) != 0)
			abort();
		return 0;
	}
	if (p->nsteps < 1 || p->nsteps > MX_PFPLAN_MAX_STEPS || p->ninputs > MX_PFPLAN_MAX_INPUTS)
		abort();
	for (int i = 0; i < p->nsteps; i++) {
		const mx_pf_step *s = &p->steps[i];
		if (s->input >= p->ninputs || s->line < 1)
			abort();
		if ((s->kind == MX_PFS_INSTALL_PROFILE || s->kind == MX_PFS_INSTALL_APP ||
		    s->kind == MX_PFS_ACTIVATE || s->kind == MX_PFS_INSTALL_KEXT ||
		    s->kind == MX_PFS_INSTALL_PKG) && s->input < 0)
			abort();
		if (s->kind == MX_PFS_INSTALL_PROFILE && p->inputs[s->input].kind != MX_PFI_PROFILE)
			abort();
		if (strlen(s->id) >= sizeof s->id || strlen(s->when) >= sizeof s->when)
			abort();
	}
	mx_pfplan_free(p);
	return 0;
}
