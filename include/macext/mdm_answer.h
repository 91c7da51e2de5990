/*
 * mdm_answer.h — what a Mac answers to the MDM queries, as pure functions
 * of the device's state (src/core/mdm_answer.c): SecurityInfo, the
 * DeviceInformation queries macOS answers (unknown ones omitted, as macOS
 * omits them), ProfileList (device and user channel apart),
 * InstalledApplicationList, CertificateList and AvailableOSUpdates; and the
 * gate every command passes first — does this Mac know the RequestType, on
 * this channel, for this enrolment, with the profile's AccessRights?
 * The engine gathers the facts in its op and calls these; each result is a
 * plist dictionary of the response keys (the caller adds CommandUUID,
 * Status and the channel's IDs).  Spec: Apple's mdm/commands YAML files
 * (information.security, information.device, profile.list,
 * application.installed.list, certificate.list, system.update.available).
 */
#ifndef MACEXT_MDM_ANSWER_H
#define MACEXT_MDM_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/core.h"
#include "macext/err.h"

#define MX_MDM_CH_DEVICE 0
#define MX_MDM_CH_USER   1

/* MCMDMErrorDomain codes macext answers with (docs/mdm.md: 12021 is what
 * peers observed for an unknown command; the others are macext's choices
 * where Apple documents none). */
#define MX_MDM_ERR_UNKNOWN_COMMAND   12021
#define MX_MDM_ERR_NOT_SIMULATED     12022
#define MX_MDM_ERR_WRONG_CHANNEL     12023
#define MX_MDM_ERR_NEEDS_SUPERVISION 12024
#define MX_MDM_ERR_ACCESS_RIGHTS     12025
#define MX_MDM_ERR_USER_ENROLLMENT   12026
#define MX_MDM_ERR_MACOS_VERSION     12027
#define MX_MDM_ERR_REMOVE_FAILED     12028

/* One installed profile as ProfileList reports it. */
typedef struct mx_mdm_profile_fact {
	const char *identifier, *uuid, *display_name, *organization;
	bool managed;                 /* installed through MDM */
	int channel;                  /* MX_MDM_CH_* it was installed on */
	plist_t root;                 /* its plist (PayloadVersion, PayloadContent, ...), borrowed */
} mx_mdm_profile_fact;

typedef struct mx_mdm_app_fact {
	const char *bundle_id, *name, *version, *short_version;   /* "" or NULL: unknown */
	int64_t bundle_size;          /* bytes, -1 unknown */
	bool managed;
} mx_mdm_app_fact;

typedef struct mx_mdm_cert_fact {
	const uint8_t *der;
	size_t len;
	bool identity;                /* has its private key on the Mac (the MDM identity) */
	bool managed;                 /* installed by the MDM (or its enrolment) */
} mx_mdm_cert_fact;

/* Everything the answers are built from. */
typedef struct mx_mdm_facts {
	const mx_device *d;
	int channel;                  /* MX_MDM_CH_* */
	bool authenticated_root;      /* the sealed system volume is verified */
	/* the enrolment with the server */
	uint32_t access_rights;       /* the profile's AccessRights (0 = none known: all) */
	bool awaiting_configuration;
	bool bootstrap_capability;    /* ServerCapabilities has com.apple.mdm.bootstraptoken */
	bool prompt_bootstrap;        /* PromptUserToAllowBootstrapTokenForAuthentication */
	const uint8_t *push_token;    /* the channel's TokenUpdate Token */
	size_t push_token_len;
	const mx_mdm_profile_fact *profiles;
	size_t nprofiles;
	const mx_mdm_app_fact *apps;
	size_t napps;
	const mx_mdm_cert_fact *certs;
	size_t ncerts;
} mx_mdm_facts;

/* The gate: 0 when the Mac runs type on this channel for this enrolment,
 * macOS version and AccessRights; else *code is the MCMDMErrorDomain code of
 * the Error it answers with (MX_MDM_ERR_*), err says why, and the return is
 * MX_EINVALID (unknown, not on this channel/version, not simulated) or
 * MX_EDENIED (rights, supervision, User Enrollment). */
int mx_mdm_gate(const mx_mdm_facts *f, const char *type, int *code, mx_err *err);
/* Is type a RequestType macOS supports at all (in Apple's YAML for macOS)? */
bool mx_mdm_known_on_macos(const char *type);

/* The answers: each a new dictionary of response keys (caller's, plist_free). */
plist_t mx_mdm_security_info(const mx_mdm_facts *f);
/* queries: the request's Queries array (borrowed; NULL: none). */
plist_t mx_mdm_device_information(const mx_mdm_facts *f, plist_t queries);
plist_t mx_mdm_profile_list(const mx_mdm_facts *f, bool managed_only);
/* identifiers: the request's Identifiers (NULL: all). */
plist_t mx_mdm_installed_apps(const mx_mdm_facts *f, plist_t identifiers, bool managed_only);
plist_t mx_mdm_certificate_list(const mx_mdm_facts *f, bool managed_only);
plist_t mx_mdm_available_os_updates(const mx_mdm_facts *f);

/* What the device says it is, for check-in messages too. */
const char *mx_mdm_model(enum mx_arch arch);           /* "Mac14,3" / "Macmini8,1" */
const char *mx_mdm_model_name(enum mx_arch arch);      /* "Mac mini" */
/* BuildVersion of macOS os into buf ("24B83"). */
void mx_mdm_build(mx_version os, char *buf, size_t len);
/* A stable version-4-shaped UUID of label + a + b (UserID, EnrollmentID). */
void mx_mdm_derived_uuid(char out[37], const char *label, const char *a, const char *b);

#endif
