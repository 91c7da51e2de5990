/*
 * enroll.h — an MDM enrolment profile read as a Mac reads it before it
 * talks to the server: the com.apple.mdm payload, the identity it names
 * (a com.apple.security.scep payload or a password-protected
 * com.apple.security.pkcs12 payload) and the trust anchors carried with it
 * (com.apple.security.root / pem / pkcs1 payloads), from an XML, binary or
 * CMS-signed .mobileconfig (the profile reader, profile.h).
 * Spec: Apple's mdm/profiles/com.apple.mdm.yaml, com.apple.security.scep.yaml,
 * com.apple.security.pkcs12.yaml, com.apple.security.root.yaml and
 * mdm-protocol-and-peers.md §1.2.  Every error names the key path
 * ("enroll.mobileconfig: PayloadContent[1].AccessRights: 2 needs 1").
 */
#ifndef MACEXT_ENROLL_H
#define MACEXT_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/err.h"

/* ServerCapabilities (com.apple.mdm.yaml). */
#define MX_CAP_PER_USER_CONNECTIONS (1u << 0)   /* com.apple.mdm.per-user-connections */
#define MX_CAP_BOOTSTRAP_TOKEN      (1u << 1)   /* com.apple.mdm.bootstraptoken */
#define MX_CAP_TOKEN                (1u << 2)   /* com.apple.mdm.token */

/* AccessRights bits (com.apple.mdm.yaml). */
#define MX_AR_INSPECT_PROFILES      1u
#define MX_AR_INSTALL_PROFILES      2u
#define MX_AR_LOCK                  4u
#define MX_AR_ERASE                 8u
#define MX_AR_DEVICE_INFO           16u
#define MX_AR_NETWORK_INFO          32u
#define MX_AR_INSPECT_PROV          64u
#define MX_AR_INSTALL_PROV          128u
#define MX_AR_INSPECT_APPS          256u
#define MX_AR_RESTRICTIONS          512u
#define MX_AR_SECURITY              1024u
#define MX_AR_SETTINGS              2048u
#define MX_AR_APP_MANAGEMENT        4096u
#define MX_AR_ALL                   8191u

#define MX_ENROLL_MAX_CERTS 16
#define MX_ENROLL_MAX_PINS  8
#define MX_ENROLL_MAX_RDN   16
#define MX_ENROLL_MAX_SAN   8

enum mx_identity_kind { MX_ID_SCEP, MX_ID_PKCS12 };

/* A certificate payload (root, pem, pkcs1): DER bytes, owned. */
typedef struct mx_enroll_cert {
	char uuid[64];               /* its PayloadUUID */
	char type[40];               /* its PayloadType */
	uint8_t *der;
	size_t der_len;
} mx_enroll_cert;

/* The Subject: one (OID or short name, value) pair per relative
 * distinguished name, in order; values may hold %HardwareUUID%,
 * %SerialNumber%, %ComputerName% (substituted by mx_enroll_subst). */
typedef struct mx_enroll_rdn { char oid[64]; char value[256]; } mx_enroll_rdn;

typedef struct mx_enroll_scep {
	char url[1024];
	char name[256];              /* "" when absent */
	char challenge[512];         /* "" when absent */
	int nsubject;
	mx_enroll_rdn subject[MX_ENROLL_MAX_RDN];
	int keysize;                 /* 1024 (Apple's default), 2048, 4096 */
	int key_usage;               /* bitmask 1 signing, 4 encryption; 0 = both unspecified */
	int retries;                 /* PENDING polls, default 3 */
	int retry_delay;             /* seconds, default 10 */
	uint8_t ca_fingerprint[64];  /* MD5 (16), SHA-1 (20) or SHA-256 (32) of the CA's DER */
	size_t ca_fingerprint_len;   /* 0: none */
	int nsan_dns, nsan_email, nsan_uri;
	char san_dns[MX_ENROLL_MAX_SAN][256], san_email[MX_ENROLL_MAX_SAN][256],
	    san_uri[MX_ENROLL_MAX_SAN][256];
} mx_enroll_scep;

typedef struct mx_enroll_pkcs12 {
	uint8_t *der;                /* the PKCS#12 blob (owned) */
	size_t der_len;
	char password[256];          /* "" when absent */
} mx_enroll_pkcs12;

typedef struct mx_enroll_profile {
	char identifier[256], uuid[64], display_name[256];
	bool is_signed;
	char signer[256];
	/* com.apple.mdm */
	char mdm_payload_uuid[64], mdm_payload_identifier[256];
	char server_url[1024], checkin_url[1024];   /* checkin_url = server_url when absent */
	char topic[256];
	char identity_uuid[64];
	bool sign_message;
	uint32_t access_rights;
	bool use_development_apns;
	bool checkout_when_removed;
	bool prompt_bootstrap_auth;                  /* PromptUserToAllowBootstrapTokenForAuthentication */
	uint32_t capabilities;                       /* MX_CAP_* */
	bool pinning_revocation_check;
	int nserver_pins, ncheckin_pins;             /* indices into certs[] */
	int server_pins[MX_ENROLL_MAX_PINS], checkin_pins[MX_ENROLL_MAX_PINS];
	/* the identity */
	enum mx_identity_kind identity_kind;
	mx_enroll_scep scep;
	mx_enroll_pkcs12 pkcs12;
	/* certificate payloads: trust anchors and pinning candidates */
	int ncerts;
	mx_enroll_cert certs[MX_ENROLL_MAX_CERTS];
} mx_enroll_profile;

/* Parse options. */
#define MX_ENROLL_ALLOW_HTTP 1u   /* http:// ServerURL/CheckInURL/SCEP URL (a lab; --insecure) */

/* Reads an enrolment profile from buf[0..len) through mx_profile_read (a
 * CMS-signed profile's signature must verify), then checks it the way a Mac
 * does before enrolling: exactly one com.apple.mdm payload with its required
 * keys, https URLs (http only with MX_ENROLL_ALLOW_HTTP), a Topic starting
 * "com.apple.mgmt.", AccessRights within 1..8191 with 1 when 2 is set and
 * 64 when 128 is set, IdentityCertificateUUID naming a SCEP or PKCS#12
 * payload of the same profile, pinning UUIDs naming certificate payloads.
 * Fails with MX_EINVALID/MX_EFORMAT naming "name: key path".  On success
 * *out belongs to the caller (mx_enroll_profile_free); on failure it holds
 * nothing to free. */
int mx_enroll_profile_read(mx_enroll_profile *out, const uint8_t *buf, size_t len,
    const char *name, unsigned flags, mx_err *err);
void mx_enroll_profile_free(mx_enroll_profile *p);
/* The certificate payload with that PayloadUUID, or NULL. */
const mx_enroll_cert *mx_enroll_cert_find(const mx_enroll_profile *p, const char *uuid);

/* What %HardwareUUID%, %SerialNumber% and %ComputerName% expand to. */
typedef struct mx_enroll_vars { const char *udid, *serial, *computer_name; } mx_enroll_vars;
/* Copies in to out (at most len-1 bytes) with the variables substituted;
 * unknown %...% sequences are kept as they are.  MX_ETOOBIG when it does
 * not fit. */
int mx_enroll_subst(char *out, size_t len, const char *in, const mx_enroll_vars *v, mx_err *err);

#endif
