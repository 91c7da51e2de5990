/*
 * preflight.h — `macext preflight` (docs/preflight.md): a plan (pfplan.h)
 * run on one throw-away device per distinct class of the fleet, in a
 * temporary state directory of its own (the given state is only read), the
 * timeline's steps run as typed fleet steps (fleet_step.h: the engine's
 * operations, never argv), then what a person still has to do found by
 * doing it on the same throw-away device.  The parts:
 *
 *   cmd_preflight.c    the verb: options, the plan's inputs, the classes
 *   preflight_sim.c    the simulation of one class
 *   preflight_find.c   findings (each with its rule) and coverage from the bundles
 *   preflight_out.c    the terminal report, --json, --html
 */
#ifndef MACEXT_PREFLIGHT_H
#define MACEXT_PREFLIGHT_H

#include <limits.h>

#include "macext/pfplan.h"
#include "fleet_step.h"

#define PF_MAX_CLASSES 256
#define PF_MAX_EXT 32                /* extensions named by the bundles */

/* What the bundles say (read from the stored copies). */
struct pf_ext {
	bool kext;                   /* a kext (else a system extension or dext) */
	char id[256];
	char team[32];
	char category[80];           /* system extensions: MX_CAT_* */
	char app_id[256];            /* the app embedding it */
	int input;                   /* the plan input it came from */
};

/* An input as imported once for the run. */
struct pf_in {
	char path[PATH_MAX];         /* resolved against the plan's directory */
	bool ok;
	mx_err err;                  /* why it could not be read (reported per step) */
	const mx_profile *prof;      /* profiles: parsed (borrowed from doc) */
	mx_profile_import doc;       /* profiles: read once; every step installing it holds a reference */
	uint8_t *bytes;              /* ... its bytes, until the steps are prepared */
	size_t len;
	int read_rc;                 /* the file could not be read (err) */
	mx_app_import app;           /* apps: copied and read once */
	mx_kext_import kext;         /* kexts: copied once (verified per kind of Mac by the step) */
	char bundle_id[256];         /* apps and kexts */
};

/* One moment of a class's timeline. */
enum pf_mark { PF_MARK_STEP, PF_MARK_PERSON, PF_MARK_DIALOG, PF_MARK_RESTART, PF_MARK_NEEDED };
struct pf_moment {
	int step;                    /* timeline index; nsteps + k for the k-th step still needed */
	enum pf_mark mark;
	int code;                    /* exit code of the step (0 ok), -1 skipped (when) */
	char what[256];
	char text[1024];             /* dialog text, or the step's error */
};

struct pf_state { char id[256]; bool kext; char state[64]; char after[64]; char approval[16]; };

struct pf_finding {
	char code[32];               /* "ordering-race", "profile-refused", ... */
	bool blocks;                 /* exit 2 */
	char message[768];
	char rule[384];
	char classes[512];           /* the classes it holds for ("" every class) */
	int nclasses;
};

struct pf_class {
	char label[96];              /* "arm64 15.1 automated SIP on" */
	enum mx_arch arch;
	mx_version os;
	enum mx_enroll enroll;
	bool user_approved, sip_off;
	long devices;                /* in the fleet */
	char device[64];             /* its throw-away device */
	char from[PATH_MAX];         /* a device export to import ("" create) */
	char anchor[65];             /* trust anchor hash in the temp state, "" none */
	/* results */
	int nmoments, capmoments;
	struct pf_moment *m;
	int nstates;
	struct pf_state states[PF_MAX_EXT * 2];
	int restarts;                /* in the plan */
	int restarts_needed;
	int person_in_plan, person_needed;
	bool never_loads;            /* some extension stays unloadable after every person step */
	mx_version final_os;
	int run_rc;                  /* a failure of the simulation itself */
	mx_err run_err;
};

struct pf_run {
	mx_pfplan *plan;
	char plan_path[PATH_MAX];
	struct pf_in in[MX_PFPLAN_MAX_INPUTS];
	struct fleet_step_op *ops;   /* per step, the typed fleet step (owned) */
	int next;
	struct pf_ext ext[PF_MAX_EXT];
	int nclasses;
	struct pf_class cls[PF_MAX_CLASSES];
	long devices;
	int nfind;
	struct pf_finding find[128];
	json_t *coverage;            /* array (preflight_find.c) */
	char pw_admin[MX_PWHASH_LEN], pw_user[MX_PWHASH_LEN];   /* hashed once (fleet create's way) */
	bool standard;               /* a step acts as the standard user: the devices have one */
	char anchor[65];             /* --trust-anchor's content hash, "" none */
	char tmpdir[PATH_MAX];
	mx_engine *e;                /* on tmpdir */
	const char *fleet_desc;      /* "the plan's fleet", "--state DIR", ... */
	double seconds;
};

/* cmd_preflight.c: the extensions a stored bundle holds, into r->ext
 * (bundle_id gets the bundle's own identifier). */
void pf_bundle_facts(struct pf_run *r, int input, const char *stored, char *bundle_id, size_t len);
/* preflight_sim.c */
int pf_sim_class(struct pf_run *r, struct pf_class *c, mx_err *err);
void pf_moment(struct pf_class *c, int step, enum pf_mark mark, int code, const char *what,
    const char *text);
/* preflight_find.c */
void pf_find_all(struct pf_run *r);
void pf_finding(struct pf_run *r, const char *code, bool blocks, const struct pf_class *c,
    const char *rule, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* preflight_out.c */
int pf_exit_code(const struct pf_run *r);
void pf_print_text(struct mx_cli *cli, const struct pf_run *r);
json_t *pf_json(const struct pf_run *r);
int pf_write_html(const struct pf_run *r, const char *path, mx_err *err);

#endif
