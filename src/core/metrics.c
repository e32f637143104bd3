/* metrics.c — the Prometheus registry (see metrics.h): families and series in
 * registration order, values in atomics, text exposition format 0.0.4. */
#include "core/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vg_mseries {
	vg_mfamily *fam;
	char **values; /* fam->nlabels copies */
	_Atomic uint64_t v; /* counter count, or gauge double bits */
	vg_metric_fn fn;
	void *ud;
	vg_mseries *next;
};

struct vg_mfamily {
	vg_metrics *reg;
	int type;
	char *name, *help;
	char *labels[VG_METRICS_MAX_LABELS];
	size_t nlabels;
	vg_mseries *first, *last;
	vg_mfamily *next;
};

struct vg_metrics {
	pthread_mutex_t mu;
	vg_mfamily *first, *last;
	size_t nseries;
};

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static double bitsd(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

vg_metrics *vg_metrics_new(void)
{
	vg_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

static void series_free(vg_mseries *s, size_t nlabels)
{
	if (s == NULL)
		return;
	if (s->values != NULL)
		for (size_t i = 0; i < nlabels; i++)
			free(s->values[i]);
	free(s->values);
	free(s);
}

static void family_free(vg_mfamily *f)
{
	if (f == NULL)
		return;
	for (vg_mseries *s = f->first, *n; s != NULL; s = n) {
		n = s->next;
		series_free(s, f->nlabels);
	}
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

void vg_metrics_free(vg_metrics *m)
{
	if (m == NULL)
		return;
	for (vg_mfamily *f = m->first, *n; f != NULL; f = n) {
		n = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static bool name_ok(const char *s, bool label)
{
	size_t n = s == NULL ? 0 : strlen(s);
	if (n == 0 || n > VG_METRICS_MAX_NAME)
		return false;
	if (label && n >= 2 && s[0] == '_' && s[1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (!label && c == ':');
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static bool same_labels(const vg_mfamily *f, const char *const *labels, size_t n)
{
	if (f->nlabels != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(f->labels[i], labels[i]) != 0)
			return false;
	return true;
}

int vg_metrics_family(vg_metrics *m, int type, const char *name, const char *help,
		      const char *const *labels, size_t nlabels, vg_mfamily **out)
{
	if (m == NULL || out == NULL || (type != VG_METRIC_COUNTER && type != VG_METRIC_GAUGE) ||
	    !name_ok(name, false) || nlabels > VG_METRICS_MAX_LABELS || (nlabels > 0 && labels == NULL))
		return VG_EINVAL;
	if (help == NULL)
		help = "";
	if (strlen(help) > VG_METRICS_MAX_HELP)
		return VG_ELIMIT;
	for (size_t i = 0; i < nlabels; i++) {
		if (!name_ok(labels[i], true))
			return VG_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				return VG_EINVAL;
	}
	int r = 0;
	pthread_mutex_lock(&m->mu);
	for (vg_mfamily *f = m->first; f != NULL; f = f->next) {
		if (strcmp(f->name, name) != 0)
			continue;
		if (f->type != type || !same_labels(f, labels, nlabels))
			r = VG_EINVAL;
		else
			*out = f;
		pthread_mutex_unlock(&m->mu);
		return r;
	}
	vg_mfamily *f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto nomem;
	f->reg = m;
	f->type = type;
	f->nlabels = nlabels;
	if ((f->name = strdup(name)) == NULL || (f->help = strdup(help)) == NULL)
		goto nomem;
	for (size_t i = 0; i < nlabels; i++)
		if ((f->labels[i] = strdup(labels[i])) == NULL)
			goto nomem;
	if (m->last != NULL)
		m->last->next = f;
	else
		m->first = f;
	m->last = f;
	*out = f;
	pthread_mutex_unlock(&m->mu);
	return 0;
nomem:
	pthread_mutex_unlock(&m->mu);
	family_free(f);
	return VG_ENOMEM;
}

static bool same_values(const vg_mseries *s, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]) != 0)
			return false;
	return true;
}

static int add_series(vg_mfamily *f, const char *const *values, vg_metric_fn fn, void *ud,
		      vg_mseries **out)
{
	if (f == NULL || out == NULL || (f->nlabels > 0 && values == NULL))
		return VG_EINVAL;
	for (size_t i = 0; i < f->nlabels; i++) {
		if (values[i] == NULL)
			return VG_EINVAL;
		if (strlen(values[i]) > VG_METRICS_MAX_VALUE)
			return VG_ELIMIT;
	}
	vg_metrics *m = f->reg;
	int r = 0;
	pthread_mutex_lock(&m->mu);
	for (vg_mseries *s = f->first; s != NULL; s = s->next) {
		if (!same_values(s, values, f->nlabels))
			continue;
		if (s->fn != fn || s->ud != ud)
			r = VG_EINVAL;
		else
			*out = s;
		pthread_mutex_unlock(&m->mu);
		return r;
	}
	if (m->nseries >= VG_METRICS_MAX_SERIES) {
		pthread_mutex_unlock(&m->mu);
		return VG_ELIMIT;
	}
	vg_mseries *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->fam = f;
	s->fn = fn;
	s->ud = ud;
	atomic_init(&s->v, f->type == VG_METRIC_GAUGE ? dbits(0.0) : 0);
	if (f->nlabels > 0) {
		if ((s->values = calloc(f->nlabels, sizeof(char *))) == NULL)
			goto nomem;
		for (size_t i = 0; i < f->nlabels; i++)
			if ((s->values[i] = strdup(values[i])) == NULL)
				goto nomem;
	}
	if (f->last != NULL)
		f->last->next = s;
	else
		f->first = s;
	f->last = s;
	m->nseries++;
	*out = s;
	pthread_mutex_unlock(&m->mu);
	return 0;
nomem:
	pthread_mutex_unlock(&m->mu);
	series_free(s, f->nlabels);
	return VG_ENOMEM;
}

int vg_metrics_series(vg_mfamily *f, const char *const *values, vg_mseries **out)
{
	return add_series(f, values, NULL, NULL, out);
}

int vg_metrics_series_fn(vg_mfamily *f, const char *const *values, vg_metric_fn fn, void *ud,
			 vg_mseries **out)
{
	if (f == NULL || fn == NULL || f->type != VG_METRIC_GAUGE)
		return VG_EINVAL;
	return add_series(f, values, fn, ud, out);
}

int vg_metrics_counter(vg_metrics *m, const char *name, const char *help, vg_mseries **out)
{
	vg_mfamily *f;
	int r = vg_metrics_family(m, VG_METRIC_COUNTER, name, help, NULL, 0, &f);
	return r != 0 ? r : vg_metrics_series(f, NULL, out);
}

int vg_metrics_gauge(vg_metrics *m, const char *name, const char *help, vg_mseries **out)
{
	vg_mfamily *f;
	int r = vg_metrics_family(m, VG_METRIC_GAUGE, name, help, NULL, 0, &f);
	return r != 0 ? r : vg_metrics_series(f, NULL, out);
}

int vg_metrics_gauge_fn(vg_metrics *m, const char *name, const char *help, vg_metric_fn fn, void *ud)
{
	vg_mfamily *f;
	vg_mseries *s;
	int r = vg_metrics_family(m, VG_METRIC_GAUGE, name, help, NULL, 0, &f);
	return r != 0 ? r : vg_metrics_series_fn(f, NULL, fn, ud, &s);
}

/* ---- updates (lock-free) ------------------------------------------------- */

void vg_metric_add(vg_mseries *s, uint64_t n)
{
	if (s != NULL && s->fam->type == VG_METRIC_COUNTER)
		atomic_fetch_add_explicit(&s->v, n, memory_order_relaxed);
}

void vg_metric_inc(vg_mseries *s)
{
	vg_metric_add(s, 1);
}

void vg_metric_set(vg_mseries *s, double v)
{
	if (s != NULL && s->fam->type == VG_METRIC_GAUGE && s->fn == NULL)
		atomic_store_explicit(&s->v, dbits(v), memory_order_relaxed);
}

void vg_metric_gauge_add(vg_mseries *s, double d)
{
	if (s == NULL || s->fam->type != VG_METRIC_GAUGE || s->fn != NULL)
		return;
	uint64_t old = atomic_load_explicit(&s->v, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&s->v, &old, dbits(bitsd(old) + d),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

double vg_metric_value(const vg_mseries *s)
{
	if (s == NULL)
		return 0;
	uint64_t v = atomic_load_explicit(&((vg_mseries *)s)->v, memory_order_relaxed);
	return s->fam->type == VG_METRIC_COUNTER ? (double)v : bitsd(v);
}

/* ---- rendering ------------------------------------------------------------ */

static int put(vg_buf *b, const char *s)
{
	return vg_buf_append(b, s, strlen(s));
}

/* HELP text escapes \ and newline; label values also escape ". */
static int put_escaped(vg_buf *b, const char *s, bool quote)
{
	int r = 0;
	for (const char *p = s; *p != '\0' && r == 0; p++) {
		if (*p == '\\')
			r = put(b, "\\\\");
		else if (*p == '\n')
			r = put(b, "\\n");
		else if (*p == '"' && quote)
			r = put(b, "\\\"");
		else
			r = vg_buf_append(b, p, 1);
	}
	return r;
}

static int put_double(vg_buf *b, double v)
{
	char t[40];
	if (isnan(v))
		return put(b, "NaN");
	if (isinf(v))
		return put(b, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact integers */
		snprintf(t, sizeof(t), "%" PRId64, (int64_t)v);
	else
		snprintf(t, sizeof(t), "%.17g", v);
	return put(b, t);
}

static int render_series(vg_buf *b, const vg_mfamily *f, vg_mseries *s)
{
	int r = put(b, f->name);
	if (r == 0 && f->nlabels > 0) {
		r = put(b, "{");
		for (size_t i = 0; i < f->nlabels && r == 0; i++) {
			if ((i > 0 && (r = put(b, ",")) != 0) || (r = put(b, f->labels[i])) != 0 ||
			    (r = put(b, "=\"")) != 0 || (r = put_escaped(b, s->values[i], true)) != 0 ||
			    (r = put(b, "\"")) != 0)
				break;
		}
		if (r == 0)
			r = put(b, "}");
	}
	if (r == 0)
		r = put(b, " ");
	if (r != 0)
		return r;
	if (f->type == VG_METRIC_COUNTER) {
		char t[24];
		snprintf(t, sizeof(t), "%" PRIu64, atomic_load_explicit(&s->v, memory_order_relaxed));
		r = put(b, t);
	} else {
		r = put_double(b, s->fn != NULL ? s->fn(s->ud) : vg_metric_value(s));
	}
	return r != 0 ? r : put(b, "\n");
}

int vg_metrics_render(vg_metrics *m, vg_buf *out)
{
	if (m == NULL || out == NULL)
		return VG_EINVAL;
	int r = 0;
	pthread_mutex_lock(&m->mu);
	for (const vg_mfamily *f = m->first; f != NULL && r == 0; f = f->next) {
		if (f->first == NULL)
			continue;
		if ((r = put(out, "# HELP ")) != 0 || (r = put(out, f->name)) != 0 ||
		    (r = put(out, " ")) != 0 || (r = put_escaped(out, f->help, false)) != 0 ||
		    (r = put(out, "\n# TYPE ")) != 0 || (r = put(out, f->name)) != 0 ||
		    (r = put(out, f->type == VG_METRIC_COUNTER ? " counter\n" : " gauge\n")) != 0)
			break;
		for (vg_mseries *s = f->first; s != NULL && r == 0; s = s->next)
			r = render_series(out, f, s);
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}
