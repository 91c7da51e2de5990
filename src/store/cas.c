/*
 * cas.c — content-addressed storage shared by all devices of a state.
 *
 * Small byte strings (profile bodies, kernel collections) go in the blobs
 * table; bundle trees go in state/cas/<hh>/<hash>/<basename>/, written once
 * per content so 100,000 devices with the same kext hold one copy.  A tree's
 * hash is SHA-256 over its sorted entries: "path\0type\0size\0" + content
 * (a directory's size counted as 0)
 * (symlinks are refused: a bundle we import must not point outside itself).
 * A tree is copied to a temporary name and renamed into place, so a crash
 * never leaves a half-written entry under its final name; the temporaries
 * a killed import leaves (cas/.tmp-PID-HEX, never referenced by a row) are
 * removed at the next store open and reported by `store check`.  Walks are
 * iterative and bounded (CAS_MAX_DEPTH directories).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store_int.h"
#include "macext/rd.h"

#define CAS_MAX_FILES 20000
#define CAS_MAX_BYTES (512ull << 20)
#define CAS_MAX_DEPTH 32        /* directories below a tree's root (coderesources.c's bound) */

int
mx_store_blob_put(mx_store *st, const uint8_t *data, size_t len, char out_hash[65], mx_err *err)
{
	uint8_t d[32];
	unsigned dl;
	EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL);
	mx_hex_encode(out_hash, d, 32);
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR IGNORE INTO blobs (hash, data) VALUES (?, ?)", err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, out_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob64(s, 2, data, len, SQLITE_STATIC);
	return st_write(st, s, "store blob", err);
}

int
mx_store_blob_get(mx_store *st, const char *hash, uint8_t **out, size_t *len, mx_err *err)
{
	sqlite3_stmt *s;
	*out = NULL;
	*len = 0;
	int rc = st_prepare(st, &s, "SELECT data FROM blobs WHERE hash = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			return st_fail(st, err, "read blob");
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no blob %s in the store", hash);
	}
	*len = (size_t)sqlite3_column_bytes(s, 0);
	*out = mx_xmalloc(*len);
	memcpy(*out, sqlite3_column_blob(s, 0), *len);
	sqlite3_reset(s);
	return 0;
}

/* ---- trees ---- */

struct entry { char *rel; int isdir; off_t size; int depth; };
/* what identifies an entry's bytes without reading them (as git's index
 * does): device, inode, size and the nanosecond change and modify times */
struct ident { uint64_t dev, ino, size, mtime_s, mtime_ns, ctime_s, ctime_ns; };
struct walk { struct entry *v; size_t n, cap; uint64_t bytes; EVP_MD_CTX *id; double newest; };

static void
ident_add(struct walk *w, const char *rel, const struct stat *sb)
{
	EVP_MD_CTX *x = w->id;
	double t = (double)sb->st_ctim.tv_sec + (double)sb->st_ctim.tv_nsec / 1e9;
	if (t > w->newest)
		w->newest = t;
	struct ident i = { (uint64_t)sb->st_dev, (uint64_t)sb->st_ino, (uint64_t)sb->st_size,
		(uint64_t)sb->st_mtim.tv_sec, (uint64_t)sb->st_mtim.tv_nsec,
		(uint64_t)sb->st_ctim.tv_sec, (uint64_t)sb->st_ctim.tv_nsec };
	EVP_DigestUpdate(x, rel, strlen(rel) + 1);
	EVP_DigestUpdate(x, &i, sizeof i);
}

/* A fleet installs the same bundle on thousands of Macs: the content hash
 * of a tree whose every entry still has the identity it had when it was
 * last hashed by this process is remembered, so it is read once.  File
 * times tick at the kernel's coarse clock, so a tree changed within the
 * last moments is not remembered (a write in the same tick would keep its
 * identity: git's "racy" case). */
/* (the memo lives in the store handle: st->tree_memo, one per connection) */

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
by_rel(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

/* Lists every entry under root into w, breadth first and without
 * recursion: w->v is the queue, each directory's entries are appended as it
 * is reached.  A directory nested deeper than CAS_MAX_DEPTH is refused
 * (issue 14 §7: a 1,000-deep tree once overflowed the stack here), the
 * same bound as the resource seal's walk in `codesign verify`. */
static int
walk(const char *root, struct walk *w, mx_err *err)
{
	int rc = 0;
	const char *rel = "";   /* the directory being listed: the root, then each queued one */
	int depth = 0;
	for (size_t q = 0;;) {
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel) >=
		    sizeof path)
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: path too long", root);
		DIR *dir = opendir(path);
		if (dir == NULL)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
		struct dirent *de;
		while (rc == 0 && (de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char sub[PATH_MAX], full[PATH_MAX];
			if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
			    de->d_name) >= sizeof sub ||
			    (size_t)snprintf(full, sizeof full, "%s/%s", root, sub) >= sizeof full) {
				rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: path too long", path);
				break;
			}
			struct stat sb;
			if (lstat(full, &sb) != 0) {
				rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", full, strerror(errno));
				break;
			}
			if (S_ISLNK(sb.st_mode)) {
				/* the wording of the bundle reader (bundle.c), so install and
				 * codesign verify refuse alike */
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
				    "%s: %s is a symbolic link (links are not accepted in bundles)", root, sub);
				break;
			}
			if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
				    "%s: not a regular file or directory (links are not accepted in bundles)",
				    full);
				break;
			}
			if (S_ISDIR(sb.st_mode) && depth + 1 > CAS_MAX_DEPTH) {
				rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
				    "%s: the tree nests deeper than %d directories", root, CAS_MAX_DEPTH);
				break;
			}
			if (w->n == CAS_MAX_FILES || (w->bytes += (uint64_t)sb.st_size) > CAS_MAX_BYTES) {
				rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
				    "%s: more than %d files or %llu bytes", root, CAS_MAX_FILES,
				    (unsigned long long)CAS_MAX_BYTES);
				break;
			}
			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 64;
				w->v = mx_xrealloc(w->v, w->cap * sizeof *w->v);
			}
			w->v[w->n++] = (struct entry){ mx_xstrdup(sub), S_ISDIR(sb.st_mode), sb.st_size,
				depth + 1 };
			ident_add(w, sub, &sb);
		}
		closedir(dir);
		while (q < w->n && !w->v[q].isdir)
			q++;
		if (rc || q == w->n)
			break;
		rel = w->v[q].rel;      /* strdup'd: stays put when w->v grows */
		depth = w->v[q].depth;
		q++;
	}
	return rc;
}

static int
read_file(const char *path, uint8_t **out, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct stat sb;
	fstat(fileno(f), &sb);
	*len = (size_t)sb.st_size;
	*out = mx_xmalloc(*len);
	size_t got = fread(*out, 1, *len, f);
	fclose(f);
	if (got != *len) {
		free(*out);
		*out = NULL;
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: short read", path);
	}
	return 0;
}

static int
write_file(const char *path, const uint8_t *data, size_t len, mx_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n <= 0) {
			int e = errno;
			close(fd);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path,
			    n < 0 ? strerror(e) : "short write");
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	return 0;
}

/* Makes a directory's entries durable (after creating files in it or
 * renaming into it), so a committed row never points at a lost tree. */
static int
fsync_dir(const char *path, mx_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* Removes the tree at path without recursion: a stack of open directories,
 * each emptied before it is removed.  Only the store's own temporaries and
 * repairs come here (their depth is bounded by walk); a tree deeper than
 * RM_MAX_DEPTH is left as it is and reported. */
#define RM_MAX_DEPTH (CAS_MAX_DEPTH + 8)
static int
rmtree(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	struct { DIR *d; char name[256]; } st[RM_MAX_DEPTH];
	int sp = 0, bad = 0;
	st[0].d = opendir(path);
	st[0].name[0] = '\0';
	if (st[0].d == NULL)
		return -1;
	sp = 1;
	while (sp > 0) {
		int fd = dirfd(st[sp - 1].d);
		struct dirent *de = readdir(st[sp - 1].d);
		if (de == NULL) {
			/* this directory is empty now: close it, remove it from its parent */
			closedir(st[--sp].d);
			if (sp > 0 && unlinkat(dirfd(st[sp - 1].d), st[sp].name, AT_REMOVEDIR) != 0)
				bad = 1;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			bad = 1;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (unlinkat(fd, de->d_name, 0) != 0)
				bad = 1;
			continue;
		}
		int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = sub >= 0 && sp < RM_MAX_DEPTH ? fdopendir(sub) : NULL;
		if (d == NULL) {
			if (sub >= 0)
				close(sub);
			bad = 1;
			continue;
		}
		st[sp].d = d;
		snprintf(st[sp].name, sizeof st[sp].name, "%s", de->d_name);
		sp++;
	}
	if (rmdir(path) != 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* Is pid a process on this machine?  (A temporary's name carries its
 * writer's pid: only the dead writer's temporaries are garbage.) */
static bool
pid_alive(long pid)
{
	return pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int
mx_cas_stale_temps(mx_store *st, bool remove, void (*fn)(const char *name, void *), void *arg,
    long *n, mx_err *err)
{
	*n = 0;
	char cas[PATH_MAX];
	snprintf(cas, sizeof cas, "%s/cas", st->dir);
	DIR *d = opendir(cas);
	if (d == NULL)
		return errno == ENOENT ? 0 : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", cas,
		    strerror(errno));
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		long pid = 0;
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		char *end = NULL;
		pid = strtol(de->d_name + 5, &end, 10);
		if (end == de->d_name + 5 || *end != '-' || pid_alive(pid))
			continue;        /* an import under way in a live process */
		(*n)++;
		if (fn)
			fn(de->d_name, arg);
		if (remove) {
			char p[PATH_MAX + 300];
			snprintf(p, sizeof p, "%s/%s", cas, de->d_name);
			if (rmtree(p) != 0 && rc == 0)
				rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: cannot remove: %s", p,
				    strerror(errno));
		}
	}
	closedir(d);
	return rc;
}

/* Makes cas/ and cas/<hh>/ for hash and names a fresh temporary entry in
 * tmp (random: concurrent writers never share one).  The kernel's CSPRNG
 * directly: OpenSSL's generator costs milliseconds to set up. */
static void
make_tmp_name(mx_store *st, const char *hash, char *tmp, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/cas", st->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/cas/%.2s", st->dir, hash);
	mkdir(p, 0755);
	uint8_t rnd[8] = { 0 };
	size_t got = 0;
	while (got < sizeof rnd) {
		ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n <= 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	char hex[17];
	mx_hex_encode(hex, rnd, sizeof rnd);
	snprintf(tmp, len, "%s/cas/.tmp-%d-%s", st->dir, (int)getpid(), hex);
}

int
mx_cas_path(mx_store *st, const char *hash, char *out, size_t len, mx_err *err)
{
	char dir[PATH_MAX];
	if (strlen(hash) != 64)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "bad content hash '%s'", hash);
	snprintf(dir, sizeof dir, "%s/cas/%.2s/%s", st->dir, hash, hash);
	DIR *d = opendir(dir);
	if (d == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: missing from the store", dir);
	struct dirent *de;
	int found = 0;
	/* the entry holds one name, the tree's base name, which may itself begin
	 * with a dot (/Applications/.Karabiner-VirtualHIDDevice-Manager.app) */
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(out, len, "%s/%s", dir, de->d_name);
			found = 1;
			break;
		}
	closedir(d);
	return found ? 0 : MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: empty store entry", dir);
}

/* The content hash of the tree at root (base name base; w its listing):
 * the base name, then each entry sorted by path ("path\0type\0size\0" +
 * content).  With contents the bytes read are kept there (w->n + 1 slots,
 * [0] for a one-file tree); without, each file is freed once hashed. */
static int
tree_digest_v(const char *root, const char *base, bool isdir, struct walk *w, uint8_t **contents,
    size_t *lens, bool dir_sizes, uint8_t d[32], mx_err *err)
{
	if (w->n > 1)
		qsort(w->v, w->n, sizeof *w->v, by_rel);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, base, strlen(base) + 1);
	int rc = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (!isdir) {
		rc = read_file(root, &buf, &len, err);
		if (rc == 0)
			EVP_DigestUpdate(ctx, buf, len);
		if (contents) {
			contents[0] = buf;
			lens[0] = len;
		} else {
			free(buf);
		}
	}
	for (size_t i = 0; rc == 0 && i < w->n; i++) {
		char hdr[64];
		/* a directory's st_size is its file system's (4096 on ext4, the
		 * entries' bytes on tmpfs): it counts as 0, or a copy of a tree on
		 * another file system would not have the tree's hash */
		int hl = snprintf(hdr, sizeof hdr, "%c%c%llu%c", w->v[i].isdir ? 'd' : 'f', 0,
		    w->v[i].isdir && !dir_sizes ? 0ull : (unsigned long long)w->v[i].size, 0);
		EVP_DigestUpdate(ctx, w->v[i].rel, strlen(w->v[i].rel) + 1);
		EVP_DigestUpdate(ctx, hdr, (size_t)hl);
		if (!w->v[i].isdir) {
			char full[PATH_MAX];
			snprintf(full, sizeof full, "%s/%s", root, w->v[i].rel);
			buf = NULL;
			rc = read_file(full, &buf, &len, err);
			if (rc == 0)
				EVP_DigestUpdate(ctx, buf, len);
			if (contents) {
				contents[i] = buf;
				lens[i] = len;
			} else {
				free(buf);
			}
		}
	}
	unsigned dl;
	EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int
tree_digest(const char *root, const char *base, bool isdir, struct walk *w, uint8_t **contents,
    size_t *lens, uint8_t d[32], mx_err *err)
{
	return tree_digest_v(root, base, isdir, w, contents, lens, false, d, err);
}

int
mx_cas_put_tree(mx_store *st, const char *src, char out_hash[65], mx_err *err)
{
	struct stat sb;
	if (stat(src, &sb) != 0)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	char srcbuf[PATH_MAX];
	snprintf(srcbuf, sizeof srcbuf, "%s", src);
	size_t sl = strlen(srcbuf);
	while (sl > 1 && srcbuf[sl - 1] == '/')
		srcbuf[--sl] = '\0';
	const char *base = strrchr(srcbuf, '/');
	base = base ? base + 1 : srcbuf;

	struct walk w = { 0 };
	w.id = EVP_MD_CTX_new();
	EVP_DigestInit_ex(w.id, EVP_sha256(), NULL);
	ident_add(&w, srcbuf, &sb);
	int rc = 0;
	if (S_ISDIR(sb.st_mode))
		rc = walk(srcbuf, &w, err);
	else if (!S_ISREG(sb.st_mode))
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not a file or directory", src);
	uint8_t id[32];
	unsigned idl;
	EVP_DigestFinal_ex(w.id, id, &idl);
	EVP_MD_CTX_free(w.id);
	if (rc)
		goto out;
	for (int i = 0; i < ST_TREE_MEMO; i++)
		if (st->tree_memo[i].valid && memcmp(st->tree_memo[i].id, id, 32) == 0) {
			char known[PATH_MAX];
			snprintf(known, sizeof known, "%s/cas/%.2s/%s", st->dir, st->tree_memo[i].hash,
			    st->tree_memo[i].hash);
			if (stat(known, &sb) == 0) {
				memcpy(out_hash, st->tree_memo[i].hash, 65);
				goto out;
			}
		}
	uint8_t **contents = mx_xcalloc(w.n + 1, sizeof *contents);
	size_t *lens = mx_xcalloc(w.n + 1, sizeof *lens);
	uint8_t d[32];
	if ((rc = tree_digest(srcbuf, base, S_ISDIR(sb.st_mode), &w, contents, lens, d, err)))
		goto free_contents;
	mx_hex_encode(out_hash, d, 32);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if ((double)now.tv_sec + (double)now.tv_nsec / 1e9 - w.newest > 0.1) {
		unsigned i = st->tree_next++ % ST_TREE_MEMO;
		memcpy(st->tree_memo[i].id, id, 32);
		memcpy(st->tree_memo[i].hash, out_hash, 65);
		st->tree_memo[i].valid = true;
	}

	char final[PATH_MAX], tmp[PATH_MAX], p[PATH_MAX * 2];
	snprintf(final, sizeof final, "%s/cas/%.2s/%s", st->dir, out_hash, out_hash);
	if (stat(final, &sb) == 0)
		goto free_contents;             /* already stored */
	make_tmp_name(st, out_hash, tmp, sizeof tmp);
	if (mkdir(tmp, 0755) != 0) {
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
		goto free_contents;
	}
	snprintf(p, sizeof p, "%s/%s", tmp, base);
	if (!S_ISDIR(sb.st_mode)) {
		rc = write_file(p, contents[0], lens[0], err);
	} else if (mkdir(p, 0755) != 0) {
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	}
	for (size_t i = 0; rc == 0 && i < w.n; i++) {
		snprintf(p, sizeof p, "%s/%s/%s", tmp, base, w.v[i].rel);
		if (w.v[i].isdir) {
			if (mkdir(p, 0755) != 0)
				rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
		} else {
			rc = write_file(p, contents[i], lens[i], err);
		}
	}
	/* directories deepest first, then the new entry's parent after the rename */
	for (size_t i = w.n; rc == 0 && i-- > 0;)
		if (w.v[i].isdir) {
			snprintf(p, sizeof p, "%s/%s/%s", tmp, base, w.v[i].rel);
			rc = fsync_dir(p, err);
		}
	if (rc == 0) {
		snprintf(p, sizeof p, "%s/%s", tmp, base);
		rc = S_ISDIR(sb.st_mode) ? fsync_dir(p, err) : 0;
	}
	if (rc == 0)
		rc = fsync_dir(tmp, err);
	if (rc == 0 && rename(tmp, final) != 0 && errno != ENOTEMPTY && errno != EEXIST)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", final, strerror(errno));
	if (rc == 0) {
		snprintf(p, sizeof p, "%s/cas/%.2s", st->dir, out_hash);
		rc = fsync_dir(p, err);
	}
	rmtree(tmp);   /* no-op after a successful rename; cleans up a lost race or failure */
free_contents:
	for (size_t i = 0; i <= w.n; i++)
		free(contents[i]);
	free(contents);
	free(lens);
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].rel);
	free(w.v);
	return rc;
}

/* Hashes the stored tree entry (cas/<hh>/<hash>/<basename>) again: 0 when
 * its bytes still have their hash, MX_ESIGNATURE naming both hashes when
 * not.  A tree whose entries all keep the identity (device, inode, size,
 * times) they had when this connection last verified it is not read again
 * (a walk that refuses it, a link say, is an error too);
 * *reread (may be NULL) says whether it was. */
int
mx_cas_verify(mx_store *st, const char *hash, bool *reread, mx_err *err)
{
	char root[PATH_MAX];
	int rc;
	if (reread)
		*reread = false;
	if ((rc = mx_cas_path(st, hash, root, sizeof root, err)))
		return rc;
	struct stat sb;
	if (lstat(root, &sb) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", root, strerror(errno));
	const char *base = strrchr(root, '/') + 1;
	struct walk w = { 0 };
	w.id = EVP_MD_CTX_new();
	EVP_DigestInit_ex(w.id, EVP_sha256(), NULL);
	ident_add(&w, root, &sb);
	if (S_ISDIR(sb.st_mode))
		rc = walk(root, &w, err);
	else if (!S_ISREG(sb.st_mode))
		rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET,
		    "%s: not a regular file or directory", root);
	uint8_t id[32];
	unsigned idl;
	EVP_DigestFinal_ex(w.id, id, &idl);
	EVP_MD_CTX_free(w.id);
	bool known = false;
	for (int i = 0; rc == 0 && i < ST_TREE_MEMO && !known; i++)
		known = st->verified_memo[i].valid && memcmp(st->verified_memo[i].id, id, 32) == 0 &&
		    strcmp(st->verified_memo[i].hash, hash) == 0;
	if (rc == 0 && !known) {
		uint8_t d[32];
		char got[65];
		if (reread)
			*reread = true;
		if ((rc = tree_digest(root, base, S_ISDIR(sb.st_mode), &w, NULL, NULL, d, err)) == 0) {
			mx_hex_encode(got, d, 32);
			/* a tree stored before 2026-12-02 was hashed with its directories'
			 * st_size (the same file system then and now): still its hash */
			if (strcmp(got, hash) != 0 && S_ISDIR(sb.st_mode) &&
			    tree_digest_v(root, base, true, &w, NULL, NULL, true, d, err) == 0) {
				char legacy[65];
				mx_hex_encode(legacy, d, 32);
				if (strcmp(legacy, hash) == 0)
					snprintf(got, sizeof got, "%s", hash);
			}
			if (strcmp(got, hash) != 0)
				rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "%s: the stored bytes no "
				    "longer have their content hash (they hash to %s)", root, got);
		}
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (rc == 0 && (double)now.tv_sec + (double)now.tv_nsec / 1e9 - w.newest > 0.1) {
			unsigned i = st->verified_next++ % ST_TREE_MEMO;
			memcpy(st->verified_memo[i].id, id, 32);
			memcpy(st->verified_memo[i].hash, hash, 65);
			st->verified_memo[i].valid = true;
		}
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].rel);
	free(w.v);
	return rc;
}

int
mx_cas_check(mx_store *st, void (*fn)(const char *hash, const mx_err *why, void *arg),
    void *arg, long *n, mx_err *err)
{
	*n = 0;
	char cas[PATH_MAX];
	snprintf(cas, sizeof cas, "%s/cas", st->dir);
	DIR *top = opendir(cas);
	if (top == NULL)
		return errno == ENOENT ? 0 : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", cas,
		    strerror(errno));
	/* sorted, so the report reads the same each time */
	char **names = NULL;
	size_t nn = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(top)) != NULL) {
		if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX + 8];
		snprintf(sub, sizeof sub, "%s/%s", cas, de->d_name);
		DIR *d = opendir(sub);
		if (d == NULL)
			continue;
		struct dirent *e2;
		while ((e2 = readdir(d)) != NULL) {
			if (strlen(e2->d_name) != 64 || strncmp(e2->d_name, de->d_name, 2) != 0)
				continue;
			if (nn == cap) {
				cap = cap ? cap * 2 : 64;
				names = mx_xrealloc(names, cap * sizeof *names);
			}
			names[nn++] = mx_xstrdup(e2->d_name);
		}
		closedir(d);
	}
	closedir(top);
	if (nn > 1)
		qsort(names, nn, sizeof *names, by_name);
	for (size_t i = 0; i < nn; i++) {
		mx_err why;
		mx_err_clear(&why);
		if (mx_cas_verify(st, names[i], NULL, &why) != 0) {
			(*n)++;
			if (fn)
				fn(names[i], &why, arg);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int
mx_store_file_set(mx_store *st, int64_t device_id, const char *path, const char *hash,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "INSERT OR REPLACE INTO files (device_id, path, hash) VALUES (?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, hash, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "set file", err);
}

int
mx_store_file_get(mx_store *st, int64_t device_id, const char *path, char out_hash[65],
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT hash FROM files WHERE device_id = ? AND path = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (out_hash)
			st_text(s, 0, out_hash, 65);
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_DONE)
		return st_fail(st, err, "get file");
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no such file on the device", path);
}

int
mx_store_file_remove(mx_store *st, int64_t device_id, const char *path, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM files WHERE device_id = ? AND path = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "remove file", err);
}

int
mx_store_file_each(mx_store *st, int64_t device_id, const char *prefix,
    int (*fn)(const char *path, const char *hash, void *), void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	bool owned;
	int prc = st_prepare_iter(st, &s, &owned, "SELECT path, hash FROM files WHERE device_id = ?"
	    " AND substr(path, 1, length(?2)) = ?2 ORDER BY path", err);
	if (prc)
		return prc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = fn((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list files");
	st_done_iter(s, owned);
	return rc;
}

int
mx_cas_put_bytes(mx_store *st, const char *name, const uint8_t *data, size_t len,
    char out_hash[65], mx_err *err)
{
	/* the hash mx_cas_put_tree gives a single file: base name, then content */
	uint8_t d[32];
	unsigned dl;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, name, strlen(name) + 1);
	EVP_DigestUpdate(ctx, data, len);
	EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	mx_hex_encode(out_hash, d, 32);
	char final[PATH_MAX], tmp[PATH_MAX], p[PATH_MAX * 2];
	struct stat sb;
	snprintf(final, sizeof final, "%s/cas/%.2s/%s", st->dir, out_hash, out_hash);
	int repair = 0;
	if (stat(final, &sb) == 0) {
		/* already stored: nothing to write, unless the stored copy was
		 * altered behind the store's back (a tampered AuxKC): then this
		 * write repairs it */
		snprintf(p, sizeof p, "%s/%s", final, name);
		uint8_t *old = NULL;
		size_t oldlen = 0;
		int same = read_file(p, &old, &oldlen, NULL) == 0 && oldlen == len &&
		    memcmp(old, data, len) == 0;
		free(old);
		if (same)
			return 0;
		repair = 1;
	}
	make_tmp_name(st, out_hash, tmp, sizeof tmp);
	if (mkdir(tmp, 0755) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
	snprintf(p, sizeof p, "%s/%s", tmp, name);
	int rc = write_file(p, data, len, err);
	if (rc == 0)
		rc = fsync_dir(tmp, err);
	/* a repair swaps the good copy in atomically; tmp then holds the bad one */
	if (rc == 0 && repair && renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", final, strerror(errno));
	else if (rc == 0 && !repair && rename(tmp, final) != 0 && errno != ENOTEMPTY &&
	    errno != EEXIST)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", final, strerror(errno));
	if (rc == 0) {
		snprintf(p, sizeof p, "%s/cas/%.2s", st->dir, out_hash);
		rc = fsync_dir(p, err);
	}
	rmtree(tmp);
	return rc;
}
