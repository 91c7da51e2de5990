/*
 * mdms.h — internal interfaces of the conformance MDM server (tests/mdm/).
 *
 * The server is the other side of macext's MDM agent: check-in and command
 * endpoints as NanoMDM serves them (docs/reference/mdm-observed.md §3), a
 * SCEP responder (RFC 8894, as micromdm/scep answers), an enrolment-profile
 * generator, a control API for tests and benches, and a validator of every
 * device message against Apple's YAML schemas (apple/device-management
 * mdm/checkin, mdm/commands).  It links only system libraries
 * (libmicrohttpd, GnuTLS, OpenSSL, libplist, libyaml, jansson, libcurl) and
 * no macext code, so a bug in the agent cannot be mirrored here.
 *
 * Prefix mds_ ("MDM server"): kept apart from libmacext's mx_ names on
 * purpose.  Everything that parses device bytes (xplist.c, ident.c,
 * scep.c, mdm.c) works on capped buffers and reports through mds_err.
 */
#ifndef MDMS_H
#define MDMS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* ---- errors, memory, buffers (util.c) ---- */

/* One error: a message and, for parsers, the byte offset it names. */
typedef struct mds_err {
	size_t offset;
	char msg[320];
} mds_err;

/* Fills err (when not NULL) and returns -1, so callers write
 * `return mds_fail(err, off, "...")`. */
int mds_fail(mds_err *err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Out of memory aborts here, in one place. */
void *mds_xmalloc(size_t n);
void *mds_xcalloc(size_t n, size_t size);
void *mds_xrealloc(void *p, size_t n);
char *mds_xstrdup(const char *s);
char *mds_xstrndup(const char *s, size_t n);

/* A growable byte buffer; p is NUL-terminated after every append. */
typedef struct mds_buf {
	uint8_t *p;
	size_t len, cap;
} mds_buf;
void mds_buf_add(mds_buf *b, const void *p, size_t n);
void mds_buf_adds(mds_buf *b, const char *s);
void mds_buf_printf(mds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mds_buf_free(mds_buf *b);
/* Appends s with XML's five special characters escaped. */
void mds_buf_xml_escape(mds_buf *b, const char *s, size_t n);

/* A bump allocator for one request's plist tree: freed at once. */
typedef struct mds_arena {
	struct mds_chunk *head;
	size_t used;     /* bytes handed out, for caps */
} mds_arena;
void *mds_arena_alloc(mds_arena *a, size_t n);
char *mds_arena_strndup(mds_arena *a, const char *s, size_t n);
void mds_arena_free(mds_arena *a);

/* base64 (RFC 4648, standard alphabet).  Decoding skips ASCII whitespace
 * and fails on any other character outside the alphabet or bad padding;
 * *out is malloc'd (free), NULL on failure. */
int mds_b64_decode(uint8_t **out, size_t *outlen, const char *s, size_t n);
char *mds_b64_encode(const uint8_t *p, size_t n);       /* malloc'd, no newlines */
void mds_hex(char *out, const uint8_t *p, size_t n);    /* out holds 2n+1 */
/* A random RFC 4122 version-4 UUID in upper case, as Apple writes them. */
void mds_uuid(char out[37]);
double mds_now(void);                                    /* CLOCK_REALTIME seconds */
/* Reads a whole file (at most cap bytes) into a malloc'd buffer. */
int mds_read_file(uint8_t **out, size_t *len, const char *path, size_t cap, mds_err *err);
/* Writes a file atomically (temporary name, fsync, rename). */
int mds_write_file(const char *path, const void *p, size_t n, mds_err *err);

/* ---- property lists (xplist.c) ---- */

enum mds_ptype {
	MDS_P_DICT, MDS_P_ARRAY, MDS_P_STRING, MDS_P_INTEGER, MDS_P_REAL,
	MDS_P_BOOL, MDS_P_DATE, MDS_P_DATA
};

/* A node of a parsed XML plist; every pointer points into the arena. */
typedef struct mds_pnode {
	enum mds_ptype type;
	uint32_t n;                     /* children, or bytes of a string/data */
	size_t off;                     /* offset of the element in the input */
	const char *key;                /* its key in the parent dict, else NULL */
	struct mds_pnode *first, *last, *next;
	union {
		const char *s;          /* string (NUL-terminated), date text */
		const uint8_t *d;       /* data */
		int64_t i;              /* integer (see big) */
		double r;               /* real, date as seconds since 1970 */
		bool b;
	} v;
	double date;                    /* date: seconds since 1970 */
	bool big;                       /* integer above INT64_MAX: v.i holds the uint64 bits */
} mds_pnode;

#define MDS_PLIST_MAX_DEPTH 128
#define MDS_PLIST_MAX_NODES 400000

/* Parses an XML plist in buf[0..len) into a tree allocated in a.  Strict
 * where CFPropertyList is: known elements only, keys only in dicts, key
 * then value, no duplicate key, valid integers/reals/dates/base64, no DTD
 * internal subset, depth and node caps.  Binary plists are refused (Macs
 * send XML to MDM servers).  On failure *out is NULL and err names the
 * offset. */
int mds_plist_parse(mds_pnode **out, mds_arena *a, const uint8_t *buf, size_t len, mds_err *err);
/* dict[key], or NULL (also when dict is not a dict). */
const mds_pnode *mds_plist_get(const mds_pnode *dict, const char *key);
/* dict[key] when it is a string, else NULL. */
const char *mds_plist_str(const mds_pnode *dict, const char *key);
const char *mds_ptype_name(enum mds_ptype t);
/* Serializes a tree as an XML plist document. */
void mds_plist_write(mds_buf *out, const mds_pnode *root);
/* Builds nodes for the writer (used when the control API completes a command). */
mds_pnode *mds_pnode_new(mds_arena *a, enum mds_ptype t);
void mds_pnode_append(mds_pnode *parent, const char *key, mds_pnode *child);
mds_pnode *mds_pnode_string(mds_arena *a, const char *s);

/* ---- Apple's schema (schema.c) and validation (validate.c) ---- */

enum mds_stype {
	MDS_S_ANY, MDS_S_STRING, MDS_S_INTEGER, MDS_S_REAL, MDS_S_BOOL,
	MDS_S_DATE, MDS_S_DATA, MDS_S_ARRAY, MDS_S_DICT
};
enum mds_ue { MDS_UE_UNSET, MDS_UE_ALLOWED, MDS_UE_FORBIDDEN, MDS_UE_REQUIRED, MDS_UE_IGNORED };

/* A supportedOS.macOS block: only the fields the YAML sets (others
 * inherit from the parent key and finally the payload; docs/schema.md). */
typedef struct mds_smac {
	bool present;                   /* the key has a macOS block at all */
	const char *introduced;         /* NULL = inherit; "n/a" = not on macOS */
	const char *deprecated, *removed;
	int8_t devch, userch;           /* -1 inherit, else 0/1 */
	uint8_t ue;                     /* enum mds_ue; UNSET = inherit */
} mds_smac;

typedef struct mds_skeyset mds_skeyset;
typedef struct mds_skey {
	const char *name;
	bool any;                       /* "ANY" or "ANY <words>": any dict key */
	enum mds_stype type;
	bool required;                  /* presence: required */
	mds_smac mac;
	const char **range;             /* rangelist values as YAML text */
	size_t nrange;
	const char **enumv;             /* a scalar's subkeys: its allowed values */
	size_t nenum;
	bool has_min, has_max;
	double min, max;
	mds_skeyset *sub;               /* subkeys (shared by YAML aliases) */
} mds_skey;
struct mds_skeyset {
	mds_skey *keys;
	size_t n;
};

/* One YAML file: a check-in MessageType or a command RequestType. */
typedef struct mds_sdoc {
	const char *name;               /* payload.requesttype */
	const char *file;
	mds_smac mac;
	mds_skeyset *req;               /* payloadkeys */
	mds_skeyset *resp;              /* responsekeys (commands), or NULL */
} mds_sdoc;

/* Owns everything it points to (mds_schema_free). */
typedef struct mds_schema {
	mds_sdoc *checkin, *commands;
	size_t ncheckin, ncommands;
	mds_skeyset common;             /* keys every command response may carry */
	mds_skeyset checkin_common;     /* who-sends-it keys a check-in may carry */
	mds_arena arena;
} mds_schema;

/* Loads DIR/checkin/ *.yaml and DIR/commands/ *.yaml with libyaml. */
int mds_schema_load(mds_schema *out, const char *mdm_dir, mds_err *err);
const mds_sdoc *mds_schema_checkin(const mds_schema *s, const char *msgtype);
const mds_sdoc *mds_schema_command(const mds_schema *s, const char *reqtype);
void mds_schema_free(mds_schema *s);
/* Parses "10.14.4" into v[3]; returns false for "n/a" or garbage. */
bool mds_version_parse(const char *s, int v[3]);

/* Who sent a message: the context Apple's per-key supportedOS depends on. */
typedef struct mds_vctx {
	bool user_channel;
	bool user_enrollment;
	bool os_known;
	int os[3];
} mds_vctx;

#define MDS_VIOL_KEEP 32                /* violations kept per message */
typedef struct mds_viol {
	char kind[24];                  /* unknown-key, type, missing, range, ... */
	char path[160];
	char msg[224];
} mds_viol;
typedef struct mds_viols {
	mds_viol v[MDS_VIOL_KEEP];
	size_t n;                       /* kept */
	size_t total;                   /* found */
} mds_viols;
void mds_viol_add(mds_viols *vs, const char *kind, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A check-in message against its MessageType's payloadkeys. */
void mds_validate_checkin(const mds_schema *s, const mds_sdoc *doc, const mds_pnode *root,
    const mds_vctx *ctx, mds_viols *out);
/* A command-channel message: the common keys, plus (when cmd is known and
 * the status is Acknowledged) the RequestType's responsekeys. */
void mds_validate_response(const mds_schema *s, const mds_sdoc *cmd, const mds_pnode *root,
    const mds_vctx *ctx, mds_viols *out);
/* A command plist (what a server sends) against its RequestType's payloadkeys. */
void mds_validate_command(const mds_schema *s, const mds_pnode *root, const mds_vctx *ctx, mds_viols *out);
/* Any plist value against a key set (for tests of the validator itself). */
void mds_validate_keys(const mds_skeyset *ks, const mds_smac *parent, const mds_pnode *dict,
    const mds_vctx *ctx, const char *path, bool require, mds_viols *out);

/* ---- enrollment state (state.c) ---- */

enum mds_dstatus { MDS_D_QUEUED, MDS_D_NOTNOW, MDS_D_ACK, MDS_D_ERROR, MDS_D_FORMATERR };
enum mds_etype { MDS_E_DEVICE = 1, MDS_E_USER, MDS_E_UE_DEVICE, MDS_E_UE_USER };

struct mds_enr;
/* A command as enqueued: one CommandUUID, one or more enrollments. */
typedef struct mds_cmd {
	char uuid[64];
	char reqtype[64];
	uint8_t *xml;                   /* the plist delivered, as enqueued */
	size_t len;
	double enqueued;
	struct mds_delivery *deliveries;
	struct mds_cmd *hnext;
} mds_cmd;

/* One command for one enrollment: its queue position while pending, its
 * result after. */
typedef struct mds_delivery {
	mds_cmd *cmd;
	struct mds_enr *enr;
	struct mds_delivery *qnext, *qprev;     /* enrollment queue (pending only) */
	struct mds_delivery *cnext;             /* the command's deliveries */
	uint8_t status;                          /* enum mds_dstatus */
	bool pending;
	uint32_t delivered;                      /* times handed out */
	uint32_t results;                        /* results received (>1: duplicates) */
	uint32_t notnow;
	double t_delivered, t_result;
	char *result;                            /* raw body of the last final result */
	size_t result_len;
	mds_viol *viols;                          /* kept violations of that result */
	uint32_t nviols, viols_total;
} mds_delivery;

typedef struct mds_enr {
	char id[200];                   /* UDID, UDID:UserID, EnrollmentID[:EnrollmentUserID] */
	char udid[72];                  /* the device channel ID */
	char user_id[72], user_short[72], user_long[96];
	uint8_t type;                   /* enum mds_etype */
	bool enabled;
	bool has_cert;
	uint8_t cert[32];               /* sha256 of the bound identity (device channel) */
	uint8_t token[64];
	uint8_t token_len;
	char push_magic[72];
	char topic[128];
	bool awaiting_configuration;
	bool not_on_console;
	uint8_t *bootstrap;             /* escrowed bootstrap token (device channel) */
	size_t bootstrap_len;
	bool has_bootstrap;
	char os_version[24], build[24], serial[40], model[40], model_name[48], device_name[96];
	uint32_t authenticates, token_updates, checkouts, checkins, reports;
	uint32_t ua_first, ua_second;
	mds_delivery *qhead, *qtail;
	uint32_t qlen;
	char last_status[24];
	double first_seen, last_seen;
	struct mds_enr *hnext, *lnext;
	struct mds_enr *parent;         /* user channel: its device channel */
} mds_enr;

/* All enrollments and commands, behind one mutex (the work under it is a
 * few hash probes; signatures and parsing happen outside). */
typedef struct mds_state {
	pthread_mutex_t mu;
	mds_enr **etab;
	size_t ecap, en;
	mds_enr *ehead, *etail;         /* in first-seen order */
	mds_cmd **ctab;
	size_t ccap, cn;
	struct mds_certent { uint8_t h[32]; mds_enr *e; struct mds_certent *next; } **htab;
	size_t hcap, hn;
	size_t body_bytes, body_cap;    /* result bodies kept, and the cap */
} mds_state;

void mds_state_init(mds_state *st, size_t body_cap);
void mds_state_free(mds_state *st);
/* Finds (create: or creates) an enrollment by id; mu held. */
mds_enr *mds_state_enr(mds_state *st, const char *id, bool create);
mds_cmd *mds_state_cmd(mds_state *st, const char *uuid);
/* Creates a command (uuid must be new); takes ownership of xml. */
mds_cmd *mds_state_cmd_new(mds_state *st, const char *uuid, const char *reqtype, uint8_t *xml, size_t len);
mds_delivery *mds_state_enqueue(mds_state *st, mds_cmd *c, mds_enr *e);
void mds_state_clear_queue(mds_state *st, mds_enr *e);
/* The next command for e: the first pending one, skipping NotNow'd ones
 * when skip_notnow (NanoMDM storage/kv/queue.go RetrieveNextCommand). */
mds_delivery *mds_state_next(mds_enr *e, bool skip_notnow);
mds_delivery *mds_state_find_delivery(mds_cmd *c, const mds_enr *e);
void mds_state_unlink(mds_enr *e, mds_delivery *d);
/* The cert-auth tables (NanoMDM service/certauth, storage/kv/certauth.go). */
mds_enr *mds_state_cert_owner(mds_state *st, const uint8_t h[32]);
void mds_state_cert_bind(mds_state *st, mds_enr *e, const uint8_t h[32]);
/* Keeps a result body if the cap allows; returns a malloc'd copy or NULL. */
char *mds_state_keep_body(mds_state *st, const uint8_t *p, size_t n);

/* ---- counters and the conformance report (report.c) ---- */

enum mds_counter {
	MDS_C_REQUESTS, MDS_C_CHECKINS, MDS_C_AUTHENTICATE, MDS_C_TOKENUPDATE, MDS_C_CHECKOUT,
	MDS_C_USERAUTH, MDS_C_SETBOOTSTRAP, MDS_C_GETBOOTSTRAP, MDS_C_DDM, MDS_C_GETTOKEN,
	MDS_C_REPORTS, MDS_C_IDLE, MDS_C_ACK, MDS_C_ERROR, MDS_C_NOTNOW, MDS_C_FORMATERR,
	MDS_C_DELIVERED, MDS_C_ENQUEUED, MDS_C_DUPLICATE, MDS_C_UNKNOWN_UUID,
	MDS_C_VALIDATED, MDS_C_INVALID, MDS_C_VIOLATIONS,
	MDS_C_SIG_FULL, MDS_C_SIG_CACHED, MDS_C_SIG_FAST, MDS_C_SIG_FAIL, MDS_C_MTLS,
	MDS_C_HTTP_2XX, MDS_C_HTTP_4XX, MDS_C_HTTP_5XX, MDS_C_FAULTS,
	MDS_C_SCEP_CACAPS, MDS_C_SCEP_CACERT, MDS_C_SCEP_PKCSREQ, MDS_C_SCEP_POLL,
	MDS_C_SCEP_ISSUED, MDS_C_SCEP_PENDING, MDS_C_SCEP_FAILURE, MDS_C_SCEP_DES,
	MDS_C_PUSHES, MDS_C_PUSH_FAIL,
	MDS_C_N
};
extern const char *const mds_counter_names[MDS_C_N];

#define MDS_REPORT_KEEP 4096            /* violations kept for the report */
typedef struct mds_report {
	pthread_mutex_t mu;
	_Atomic uint64_t c[MDS_C_N];
	struct mds_rviol { char where[200]; mds_viol v; } *kept;
	size_t nkept;
	uint64_t total;
	/* per message kind ("checkin:Authenticate", "response:SecurityInfo"): validated, invalid */
	struct mds_rkind { char name[80]; uint64_t validated, invalid; } kinds[128];
	size_t nkinds;
	struct mds_rkind vkinds[48];     /* violations by kind */
	size_t nvkinds;
} mds_report;
void mds_report_init(mds_report *r);
void mds_report_free(mds_report *r);
static inline void
mds_count(mds_report *r, enum mds_counter c)
{
	atomic_fetch_add_explicit(&r->c[c], 1, memory_order_relaxed);
}
/* Records one validated message; where names it (kind, id, uuid). */
void mds_report_message(mds_report *r, const char *kind, const char *where, const mds_viols *vs);

/* ---- PKI (pki.c) ---- */

typedef struct mds_pki {
	EVP_PKEY *scep_key;             /* the SCEP CA: issues device identities */
	X509 *scep_ca;
	EVP_PKEY *ra_key;               /* optional RA (GetCACert answers RA + CA) */
	X509 *ra;
	EVP_PKEY *tls_ca_key;           /* the TLS CA the profile trusts */
	X509 *tls_ca;
	EVP_PKEY *tls_key;              /* the server certificate actually presented */
	X509 *tls_cert;
	X509 *tls_issuer;               /* its issuer (tls_ca, or the other CA) */
	X509 *other_ca;                 /* a CA nobody trusts (bad TLS mode, pin tests) */
	EVP_PKEY *other_ca_key;
	X509_STORE *device_store;       /* anchors for device identities */
	STACK_OF(X509) *device_cas;
	char *tls_cert_pem, *tls_key_pem, *device_cas_pem;
	_Atomic uint64_t serial;
} mds_pki;

enum mds_tls_mode { MDS_TLS_GOOD, MDS_TLS_OTHER_CA, MDS_TLS_WRONG_HOST, MDS_TLS_EXPIRED };

EVP_PKEY *mds_pki_rsa(int bits);
EVP_PKEY *mds_pki_ec(void);
/* A certificate for pub signed by (issuer, ikey); issuer NULL = self-signed.
 * not_before/not_after are seconds from now. kind: "ca", "server", "client", "ra". */
X509 *mds_pki_cert(EVP_PKEY *pub, const char *cn, const char *org, X509 *issuer, EVP_PKEY *ikey,
    const char *kind, const char *san, long not_before, long not_after, uint64_t serial);
char *mds_pki_pem_cert(X509 *x);
char *mds_pki_pem_key(EVP_PKEY *k);
int mds_pki_der(X509 *x, uint8_t **out, size_t *len);
/* Loads or creates the CAs and keys in dir (kept between runs). */
int mds_pki_setup(mds_pki *p, const char *dir, int tls_mode, const char *host, bool ec_tls,
    bool with_ra, const char *const *extra_cas, size_t nextra, mds_err *err);
void mds_pki_free(mds_pki *p);

/* ---- identity: Mdm-Signature and TLS client certificates (ident.c) ---- */

/* Chain-verification results by certificate fingerprint, so each message
 * costs one signature check. */
typedef struct mds_idcache {
	pthread_rwlock_t lk;
	struct mds_ident *tab[4096];
	size_t n;
	bool no_fast;                   /* tests: always the full CMS path */
} mds_idcache;

typedef struct mds_identity {
	uint8_t sha256[32];
	char cn[96];
	bool cached;                    /* the chain verdict came from the cache */
	bool fast;                      /* ... and the signature took the fast path */
} mds_identity;

void mds_idcache_init(mds_idcache *c);
void mds_idcache_free(mds_idcache *c);
/* Verifies a base64 Mdm-Signature over body: a detached CMS SignedData
 * with exactly one signer whose certificate is included and chains to
 * store (clientAuth or no EKU).  vtime != 0 verifies at that time. */
int mds_verify_mdm_signature(mds_identity *out, mds_idcache *c, X509_STORE *store, time_t vtime,
    const char *b64, const uint8_t *body, size_t len, mds_err *err);
/* Whether every digestAlgorithms entry of a DER SignedData is one OpenSSL
 * has: 1 yes, 0 no (CMS_verify would leak: refuse first), -1 not walked. */
int mds_cms_digests_known(const uint8_t *der, size_t dl);
/* Verifies a TLS client chain (DER, leaf first) the same way. */
int mds_verify_client_chain(mds_identity *out, mds_idcache *c, X509_STORE *store, time_t vtime,
    const uint8_t *const *der, const size_t *lens, size_t n, mds_err *err);

/* ---- the server (server.c, mdm.c, scep.c, control.c, profile.c) ---- */

enum mds_scope { MDS_FS_CHECKIN = 1, MDS_FS_COMMAND = 2, MDS_FS_SCEP = 4 };
enum mds_fkind {
	MDS_F_STATUS, MDS_F_HOLD, MDS_F_RESET, MDS_F_CTYPE, MDS_F_MALFORMED, MDS_F_HUGE,
	MDS_F_EMPTY
};
/* A bad-server behaviour for the next `remaining` matching requests. */
typedef struct mds_fault {
	unsigned scope;                 /* enum mds_scope bits */
	enum mds_fkind kind;
	int status;                     /* STATUS: the HTTP status */
	unsigned hold_ms;               /* HOLD: how long before answering 503 */
	char ctype[96];                 /* CTYPE: the Content-Type sent */
	size_t huge;                    /* HUGE: body bytes */
	int remaining;                  /* -1: until cleared */
	char id[200];                   /* only this enrollment id (empty: any) */
	char msgtype[32];               /* only this MessageType or Status (empty: any) */
	uint64_t hits;
} mds_fault;

enum mds_scep_mode { MDS_SCEP_SUCCESS, MDS_SCEP_PENDING, MDS_SCEP_FAILURE };

typedef struct mds_config {
	const char *dir;                /* PKI and report files */
	const char *schema_dir;         /* .../apple-device-management/mdm */
	const char *host;               /* host name in URLs and the server certificate */
	const char *bind;               /* listen address */
	int port, control_port, scep_port;
	int threads;
	bool tls, mtls, ec_tls;
	int tls_mode;                   /* enum mds_tls_mode */
	const char *mdm_path, *checkin_path, *scep_path;
	bool strict;                    /* schema violations fail the request with 400 */
	const char *report_path, *ready_file, *profile_out;
	const char *topic;
	const char *control_token;
	const char *scep_challenge;     /* NULL: any challenge */
	int scep_mode;                  /* enum mds_scep_mode */
	int scep_polls;                 /* PENDING: polls before SUCCESS */
	int scep_failinfo;              /* FAILURE: failInfo value */
	const char *scep_cipher;        /* CertRep envelope cipher: NULL the requester's,
	                                 * "des" as micromdm's scepserver, "des3", "aes128" */
	bool scep_ra;
	int cert_days;
	const char *device_cas[8];
	size_t ndevice_cas;
	time_t verify_time;             /* 0: now */
	size_t max_body;
	bool os_set;
	int assume_os[3];
	const char *push_url, *push_ca;
	bool push_insecure;
	bool ua_decline;                /* first UserAuthenticate gets 410 (NanoMDM without -ua-zero-digest) */
	bool ddm;                       /* answer DeclarativeManagement (else 500, as NanoMDM without -dm) */
	bool no_auth;                   /* fuzzing only: no identity check */
	bool no_fast_verify;            /* every Mdm-Signature through OpenSSL's CMS */
	unsigned conn_limit;
	size_t keep_bodies;
	/* profile */
	const char *identity;           /* "scep" or "pkcs12" */
	const char *pin;                /* NULL, "ca", "leaf", "other" */
	const char *capabilities;       /* comma-separated ServerCapabilities */
	int access_rights;
	int keysize;
	bool sign_message, sign_message_set;
	bool checkout_when_removed;
	bool no_checkin_url;
	const char *p12_password;
} mds_config;

typedef struct mds_server {
	mds_config cfg;
	mds_schema schema;
	bool have_schema;
	mds_state st;
	mds_report rep;
	mds_pki pki;
	mds_idcache idc;
	pthread_mutex_t fmu;            /* faults and runtime settings */
	mds_fault faults[32];
	size_t nfaults;
	int scep_mode, scep_polls, scep_failinfo;
	struct mds_pending *pending;    /* SCEP PENDING transactions (under fmu) */
	char *push_url;
	char base_url[256], scep_url[256], control_url[256];
	int port, control_port, scep_port;
	uint8_t *tls_ca_der;
	size_t tls_ca_len;
	char topic_buf[96];
	int nid_msgtype, nid_status, nid_failinfo, nid_snonce, nid_rnonce, nid_transid;
} mds_server;

/* What the HTTP layer hands the handlers. */
typedef struct mds_req {
	const char *method, *path;
	const char *content_type, *mdm_signature, *authorization;
	const char *q_operation, *q_message;    /* SCEP query parameters */
	const char *query;                      /* control API: raw query string */
	const uint8_t *body;
	size_t len;
	const uint8_t *const *peer_der;         /* TLS client chain, leaf first */
	const size_t *peer_len;
	size_t npeer;
	bool from_loopback;
} mds_req;

enum mds_action { MDS_ACT_REPLY, MDS_ACT_HOLD, MDS_ACT_RESET, MDS_ACT_HUGE };
typedef struct mds_resp {
	int status;
	char ctype[96];
	mds_buf body;
	enum mds_action act;
	unsigned hold_ms;
	size_t huge;
} mds_resp;

/* Sets up everything except the listeners. */
int mds_server_init(mds_server *s, const mds_config *cfg, mds_err *err);
void mds_server_free(mds_server *s);
void mds_resp_set(mds_resp *r, int status, const char *ctype, const void *body, size_t n);
void mds_resp_text(mds_resp *r, int status, const char *text);

/* The MDM port: check-in, command reports, SCEP. */
void mds_handle_main(mds_server *s, const mds_req *rq, mds_resp *rs);
/* The two MDM endpoints (mdm.c). */
void mds_handle_checkin(mds_server *s, const mds_req *rq, mds_resp *rs, const char *endpoint);
void mds_handle_command(mds_server *s, const mds_req *rq, mds_resp *rs);
/* SCEP (scep.c). */
void mds_handle_scep(mds_server *s, const mds_req *rq, mds_resp *rs);
int mds_scep_init(mds_server *s, mds_err *err);
void mds_scep_free(mds_server *s);
/* The control API (control.c). */
void mds_handle_control(mds_server *s, const mds_req *rq, mds_resp *rs);
/* Enqueues a complete command plist for ids ("all": every enabled device
 * channel); fills uuid and (when not NULL) what the command's schema says.
 * Returns the number of targets, -1 on error. */
int mds_enqueue_plist(mds_server *s, const uint8_t *p, size_t n, const char *const *ids, size_t nids,
    char uuid[64], char reqtype[64], mds_viols *viols, mds_err *err);
/* Builds a command plist from a JSON shortcut (enqueue.c; a json_t *). */
int mds_shortcut(void *json, mds_buf *out, mds_err *err);
/* Faults (server.c): the first active fault for scope/id/msgtype, consumed. */
bool mds_fault_take(mds_server *s, unsigned scope, const char *id, const char *msgtype, mds_fault *out);
int mds_fault_parse(mds_fault *f, const char *spec, mds_err *err);
/* Writes the enrolment profile (profile.c); opts override cfg for one call. */
int mds_profile_build(mds_server *s, mds_buf *out, const char *identity, const char *pin, mds_err *err);
/* The report as JSON (report.c). */
char *mds_report_json(mds_server *s);
int mds_report_write(mds_server *s, const char *path, mds_err *err);
/* Pushes to the APNs stand-in (push.c): 0 ok, else the HTTP status or -1. */
int mds_push(mds_server *s, const mds_enr *e, char *detail, size_t dlen);
void mds_push_cleanup(void);

/* `mdmserver load` (load.c). */
int mds_load_main(int argc, char **argv);

/* ---- HTTP listeners (http.c, libmicrohttpd) ---- */

typedef struct mds_http mds_http;
/* Starts the MDM, control and (optional) SCEP listeners; fills s's ports and URLs. */
int mds_http_start(mds_http **out, mds_server *s, mds_err *err);
/* Resumes held connections whose time has come; call often. */
void mds_http_tick(mds_http *h);
void mds_http_stop(mds_http *h);

#endif
