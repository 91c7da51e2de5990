/*
 * pfplan.h — the plan `macext preflight` runs (docs/preflight.md): a YAML
 * document (libyaml) naming the inputs (profiles, apps, kexts, dexts,
 * packages), the fleet (fleet create's mix, or lists of architectures,
 * macOS versions, enrolments and SIP settings crossed), and the ordered
 * timeline of what the MDM, the installer and people do.
 *
 * The parser reads untrusted bytes: at most MX_PFPLAN_MAX_BYTES, a fixed
 * schema walked to a fixed depth (an alias that loops is never followed
 * further than the schema goes), every value checked.  A plan that breaks
 * a rule is refused with "NAME:LINE: KEY.PATH: why" (err->where holds
 * "NAME:LINE", err->msg "KEY.PATH: why").  Paths are kept as written;
 * the front end resolves them against the plan's directory.
 * Owner: src/formats/pfplan.c.
 */
#ifndef MACEXT_PFPLAN_H
#define MACEXT_PFPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/core.h"
#include "macext/err.h"

#define MX_PFPLAN_MAX_BYTES (1u << 20)
#define MX_PFPLAN_MAX_INPUTS 64
#define MX_PFPLAN_MAX_STEPS 256
#define MX_PFPLAN_MAX_AXIS 16        /* values per fleet axis */

enum mx_pf_input_kind { MX_PFI_PROFILE, MX_PFI_APP, MX_PFI_KEXT, MX_PFI_DEXT, MX_PFI_PKG };

typedef struct mx_pf_input {
	char name[64];               /* the key under inputs: */
	enum mx_pf_input_kind kind;
	char path[1024];             /* as written */
	int line;
} mx_pf_input;

enum mx_pf_step_kind {
	MX_PFS_INSTALL_PROFILE, MX_PFS_REMOVE_PROFILE, MX_PFS_INSTALL_APP, MX_PFS_ACTIVATE,
	MX_PFS_INSTALL_KEXT, MX_PFS_INSTALL_PKG, MX_PFS_MDM_RESTART, MX_PFS_UPGRADE,
	/* a person at the Mac */
	MX_PFS_APPROVE, MX_PFS_RESTART, MX_PFS_RECOVERY_SECURITY,
	MX_PFS_TOGGLE,               /* macOS 15: the switch in Login Items & Extensions */
	MX_PFS_NKINDS
};

typedef struct mx_pf_step {
	enum mx_pf_step_kind kind;
	int line;
	int input;                   /* index into inputs, or -1 */
	char id[256];                /* remove-profile: an identifier; activate: the extension
	                              * ("" every embedded one); approve: the bundle id */
	char when[256];              /* a fleet filter (docs/fleet.md), "" always */
	bool manual;                 /* profiles: installed by hand (System Settings), not MDM */
	bool load;                   /* install-kext: the installer loads it (default true) */
	bool notify_user, rebuild_kernel_cache;   /* mdm-restart */
	mx_version os;               /* upgrade */
	bool standard_user;          /* approve/restart/toggle: as the standard user, not an admin */
	bool enable;                 /* toggle: switch on (default off) */
	enum mx_secpolicy level;     /* recovery-security */
	bool kext_user, kext_remote;
} mx_pf_step;

typedef struct mx_pf_fleet {
	char mix[2048];              /* fleet create's --mix, "" when the axes are used */
	int mix_line;
	long count;                  /* devices the fleet stands for (0: not given) */
	int narch, nos, nenroll, nsip;
	enum mx_arch arch[MX_PFPLAN_MAX_AXIS];
	mx_version os[MX_PFPLAN_MAX_AXIS];
	char enroll[MX_PFPLAN_MAX_AXIS][24];    /* none, user, device, device-unapproved, automated */
	bool sip_off[MX_PFPLAN_MAX_AXIS];
	bool given;                  /* the plan has a fleet: section */
} mx_pf_fleet;

typedef struct mx_pfplan {
	char name[256];              /* the file, for messages */
	int ninputs;
	mx_pf_input inputs[MX_PFPLAN_MAX_INPUTS];
	mx_pf_fleet fleet;
	int nsteps;
	mx_pf_step steps[MX_PFPLAN_MAX_STEPS];
} mx_pfplan;

/* Parses buf[0..len) (name prefixes messages).  On success *out is the
 * caller's (mx_pfplan_free); on failure NULL with err naming line and key. */
int mx_pfplan_parse(mx_pfplan **out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);
void mx_pfplan_free(mx_pfplan *p);
/* "install-profile", "approve", ... (the key a step is written with). */
const char *mx_pfplan_step_name(enum mx_pf_step_kind k);
const char *mx_pfplan_input_kind_name(enum mx_pf_input_kind k);
/* True for the steps a person does (approve, restart, recovery-security). */
bool mx_pfplan_step_is_person(enum mx_pf_step_kind k);
/* The input named name, or -1. */
int mx_pfplan_input_find(const mx_pfplan *p, const char *name);

#endif
