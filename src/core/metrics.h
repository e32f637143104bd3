/* metrics.h — a Prometheus registry: counter and gauge families with label
 * names, each holding series for fixed label values, all registered up front;
 * rendered in the text exposition format 0.0.4 (GET /metrics).
 *
 * Model. A family is a name, a help text, a type and 0..VG_METRICS_MAX_LABELS
 * label names. A series is one tuple of label values in a family and owns one
 * value cell. Callers register families and series at start-up and keep the
 * series handles; updates through a handle are lock-free (C11 atomics) and
 * never allocate. A gauge series may instead carry a callback that computes
 * its value at render time (e.g. a queue depth).
 *
 * Ownership: the registry owns families and series; handles stay valid until
 * vg_metrics_free. Update functions accept a NULL handle as a no-op, so a
 * module may run without a registry.
 * Errors: registration returns VG_EINVAL for an invalid name, label name or
 * label value count, for a name registered with another type/labels, or
 * VG_ELIMIT / VG_ENOMEM. Registering the same family or series again returns
 * the existing one.
 * Thread-safety: everything may be called from any thread. Registration and
 * rendering take the registry's mutex; updates do not. Gauge callbacks run
 * during vg_metrics_render, under that mutex, on the rendering thread: they
 * must not call back into the registry. */
#ifndef VG_METRICS_H
#define VG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define VG_METRICS_MAX_LABELS 8     /* label names in one family */
#define VG_METRICS_MAX_NAME   128   /* bytes in a metric or label name */
#define VG_METRICS_MAX_VALUE  256   /* bytes in a label value */
#define VG_METRICS_MAX_HELP   1024  /* bytes in a help text */
#define VG_METRICS_MAX_SERIES 10000 /* series in one registry (a bound on cardinality) */

/* The media type of vg_metrics_render's output. */
#define VG_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct vg_metrics vg_metrics;
typedef struct vg_mfamily vg_mfamily;
typedef struct vg_mseries vg_mseries;

enum vg_metric_type {
	VG_METRIC_COUNTER = 0, /* monotonically increasing integer */
	VG_METRIC_GAUGE = 1,   /* any double, set or added to */
};

/* Computes a gauge's value at render time. */
typedef double (*vg_metric_fn)(void *ud);

vg_metrics *vg_metrics_new(void);
/* NULL is a no-op. */
void vg_metrics_free(vg_metrics *m);

/* Registers a family. Names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names:
 * [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__". labels may be NULL when
 * nlabels is 0. Strings are copied. */
VG_WUR int vg_metrics_family(vg_metrics *m, int type, const char *name, const char *help,
			     const char *const *labels, size_t nlabels, vg_mfamily **out);
/* Adds the series with these label values (one per label name, any UTF-8;
 * NULL when the family has no labels). */
VG_WUR int vg_metrics_series(vg_mfamily *f, const char *const *values, vg_mseries **out);
/* The same for a gauge whose value is fn(ud) at render time (VG_EINVAL on a
 * counter family, or if the series exists without this callback). */
VG_WUR int vg_metrics_series_fn(vg_mfamily *f, const char *const *values, vg_metric_fn fn,
				void *ud, vg_mseries **out);

/* Shortcuts for a family without labels and its one series. */
VG_WUR int vg_metrics_counter(vg_metrics *m, const char *name, const char *help, vg_mseries **out);
VG_WUR int vg_metrics_gauge(vg_metrics *m, const char *name, const char *help, vg_mseries **out);
VG_WUR int vg_metrics_gauge_fn(vg_metrics *m, const char *name, const char *help, vg_metric_fn fn,
			       void *ud);

/* Counters: add n (inc: 1). Gauges: set, add (d may be negative). Calls of
 * the wrong kind for the series are ignored. NULL s is a no-op. */
void vg_metric_add(vg_mseries *s, uint64_t n);
void vg_metric_inc(vg_mseries *s);
void vg_metric_set(vg_mseries *s, double v);
void vg_metric_gauge_add(vg_mseries *s, double d);
/* The current value (counter as a double; callback gauges: 0). */
double vg_metric_value(const vg_mseries *s);

/* Appends the exposition text of every family (registration order) to out.
 * Families without series are left out. VG_ENOMEM; out may then hold part
 * of the text (the caller discards it). */
VG_WUR int vg_metrics_render(vg_metrics *m, vg_buf *out);

#endif
