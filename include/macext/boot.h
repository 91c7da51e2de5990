/*
 * boot.h — Apple silicon boot security: the LocalPolicy, the simulated
 * Secure Enclave that signs it, who may change it (recoveryOS entered with
 * the power button, "1TR", and an administrator), and the kext gate every
 * kext load and AuxKC build asks first.  Intel Macs have no LocalPolicy:
 * their gate is always open and SIP lives in NVRAM (csr-active-config).
 *
 * Spec: docs/reference/kernel-extensions.md §3.4, §3.7, §4 (policies, entry
 * methods, LocalPolicy tags, bputil, the kext flow, SIP), §7 item 6; the
 * seed's Apple silicon table.  Choices marked [INF] there are documented in
 * docs/boot-security.md.
 *
 * Layers: the record, its codec and the rules are pure (src/formats/lpolicy.c,
 * src/core/boot*.c); loading, storing and the SEP key are the engine's
 * (src/engine/boot.c, security.c), the CLI is src/tools/cmd_security.c.
 */
#ifndef MACEXT_BOOT_H
#define MACEXT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/core.h"
#include "macext/err.h"

/* ---- the LocalPolicy record (one per installed macOS; we model one) ---- */
#define MX_LP_HASH_LEN 48          /* SHA-384, as auxp/auxi/auxr are */
#define MX_LP_SIG_LEN  64          /* Ed25519 signature of the simulated SEP */
#define MX_LP_MAX_LEN  4096        /* encoded records are far smaller; cap for readers */

typedef struct mx_localpolicy {
	char vuid[37];             /* volume group UUID (the device's UDID here) */
	uint64_t nonce;            /* lpnh: the SEP's nonce generation this record was signed at */
	/* tags present (true) or absent (false), as bputil -d prints them */
	bool smb0;                 /* Security Mode lowered: Reduced */
	bool smb1;                 /* with smb0: Permissive */
	bool smb2;                 /* 3rd Party Kexts: "Allow user management of kernel extensions..." */
	bool smb3;                 /* User-allowed MDM Control: "Allow remote management of kernel ..." */
	bool smb4;                 /* DEP-allowed MDM Control (ADE + bootstrap token) */
	bool has_sip0;
	uint32_t sip0;             /* SIP configuration word (CSR bits) when has_sip0 */
	bool sip1, sip2, sip3;     /* SSV off, CTRR off, boot-args filtering off */
	bool has_auxp, has_auxi, has_auxr;
	uint8_t auxp[MX_LP_HASH_LEN];  /* SHA-384 of the user-authorized kext list (UAKL) */
	uint8_t auxi[MX_LP_HASH_LEN];  /* SHA-384 of the AuxKC bytes */
	uint8_t auxr[MX_LP_HASH_LEN];  /* SHA-384 of the AuxKC kext receipt */
	bool has_sig;
	uint8_t sig[MX_LP_SIG_LEN];    /* over mx_lp_encode(..., with_sig=false) */
} mx_localpolicy;

/* The default LocalPolicy of a new Apple silicon Mac: Full Security, no tags. */
void mx_lp_init(mx_localpolicy *out, const char *vuid);
/* Derives a record from the device fields (policy, kext flags, csr). */
void mx_lp_from_device(mx_localpolicy *out, const mx_device *d);
/* Copies the record's level and kext flags into the device fields
 * (d->policy, kext_user_management, kext_remote_management). */
void mx_lp_to_device(const mx_localpolicy *lp, mx_device *d);
enum mx_secpolicy mx_lp_level(const mx_localpolicy *lp);

/* Codec (src/formats/lpolicy.c).  Layout, all integers big-endian:
 *   "MXLP" u32 version(1) u32 ntags, then per tag: 4CC, u32 len, value.
 * Writes into buf[0..cap); returns the length, 0 if cap is too small.
 * with_sig=false gives the bytes the SEP signs. */
size_t mx_lp_encode(const mx_localpolicy *lp, bool with_sig, uint8_t *buf, size_t cap);
/* Parses untrusted bytes; rejects unknown/duplicate tags, bad lengths,
 * trailing bytes, with the offset. */
int mx_lp_decode(mx_localpolicy *out, const uint8_t *buf, size_t len, mx_err *err);

/* ---- the simulated Secure Enclave (src/core/boot_sep.c) ----
 * Ed25519 with a 32-byte private seed per device (generated at first use
 * by the engine, kept in the store, never printed).  Deterministic. */
int mx_sep_public(const uint8_t seed[32], uint8_t pub[32], mx_err *err);
int mx_sep_sign_lp(const uint8_t seed[32], mx_localpolicy *lp, mx_err *err);   /* sets sig */
/* 0 when the signature over the record verifies with pub; MX_ESIGNATURE else. */
int mx_sep_verify_lp(const uint8_t pub[32], const mx_localpolicy *lp, mx_err *err);
/* A key pair expanded from a seed once, for callers that sign repeatedly
 * (an engine keeps a few; it wipes them with mx_sep_key_wipe). */
typedef struct mx_sep_key { uint8_t seed[32], pk[32], sk[64]; } mx_sep_key;
int mx_sep_keypair(mx_sep_key *out, const uint8_t seed[32], mx_err *err);
int mx_sep_sign_lp_key(const mx_sep_key *k, mx_localpolicy *lp, mx_err *err);
void mx_sep_key_wipe(mx_sep_key *k);
/* SHA-256 over (pub, signature, signed bytes): what a caller remembers of a
 * LocalPolicy that verified, to skip verifying the same record again. */
int mx_sep_lp_digest(const uint8_t pub[32], const mx_localpolicy *lp, uint8_t out[32],
    mx_err *err);

/* ---- measurements (auxp / auxi / auxr) ---- */
/* SHA-384 of the UAKL: the entries ("TEAMID bundle.id" or any stable kext
 * identity string) sorted bytewise, each followed by '\n'.  Order of the
 * input does not matter; duplicates count once. */
void mx_boot_uakl_hash(const char *const *entries, size_t n, uint8_t out[MX_LP_HASH_LEN]);
void mx_boot_sha384(const uint8_t *data, size_t len, uint8_t out[MX_LP_HASH_LEN]);

/* ---- the kext gate (pure) ---- */
enum mx_kext_approver {
	MX_APPROVER_USER,          /* approved in System Settings (kext_policy) */
	MX_APPROVER_MDM,           /* allowed by a kernel-extension-policy payload (kext_policy_mdm) */
};

enum mx_gate_action {
	MX_GATE_NONE,              /* allowed: nothing to do */
	MX_GATE_1TR_USER_MGMT,     /* 1TR, admin, Reduced + "Allow user management ..." */
	MX_GATE_1TR_REMOTE_MGMT,   /* Device Enrolment: 1TR, admin, Reduced + "Allow remote management ..." */
	MX_GATE_MDM_BOOTSTRAP,     /* ADE with escrowed bootstrap token: the MDM enables it
	                            * itself (boot_mdm_enable_kexts) — no trip to recoveryOS */
	MX_GATE_TAMPERED,          /* the LocalPolicy's signature does not verify */
};

typedef struct mx_boot_gate {
	bool allowed;              /* may third-party kexts of this approver load at all */
	enum mx_gate_action action;    /* what must happen first when !allowed */
	const char *tag;           /* LocalPolicy tag that allows it ("smb2"...), or NULL */
	const char *title;         /* alert title (static) */
	const char *text;          /* user-facing instructions (static), "" when allowed */
} mx_boot_gate;

/* Whether third-party kexts approved by `who` may be loaded on d with
 * LocalPolicy lp (NULL on Intel, or when lp_valid is false the gate reports
 * MX_GATE_TAMPERED).  Intel: always allowed.  Pure; never fails. */
void mx_boot_kext_gate(const mx_device *d, const mx_localpolicy *lp, bool lp_valid,
    enum mx_kext_approver who, mx_boot_gate *out);

/* ---- who may change the LocalPolicy (pure) ---- */
enum mx_lp_origin {
	MX_ORIGIN_SSU,             /* Startup Security Utility (macext security set) */
	MX_ORIGIN_BPUTIL,
	MX_ORIGIN_CSRUTIL,
	MX_ORIGIN_MDM_BOOTSTRAP,   /* the device itself, authorised by the escrowed bootstrap token */
};

typedef struct mx_lp_request {
	enum mx_lp_origin origin;
	enum mx_secpolicy level;   /* requested level */
	bool kext_user;            /* smb2 */
	bool kext_remote;          /* smb3 */
	bool set_sip; uint32_t sip0;   /* csrutil: new SIP word */
	bool ssv_off, ctrr_off, bootargs_off;   /* bputil -s/-c/-a */
	bool ssv_restore;          /* csrutil authenticated-root enable: sip1 cleared */
	bool rebuild;              /* bputil -g/-n: from scratch (drop other options) */
	struct mx_pw_memo *pw_memo;    /* optional: the caller's password-check memo */
} mx_lp_request;

/* Decides whether the request may change d's LocalPolicy now, the way the
 * SEP and the tools decide it: environment (macOS / software recoveryOS /
 * 1TR), owner authentication (cred "USER:PASSWORD", an administrator; NULL
 * for MX_ORIGIN_MDM_BOOTSTRAP) and enrolment.  On success fills *next with
 * the new record (unsigned, nonce unchanged; the caller signs it).  On
 * refusal: MX_EDENIED (credentials), MX_ESTATE (wrong environment), with a
 * macOS-like message. */
int mx_boot_authorize(const mx_device *d, const mx_localpolicy *cur, const mx_lp_request *req,
    const char *cred, mx_localpolicy *next, mx_err *err);

/* SecurityInfo-like summary: "full"/"medium"/"off" SecureBootLevel. */
const char *mx_boot_secure_boot_level(const mx_device *d);

#endif
