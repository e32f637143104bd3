/* tail.c — file input of the agent (see tail.h, docs/agent-inputs.md): glob
 * scans, per-file positions advanced only by delivered lines, rotation and
 * truncation detection, and the checkpoint blob that makes restarts exact. */
#include "agent/tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define DEF_SCAN_MS 1000
#define DEF_ROTATE_WAIT_MS 5000
/* Room for one whole line of VG_MAX_LINE plus its '\n', plus a read's worth. */
#define BUF_BYTES (VG_MAX_LINE + 1 + VG_TAIL_READ_BYTES)
/* Bound on the work of one poll, so one busy file cannot hold it forever. */
#define POLL_BYTES (8u * 1024 * 1024)
#define POLL_ROUNDS 256
#define WARN_KEYS 256
/* Positions and counts past this are nonsense in a blob. */
#define POS_MAX (UINT64_C(1) << 62)

#define CP_MAGIC 0x43544756u /* "VGTC" little-endian */
#define CP_VERSION 1u
#define CP_HDR 10
#define CP_TRAILER 4
#define CP_F_SKIPPING 1u

struct tfile {
	char *path;          /* name it was last seen under; kept when it leaves every match */
	char *prev_path;     /* the name before the last rename seen (NULL: none) */
	uint64_t dev, ino;
	uint64_t off;        /* bytes consumed: delivered lines, skipped line tails */
	uint64_t line_no;    /* number of the last line delivered */
	uint64_t fp_hash;    /* hash of the first fp_len bytes */
	uint32_t fp_len;
	int fd;              /* -1: restored, not found yet */
	int skipping;        /* inside an over-long line: drop up to its '\n' */
	int detached;        /* no matched name refers to it any more */
	int eof_seen;        /* its end was reached at least once */
	int dead;            /* to be closed and forgotten at the end of the round */
	uint64_t size_seen;  /* st_size at the last check */
	uint64_t tail_len;   /* bytes past off known to be a partial line, at size_seen */
	int64_t detached_ms; /* when it was detached */
	uint64_t gen;        /* last scan that matched it */
	struct tfile *pred;  /* the file this one replaced: read only once pred hit its end */
};

struct vg_tail {
	char **globs;
	size_t nglobs;
	vg_tail_opts o;
	struct tfile **files;
	size_t nfiles, cap;
	char *buf;
	int restored, polled, scanned, limit_warned;
	int64_t last_scan_ms;
	uint64_t gen;
	size_t rr;
	vg_tail_stats st;
	uint64_t warned[WARN_KEYS];
	size_t nwarned;
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#define FNV_INIT UINT64_C(0xcbf29ce484222325)

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void say(const vg_tail *t, const char *fmt, ...)
{
	char m[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (t->o.log != NULL)
		t->o.log(t->o.log_ud, m);
	else
		fprintf(stderr, "vigil: tail: %s\n", m);
}

/* Reports a problem with path once (per path and errno), counting it. */
static void warn_once(vg_tail *t, const char *path, int e, const char *what)
{
	uint64_t k = fnv1a(path, strlen(path), FNV_INIT ^ (uint64_t)(unsigned)e);
	t->st.errors++;
	for (size_t i = 0; i < t->nwarned; i++)
		if (t->warned[i] == k)
			return;
	if (t->nwarned < WARN_KEYS)
		t->warned[t->nwarned++] = k;
	say(t, "%s %s: %s (skipped)", what, path, strerror(e));
}

/* pread until n bytes, end of file or error; bytes read or -1 (errno). */
static ssize_t pread_full(int fd, void *p, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Checks that the file's head still matches the fingerprint, and extends the
 * fingerprint to the first VG_TAIL_FP_BYTES bytes as the file grows.
 * 1: same file content, 0: changed (truncated or rewritten), -1: read error. */
static int fp_verify(struct tfile *f, uint64_t size)
{
	unsigned char b[VG_TAIL_FP_BYTES];
	size_t want = size < VG_TAIL_FP_BYTES ? (size_t)size : VG_TAIL_FP_BYTES;
	if (want < f->fp_len)
		return 0;
	ssize_t n = pread_full(f->fd, b, want, 0);
	if (n < 0)
		return -1;
	if ((size_t)n < f->fp_len || fnv1a(b, f->fp_len, FNV_INIT) != f->fp_hash)
		return 0;
	f->fp_len = (uint32_t)n;
	f->fp_hash = fnv1a(b, (size_t)n, FNV_INIT);
	return 1;
}

static void restart_at_zero(vg_tail *t, struct tfile *f)
{
	f->off = 0;
	f->line_no = 0;
	f->skipping = 0;
	f->tail_len = 0;
	f->fp_len = 0;
	f->fp_hash = FNV_INIT;
	t->st.truncations++;
}

static struct tfile *file_alloc(const char *path)
{
	struct tfile *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->path = strdup(path);
	if (f->path == NULL) {
		free(f);
		return NULL;
	}
	f->fd = -1;
	f->fp_hash = FNV_INIT;
	return f;
}

static void file_free(struct tfile *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->prev_path);
	free(f);
}

static int files_push(vg_tail *t, struct tfile *f)
{
	if (t->nfiles == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct tfile **nf = realloc(t->files, nc * sizeof(*nf));
		if (nf == NULL)
			return VG_ENOMEM;
		t->files = nf;
		t->cap = nc;
	}
	t->files[t->nfiles++] = f;
	return 0;
}

/* Closes and forgets the files marked dead. */
static void reap(vg_tail *t)
{
	size_t w = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tfile *f = t->files[i];
		if (!f->dead) {
			t->files[w++] = f;
			continue;
		}
		for (size_t j = 0; j < t->nfiles; j++)
			if (t->files[j]->pred == f)
				t->files[j]->pred = NULL;
		file_free(f);
	}
	t->nfiles = w;
}

static struct tfile *find_inode(const vg_tail *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->dev == dev && t->files[i]->ino == ino && !t->files[i]->dead)
			return t->files[i];
	return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

vg_tail *vg_tail_new(const char *const *globs, size_t nglobs, const vg_tail_opts *opts, int *err)
{
	int e = VG_EINVAL;
	vg_tail *t = NULL;
	if (globs == NULL || nglobs == 0 || nglobs > VG_TAIL_MAX_GLOBS)
		goto err;
	for (size_t i = 0; i < nglobs; i++)
		if (globs[i] == NULL || globs[i][0] == '\0' || strlen(globs[i]) >= PATH_MAX)
			goto err;
	if (opts != NULL && opts->max_files > VG_TAIL_MAX_FILES)
		goto err;
	e = VG_ENOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto err;
	if (opts != NULL)
		t->o = *opts;
	if (t->o.max_files == 0)
		t->o.max_files = VG_TAIL_DEF_FILES;
	if (t->o.scan_interval_ms == 0)
		t->o.scan_interval_ms = DEF_SCAN_MS;
	if (t->o.rotate_wait_ms == 0)
		t->o.rotate_wait_ms = DEF_ROTATE_WAIT_MS;
	t->globs = calloc(nglobs, sizeof(char *));
	t->buf = malloc(BUF_BYTES);
	if (t->globs == NULL || t->buf == NULL)
		goto err;
	for (; t->nglobs < nglobs; t->nglobs++)
		if ((t->globs[t->nglobs] = strdup(globs[t->nglobs])) == NULL)
			goto err;
	return t;
err:
	vg_tail_free(t);
	if (err != NULL)
		*err = e;
	return NULL;
}

void vg_tail_free(vg_tail *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		file_free(t->files[i]);
	free(t->files);
	for (size_t i = 0; i < t->nglobs; i++)
		free(t->globs[i]);
	free(t->globs);
	free(t->buf);
	free(t);
}

void vg_tail_stats_get(const vg_tail *t, vg_tail_stats *st)
{
	*st = t->st;
	st->files_open = 0;
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->fd >= 0)
			st->files_open++;
}

/* ---- finding files ------------------------------------------------------ */

/* Opens name (relative to dirfd) if it is still the file f describes.
 * 1: f->fd set; 0: not it; the fingerprint check restarts f at 0 when the
 * inode matches but its head changed (truncated and rewritten). A device
 * number that changed across a reboot is accepted when the inode and a
 * non-empty fingerprint match. */
static int open_verify(vg_tail *t, struct tfile *f, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	struct stat st;
	int same_dev = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != f->ino ||
	    (!(same_dev = (uint64_t)st.st_dev == f->dev) &&
	     (f->fp_len == 0 || find_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino) != NULL))) {
		close(fd);
		return 0;
	}
	f->fd = fd;
	uint64_t size = (uint64_t)st.st_size;
	f->size_seen = UINT64_MAX;
	int r = fp_verify(f, size);
	if (r < 0 || (r == 0 && !same_dev)) {
		f->fd = -1;
		close(fd);
		return 0;
	}
	f->dev = (uint64_t)st.st_dev;
	if (r == 0 || size < f->off) {
		restart_at_zero(t, f);
		if (fp_verify(f, size) < 0) {
			f->fd = -1;
			close(fd);
			return 0;
		}
	}
	f->size_seen = size;
	return 1;
}

/* Looks in f's directory for its inode under another name (rotated while the
 * agent was down). */
static int search_dir(vg_tail *t, struct tfile *f)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(f->path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == f->path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->path), f->path);
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	int found = 0;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		if ((uint64_t)de->d_ino != f->ino)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || (uint64_t)st.st_ino != f->ino)
			continue;
		found = open_verify(t, f, dirfd(d), de->d_name);
	}
	closedir(d);
	return found;
}

/* First poll after a restore: open every restored file where it now is. */
static void resolve_restored(vg_tail *t)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tfile *f = t->files[i];
		if (f->fd >= 0)
			continue;
		if (open_verify(t, f, AT_FDCWD, f->path) || search_dir(t, f))
			continue;
		t->st.lost_files++;
		say(t, "%s (dev %llu, inode %llu): not found since the restart (deleted or moved away); "
		       "anything written to it past offset %llu was not read",
		    f->path, (unsigned long long)f->dev, (unsigned long long)f->ino,
		    (unsigned long long)f->off);
		f->dead = 1;
	}
	reap(t);
}

struct cand {
	char *path;
	struct stat st;
	struct tfile *f; /* already followed: update its name */
};

static void cands_free(struct cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].path);
	free(c);
}

/* Starts following path (not followed yet). */
static int add_file(vg_tail *t, const char *path)
{
	if (t->nfiles >= t->o.max_files) {
		t->st.skipped_files++;
		if (!t->limit_warned)
			say(t, "%s: not followed, %u files already (max_files)", path, t->o.max_files);
		t->limit_warned = 1;
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		warn_once(t, path, errno, "cannot open");
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    find_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino) != NULL) {
		close(fd);
		return 0;
	}
	struct tfile *f = file_alloc(path);
	if (f == NULL) {
		close(fd);
		return VG_ENOMEM;
	}
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->gen = t->gen;
	/* The file this one replaces under the same name goes first, to the end
	 * it has now (it may have grown since it was last read). A scan may have
	 * come between the rename and the creation: the previous name counts. */
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct tfile *o = t->files[i];
		if (!o->dead && (strcmp(o->path, path) == 0 ||
				 (o->prev_path != NULL && strcmp(o->prev_path, path) == 0)))
			f->pred = t->files[i];
	}
	if (f->pred != NULL)
		f->pred->eof_seen = 0;
	uint64_t size = (uint64_t)st.st_size;
	if (t->o.start_at_end && !t->restored && !t->scanned && size > 0) {
		char last;
		f->off = size;
		/* Mid-line: drop the rest of that line rather than deliver a fragment. */
		f->skipping = pread_full(fd, &last, 1, size - 1) == 1 && last != '\n';
	}
	if (fp_verify(f, size) < 0) {
		warn_once(t, path, errno, "cannot read");
		file_free(f);
		return 0;
	}
	f->size_seen = size;
	if (files_push(t, f) != 0) {
		file_free(f);
		return VG_ENOMEM;
	}
	return 0;
}

static int scan(vg_tail *t, int64_t now)
{
	struct cand *c = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	t->gen++;
	for (size_t g = 0; g < t->nglobs && r == 0; g++) {
		glob_t gl;
		int gr = glob(t->globs[g], 0, NULL, &gl);
		if (gr == GLOB_NOSPACE) {
			r = VG_ENOMEM;
			break;
		}
		if (gr != 0) {
			if (gr != GLOB_NOMATCH)
				warn_once(t, t->globs[g], EIO, "cannot expand");
			continue;
		}
		for (size_t i = 0; i < gl.gl_pathc && r == 0; i++) {
			struct stat st;
			if (stat(gl.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct cand *nb = realloc(c, nc * sizeof(*nb));
				if (nb == NULL) {
					r = VG_ENOMEM;
					break;
				}
				c = nb;
				cap = nc;
			}
			c[n].path = strdup(gl.gl_pathv[i]);
			if (c[n].path == NULL) {
				r = VG_ENOMEM;
				break;
			}
			c[n].st = st;
			c[n].f = find_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
			if (c[n].f != NULL)
				c[n].f->gen = t->gen;
			n++;
		}
		globfree(&gl);
	}
	/* New files, linked to the file that had their name before (by its old
	 * name, so renames are applied after). */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (c[i].f != NULL)
			continue;
		struct tfile *f = find_inode(t, (uint64_t)c[i].st.st_dev, (uint64_t)c[i].st.st_ino);
		if (f != NULL) { /* matched twice in this scan */
			f->gen = t->gen;
			continue;
		}
		r = add_file(t, c[i].path);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		struct tfile *f = c[i].f;
		if (f == NULL || strcmp(f->path, c[i].path) == 0)
			continue;
		free(f->prev_path);
		f->prev_path = f->path;
		f->path = c[i].path;
		c[i].path = NULL;
	}
	cands_free(c, n);
	if (r != 0)
		return r;
	if (t->nfiles < t->o.max_files)
		t->limit_warned = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tfile *f = t->files[i];
		if (f->gen != t->gen && !f->detached) {
			f->detached = 1;
			f->detached_ms = now;
			t->st.rotations++;
		} else if (f->gen == t->gen) {
			f->detached = 0;
		}
	}
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

struct pollctx {
	vg_tail_line_fn fn;
	void *ud;
	size_t budget;
	size_t delivered;
	uint64_t bytes;
	int refused;
};

static int deliver(vg_tail *t, struct tfile *f, struct pollctx *pc, const char *p, size_t len, int cut)
{
	if (pc->fn(pc->ud, f->path, f->line_no + 1, p, len, cut) != 0) {
		pc->refused = 1;
		return 0;
	}
	f->line_no++;
	t->st.lines++;
	if (cut)
		t->st.truncated_lines++;
	pc->budget--;
	pc->delivered++;
	return 1;
}

static void consume(vg_tail *t, struct tfile *f, struct pollctx *pc, size_t k)
{
	f->off += k;
	t->st.bytes += k;
	pc->bytes += k;
}

/* A detached file at its end: once rotate_wait has passed (at once if it
 * was deleted), deliver its partial last line, if any, and close it. */
static void finish(vg_tail *t, struct tfile *f, struct pollctx *pc, int64_t now, int deleted)
{
	if (!deleted && t->o.rotate_wait_ms >= 0 && now - f->detached_ms < t->o.rotate_wait_ms)
		return;
	if (f->tail_len > 0 && !f->skipping) {
		if (pc->budget == 0)
			return;
		ssize_t n = pread_full(f->fd, t->buf, (size_t)f->tail_len, f->off);
		if (n == (ssize_t)f->tail_len) {
			if (!deliver(t, f, pc, t->buf, (size_t)n, 0))
				return;
			consume(t, f, pc, (size_t)n);
		}
	}
	f->dead = 1;
}

/* One read of one file. Returns 1 if anything changed (bytes consumed, end
 * first reached, file finished), else 0. */
static int file_round(vg_tail *t, struct tfile *f, struct pollctx *pc, int64_t now)
{
	/* The file this one replaced goes first, to its end; if it was detached,
	 * also its partial last line, delivered when it is closed. */
	const struct tfile *pr = f->pred;
	if (f->dead || f->fd < 0 || (pr != NULL && (!pr->eof_seen || (pr->detached && pr->tail_len > 0))))
		return 0;
	struct stat st;
	if (fstat(f->fd, &st) != 0) {
		warn_once(t, f->path, errno, "cannot stat");
		return 0;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size != f->size_seen) {
		int v = size < f->off ? 0 : fp_verify(f, size);
		if (v < 0) {
			warn_once(t, f->path, errno, "cannot read");
			return 0;
		}
		if (v == 0) {
			restart_at_zero(t, f);
			if (fp_verify(f, size) < 0) {
				warn_once(t, f->path, errno, "cannot read");
				return 0;
			}
		}
		f->size_seen = size;
		f->tail_len = 0;
	}
	if (f->off + f->tail_len >= size) {
		/* Reaching the end lets a successor start: worth another round. */
		int changed = !f->eof_seen;
		f->eof_seen = 1;
		if (f->detached)
			finish(t, f, pc, now, st.st_nlink == 0);
		return changed || f->dead;
	}
	ssize_t n = pread_full(f->fd, t->buf, BUF_BYTES, f->off);
	if (n < 0) {
		warn_once(t, f->path, errno, "cannot read");
		return 0;
	}
	int at_end = f->off + (uint64_t)n >= size;
	const char *p = t->buf, *end = t->buf + n;
	int progress = 0;
	f->tail_len = 0;
	while (p < end) {
		if (f->skipping) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t k = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			consume(t, f, pc, k);
			p += k;
			progress = 1;
			if (nl != NULL)
				f->skipping = 0;
			continue;
		}
		if (pc->budget == 0)
			break;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > VG_MAX_LINE) {
			if (!deliver(t, f, pc, p, VG_MAX_LINE, 1))
				break;
			/* The whole line when its end is here, else skip on to it. */
			size_t k = nl != NULL ? len + 1 : VG_MAX_LINE;
			f->skipping = nl == NULL;
			consume(t, f, pc, k);
			p += k;
			progress = 1;
			continue;
		}
		if (nl == NULL) {
			if (at_end)
				f->tail_len = len;
			break;
		}
		if (!deliver(t, f, pc, p, len, 0))
			break;
		consume(t, f, pc, len + 1);
		p += len + 1;
		progress = 1;
	}
	if (f->off + f->tail_len >= size)
		f->eof_seen = 1;
	return progress;
}

int vg_tail_poll(vg_tail *t, size_t max_lines, vg_tail_line_fn fn, void *ud)
{
	if (t == NULL || fn == NULL || max_lines == 0)
		return VG_EINVAL;
	if (max_lines > INT_MAX)
		max_lines = INT_MAX;
	int64_t now = mono_ms();
	if (!t->polled) {
		resolve_restored(t);
		t->polled = 1;
	}
	if (!t->scanned || t->o.scan_interval_ms < 0 || now - t->last_scan_ms >= t->o.scan_interval_ms) {
		int r = scan(t, now);
		if (r != 0)
			return r;
		t->scanned = 1;
		t->last_scan_ms = now;
	}
	struct pollctx pc = {.fn = fn, .ud = ud, .budget = max_lines};
	for (int round = 0; round < POLL_ROUNDS && pc.budget > 0 && !pc.refused; round++) {
		int progress = 0;
		size_t nf = t->nfiles;
		for (size_t i = 0; i < nf && !pc.refused; i++)
			progress |= file_round(t, t->files[(t->rr + i) % nf], &pc, now);
		reap(t);
		if (!progress || pc.bytes >= POLL_BYTES)
			break;
	}
	t->rr++;
	return (int)pc.delivered;
}

/* ---- checkpoint blob ----------------------------------------------------
 * Little-endian. Header: magic u32, version u8, flags u8 (0), ndirs u16,
 * nfiles u16. Then ndirs directory prefixes (varint length, bytes: "" or
 * ending in '/'), then per file: varint dir index, varint name length, name,
 * varints dev, ino, off, line_no, u64 fp_hash, varint fp_len, u8 flags
 * (bit 0: skipping), varint pred (0, or 1 + the index of an earlier file
 * that must reach its end before this one is read), varint length and bytes
 * of the previous name in the same directory (0: none). Trailer: crc32 (zlib) of everything before it. Varints
 * are LEB128, minimal, at most 10 bytes. */

static int put_varint(vg_buf *b, uint64_t v)
{
	unsigned char x[10];
	size_t n = 0;
	do {
		x[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			x[n] |= 0x80;
		n++;
	} while (v != 0);
	return vg_buf_append(b, x, n);
}

static int put_le(vg_buf *b, uint64_t v, size_t n)
{
	unsigned char x[8];
	for (size_t i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return vg_buf_append(b, x, n);
}

static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? (size_t)(slash - path) + 1 : 0;
}

int vg_tail_checkpoint(const vg_tail *t, vg_buf *out)
{
	vg_buf b = {0};
	size_t *dir_of = NULL, *dirs = NULL, ndirs = 0;
	int r = VG_ENOMEM;
	if (t->nfiles > 0) {
		dir_of = malloc(t->nfiles * sizeof(size_t));
		dirs = malloc(t->nfiles * sizeof(size_t)); /* index of a file with that dir */
		if (dir_of == NULL || dirs == NULL)
			goto out;
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		const char *p = t->files[i]->path;
		size_t dl = dir_len(p), d;
		for (d = 0; d < ndirs; d++) {
			const char *q = t->files[dirs[d]]->path;
			if (dir_len(q) == dl && memcmp(p, q, dl) == 0)
				break;
		}
		if (d == ndirs)
			dirs[ndirs++] = i;
		dir_of[i] = d;
	}
	if ((r = put_le(&b, CP_MAGIC, 4)) != 0 || (r = put_le(&b, CP_VERSION, 1)) != 0 ||
	    (r = put_le(&b, 0, 1)) != 0 || (r = put_le(&b, ndirs, 2)) != 0 ||
	    (r = put_le(&b, t->nfiles, 2)) != 0)
		goto out;
	for (size_t d = 0; d < ndirs; d++) {
		const char *q = t->files[dirs[d]]->path;
		size_t dl = dir_len(q);
		if ((r = put_varint(&b, dl)) != 0 || (r = vg_buf_append(&b, q, dl)) != 0)
			goto out;
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct tfile *f = t->files[i];
		const char *name = f->path + dir_len(f->path);
		size_t nl = strlen(name);
		if ((r = put_varint(&b, dir_of[i])) != 0 || (r = put_varint(&b, nl)) != 0 ||
		    (r = vg_buf_append(&b, name, nl)) != 0 || (r = put_varint(&b, f->dev)) != 0 ||
		    (r = put_varint(&b, f->ino)) != 0 || (r = put_varint(&b, f->off)) != 0 ||
		    (r = put_varint(&b, f->line_no)) != 0 || (r = put_le(&b, f->fp_hash, 8)) != 0 ||
		    (r = put_varint(&b, f->fp_len)) != 0 ||
		    (r = put_le(&b, f->skipping ? CP_F_SKIPPING : 0, 1)) != 0)
			goto out;
		size_t pred = 0; /* 1 + index of the file this one waits for */
		for (size_t k = 0; f->pred != NULL && k < i && pred == 0; k++)
			if (t->files[k] == f->pred)
				pred = k + 1;
		/* The previous name, if in the same directory (links a file created
		 * under it after a restart). */
		const char *pv = f->prev_path;
		size_t pl = 0;
		if (pv != NULL && dir_len(pv) == dir_len(f->path) &&
		    memcmp(pv, f->path, dir_len(pv)) == 0) {
			pv += dir_len(pv);
			pl = strlen(pv);
		}
		if ((r = put_varint(&b, pred)) != 0 || (r = put_varint(&b, pl)) != 0 ||
		    (r = vg_buf_append(&b, pv, pl)) != 0)
			goto out;
	}
	uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)b.data, (uInt)b.len);
	if ((r = put_le(&b, crc, 4)) != 0)
		goto out;
	if (b.len > VG_TAIL_MAX_CHECKPOINT) {
		r = VG_ELIMIT;
		goto out;
	}
	r = vg_buf_append(out, b.data, b.len);
out:
	vg_buf_free(&b);
	free(dir_of);
	free(dirs);
	return r;
}

struct rd {
	const unsigned char *p;
	size_t n, off;
};

static int get_varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (r->off >= r->n)
			return VG_EPARSE;
		unsigned char c = r->p[r->off++];
		if (i == 9 && c > 1)
			return VG_EPARSE; /* past 64 bits */
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if ((c & 0x80) == 0) {
			if (c == 0 && i > 0)
				return VG_EPARSE; /* not minimal */
			*v = x;
			return 0;
		}
	}
	return VG_EPARSE;
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int get_bytes(struct rd *r, size_t n, const unsigned char **out)
{
	if (n > r->n - r->off)
		return VG_EPARSE;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

struct span {
	const unsigned char *p;
	size_t n;
};

/* Parses the blob into files (not yet opened), all or nothing. */
static int parse_blob(const vg_tail *t, const unsigned char *p, size_t len, struct tfile ***out, size_t *nout)
{
	if (len < CP_HDR + CP_TRAILER || len > VG_TAIL_MAX_CHECKPOINT)
		return VG_EPARSE;
	if (get_le(p, 4) != CP_MAGIC ||
	    get_le(p + len - CP_TRAILER, 4) != (uint32_t)crc32(0L, p, (uInt)(len - CP_TRAILER)))
		return VG_EPARSE;
	if (p[4] != CP_VERSION)
		return p[4] > CP_VERSION ? VG_EUNSUPPORTED : VG_EPARSE;
	if (p[5] != 0)
		return VG_EPARSE;
	size_t ndirs = (size_t)get_le(p + 6, 2), nfiles = (size_t)get_le(p + 8, 2);
	if (nfiles > VG_TAIL_MAX_FILES || ndirs > nfiles)
		return VG_EPARSE;
	struct rd r = {.p = p, .n = len - CP_TRAILER, .off = CP_HDR};
	struct span *dirs = ndirs ? calloc(ndirs, sizeof(*dirs)) : NULL;
	struct tfile **fs = nfiles ? calloc(nfiles, sizeof(*fs)) : NULL;
	size_t nf = 0;
	int e = VG_ENOMEM;
	if ((ndirs && dirs == NULL) || (nfiles && fs == NULL))
		goto err;
	e = VG_EPARSE;
	for (size_t d = 0; d < ndirs; d++) {
		uint64_t l;
		if (get_varint(&r, &l) != 0 || l >= PATH_MAX || get_bytes(&r, (size_t)l, &dirs[d].p) != 0)
			goto err;
		dirs[d].n = (size_t)l;
		if (l > 0 && (memchr(dirs[d].p, '\0', (size_t)l) != NULL || dirs[d].p[l - 1] != '/'))
			goto err;
	}
	for (; nf < nfiles; nf++) {
		uint64_t di, nl, dev, ino, off, line, fpl;
		const unsigned char *name, *fph;
		if (get_varint(&r, &di) != 0 || di >= ndirs || get_varint(&r, &nl) != 0 || nl == 0 ||
		    nl > NAME_MAX || dirs[di].n + nl >= PATH_MAX || get_bytes(&r, (size_t)nl, &name) != 0 ||
		    memchr(name, '\0', (size_t)nl) != NULL || memchr(name, '/', (size_t)nl) != NULL ||
		    get_varint(&r, &dev) != 0 || get_varint(&r, &ino) != 0 || get_varint(&r, &off) != 0 ||
		    get_varint(&r, &line) != 0 || get_bytes(&r, 8, &fph) != 0 ||
		    get_varint(&r, &fpl) != 0 || r.off >= r.n)
			goto err;
		unsigned flags = r.p[r.off++];
		uint64_t fp_hash = get_le(fph, 8), pred;
		uint64_t pvl;
		const unsigned char *pvn;
		if (get_varint(&r, &pred) != 0 || pred > nf || get_varint(&r, &pvl) != 0 || pvl > NAME_MAX ||
		    dirs[di].n + pvl >= PATH_MAX || get_bytes(&r, (size_t)pvl, &pvn) != 0 ||
		    memchr(pvn, '\0', (size_t)pvl) != NULL || memchr(pvn, '/', (size_t)pvl) != NULL)
			goto err;
		/* Every line consumed at least its '\n'; a skip follows consumed bytes. */
		if (off > POS_MAX || line > off || fpl > VG_TAIL_FP_BYTES || (flags & ~CP_F_SKIPPING) != 0 ||
		    ((flags & CP_F_SKIPPING) && off == 0) || (fpl == 0 && fp_hash != FNV_INIT))
			goto err;
		for (size_t j = 0; j < nf; j++)
			if (fs[j]->dev == dev && fs[j]->ino == ino)
				goto err;
		char path[PATH_MAX];
		memcpy(path, dirs[di].p, dirs[di].n);
		memcpy(path + dirs[di].n, name, (size_t)nl);
		path[dirs[di].n + nl] = '\0';
		struct tfile *f = file_alloc(path);
		if (f == NULL) {
			e = VG_ENOMEM;
			goto err;
		}
		f->dev = dev;
		f->ino = ino;
		f->off = off;
		f->line_no = line;
		f->fp_hash = fp_hash;
		f->fp_len = (uint32_t)fpl;
		f->skipping = (flags & CP_F_SKIPPING) != 0;
		f->size_seen = UINT64_MAX;
		f->pred = pred > 0 ? fs[pred - 1] : NULL;
		if (pvl > 0) {
			memcpy(path + dirs[di].n, pvn, (size_t)pvl);
			path[dirs[di].n + pvl] = '\0';
			if ((f->prev_path = strdup(path)) == NULL) {
				file_free(f);
				e = VG_ENOMEM;
				goto err;
			}
		}
		fs[nf] = f;
	}
	if (r.off != r.n)
		goto err;
	if (nfiles > t->o.max_files) {
		e = VG_ELIMIT;
		goto err;
	}
	free(dirs);
	*out = fs;
	*nout = nfiles;
	return 0;
err:
	for (size_t j = 0; j < nf; j++)
		file_free(fs[j]);
	free(fs);
	free(dirs);
	return e;
}

int vg_tail_restore(vg_tail *t, const void *blob, size_t len)
{
	if (t == NULL || (blob == NULL && len != 0) || t->polled || t->restored)
		return VG_EINVAL;
	if (blob == NULL)
		return VG_EPARSE;
	struct tfile **fs = NULL;
	size_t n = 0;
	int r = parse_blob(t, blob, len, &fs, &n);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (files_push(t, fs[i]) != 0) {
			for (size_t j = i; j < n; j++)
				file_free(fs[j]);
			for (size_t j = 0; j < t->nfiles; j++)
				file_free(t->files[j]);
			t->nfiles = 0;
			free(fs);
			return VG_ENOMEM;
		}
	}
	free(fs);
	t->restored = 1;
	return 0;
}
