/*
 * core.h — the simulated Mac: versions, the device record, users and
 * authentication, SIP (CSR) bits and the boot security policy.
 *
 * The core is pure: no stdio, no clock, no files.  Time and random bytes
 * come in as arguments (mx_env_in); the store and the tools apply results.
 * Domain modules have their own headers: sysext.h, kext.h, policy.h.
 */
#ifndef MACEXT_CORE_H
#define MACEXT_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "macext/err.h"

/* ---- versions: "10.15.7" < "11.3" < "11.6.4" < "12.0.1" < "15.1" ---- */
typedef struct mx_version { uint16_t major, minor, patch; } mx_version;
int mx_version_parse(mx_version *out, const char *s, mx_err *err);
int mx_version_cmp(mx_version a, mx_version b);        /* <0, 0, >0 */
/* a >= "maj.min.patch" */
bool mx_version_at_least(mx_version a, int maj, int min, int patch);
void mx_version_str(mx_version v, char *buf, size_t len);   /* "11.6.4", "15.1" */

/* ---- the device ---- */
enum mx_arch { MX_ARCH_ARM64, MX_ARCH_X86_64 };
enum mx_envkind { MX_ENV_MACOS, MX_ENV_RECOVERY, MX_ENV_OFF };
enum mx_recovery_entry { MX_RECOVERY_NONE, MX_RECOVERY_POWER_BUTTON, MX_RECOVERY_SOFTWARE };
enum mx_secpolicy { MX_SEC_FULL, MX_SEC_REDUCED, MX_SEC_PERMISSIVE };
enum mx_enroll { MX_ENROLL_NONE, MX_ENROLL_USER, MX_ENROLL_DEVICE, MX_ENROLL_AUTOMATED };

/* CSR (SIP) bits, bsd/sys/csr.h.  SIP is "enabled" when no bit is set. */
#define MX_CSR_ALLOW_UNTRUSTED_KEXTS          (1u << 0)
#define MX_CSR_ALLOW_UNRESTRICTED_FS          (1u << 1)
#define MX_CSR_ALLOW_TASK_FOR_PID             (1u << 2)
#define MX_CSR_ALLOW_KERNEL_DEBUGGER          (1u << 3)
#define MX_CSR_ALLOW_APPLE_INTERNAL           (1u << 4)
#define MX_CSR_ALLOW_UNRESTRICTED_DTRACE      (1u << 5)
#define MX_CSR_ALLOW_UNRESTRICTED_NVRAM       (1u << 6)
#define MX_CSR_ALLOW_DEVICE_CONFIGURATION     (1u << 7)
#define MX_CSR_ALLOW_ANY_RECOVERY_OS          (1u << 8)
#define MX_CSR_ALLOW_UNAPPROVED_KEXTS         (1u << 9)
#define MX_CSR_ALLOW_EXECUTABLE_POLICY_OVERRIDE (1u << 10)
#define MX_CSR_ALLOW_UNAUTHENTICATED_ROOT     (1u << 11)
#define MX_CSR_ALLOW_RESEARCH_GUESTS          (1u << 12)
/* what `csrutil disable` sets: bits 0-6, not UNAPPROVED_KEXTS */
#define MX_CSR_DISABLE_FLAGS                  0x7Fu

#define MX_MAX_USERS 8
#define MX_PWHASH_LEN 160

typedef struct mx_user {
	char name[64];
	bool admin;
	char pwhash[MX_PWHASH_LEN];   /* "pbkdf2-sha256$iter$salthex$hashhex" */
} mx_user;

typedef struct mx_device {
	int64_t id;                  /* store row id; 0 until saved */
	char name[64];
	char serial[32];
	char udid[40];               /* 8-4-4-4-12 uppercase */
	enum mx_arch arch;
	mx_version os;
	uint32_t csr;                /* active CSR bits; 0 = SIP enabled */
	/* Apple silicon LocalPolicy (Intel: always FULL, flags false) */
	enum mx_secpolicy policy;
	bool kext_user_management;   /* "Allow user management of kernel extensions from identified developers" */
	bool kext_remote_management; /* "Allow remote management of kernel extensions and automatic software updates" */
	/* MDM */
	enum mx_enroll enroll;
	bool user_approved;          /* UAMDM (ADE is always user approved) */
	bool supervised;
	bool in_abm;                 /* serial in Apple Business/School Manager */
	bool bootstrap_escrowed;
	/* running environment */
	enum mx_envkind env;
	enum mx_recovery_entry recovery_entry;
	bool recovery_authenticated; /* an admin authenticated in this recoveryOS session */
	char boot_session[40];       /* new UUID every boot */
	uint64_t boot_count;
	bool restart_pending;        /* something waits for a restart (AuxKC, uninstall) */
	char trust_anchor[65];       /* sha256 hex of an extra trust anchor in the CAS, or "" */
	int nusers;
	mx_user users[MX_MAX_USERS];
} mx_device;

/* Inputs the core never reaches for: time and randomness. */
typedef struct mx_env_in {
	int64_t now;                 /* unix seconds */
	uint8_t random[32];          /* fresh random bytes for this call */
} mx_env_in;

/* Fills a new device with macOS defaults: SIP on, Full Security, not enrolled,
 * running macOS.  serial/udid derive from random when not given. */
void mx_device_init(mx_device *out, const char *name, enum mx_arch arch, mx_version os,
    const mx_env_in *in);
bool mx_device_sip_enabled(const mx_device *d);
/* SIP enforces kext signatures unless CSR_ALLOW_UNTRUSTED_KEXTS is set. */
bool mx_device_kext_signing_enforced(const mx_device *d);
const char *mx_device_uuid_fmt(const uint8_t b[16], char out[37]);
/* A new boot: env macOS, new boot session UUID from in->random, boot_count+1. */
void mx_device_boot(mx_device *d, const mx_env_in *in);

const char *mx_arch_name(enum mx_arch a);
const char *mx_env_name(enum mx_envkind e);
const char *mx_recovery_entry_name(enum mx_recovery_entry r);   /* NULL for NONE */
const char *mx_secpolicy_name(enum mx_secpolicy p);
const char *mx_enroll_name(enum mx_enroll e);
int mx_arch_parse(enum mx_arch *out, const char *s, mx_err *err);
int mx_secpolicy_parse(enum mx_secpolicy *out, const char *s, mx_err *err);
int mx_enroll_parse(enum mx_enroll *out, const char *s, mx_err *err);

/* ---- users and authentication ---- */
/* Is name an account name macOS accepts (ASCII letters, digits, '_', '-',
 * '.'; not starting with '-' or '.'; shorter than mx_user.name)? */
bool mx_user_name_valid(const char *name);
/* Adds a user (name as mx_user_name_valid, else MX_EUSAGE); the password is
 * hashed with a salt from salt[16]. */
int mx_device_add_user(mx_device *d, const char *name, const char *password, bool admin,
    const uint8_t salt[16], mx_err *err);
/* Checks "USER:PASSWORD".  need_admin refuses a standard user.  On success
 * *out (may be NULL) points at the user.  MX_EDENIED names who and why. */
int mx_auth_check(const mx_device *d, const char *user_colon_pw, bool need_admin,
    const mx_user **out, mx_err *err);
/* Password hashing (PBKDF2-HMAC-SHA256). */
int mx_pw_hash(char out[MX_PWHASH_LEN], const char *password, const uint8_t salt[16]);
bool mx_pw_verify(const char *hash, const char *password);
/* The last (hash, SHA-256 of the password) pair that verified, so a fleet run
 * derives each credential once.  Owned by the caller (an engine); wipe it
 * with mx_pw_memo_wipe.  Zero-initialise before first use. */
typedef struct mx_pw_memo { char hash[MX_PWHASH_LEN]; uint8_t pw[32]; bool valid; } mx_pw_memo;
bool mx_pw_verify_memo(const char *hash, const char *password, mx_pw_memo *memo);
void mx_pw_memo_wipe(mx_pw_memo *memo);
/* mx_auth_check with a memo (may be NULL). */
int mx_auth_check_memo(const mx_device *d, const char *user_colon_pw, bool need_admin,
    mx_pw_memo *memo, const mx_user **out, mx_err *err);

#endif
