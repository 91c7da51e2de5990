/*
 * coderesources.c — the resource seal of a bundle, _CodeSignature/CodeResources,
 * checked like `codesign --verify` does once special slot 3 has bound the
 * file itself:
 *   files2 { "rel/path" = { hash = SHA-1, hash2 = SHA-256, optional = bool,
 *            symlink = target, cdhash/requirement = nested code } }
 *   (legacy "files" maps a path straight to its SHA-1 data)
 *   rules2 { "regex" = true | { omit, optional, nested = bool, weight = real } }
 * Every sealed file must exist (unless optional) with the sealed hash; every
 * file in the bundle whose strongest rules2 match is neither omit nor nested
 * must be sealed.  Paths are relative to Contents/ (or the shallow bundle's
 * top); a sealed path with "..", a leading '/' or a NUL is refused, so is
 * one behind a symbolic link, and a sealed symbolic link whose target
 * leads out of the bundle (codesign's strict validation).  The walk
 * is capped at depth 32 and 10000 entries.  Regexes are POSIX extended
 * (Apple's rules use only that subset).  An unsealed AppleDouble file
 * ("._NAME", magic 0x00051607) breaks the seal as the bytes say, and the
 * reason names it as the extended attributes a non-Mac copy wrote out.
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "formats/codesign_int.h"
#include "macext/plist_util.h"

#define MAX_DEPTH   32
#define MAX_ENTRIES 10000
#define MAX_RULES   64

typedef struct rule {
	regex_t re;
	double weight;
	bool omit, nested;
} rule;

typedef struct walk {
	const char *top;
	plist_t files;
	rule rules[MAX_RULES];
	int nrules, entries;
	const char *skip_exe;      /* the main executable, sealed by the CD */
	char *why;
	size_t wl;
} walk;

static bool
safe_rel(const char *k)
{
	if (k[0] == '\0' || k[0] == '/')
		return false;
	for (const char *p = k; *p; ) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if ((n == 2 && p[0] == '.' && p[1] == '.') || n == 0)
			return false;
		p += n + (e != NULL);
	}
	return true;
}

/* Does a symbolic link at rel (a path under top) with this target stay
 * under top?  Resolved lexically: an absolute target never does. */
static bool
link_inside(const char *rel, const char *target)
{
	if (target[0] == '/' || target[0] == '\0')
		return false;
	int depth = 0;          /* directories below top where the link sits */
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p; ) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n + (e != NULL);
	}
	return true;
}

/* No directory on the way to a sealed path is a symbolic link: what is
 * hashed must be inside the bundle, not wherever a link points. */
static bool
no_link_on_the_way(const char *top, const char *key)
{
	char path[PATH_MAX];
	for (const char *p = strchr(key, '/'); p != NULL; p = strchr(p + 1, '/')) {
		struct stat st;
		snprintf(path, sizeof path, "%s/%.*s", top, (int)(p - key), key);
		if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			return false;
	}
	return true;
}

static int
hash_file(const char *path, const EVP_MD *md, uint8_t *out, unsigned *ol)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t buf[65536];
	size_t n;
	int rc = c && EVP_DigestInit_ex(c, md, NULL) == 1 ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
		if (EVP_DigestUpdate(c, buf, n) != 1)
			rc = -1;
	if (rc == 0 && (ferror(f) || EVP_DigestFinal_ex(c, out, ol) != 1))
		rc = -1;
	EVP_MD_CTX_free(c);
	fclose(f);
	return rc;
}

static const uint8_t *
data_of(plist_t n, uint64_t *len)
{
	return n && plist_get_node_type(n) == PLIST_DATA
	    ? (const uint8_t *)plist_get_data_ptr(n, len) : NULL;
}

static bool
check_sealed(walk *w, const char *key, plist_t v)
{
	char path[PATH_MAX];
	if (!safe_rel(key)) {
		snprintf(w->why, w->wl, "CodeResources seals an unsafe path \"%s\"", key);
		return false;
	}
	snprintf(path, sizeof path, "%s/%s", w->top, key);
	bool optional = false, nested = false;
	const uint8_t *h1 = NULL, *h2 = NULL;
	uint64_t l1 = 0, l2 = 0;
	const char *link = NULL;
	if (plist_get_node_type(v) == PLIST_DATA) {
		h1 = data_of(v, &l1);
	} else if (plist_get_node_type(v) == PLIST_DICT) {
		plist_t o = plist_dict_get_item(v, "optional");
		uint8_t b = 0;
		if (o && plist_get_node_type(o) == PLIST_BOOLEAN)
			plist_get_bool_val(o, &b);
		optional = b;
		h1 = data_of(plist_dict_get_item(v, "hash"), &l1);
		h2 = data_of(plist_dict_get_item(v, "hash2"), &l2);
		link = mx_plist_str(plist_dict_get_item(v, "symlink"));
		nested = plist_dict_get_item(v, "cdhash") || plist_dict_get_item(v, "requirement");
	} else {
		snprintf(w->why, w->wl, "CodeResources: files2 entry \"%s\" is neither data nor dict", key);
		return false;
	}
	if (!no_link_on_the_way(w->top, key)) {
		snprintf(w->why, w->wl, "sealed resource \"%s\" lies behind a symbolic link", key);
		return false;
	}
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (optional)
			return true;
		snprintf(w->why, w->wl, "sealed resource \"%s\" is missing", key);
		return false;
	}
	if (link) {
		char target[PATH_MAX];
		ssize_t n = S_ISLNK(st.st_mode) ? readlink(path, target, sizeof target - 1) : -1;
		if (n < 0 || (target[n] = '\0', strcmp(target, link) != 0)) {
			snprintf(w->why, w->wl, "sealed symlink \"%s\" was changed", key);
			return false;
		}
		/* strict validation: a link may not lead out of the bundle */
		if (!link_inside(key, target)) {
			snprintf(w->why, w->wl, "invalid destination for symbolic link \"%s\" (%.200s): "
			    "it leads out of the bundle", key, target);
			return false;
		}
		return true;
	}
	if (nested)
		return true;    /* nested code: verified as a bundle of its own */
	const EVP_MD *md = h2 ? EVP_sha256() : EVP_sha1();
	const uint8_t *want = h2 ? h2 : h1;
	uint64_t wlen = h2 ? l2 : l1;
	uint8_t got[EVP_MAX_MD_SIZE];
	unsigned gl = 0;
	if (want == NULL || !S_ISREG(st.st_mode) || hash_file(path, md, got, &gl) != 0 || gl != wlen
	    || memcmp(got, want, gl) != 0) {
		snprintf(w->why, w->wl, "sealed resource \"%s\" was modified", key);
		return false;
	}
	return true;
}

/* An AppleDouble file: "._NAME" holding the header magic 0x00051607
 * (RFC 1740), what tar, zip and cpio write for a file's extended
 * attributes when they extract on a file system without them. */
static bool
is_appledouble(const char *path, const char *name)
{
	if (strncmp(name, "._", 2) != 0 || name[2] == '\0')
		return false;
	uint8_t m[4];
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	bool yes = fread(m, 1, 4, f) == 4 && m[0] == 0 && m[1] == 0x05 && m[2] == 0x16 && m[3] == 0x07;
	fclose(f);
	return yes;
}

/* The strongest matching rule decides: omit or nested files need no seal. */
static bool
needs_seal(const walk *w, const char *rel)
{
	const rule *best = NULL;
	for (int i = 0; i < w->nrules; i++)
		if (regexec(&w->rules[i].re, rel, 0, NULL, 0) == 0
		    && (best == NULL || w->rules[i].weight > best->weight))
			best = &w->rules[i];
	return best != NULL && !best->omit && !best->nested;
}

static bool
walk_dir(walk *w, const char *rel, int depth)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s%s%s", w->top, rel[0] ? "/" : "", rel);
	DIR *d = opendir(dir);
	if (d == NULL)
		return true;
	struct dirent *de;
	bool ok = true;
	while (ok && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > MAX_ENTRIES) {
			snprintf(w->why, w->wl, "the bundle has more than %d files", MAX_ENTRIES);
			ok = false;
			break;
		}
		char r[PATH_MAX];
		snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (strcmp(r, "_CodeSignature") == 0 || (w->skip_exe && strcmp(r, w->skip_exe) == 0))
			continue;
		char full[PATH_MAX];
		snprintf(full, sizeof full, "%s/%s", w->top, r);
		struct stat st;
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DEPTH) {
				snprintf(w->why, w->wl, "the bundle nests deeper than %d", MAX_DEPTH);
				ok = false;
			} else {
				ok = walk_dir(w, r, depth + 1);
			}
			continue;
		}
		if (plist_dict_get_item(w->files, r) == NULL && needs_seal(w, r)) {
			if (S_ISREG(st.st_mode) && is_appledouble(full, de->d_name))
				snprintf(w->why, w->wl, "resource \"%s\" was added after signing: it is "
				    "AppleDouble metadata (the extended attributes of \"%s%s%s\" written as a "
				    "file when the bundle was copied or extracted off a Mac); macOS keeps "
				    "extended attributes with the file, not as a file in the bundle, so a Mac "
				    "would not see it", r, rel, rel[0] ? "/" : "", de->d_name + 2);
			else
				snprintf(w->why, w->wl, "resource \"%s\" was added after signing", r);
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

int
cs_verify_resources(char *why, size_t wl, const char *top, const char *main_exe_rel,
    const uint8_t *res, size_t len)
{
	why[0] = '\0';
	plist_t p = NULL;
	mx_err e;
	mx_err_clear(&e);
	if (mx_plist_parse(&p, res, len, "CodeResources", &e) || plist_get_node_type(p) != PLIST_DICT) {
		snprintf(why, wl, "CodeResources is not a plist dict");
		plist_free(p);
		return -1;
	}
	walk w;
	memset(&w, 0, sizeof w);
	w.top = top, w.why = why, w.wl = wl, w.skip_exe = main_exe_rel;
	w.files = plist_dict_get_item(p, "files2");
	plist_t rules = plist_dict_get_item(p, "rules2");
	if (w.files == NULL) {      /* legacy seal: files + rules */
		w.files = plist_dict_get_item(p, "files");
		rules = plist_dict_get_item(p, "rules");
	}
	int rc = 0;
	if (w.files == NULL || plist_get_node_type(w.files) != PLIST_DICT) {
		snprintf(why, wl, "CodeResources has no files2 dictionary");
		rc = -1;
	}
	plist_dict_iter it = NULL;
	if (rc == 0) {
		plist_dict_new_iter(w.files, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(w.files, it, &k, &v);
			if (k == NULL)
				break;
			bool ok = check_sealed(&w, k, v);
			free(k);
			if (!ok) {
				rc = -1;
				break;
			}
		}
		free(it);
	}
	if (rc == 0 && rules && plist_get_node_type(rules) == PLIST_DICT) {
		plist_dict_new_iter(rules, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(rules, it, &k, &v);
			if (k == NULL)
				break;
			rule *r = &w.rules[w.nrules];
			r->weight = 1;
			r->omit = r->nested = false;
			if (plist_get_node_type(v) == PLIST_DICT) {
				plist_t x;
				uint8_t b;
				if ((x = plist_dict_get_item(v, "weight")) && plist_get_node_type(x) == PLIST_REAL)
					plist_get_real_val(x, &r->weight);
				if ((x = plist_dict_get_item(v, "omit")) && plist_get_node_type(x) == PLIST_BOOLEAN
				    && (plist_get_bool_val(x, &b), b))
					r->omit = true;
				if ((x = plist_dict_get_item(v, "nested")) && plist_get_node_type(x) == PLIST_BOOLEAN
				    && (plist_get_bool_val(x, &b), b))
					r->nested = true;
			}
			if (w.nrules < MAX_RULES && regcomp(&r->re, k, REG_EXTENDED | REG_NOSUB) == 0)
				w.nrules++;
			free(k);
		}
		free(it);
		if (w.nrules > 0 && !walk_dir(&w, "", 0))
			rc = -1;
	}
	for (int i = 0; i < w.nrules; i++)
		regfree(&w.rules[i].re);
	plist_free(p);
	return rc;
}
