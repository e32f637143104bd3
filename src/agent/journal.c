/* journal.c — systemd-journal input of the agent (see journal.h,
 * docs/agent-inputs.md): sd-journal iteration from a cursor, each entry
 * formatted as one bounded RFC 5424 line. */
#include "agent/journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-journal.h>

#define MAX_HOST 255
#define MAX_APP 48
#define MAX_PROCID 128
/* Fields are read up to this size; longer MESSAGEs are cut anyway. */
#define DATA_THRESHOLD (VG_MAX_LINE + 64)

struct vg_journal {
	sd_journal *sd;
	char *cursor;       /* of the last entry delivered, or the one opened with */
	int check_cursor;   /* the next entry may be the opened cursor's: skip it */
	int held;           /* positioned on an entry the callback refused */
	char *line;         /* VG_MAX_LINE + 1 */
	vg_journal_stats st;
};

__attribute__((format(printf, 3, 4))) static void why_set(char *why, size_t whylen, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int cursor_ok(const char *c)
{
	size_t n = strlen(c);
	if (n == 0 || n >= VG_JOURNAL_MAX_CURSOR)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c[i] < '!' || c[i] > '~')
			return 0;
	return 1;
}

vg_journal *vg_journal_open(const vg_journal_opts *opts, int *err, char *why, size_t whylen)
{
	static const vg_journal_opts none = {0};
	const vg_journal_opts *o = opts != NULL ? opts : &none;
	int e = VG_ENOMEM, r;
	vg_journal *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->line = malloc(VG_MAX_LINE + 1)) == NULL) {
		why_set(why, whylen, "out of memory");
		goto err;
	}
	if (o->cursor != NULL && !cursor_ok(o->cursor)) {
		e = VG_EPARSE;
		why_set(why, whylen, "journal cursor: not a cursor (%.64s%s)", o->cursor,
			strlen(o->cursor) > 64 ? "..." : "");
		goto err;
	}
	if (o->dir != NULL) {
		struct stat st;
		if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			e = VG_ENOTFOUND;
			why_set(why, whylen, "journal directory %s: %s", o->dir,
				errno == 0 || S_ISDIR(st.st_mode) ? "not a directory" : strerror(errno));
			goto err;
		}
		r = sd_journal_open_directory(&j->sd, o->dir, 0);
	} else {
		r = sd_journal_open(&j->sd, SD_JOURNAL_LOCAL_ONLY);
	}
	if (r < 0) {
		errno = -r;
		e = VG_EIO;
		why_set(why, whylen, "cannot open the journal%s: %s", o->dir ? " directory" : "",
			strerror(-r));
		goto err;
	}
	/* libsystemd happily opens a journal of zero files: say so instead. */
	uint64_t bytes = 0;
	if (sd_journal_get_usage(j->sd, &bytes) < 0 || bytes == 0) {
		e = VG_ENOTFOUND;
		if (o->dir != NULL)
			why_set(why, whylen, "journal directory %s: no journal files (*.journal) in it",
				o->dir);
		else
			why_set(why, whylen,
				"no systemd journal on this system (no files in /run/log/journal or "
				"/var/log/journal): is journald running? In a container, mount the "
				"host's journal and give its directory");
		goto err;
	}
	/* Enables change notification, so poll sees entries and files added later;
	 * without inotify (limits), already open files are still re-read. */
	(void)sd_journal_get_fd(j->sd);
	sd_journal_set_data_threshold(j->sd, DATA_THRESHOLD);
	if (o->cursor != NULL) {
		if ((r = sd_journal_seek_cursor(j->sd, o->cursor)) < 0) {
			e = r == -EINVAL ? VG_EPARSE : VG_EIO;
			errno = -r;
			why_set(why, whylen, "journal cursor %.200s: %s", o->cursor, strerror(-r));
			goto err;
		}
		if ((j->cursor = strdup(o->cursor)) == NULL)
			goto err;
		j->check_cursor = 1;
	} else if (o->start_at_end) {
		/* On the last entry, taken as delivered: the next one is new. */
		if ((r = sd_journal_seek_tail(j->sd)) < 0 || (r = sd_journal_previous(j->sd)) < 0) {
			errno = -r;
			e = VG_EIO;
			why_set(why, whylen, "journal: cannot seek to its end: %s", strerror(-r));
			goto err;
		}
		char *c = NULL;
		if (r > 0 && sd_journal_get_cursor(j->sd, &c) >= 0) {
			j->cursor = strdup(c);
			free(c);
			if (j->cursor == NULL)
				goto err;
		}
	} else if ((r = sd_journal_seek_head(j->sd)) < 0) {
		errno = -r;
		e = VG_EIO;
		why_set(why, whylen, "journal: cannot seek to its start: %s", strerror(-r));
		goto err;
	}
	return j;
err:
	vg_journal_free(j);
	if (err != NULL)
		*err = e;
	return NULL;
}

void vg_journal_free(vg_journal *j)
{
	if (j == NULL)
		return;
	if (j->sd != NULL)
		sd_journal_close(j->sd);
	free(j->cursor);
	free(j->line);
	free(j);
}

void vg_journal_stats_get(const vg_journal *j, vg_journal_stats *st)
{
	*st = j->st;
}

int vg_journal_checkpoint(const vg_journal *j, vg_buf *out)
{
	if (j->cursor == NULL)
		return VG_ENOTFOUND;
	return vg_buf_append(out, j->cursor, strlen(j->cursor));
}

/* ---- formatting --------------------------------------------------------- */

/* Value of field name in the current entry, or NULL (len 0). */
static const char *field(sd_journal *sd, const char *name, size_t *len)
{
	const void *d;
	size_t n;
	size_t nl = strlen(name);
	*len = 0;
	if (sd_journal_get_data(sd, name, &d, &n) < 0 || n <= nl || ((const char *)d)[nl] != '=')
		return NULL;
	*len = n - nl - 1;
	return (const char *)d + nl + 1;
}

/* Small bounded integer field, or def. */
static int int_field(sd_journal *sd, const char *name, int max, int def)
{
	size_t n;
	const char *v = field(sd, name, &n);
	if (v == NULL || n == 0 || n > 3)
		return def;
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return def;
		x = x * 10 + (v[i] - '0');
	}
	return x <= max ? x : def;
}

struct out {
	char *p;
	size_t len, cap;
};

static void out_str(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* A header field: PRINTUSASCII, at most max bytes, "-" when empty. */
static void out_token(struct out *o, const char *v, size_t n, size_t max)
{
	if (v == NULL || n == 0) {
		out_str(o, "-", 1);
		return;
	}
	if (n > max)
		n = max;
	for (size_t i = 0; i < n && o->len < o->cap; i++)
		o->p[o->len++] = (v[i] >= '!' && v[i] <= '~') ? v[i] : '_';
}

/* Formats the current entry into j->line; returns its length. */
static size_t format_entry(vg_journal *j, int *truncated)
{
	sd_journal *sd = j->sd;
	struct out o = {.p = j->line, .cap = VG_MAX_LINE};
	char tmp[64];
	int pri = int_field(sd, "SYSLOG_FACILITY", 23, 1) * 8 + int_field(sd, "PRIORITY", 7, 6);
	int n = snprintf(tmp, sizeof(tmp), "<%d>1 ", pri);
	out_str(&o, tmp, (size_t)n);

	uint64_t us;
	struct tm tm;
	time_t sec;
	if (sd_journal_get_realtime_usec(sd, &us) >= 0 && (sec = (time_t)(us / 1000000)) >= 0 &&
	    gmtime_r(&sec, &tm) != NULL && tm.tm_year + 1900 <= 9999) {
		n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ ", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned)(us % 1000000));
		out_str(&o, tmp, (size_t)n);
	} else {
		out_str(&o, "- ", 2);
	}

	size_t len;
	const char *v = field(sd, "_HOSTNAME", &len);
	out_token(&o, v, len, MAX_HOST);
	out_str(&o, " ", 1);
	v = field(sd, "SYSLOG_IDENTIFIER", &len);
	if (v == NULL || len == 0)
		v = field(sd, "_COMM", &len);
	out_token(&o, v, len, MAX_APP);
	out_str(&o, " ", 1);
	v = field(sd, "_PID", &len);
	if (v == NULL || len == 0)
		v = field(sd, "SYSLOG_PID", &len);
	out_token(&o, v, len, MAX_PROCID);
	out_str(&o, " - -", 4);

	*truncated = 0;
	v = field(sd, "MESSAGE", &len);
	if (v != NULL && len > 0) {
		out_str(&o, " ", 1);
		size_t room = o.cap - o.len;
		if (len > room) {
			len = room;
			*truncated = 1;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)v[i];
			o.p[o.len++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		}
	}
	o.p[o.len] = '\0';
	return o.len;
}

/* ---- reading ------------------------------------------------------------ */

int vg_journal_poll(vg_journal *j, size_t max, vg_journal_line_fn fn, void *ud)
{
	if (j == NULL || fn == NULL || max == 0)
		return VG_EINVAL;
	if (max > INT32_MAX)
		max = INT32_MAX;
	/* Takes in appended entries and new or rotated files. */
	(void)sd_journal_process(j->sd);
	size_t done = 0;
	while (done < max) {
		int r;
		if (!j->held) {
			r = sd_journal_next(j->sd);
			if (r < 0) {
				errno = -r;
				return VG_EIO;
			}
			if (r == 0)
				break;
		}
		if (j->check_cursor) {
			j->check_cursor = 0;
			/* The entry the cursor names, delivered before the restart. */
			if (sd_journal_test_cursor(j->sd, j->cursor) > 0)
				continue;
		}
		char *c = NULL;
		if ((r = sd_journal_get_cursor(j->sd, &c)) < 0) {
			errno = -r;
			return VG_EIO;
		}
		int truncated;
		size_t len = format_entry(j, &truncated);
		if (strlen(c) >= VG_JOURNAL_MAX_CURSOR) {
			free(c);
			errno = EOVERFLOW;
			return VG_EIO;
		}
		if (fn(ud, j->line, len, c, truncated) != 0) {
			j->held = 1; /* stays on this entry: delivered again next time */
			free(c);
			break;
		}
		j->held = 0;
		free(j->cursor);
		j->cursor = c;
		j->st.entries++;
		j->st.bytes += len;
		if (truncated)
			j->st.truncated++;
		done++;
	}
	return (int)done;
}
