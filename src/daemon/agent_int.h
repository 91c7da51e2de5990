/*
 * agent_int.h — what the MDM agent's files share (src/daemon/agent*.c):
 * the backend through which device operations run, the per-device record
 * the network thread keeps, jobs for the crypto workers and the store
 * thread, and the transport.
 *
 * Threads: the network thread owns every agent_dev and the curl multi
 * handle; a device has at most one job or one HTTP transfer at a time, and
 * jobs cross threads only through the locked queues of agent_work.c, so a
 * device's fields are never touched by two threads at once.
 */
#ifndef MACEXT_DAEMON_AGENT_INT_H
#define MACEXT_DAEMON_AGENT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <plist/plist.h>

#include "daemon/agent.h"
#include "macext/core.h"
#include "macext/enroll.h"
#include "macext/scep.h"
#include "macext/store.h"
#include "macext/store_mdm.h"

/* ==== the backend: device operations, on the store thread ==== */

/* A parsed MDM command from the server (opaque to the agent). */
typedef struct agent_request agent_request;

typedef struct mx_agent_backend {
	const char *name;
	/* one context per thread: its own store connection */
	int (*open)(void **ctx, const char *dir, mx_err *err);
	void (*close)(void *ctx);
	/* the context's store, for the agent's own tables inside an op or batch */
	mx_store *(*store)(void *ctx);
	int64_t (*now)(void *ctx);
	void (*random)(void *ctx, uint8_t *buf, size_t n);
	int (*batch_begin)(void *ctx, mx_err *err);
	int (*batch_commit)(void *ctx, mx_err *err);
	void (*batch_rollback)(void *ctx);
	/* one device, one transaction (or savepoint of the batch) */
	int (*begin)(void *ctx, const char *device, bool write, void **op, mx_err *err);
	int (*commit)(void *op, mx_err *err);
	void (*abort)(void *op);
	bool (*finished)(void *op);                 /* an operation ended the transaction */
	const mx_device *(*device)(void *op);
	/* the enrolment on the device's side: macOS installs the enrolment
	 * profile and becomes managed; unenroll removes every MDM profile */
	void (*prepare_profile)(void *ctx, const uint8_t *profile, size_t len);  /* before the tx */
	int (*enroll)(void *op, enum mx_enroll method, bool user_approved, const uint8_t *profile,
	    size_t len, mx_err *err);
	int (*unenroll)(void *op, const char *profile_identifier, mx_err *err);
	int (*escrow)(void *op, mx_err *err);
	/* a command: parsed outside any transaction; NULL *out with 0 means the
	 * bytes are no command (the error says why) */
	int (*parse)(void *ctx, const uint8_t *buf, size_t len, int channel, agent_request **out,
	    mx_err *err);
	void (*request_free)(agent_request *r);
	const char *(*request_uuid)(const agent_request *r);
	const char *(*request_type)(const agent_request *r);
	const char *(*request_identifier)(const agent_request *r);   /* RemoveProfile's, or NULL */
	/* runs it in op and fills *response (Acknowledged or Error); a failed
	 * command leaves op finished (its effects rolled back) */
	int (*execute)(void *op, const agent_request *r, plist_t *response, mx_err *err);
} mx_agent_backend;

/* The engine's backend (agent_engine.c). */
const mx_agent_backend *mx_agent_engine_backend(void);

/* ==== enrolment profiles shared by many devices ==== */

typedef struct agent_profile {
	char hash[65];                 /* blob hash of its bytes */
	mx_enroll_profile p;
	uint8_t *bytes;                /* as installed on the device */
	size_t len;
	char *anchors_pem;             /* the root/pem/pkcs1 payloads as PEM */
	size_t anchors_len;
	char *pins_pem[2];             /* ServerURL's, CheckInURL's pinned certificates (NULL: none) */
	size_t pins_len[2];
	int refs;
} agent_profile;

/* ==== a device ==== */

enum dev_phase {
	PH_NONE,            /* nothing scheduled */
	PH_START,           /* read the record and the device */
	PH_KEY,             /* need an identity key */
	PH_P12,             /* open the PKCS#12 identity */
	PH_SCEP_CAPS, PH_SCEP_CACERT, PH_SCEP_BUILD, PH_SCEP_SEND, PH_SCEP_PARSE,
	PH_SAVE_IDENTITY,
	PH_AUTHENTICATE, PH_TOKENUPDATE, PH_BOOTSTRAP, PH_ENROLLED_SAVE,
	PH_USER_AUTH, PH_USER_TOKEN,
	PH_GET_BOOTSTRAP,   /* GetBootstrapToken before a kernel-cache rebuild */
	PH_SESSION,         /* the command loop on a channel */
	PH_CHECKOUT,
	PH_DONE             /* checked out or failed: nothing more */
};

enum dev_step {         /* what the device waits for */
	ST_IDLE, ST_TIMER, ST_JOB, ST_HTTP, ST_QUEUED
};

#define CH_DEVICE 0
#define CH_USER   1

/* A SCEP enrolment in progress (the crypto workers fill it, the network
 * thread reads it; never both at once). */
typedef struct agent_scep {
	mx_scep_caps caps;
	uint8_t *cacert;               /* the GetCACert reply (owned) */
	size_t cacert_len;
	char cacert_type[128];
	mx_scep_ca ca;
	bool ca_ok;
	EVP_PKEY *key;                 /* the identity key being certified */
	X509 *signer;                  /* its self-signed certificate */
	X509_NAME *subject;            /* the request's subject (for CertPoll) */
	mx_scep_msg req;               /* the last request sent */
	int polls;                     /* CertPoll requests after PENDING */
} agent_scep;
void agent_scep_free(agent_scep *s);

/* What the agent keeps of a device record: enough to speak for it. */
typedef struct agent_facts {
	char udid[40], serial[32], name[64];
	enum mx_arch arch;
	mx_version os;
	enum mx_envkind env;
	enum mx_enroll enroll;
	bool supervised, user_approved, escrowed;
	bool kext_remote;              /* "Allow remote management of kernel extensions" */
	uint64_t boot_count;
	char user[64];                 /* the console user's short name ("" none) */
} agent_facts;
void agent_facts_from(agent_facts *f, const mx_device *d);

typedef struct agent_dev {
	int idx;
	int64_t device_id;
	char name[64];
	agent_profile *prof;
	/* what it says about itself */
	agent_facts f;                 /* as last read from the store */
	enum mx_enroll method;
	bool user_approved, insecure;
	enum mx_mdm_state state;
	uint8_t *key;                  /* identity key DER (secret; heap, wiped on free) */
	size_t key_len;
	uint8_t *cert;
	size_t cert_len;
	EVP_PKEY *pkey;                /* key and cert parsed once for signing (crypto workers) */
	X509 *x509;
	char token[2][129], magic[2][40];
	bool user_enrolled, awaiting_config, bootstrap_sent;
	bool user_declined;            /* the server answered UserAuthenticate with 410 */
	int ua_round;                  /* UserAuthenticate: 0 first, 1 the DigestResponse */
	/* scheduling */
	enum dev_phase phase;
	enum dev_step step;
	double due;                    /* ST_TIMER: when */
	int heap_at;                   /* position in the timer heap, -1 when absent */
	int failures;
	int polls;                     /* SCEP PENDING polls so far */
	bool wake[2];                  /* a push or a poll asked this channel to check in */
	int channel;                   /* the session's channel */
	bool notnow_last;              /* the last status sent on this session was NotNow */
	bool recheck[2];               /* a channel ended on NotNow: check in again soon */
	bool offline;                  /* off, restarting or in recoveryOS */
	bool restarting, shutting_down;
	double next_poll;
	char last_error[256];
	agent_scep *scep;
	/* the result waiting to go out (owned) */
	uint8_t *result;
	size_t result_len;
	char result_uuid[64];
	char result_status[16];
	int sent;                      /* PH_SESSION: 0 Idle, 1 a result went out */
	struct agent_http *pending;    /* waiting for its Mdm-Signature (owned) */
	struct agent_job *held;        /* PH_GET_BOOTSTRAP: the RestartDevice waiting for it */
	bool admitted;                 /* holds one of the agent's active slots */
	struct agent_dev *qnext;       /* waiting for an active slot */
} agent_dev;

/* ==== jobs ==== */

enum job_kind {
	/* crypto workers */
	J_KEYGEN, J_P12, J_SCEP_BUILD, J_SCEP_PARSE, J_SIGN,
	/* store thread */
	J_LOAD, J_START, J_SAVE, J_ENROLLED, J_ESCROW, J_EXEC, J_REPORTED, J_CHECKOUT,
	J_KEYPOOL_FILL, J_WATCH
};

typedef struct agent_job {
	enum job_kind kind;
	agent_dev *dev;                /* NULL for J_LOAD, J_WATCH */
	int rc;
	mx_err err;
	/* inputs and outputs (by kind) */
	uint8_t *in;                   /* owned */
	size_t in_len;
	uint8_t *out;                  /* owned, handed to the device on completion */
	size_t out_len;
	uint8_t *out2;                 /* J_P12: the certificate; J_START: the certificate */
	size_t out2_len;
	int status, fail_info;         /* J_SCEP_PARSE */
	char text[1024];               /* J_SIGN: the Mdm-Signature; J_EXEC: status */
	int channel;
	int bits;
	bool flag;                     /* J_START: key taken from the pool; J_EXEC: executed before */
	bool restarted, shutdown, unenrolled;   /* J_EXEC: the command's effects */
	agent_facts after;             /* J_START, J_EXEC: the device afterwards */
	agent_request *req;            /* J_EXEC: parsed before the batch's transaction */
	char uuid[64];                 /* J_EXEC: its CommandUUID */
	bool checkout;                 /* J_EXEC: the command removed the enrolment profile */
	bool configured;               /* J_EXEC: DeviceConfigured */
	void *list;                    /* J_LOAD, J_WATCH: results (agent.c) */
	struct agent_job *next;
} agent_job;

/* J_LOAD's answer: every enrolment record with its device, and the
 * distinct enrolment profiles' bytes (parsed by the network thread). */
typedef struct agent_load_ent {
	int64_t device_id;
	char name[64];
	char profile[65];
	agent_facts f;
	enum mx_enroll method;
	bool user_approved, insecure;
	enum mx_mdm_state state;
	uint8_t *key, *cert;           /* owned */
	size_t key_len, cert_len;
	char token[2][129], magic[2][40];
	bool user_enrolled, awaiting, bootstrap_sent;
	int64_t failures;
	char last_error[256];
} agent_load_ent;
typedef struct agent_load {
	int n, cap;
	agent_load_ent *v;
	int nprof;
	struct agent_load_prof { char hash[65]; uint8_t *bytes; size_t len; } *prof;
} agent_load;
void agent_load_free(agent_load *l);
/* The record the store keeps for d (rec->key etc. copied). */
void agent_dev_record(const agent_dev *d, mx_mdm_enrollment *rec);

/* J_WATCH's answer: each device's environment and enrolment now. */
typedef struct agent_watch {
	int n;
	struct agent_watch_ent { int64_t device_id; enum mx_envkind env; enum mx_enroll enroll;
		uint64_t boot_count; } *v;
} agent_watch;

/* ==== the agent ==== */

typedef struct agent_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	agent_job *head, *tail;
	size_t n;
} agent_queue;

struct agent_net;
struct agent_apns;

struct mx_agent {
	mx_agent_options o;
	const mx_agent_backend *be;
	char dir[4096];
	/* threads */
	pthread_t net_thread, store_thread;
	pthread_t *workers;
	int nworkers;
	atomic_bool stop;
	agent_queue crypto_q, store_q, done_q;
	/* devices (network thread) */
	agent_dev **devs;
	int ndevs, capdevs;
	agent_dev **heap;              /* timers, min-heap on due */
	int nheap;
	agent_profile **profiles;
	int nprofiles;
	/* devices busy at once (an enrolment or a command session): bounded, so
	 * memory and the store's queue stay bounded however large the fleet */
	int active, active_max;
	agent_dev *wait_head, *wait_tail;
	int in_flight;
	struct agent_net *net;
	struct agent_apns *apns;
	/* the token -> device map the APNs stand-in reads (under tok_mu) */
	pthread_mutex_t tok_mu;
	struct agent_tok { char token[129]; char topic[256]; int dev, channel; bool gone;
		char magic[40]; } *toks;
	size_t ntoks, captoks;
	/* wake requests from other threads */
	pthread_mutex_t wake_mu;
	int *wakes;
	size_t nwakes, capwakes;
	bool wake_all, rescan;
	char (*wake_names)[64];
	size_t nwake_names;
	bool devs_unsorted;
	/* status: ctr is the network thread's alone; st is what others read,
	 * published under st_mu (pushes are counted there by the APNs thread) */
	mx_agent_status ctr;
	pthread_mutex_t st_mu;
	mx_agent_status st;
	double started;
	uint64_t rng;                  /* faults: splitmix64 from o.seed */
	double next_watch;
	char last_error[320];          /* network thread; copied into st by status_update */
	atomic_int parsed_keys;        /* devices holding a parsed key and certificate */
};
/* Past this many, an idle device's parsed key is dropped (memory stays bounded;
 * parsing again costs about 1 ms). */
#define AGENT_PARSED_KEYS_MAX 4096

/* agent_work.c: queues and the two kinds of threads */
void agent_queue_init(agent_queue *q);
void agent_queue_destroy(agent_queue *q);
void agent_queue_push(agent_queue *q, agent_job *j);
/* Blocks until a job or stop; NULL on stop. */
agent_job *agent_queue_pop(mx_agent *a, agent_queue *q);
/* Takes everything (never blocks). */
agent_job *agent_queue_take_all(agent_queue *q);
agent_job *agent_job_new(enum job_kind kind, agent_dev *d);
void agent_job_free(agent_job *j);
/* Hands a finished job back to the network thread and wakes it. */
void agent_done(mx_agent *a, agent_job *j);
void *agent_crypto_main(void *arg);
void *agent_store_main(void *arg);
/* Runs one crypto job (agent_crypto.c) / one store job (agent_store.c). */
void agent_crypto_run(mx_agent *a, agent_job *j);
void agent_store_run(mx_agent *a, void *ctx, agent_job *j);
/* What a store job does outside any transaction first (J_EXEC parses). */
void agent_store_prepare(mx_agent *a, void *ctx, agent_job *j);

/* agent.c */
void agent_log(mx_agent *a, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
double agent_now(void);
/* A uniform number in [0, 1) from the fault generator. */
double agent_rand01(mx_agent *a);
void agent_timer(mx_agent *a, agent_dev *d, double when);
void agent_set_error(mx_agent *a, agent_dev *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void agent_token_set(mx_agent *a, agent_dev *d, int channel);
void agent_token_gone(mx_agent *a, agent_dev *d);
void agent_status_bump(mx_agent *a);
/* A push for token (APNs stand-in): 200, or APNs' error status with *reason
 * ("BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic").  The device
 * whose token it is checks in if magic is its PushMagic (NULL: any). */
int agent_push(mx_agent *a, const char *token, const char *topic, const char *magic,
    const char **reason);
/* Counts one push request the stand-in answered (200 or not). */
void agent_push_count(mx_agent *a, bool accepted);

/* agent_flow.c: the per-device state machine; agent_session.c: the command channel */
void agent_retry(mx_agent *a, agent_dev *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void agent_give_up(mx_agent *a, agent_dev *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void agent_save(mx_agent *a, agent_dev *d);
void agent_ok(mx_agent *a, agent_dev *d);
const char *agent_url_for(const agent_dev *d, bool checkin);
/* PUTs body (owned) to CheckInURL or ServerURL, signed when SignMessage. */
void agent_put(mx_agent *a, agent_dev *d, bool checkin, uint8_t *body, size_t len);
void agent_go(mx_agent *a, agent_dev *d, enum dev_phase ph);
/* After enrolment and after every session: what the Mac does next. */
void agent_next(mx_agent *a, agent_dev *d);
void agent_session_start(mx_agent *a, agent_dev *d);
void agent_exec_done(mx_agent *a, agent_dev *d, agent_job *j);
void agent_session_reply(mx_agent *a, agent_dev *d, const char *ctype, uint8_t *body, size_t len);
void agent_bootstrap_reply(mx_agent *a, agent_dev *d, uint8_t *body, size_t len);
void agent_send_result(mx_agent *a, agent_dev *d);
void agent_set_result(agent_dev *d, uint8_t *xml, size_t len, const char *uuid, const char *status);
void agent_flow_step(mx_agent *a, agent_dev *d);
void agent_flow_job_done(mx_agent *a, agent_job *j);
/* An HTTP exchange ended: status 0 means a transport failure (err says which). */
void agent_flow_http_done(mx_agent *a, agent_dev *d, long status, const char *ctype,
    uint8_t *body, size_t len, const mx_err *err);
void agent_dev_free(agent_dev *d);
/* Gives back d's active slot (it is idle, waiting or done) and lets the
 * next waiting device go. */
void agent_release(mx_agent *a, agent_dev *d);

/* agent_net.c: the transport */
enum net_kind { NET_GET, NET_POST, NET_PUT };
struct agent_http {
	enum net_kind method;
	char url[2048];
	const char *ctype;             /* request Content-Type, NULL none */
	uint8_t *body;                 /* owned by the transfer */
	size_t len;
	char signature[4096];          /* Mdm-Signature, "" none */
	bool mtls;                     /* present the device identity as the TLS client */
	int pin_set;                   /* 0 none, 1 server URL pins, 2 check-in URL pins */
	size_t max_reply;
};
typedef struct agent_http agent_http;
int agent_net_init(mx_agent *a, mx_err *err);
void agent_net_free(mx_agent *a);
/* Queues the exchange for d (the transfer owns h->body). */
void agent_net_send(mx_agent *a, agent_dev *d, agent_http *h);
/* Runs transfers for up to timeout_ms and handles what finished. */
void agent_net_poll(mx_agent *a, int timeout_ms);
void agent_net_wakeup(mx_agent *a);

/* agent_msg.c: check-in and report bodies (XML plist, malloc'd) */
uint8_t *agent_msg_authenticate(const agent_dev *d, size_t *len);
uint8_t *agent_msg_token_update(const agent_dev *d, int channel, size_t *len);
uint8_t *agent_msg_checkout(const agent_dev *d, size_t *len);
uint8_t *agent_msg_bootstrap(const agent_dev *d, bool set, const uint8_t *token, size_t tlen,
    size_t *len);
uint8_t *agent_msg_user_auth(const agent_dev *d, size_t *len);
uint8_t *agent_msg_idle(const agent_dev *d, int channel, size_t *len);
/* A result without executing: NotNow, or the fault-injected Error. */
uint8_t *agent_msg_status(const agent_dev *d, int channel, const char *uuid, const char *status,
    size_t *len);
uint8_t *agent_msg_fault_error(const agent_dev *d, int channel, const char *uuid, size_t *len);
/* Adds the channel's identifying keys (UDID, UserID ...) to a response. */
void agent_msg_ids(plist_t dict, const agent_dev *d, int channel);
uint8_t *agent_plist_xml(plist_t p, size_t *len);
/* Model facts for check-in messages: "Mac14,3" / "Mac mini", and BuildVersion. */
const char *agent_model(const agent_facts *f);
const char *agent_model_name(const agent_facts *f);
const char *agent_build(const agent_facts *f);
/* The bootstrap token this device escrows: HMAC-SHA256 of its identity key. */
void agent_bootstrap_token(const agent_dev *d, uint8_t out[32]);

#endif
