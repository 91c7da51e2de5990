/*
 * memo.c — what one engine remembers between operations, so a fleet run
 * does repeated work once: parsed profile bodies and profile reads, kext
 * and signature verdicts over stored bundles, AuxKC reads and builds, SEP
 * key pairs and verified LocalPolicies, the last password check.
 *
 * Everything here belongs to one engine (one thread): nothing is static,
 * so two engines never share an entry, and mx_engine_close wipes the key
 * material and the password digest before freeing.  Each cache is keyed
 * only by what the answer depends on (docs/fleet.md "work done once").
 * An AuxKC entry is used only while its stored file keeps the identity
 * (device, inode, size, modify and change times) it had when read or
 * written, so an AuxKC altered on disk is read again (git's "racy" rule:
 * a file changed in the last 100 ms is not remembered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "engine_int.h"
#include "macext/profile.h"

#define BODY_MEMO 8
#define DOC_MEMO 4
#define KEXT_MEMO 4
#define SIG_MEMO 8
#define AUXKC_MEMO 4
#define BUILD_MEMO 8
#define KEY_MEMO 4
#define SEP_MEMO 8

struct mx_profile_doc {
	int refs;
	char name[PATH_MAX];            /* the name it was read under (messages) */
	mx_profile *p;
	uint8_t *bin;                   /* the stored (binary plist) form */
	size_t blen;
};

struct auxkc_slot {
	eng_kc a;
	char path[4096];
	struct stat id;
	bool racy;                      /* changed too recently to trust its identity */
	unsigned long used;
};

struct eng_memo {
	/* root is owned, or borrowed from doc (a profile this engine installed) */
	struct { char hash[65]; plist_t root; mx_profile_doc *doc; unsigned long used; }
	    body[BODY_MEMO];
	unsigned long body_clock;
	struct { uint8_t key[32]; mx_profile_doc *doc; unsigned long used; } doc[DOC_MEMO];
	unsigned long doc_clock;
	struct { char key[160]; eng_kext_verdict v; } kext[KEXT_MEMO];
	unsigned kext_next;
	struct { char key[PATH_MAX + 80]; mx_siginfo si; } sig[SIG_MEMO];
	unsigned sig_next;
	struct auxkc_slot slots[AUXKC_MEMO];
	unsigned long slot_clock;
	struct { uint8_t key[32]; char hash[65]; bool valid; } builds[BUILD_MEMO];
	unsigned build_next;
	struct { mx_sep_key k; bool valid; } keys[KEY_MEMO];
	unsigned key_next;
	struct { uint8_t digest[32]; bool valid; } verified[SEP_MEMO];
	unsigned verified_next;
	mx_pw_memo pw;
};

struct eng_memo *
eng_memo_new(void)
{
	return mx_xcalloc(1, sizeof(struct eng_memo));
}

static void
slot_clear(struct auxkc_slot *s)
{
	free(s->a.kc);
	mx_fileset_free(s->a.fs);
	memset(s, 0, sizeof *s);
}

static void
body_clear(struct eng_memo *m, int i)
{
	if (m->body[i].doc)
		mx_profile_doc_release(m->body[i].doc);
	else
		plist_free(m->body[i].root);
	m->body[i].doc = NULL;
	m->body[i].root = NULL;
}

void
eng_memo_free(struct eng_memo *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < BODY_MEMO; i++)
		body_clear(m, i);
	for (int i = 0; i < DOC_MEMO; i++)
		mx_profile_doc_release(m->doc[i].doc);
	for (int i = 0; i < SIG_MEMO; i++)
		mx_siginfo_free(&m->sig[i].si);
	for (int i = 0; i < AUXKC_MEMO; i++)
		slot_clear(&m->slots[i]);
	/* the secrets: key pairs and the password digest (the rest is public) */
	for (int i = 0; i < KEY_MEMO; i++)
		mx_sep_key_wipe(&m->keys[i].k);
	mx_pw_memo_wipe(&m->pw);
	free(m);
}

/* ---- profile bodies ---- */

int
eng_profile_body(mx_op *op, const char *hash, plist_t *out, mx_err *err)
{
	struct eng_memo *m = op->e->memo;
	int free_slot = 0;
	*out = NULL;
	for (int i = 0; i < BODY_MEMO; i++) {
		if (m->body[i].root && strcmp(m->body[i].hash, hash) == 0) {
			m->body[i].used = ++m->body_clock;
			*out = m->body[i].root;
			return 0;
		}
		if (m->body[i].used < m->body[free_slot].used)
			free_slot = i;
	}
	uint8_t *buf;
	size_t len;
	int rc = mx_store_blob_get(op->st, hash, &buf, &len, err);
	if (rc)
		return rc;
	plist_t root = NULL;
	plist_from_bin((const char *)buf, (uint32_t)len, &root);
	free(buf);
	if (root == NULL || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "stored profile body %s is not a"
		    " dictionary", hash);
	}
	body_clear(m, free_slot);
	snprintf(m->body[free_slot].hash, sizeof m->body[free_slot].hash, "%s", hash);
	m->body[free_slot].root = root;
	m->body[free_slot].used = ++m->body_clock;
	*out = root;
	return 0;
}

void
eng_profile_body_adopt(mx_engine *e, const char *hash, mx_profile_doc *doc)
{
	/* the stored body of an install is the binary form of doc's tree
	 * (mx_profile_to_bin): the reactions that read it right after use the
	 * tree instead of parsing the bytes back (issue 14 §8) */
	struct eng_memo *m = e->memo;
	int slot = 0;
	for (int i = 0; i < BODY_MEMO; i++) {
		if (m->body[i].root && strcmp(m->body[i].hash, hash) == 0)
			return;
		if (m->body[i].used < m->body[slot].used)
			slot = i;
	}
	body_clear(m, slot);
	doc->refs++;
	snprintf(m->body[slot].hash, sizeof m->body[slot].hash, "%s", hash);
	m->body[slot].doc = doc;
	m->body[slot].root = mx_profile_root(mx_profile_doc_profile(doc));
	m->body[slot].used = ++m->body_clock;
}

/* ---- profile reads ---- */

mx_profile_doc *
eng_profile_doc_new(mx_profile *p, uint8_t *bin, size_t blen, const char *name)
{
	mx_profile_doc *d = mx_xcalloc(1, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	d->refs = 1;
	d->p = p;
	d->bin = bin;
	d->blen = blen;
	return d;
}

void
mx_profile_doc_release(mx_profile_doc *doc)
{
	if (doc == NULL || --doc->refs > 0)
		return;
	mx_profile_free(doc->p);
	free(doc->bin);
	free(doc);
}

const char *
mx_profile_doc_identifier(const mx_profile_doc *doc)
{
	return mx_profile_identifier(doc->p);
}

const struct mx_profile *
mx_profile_doc_profile(const mx_profile_doc *doc)
{
	return doc->p;
}

const char *
eng_profile_doc_name(const mx_profile_doc *doc)
{
	return doc->name;
}

void
eng_profile_doc_bin(const mx_profile_doc *doc, const uint8_t **bin, size_t *len)
{
	*bin = doc->bin;
	*len = doc->blen;
}

mx_profile_doc *
eng_profile_doc_find(mx_engine *e, const uint8_t key[32])
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < DOC_MEMO; i++)
		if (m->doc[i].doc && memcmp(m->doc[i].key, key, 32) == 0) {
			m->doc[i].used = ++m->doc_clock;
			m->doc[i].doc->refs++;
			return m->doc[i].doc;
		}
	return NULL;
}

void
eng_profile_doc_remember(mx_engine *e, const uint8_t key[32], mx_profile_doc *doc)
{
	struct eng_memo *m = e->memo;
	int slot = 0;
	for (int i = 1; i < DOC_MEMO; i++)
		if (m->doc[i].used < m->doc[slot].used)
			slot = i;
	mx_profile_doc_release(m->doc[slot].doc);
	memcpy(m->doc[slot].key, key, 32);
	doc->refs++;
	m->doc[slot].doc = doc;
	m->doc[slot].used = ++m->doc_clock;
}

/* ---- verdicts ---- */

bool
eng_kext_verdict_find(mx_engine *e, const char *key, eng_kext_verdict *out)
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < KEXT_MEMO; i++)
		if (m->kext[i].key[0] && strcmp(m->kext[i].key, key) == 0) {
			*out = m->kext[i].v;
			return true;
		}
	return false;
}

void
eng_kext_verdict_remember(mx_engine *e, const char *key, const eng_kext_verdict *v)
{
	struct eng_memo *m = e->memo;
	unsigned i = m->kext_next++ % KEXT_MEMO;
	snprintf(m->kext[i].key, sizeof m->kext[i].key, "%s", key);
	m->kext[i].v = *v;
}

static void
siginfo_copy(mx_siginfo *dst, const mx_siginfo *src)
{
	*dst = *src;
	dst->entitlements = src->entitlements ? plist_copy(src->entitlements) : NULL;
}

bool
eng_sig_find(mx_engine *e, const char *key, mx_siginfo *out)
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < SIG_MEMO; i++)
		if (m->sig[i].key[0] && strcmp(m->sig[i].key, key) == 0) {
			siginfo_copy(out, &m->sig[i].si);
			return true;
		}
	return false;
}

void
eng_sig_remember(mx_engine *e, const char *key, const mx_siginfo *si)
{
	struct eng_memo *m = e->memo;
	unsigned i = m->sig_next++ % SIG_MEMO;
	mx_siginfo_free(&m->sig[i].si);
	snprintf(m->sig[i].key, sizeof m->sig[i].key, "%s", key);
	siginfo_copy(&m->sig[i].si, si);
}

void
eng_sig_forget_path(mx_engine *e, const char *path)
{
	struct eng_memo *m = e->memo;
	size_t n = strlen(path);
	for (int i = 0; i < SIG_MEMO; i++)
		if (strncmp(m->sig[i].key, path, n) == 0 && m->sig[i].key[n] == '\n')
			m->sig[i].key[0] = '\0';
}

/* ---- AuxKCs ---- */

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

const eng_kc *
eng_auxkc_find(mx_engine *e, const char *hash)
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < AUXKC_MEMO; i++) {
		struct auxkc_slot *s = &m->slots[i];
		if (s->a.kc == NULL || s->racy || strcmp(s->a.hash, hash) != 0)
			continue;
		struct stat sb;
		if (stat(s->path, &sb) != 0 || !same_file(&sb, &s->id)) {
			s->racy = true;         /* never again; freed when evicted */
			return NULL;
		}
		s->used = ++m->slot_clock;
		return &s->a;
	}
	return NULL;
}

const eng_kc *
eng_auxkc_fill(mx_engine *e, const char *hash, const char *path, const struct stat *id,
    bool racy, uint8_t *kc, size_t len)
{
	struct eng_memo *m = e->memo;
	struct auxkc_slot *s = &m->slots[0];
	for (int i = 1; i < AUXKC_MEMO; i++)
		if (m->slots[i].used < s->used)
			s = &m->slots[i];
	slot_clear(s);
	snprintf(s->a.hash, sizeof s->a.hash, "%s", hash);
	snprintf(s->path, sizeof s->path, "%s", path);
	s->id = *id;
	s->racy = racy;
	s->used = ++m->slot_clock;
	s->a.kc = kc;
	s->a.len = len;
	mx_boot_sha384(kc, len, s->a.auxi);
	mx_err pe;
	mx_err_clear(&pe);
	if (mx_fileset_parse(&s->a.fs, kc, len, &pe) != 0) {
		s->a.fs = NULL;
		snprintf(s->a.error, sizeof s->a.error, "%s", pe.msg);
	} else {
		mx_boot_sha384(kc + s->a.fs->receipt_off, (size_t)s->a.fs->receipt_len, s->a.auxr);
	}
	return &s->a;
}

bool
eng_auxkc_build_find(mx_engine *e, const uint8_t key[32], char hash[65])
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < BUILD_MEMO; i++)
		if (m->builds[i].valid && memcmp(m->builds[i].key, key, 32) == 0) {
			memcpy(hash, m->builds[i].hash, 65);
			return true;
		}
	return false;
}

void
eng_auxkc_build_remember(mx_engine *e, const uint8_t key[32], const char *hash)
{
	struct eng_memo *m = e->memo;
	unsigned i = m->build_next++ % BUILD_MEMO;
	memcpy(m->builds[i].key, key, 32);
	snprintf(m->builds[i].hash, sizeof m->builds[i].hash, "%s", hash);
	m->builds[i].valid = true;
}

/* ---- the Secure Enclave's keys, verified LocalPolicies, passwords ---- */

int
eng_sep_key(mx_engine *e, const uint8_t seed[32], mx_sep_key *out, mx_err *err)
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < KEY_MEMO; i++)
		if (m->keys[i].valid && CRYPTO_memcmp(m->keys[i].k.seed, seed, 32) == 0) {
			*out = m->keys[i].k;
			return 0;
		}
	unsigned i = m->key_next++ % KEY_MEMO;
	m->keys[i].valid = false;
	int rc = mx_sep_keypair(&m->keys[i].k, seed, err);
	if (rc)
		return rc;
	m->keys[i].valid = true;
	*out = m->keys[i].k;
	return 0;
}

bool
eng_sep_verified(mx_engine *e, const uint8_t digest[32])
{
	struct eng_memo *m = e->memo;
	for (int i = 0; i < SEP_MEMO; i++)
		if (m->verified[i].valid && memcmp(m->verified[i].digest, digest, 32) == 0)
			return true;
	return false;
}

void
eng_sep_remember(mx_engine *e, const uint8_t digest[32])
{
	struct eng_memo *m = e->memo;
	unsigned i = m->verified_next++ % SEP_MEMO;
	memcpy(m->verified[i].digest, digest, 32);
	m->verified[i].valid = true;
}

struct mx_pw_memo *
eng_pw_memo(mx_engine *e)
{
	return &e->memo->pw;
}
