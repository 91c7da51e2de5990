/*
 * store_mdm.h — the store's section for the device-side MDM agent
 * (src/store/mdm.c): each device's enrolment with a real MDM server (the
 * profile, the identity key and certificate, the push token and magic, the
 * device and user channels' progress), the commands it executed with the
 * result it sends (so a CommandUUID is never executed twice and a result
 * whose upload failed is sent again), and the pool of identity keys
 * generated ahead.  Kept apart from store.h so the MDM tables have one home.
 * Identity keys are device secrets: stored like the SEP seed (in the
 * database only), never printed, wiped from memory after use by the caller.
 */
#ifndef MACEXT_STORE_MDM_H
#define MACEXT_STORE_MDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/store.h"

enum mx_mdm_state {
	MX_MDM_PENDING,        /* enrolment asked for; nothing done yet */
	MX_MDM_IDENTITY,       /* identity certificate in hand (SCEP or PKCS#12) */
	MX_MDM_ENROLLED,       /* Authenticate and TokenUpdate accepted */
	MX_MDM_CHECKED_OUT,    /* unenrolled (CheckOut sent when asked for) */
	MX_MDM_FAILED          /* gave up: last_error says why */
};
const char *mx_mdm_state_name(enum mx_mdm_state s);

/* PromptUserToAllowBootstrapTokenForAuthentication, kept with the capabilities */
#define MX_MDM_CAP_PROMPT_BOOTSTRAP (1u << 16)

#define MX_MDM_KEY_MAX  4096     /* DER bytes of an identity key or certificate */
#define MX_MDM_CHAIN_MAX 16384

typedef struct mx_mdm_enrollment {
	int64_t device_id;
	char profile[65];              /* blob hash of the enrolment profile's bytes */
	enum mx_enroll method;         /* device, automated, user */
	bool user_approved;
	bool insecure;                 /* --insecure: no TLS verification */
	enum mx_mdm_state state;
	uint32_t access_rights;        /* the profile's AccessRights */
	uint32_t capabilities;         /* its ServerCapabilities (enroll.h MX_CAP_*), plus
	                                * MX_MDM_CAP_PROMPT_BOOTSTRAP */
	uint8_t key[MX_MDM_KEY_MAX];   /* identity private key, DER PKCS#8 (secret) */
	size_t key_len;
	uint8_t cert[MX_MDM_KEY_MAX];  /* identity certificate, DER */
	size_t cert_len;
	char push_token[129];          /* hex of the 32-byte TokenUpdate Token */
	char push_magic[40];
	char user_token[129], user_magic[40];
	bool user_enrolled;            /* the user channel's TokenUpdate was accepted */
	bool awaiting_configuration;   /* ADE until DeviceConfigured */
	bool bootstrap_sent;           /* SetBootstrapToken accepted */
	char last_error[512];
	int64_t failures;              /* consecutive failed attempts */
	int64_t enrolled_at, updated_at;
} mx_mdm_enrollment;

/* Inserts or replaces the device's record. */
int mx_store_mdm_put(mx_store *st, const mx_mdm_enrollment *e, mx_err *err);
/* MX_ENOTFOUND when the device has no record. */
int mx_store_mdm_get(mx_store *st, int64_t device_id, mx_mdm_enrollment *out, mx_err *err);
int mx_store_mdm_delete(mx_store *st, int64_t device_id, mx_err *err);
/* Each record (with its device's name) in device-id order; fn's non-zero
 * return stops and is returned.  e is borrowed for the call. */
int mx_store_mdm_each(mx_store *st, int (*fn)(const mx_mdm_enrollment *e, const char *name,
    void *), void *arg, mx_err *err);

/* ---- executed commands ---- */
typedef struct mx_mdm_done {
	char status[16];               /* Acknowledged, Error, NotNow */
	char request_type[64];
	bool reported;                 /* the server answered the upload */
	uint8_t *response;             /* the result plist as sent (malloc'd) */
	size_t response_len;
} mx_mdm_done;
/* Records that the device executed (or refused) command uuid on channel
 * (0 device, 1 user) with the response it will send; in the caller's
 * transaction, next to the command's effects. */
int mx_store_mdm_cmd_put(mx_store *st, int64_t device_id, int channel, const char *uuid,
    const char *request_type, const char *status, const uint8_t *resp, size_t len,
    int64_t now, mx_err *err);
/* found false when never executed; else *out (response malloc'd: free). */
int mx_store_mdm_cmd_get(mx_store *st, int64_t device_id, int channel, const char *uuid,
    bool *found, mx_mdm_done *out, mx_err *err);
/* The server took the result.  The 64 newest taken results of a device are
 * kept (a command sent again is answered from them); older ones are pruned. */
int mx_store_mdm_cmd_reported(mx_store *st, int64_t device_id, int channel, const char *uuid,
    mx_err *err);
/* The oldest result not yet taken by the server on channel, if any. */
int mx_store_mdm_cmd_unreported(mx_store *st, int64_t device_id, int channel, bool *found,
    char uuid[64], mx_mdm_done *out, mx_err *err);
/* Forgets the device's executed commands (a new enrolment starts afresh). */
int mx_store_mdm_cmd_clear(mx_store *st, int64_t device_id, mx_err *err);

/* ---- the identity key pool ---- */
int mx_store_mdm_key_put(mx_store *st, int bits, const uint8_t *der, size_t len, mx_err *err);
/* Takes (removes) one key of bits; *found false when the pool has none. */
int mx_store_mdm_key_take(mx_store *st, int bits, uint8_t *der, size_t cap, size_t *len,
    bool *found, mx_err *err);
int mx_store_mdm_key_count(mx_store *st, int bits, int64_t *out, mx_err *err);

#endif
