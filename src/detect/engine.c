/* engine.c — the vg_engine API (engine.h): loading files and directories,
 * resolving correlation references, compaction of rejected rules, accessors
 * and field mapping. Matching lives in matcher.c, compilation in
 * sigma_compile.c. */
#include "detect/engine.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "detect/sigma_compile.h"
#include "detect/sigma_load.h"

#define VG_MAX_DIR_DEPTH 32

vg_engine *vg_engine_new(void)
{
	vg_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	if ((e->arena = vg_arena_new(0)) == NULL) {
		free(e);
		return NULL;
	}
	if (pthread_mutex_init(&e->map_lock, NULL) != 0) {
		vg_arena_free(e->arena);
		free(e);
		return NULL;
	}
	if (pthread_mutex_init(&e->build_lock, NULL) != 0) {
		pthread_mutex_destroy(&e->map_lock);
		vg_arena_free(e->arena);
		free(e);
		return NULL;
	}
	if (pthread_cond_init(&e->build_cv, NULL) != 0) {
		pthread_mutex_destroy(&e->build_lock);
		pthread_mutex_destroy(&e->map_lock);
		vg_arena_free(e->arena);
		free(e);
		return NULL;
	}
	return e;
}

void vg_engine_free(vg_engine *e)
{
	if (e == NULL)
		return;
	vg_compile_free(e);
	pthread_mutex_destroy(&e->map_lock);
	pthread_mutex_destroy(&e->build_lock);
	pthread_cond_destroy(&e->build_cv);
	free(e->rules);
	vg_arena_free(e->arena);
	free(e);
}

static int add_rule(void *ud, vg_srule *r)
{
	vg_engine *e = ud;
	if (e->nrules == e->caprules) {
		size_t nc = e->caprules ? e->caprules * 2 : 256;
		vg_srule **nr = realloc(e->rules, nc * sizeof(*nr));
		if (nr == NULL)
			return VG_ENOMEM;
		e->rules = nr;
		e->caprules = nc;
	}
	e->rules[e->nrules++] = r;
	return 0;
}

int vg_engine_load_buffer(vg_engine *e, const char *buf, size_t len, const char *name, vg_reject_fn cb, void *ud)
{
	if (e == NULL || (buf == NULL && len != 0) || e->compiled)
		return VG_EINVAL;
	const char *path = vg_arena_strndup(e->arena, name ? name : "-", strlen(name ? name : "-"));
	if (path == NULL)
		return VG_ENOMEM;
	vg_load_sink sink = {.add = add_rule, .ud = e, .reject = cb, .reject_ud = ud};
	int r = vg_sigma_load(e->arena, buf ? buf : "", len, path, &sink);
	e->rejected += sink.rejected;
	return r;
}

static void report(vg_engine *e, vg_reject_fn cb, void *ud, const char *path, const char *id, const char *why)
{
	e->rejected++;
	if (cb != NULL)
		cb(ud, path, id, why);
}

static int load_file(vg_engine *e, const char *path, vg_reject_fn cb, void *ud)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (f == NULL)
		return VG_EIO;
	/* Read at most one byte past the limit: enough to tell "too large". */
	size_t want = VG_MAX_RULE_FILE + 1;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size < want)
		want = (size_t)st.st_size + 1;
	char *buf = malloc(want);
	if (buf == NULL) {
		fclose(f);
		return VG_ENOMEM;
	}
	size_t n = fread(buf, 1, want, f);
	int rd_err = ferror(f);
	fclose(f);
	int r = 0;
	if (rd_err) {
		report(e, cb, ud, path, "", "cannot read the file");
	} else if (n > VG_MAX_RULE_FILE) {
		char why[128];
		snprintf(why, sizeof(why), "file too large (more than %d bytes)", VG_MAX_RULE_FILE);
		report(e, cb, ud, path, "", why);
	} else {
		r = vg_engine_load_buffer(e, buf, n, path, cb, ud);
	}
	free(buf);
	return r;
}

static int has_rule_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && strcmp(name + n - 4, ".yml") == 0) || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(vg_engine *e, const char *path, int depth, vg_reject_fn cb, void *ud)
{
	if (depth > VG_MAX_DIR_DEPTH) {
		report(e, cb, ud, path, "", "directory nesting too deep");
		return 0;
	}
	DIR *d = opendir(path);
	if (d == NULL)
		return VG_EIO;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (nn == NULL) {
				r = VG_ENOMEM;
				break;
			}
			names = nn;
			cap = nc;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = VG_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t pl = strlen(path), nl = strlen(names[i]);
		char *full = malloc(pl + nl + 2);
		if (full == NULL) {
			r = VG_ENOMEM;
			break;
		}
		memcpy(full, path, pl);
		full[pl] = '/';
		memcpy(full + pl + 1, names[i], nl + 1);
		struct stat st;
		if (stat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				r = load_dir(e, full, depth + 1, cb, ud);
				if (r == VG_EIO) {
					report(e, cb, ud, full, "", "cannot open directory");
					r = 0;
				}
			} else if (S_ISREG(st.st_mode) && has_rule_ext(names[i])) {
				r = load_file(e, full, cb, ud);
				if (r == VG_EIO) {
					report(e, cb, ud, full, "", "cannot open file");
					r = 0;
				}
			}
		}
		free(full);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int vg_engine_load_path(vg_engine *e, const char *path, vg_reject_fn cb, void *ud)
{
	struct stat st;
	if (e == NULL || path == NULL || e->compiled)
		return VG_EINVAL;
	if (stat(path, &st) != 0)
		return VG_EIO;
	if (S_ISDIR(st.st_mode))
		return load_dir(e, path, 0, cb, ud);
	return load_file(e, path, cb, ud);
}

/* ---- correlation references ------------------------------------------------- */

static ssize_t find_ref(const vg_engine *e, const char *ref)
{
	for (size_t i = 0; i < e->nrules; i++)
		if (e->rules[i]->info.name[0] != '\0' && strcmp(e->rules[i]->info.name, ref) == 0)
			return (ssize_t)i;
	for (size_t i = 0; i < e->nrules; i++)
		if (e->rules[i]->info.id[0] != '\0' && strcmp(e->rules[i]->info.id, ref) == 0)
			return (ssize_t)i;
	return -1;
}

/* Does correlation i reach target through its references? (mark: visited) */
static int reaches(const vg_engine *e, size_t i, size_t target, const size_t *const *refs, uint8_t *mark)
{
	if (!e->rules[i]->info.is_correlation || mark[i])
		return 0;
	mark[i] = 1;
	const vg_corr_src *cs = e->rules[i]->corr;
	for (size_t k = 0; k < cs->nrefs; k++) {
		size_t t = refs[i][k];
		if (t == SIZE_MAX)
			continue;
		if (t == target || reaches(e, t, target, refs, mark))
			return 1;
	}
	return 0;
}

static int resolve_correlations(vg_engine *e, vg_reject_fn cb, void *ud)
{
	size_t n = e->nrules;
	size_t **refs = calloc(n ? n : 1, sizeof(*refs));
	uint8_t *dead = calloc(n ? n : 1, 1), *mark = calloc(n ? n : 1, 1);
	size_t *newidx = malloc((n ? n : 1) * sizeof(*newidx));
	uint8_t *refd = calloc(n ? n : 1, 1), *gen = calloc(n ? n : 1, 1);
	int r = 0;
	if (refs == NULL || dead == NULL || mark == NULL || newidx == NULL || refd == NULL || gen == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		vg_srule *rl = e->rules[i];
		if (!rl->info.is_correlation)
			continue;
		vg_corr_src *cs = rl->corr;
		if ((refs[i] = malloc(cs->nrefs * sizeof(**refs))) == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < cs->nrefs; k++) {
			ssize_t t = find_ref(e, cs->refs[k]);
			refs[i][k] = t < 0 ? SIZE_MAX : (size_t)t;
			if (t < 0 && !dead[i]) {
				char why[256];
				snprintf(why, sizeof(why), "correlation references unknown rule '%.128s'", cs->refs[k]);
				report(e, cb, ud, rl->info.path, rl->info.id, why);
				dead[i] = 1;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!e->rules[i]->info.is_correlation || dead[i])
			continue;
		memset(mark, 0, n);
		if (reaches(e, i, i, (const size_t *const *)refs, mark)) {
			report(e, cb, ud, e->rules[i]->info.path, e->rules[i]->info.id, "correlation references form a cycle");
			dead[i] = 1;
		}
	}
	/* A correlation built on a rejected correlation goes too. */
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (!e->rules[i]->info.is_correlation || dead[i])
				continue;
			for (size_t k = 0; k < e->rules[i]->corr->nrefs; k++) {
				if (dead[refs[i][k]]) {
					char why[256];
					snprintf(why, sizeof(why), "correlation references rejected rule '%.128s'",
						 e->rules[i]->corr->refs[k]);
					report(e, cb, ud, e->rules[i]->info.path, e->rules[i]->info.id, why);
					dead[i] = 1;
					changed = 1;
					break;
				}
			}
		}
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		newidx[i] = dead[i] ? SIZE_MAX : m++;
	for (size_t i = 0; i < n; i++) {
		vg_srule *rl = e->rules[i];
		if (!rl->info.is_correlation || dead[i])
			continue;
		vg_corr_src *cs = rl->corr;
		size_t *idx = vg_arena_alloc(e->arena, cs->nrefs * sizeof(*idx));
		if (idx == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < cs->nrefs; k++) {
			idx[k] = newidx[refs[i][k]];
			refd[refs[i][k]] = 1;
			if (cs->generate)
				gen[refs[i][k]] = 1;
		}
		cs->def.rules = idx;
		cs->def.nrules = cs->nrefs;
		if (cs->naliases != 0) {
			vg_corr_alias *al = vg_arena_alloc(e->arena, cs->naliases * sizeof(*al));
			if (al == NULL) {
				r = VG_ENOMEM;
				goto out;
			}
			for (size_t a = 0; a < cs->naliases; a++) {
				const vg_corr_alias_src *as = &cs->aliases[a];
				const char **rf = vg_arena_alloc(e->arena, cs->nrefs * sizeof(*rf));
				if (rf == NULL) {
					r = VG_ENOMEM;
					goto out;
				}
				for (size_t k = 0; k < cs->nrefs; k++) {
					const vg_rule_info *ti = &e->rules[refs[i][k]]->info;
					rf[k] = as->name; /* not listed for this rule: read a field named like the alias */
					for (size_t j = 0; j < as->n; j++)
						if (strcmp(as->refs[j], cs->refs[k]) == 0 ||
						    (ti->name[0] && strcmp(as->refs[j], ti->name) == 0) ||
						    (ti->id[0] && strcmp(as->refs[j], ti->id) == 0))
							rf[k] = as->fields[j];
				}
				al[a].name = as->name;
				al[a].rule_fields = rf;
			}
			cs->def.aliases = al;
			cs->def.naliases = cs->naliases;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (refd[i] && !gen[i])
			e->rules[i]->info.alert = 0;
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (!dead[i])
			e->rules[m++] = e->rules[i];
	e->nrules = m;
out:
	if (refs != NULL)
		for (size_t i = 0; i < n; i++)
			free(refs[i]);
	free(refs);
	free(dead);
	free(mark);
	free(newidx);
	free(refd);
	free(gen);
	return r;
}

int vg_engine_compile(vg_engine *e, vg_reject_fn cb, void *ud)
{
	if (e == NULL || e->compiled)
		return VG_EINVAL;
	int r = resolve_correlations(e, cb, ud);
	if (r == 0)
		r = vg_compile_build(e);
	if (r == 0)
		e->compiled = 1;
	return r;
}

size_t vg_engine_loaded(const vg_engine *e)
{
	return e ? e->nrules : 0;
}

void vg_engine_db_counts(const vg_engine *e, size_t *compiled, size_t *cached)
{
	*compiled = e ? __atomic_load_n(&e->hs_built, __ATOMIC_RELAXED) : 0;
	*cached = e ? __atomic_load_n(&e->hs_cached, __ATOMIC_RELAXED) : 0;
}

size_t vg_engine_rejected(const vg_engine *e)
{
	return e ? e->rejected : 0;
}

size_t vg_engine_rule_count(const vg_engine *e)
{
	return e ? e->nrules : 0;
}

const vg_rule_info *vg_engine_rule(const vg_engine *e, size_t idx)
{
	return e != NULL && idx < e->nrules ? &e->rules[idx]->info : NULL;
}

const vg_corr_def *vg_engine_corr_def(const vg_engine *e, size_t idx)
{
	if (e == NULL || idx >= e->nrules || !e->rules[idx]->info.is_correlation || !e->compiled)
		return NULL;
	return &e->rules[idx]->corr->def;
}

const char *const *vg_engine_map_field(const vg_engine *ce, size_t idx, const char *sigma_field, size_t *n)
{
	vg_engine *e = (vg_engine *)(uintptr_t)ce; /* the field-map cache is internal and locked */
	*n = 0;
	if (e == NULL || sigma_field == NULL || idx >= e->nrules)
		return NULL;
	const vg_srule *rl = e->rules[idx];
	/* A correlation reads fields through its first base rule's logsource. */
	for (int hops = 0; rl->info.is_correlation && hops < 64; hops++) {
		if (rl->corr->def.nrules == 0 || rl->corr->def.rules == NULL)
			return NULL;
		rl = e->rules[rl->corr->def.rules[0]];
	}
	if (rl->info.is_correlation)
		return NULL;
	pthread_mutex_lock(&e->map_lock);
	const vg_tset *ts = vg_compile_tset(e, rl->product, rl->service, rl->category, sigma_field);
	pthread_mutex_unlock(&e->map_lock);
	if (ts == NULL)
		return NULL;
	*n = ts->n;
	return ts->names;
}
