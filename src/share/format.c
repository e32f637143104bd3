/* format.c — outbox items on the wire: CEF lines and RFC 5424/5425 syslog
 * frames carrying the Ed25519 signature of their MSG. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "scan/alert_json.h"
#include "share/format.h"
#include "share/policy.h"
#include "share/sink.h"

#define LIT(b, s) vg_buf_append((b), (s), sizeof(s) - 1)

int vg_cef_header_escape(vg_buf *b, const char *s, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		char c = s[i];
		if (c == '\\' || c == '|')
			r = vg_buf_append(b, "\\", 1);
		if (c == '\r' || c == '\n')
			c = ' ';
		if (r == 0)
			r = vg_buf_append(b, &c, 1);
	}
	return r;
}

int vg_cef_ext_escape(vg_buf *b, const char *s, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		char c = s[i];
		if (c == '\\' || c == '=')
			r = vg_buf_append(b, "\\", 1) || vg_buf_append(b, &c, 1) ? VG_ENOMEM : 0;
		else if (c == '\n')
			r = vg_buf_append(b, "\\n", 2);
		else if (c == '\r')
			r = vg_buf_append(b, "\\r", 2);
		else
			r = vg_buf_append(b, &c, 1);
	}
	return r;
}

static const char *get_str(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* "key=value" (after a space unless first) with the value escaped;
 * nothing for a NULL value. */
static int ext(vg_buf *b, int *first, const char *key, const char *v)
{
	if (v == NULL)
		return 0;
	int r = *first ? 0 : vg_buf_append(b, " ", 1);
	*first = 0;
	if (r == 0)
		r = vg_buf_append(b, key, strlen(key));
	if (r == 0)
		r = vg_buf_append(b, "=", 1);
	return r ? r : vg_cef_ext_escape(b, v, strlen(v));
}

static const int cef_severity[] = {1, 3, 5, 8, 10};

int vg_share_cef(vg_buf *out, const char *payload, size_t len)
{
	json_t *env = json_loadb(payload, len, 0, NULL);
	json_t *data = json_object_get(env, "data");
	const char *id = get_str(env, "id", NULL), *kind = get_str(env, "kind", NULL);
	if (!json_is_object(data) || id == NULL || kind == NULL || !json_is_integer(json_object_get(env, "seq"))) {
		json_decref(env);
		return VG_EPARSE;
	}
	int is_alert = strcmp(kind, "alert") == 0;
	const char *sig = is_alert ? get_str(data, "rule", "id") : NULL;
	const char *name = is_alert ? get_str(data, "rule", "title") : NULL;
	const char *level = is_alert ? get_str(data, "rule", "level") : NULL;
	int rank = vg_share_level_rank(level);
	char sigbuf[320], sev[8], seq[24];
	/* a raw event: its class is its dataset ("vigil:event:sshd"), its name
	 * what happened (event.action, else the dataset) */
	int is_event = strcmp(kind, "event") == 0;
	const char *dataset = is_event ? get_str(data, "event", "dataset") : NULL;
	const char *action = is_event ? get_str(data, "event", "action") : NULL;
	const char *layer = is_event ? get_str(data, "vigil", "layer") : NULL;
	if (sig == NULL) {
		if (dataset != NULL && strlen(dataset) < 256)
			snprintf(sigbuf, sizeof(sigbuf), "vigil:%s:%s", kind, dataset);
		else
			snprintf(sigbuf, sizeof(sigbuf), "vigil:%s", kind);
		sig = sigbuf;
	}
	if (name == NULL)
		name = action != NULL ? action : dataset != NULL ? dataset : kind;
	snprintf(sev, sizeof(sev), "%d", rank >= 0 ? cef_severity[rank] : 0);
	snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(json_object_get(env, "seq")));
	/* the rule's tags as one comma-separated value */
	vg_buf tags = {0};
	json_t *t, *ta = json_object_get(json_object_get(data, "rule"), "tags");
	size_t i;
	int r = 0;
	json_array_foreach(ta, i, t) {
		if (json_is_string(t) && r == 0)
			r = (i > 0 ? vg_buf_append(&tags, ",", 1) : 0) ||
			    vg_buf_append(&tags, json_string_value(t), json_string_length(t));
	}
	if (r == 0)
		r = vg_buf_append(&tags, "", 1) ? VG_ENOMEM : 0;
	const char *msg = get_str(data, "message", NULL);
	if (msg == NULL)
		msg = get_str(data, "event", "original");
	static const char head[] = "CEF:0|Vigil|vigil|" VG_VERSION "|";
	r = r ? VG_ENOMEM : vg_buf_append(out, head, sizeof(head) - 1);
	if (r == 0)
		r = vg_cef_header_escape(out, sig, strlen(sig));
	if (r == 0)
		r = vg_buf_append(out, "|", 1);
	if (r == 0)
		r = vg_cef_header_escape(out, name, strlen(name));
	if (r == 0)
		r = vg_buf_append(out, "|", 1);
	if (r == 0)
		r = vg_buf_append(out, sev, strlen(sev));
	if (r == 0)
		r = vg_buf_append(out, "|", 1);
	int first = 1;
	if (r == 0)
		r = ext(out, &first, "externalId", id) || ext(out, &first, "cn1", seq) || ext(out, &first, "cn1Label", "seq") ||
			    ext(out, &first, "cat", kind) || ext(out, &first, "dvchost", get_str(env, "origin", NULL)) ||
			    ext(out, &first, "shost", get_str(data, "host", "name")) ||
			    ext(out, &first, "src", get_str(data, "source", "ip")) ||
			    ext(out, &first, "dst", get_str(data, "destination", "ip")) ||
			    ext(out, &first, "suser", get_str(data, "user", "name")) ||
			    ext(out, &first, "cs1", level) || ext(out, &first, "cs1Label", level ? "level" : NULL) ||
			    ext(out, &first, "cs2", tags.len > 1 ? tags.data : NULL) ||
			    ext(out, &first, "cs2Label", tags.len > 1 ? "tags" : NULL) ||
			    ext(out, &first, "cs3", get_str(data, "@timestamp", NULL)) ||
			    ext(out, &first, "cs3Label", get_str(data, "@timestamp", NULL) ? "eventTime" : NULL) ||
			    ext(out, &first, "act", action) ||
			    ext(out, &first, "outcome", is_event ? get_str(data, "event", "outcome") : NULL) ||
			    ext(out, &first, "cs4", dataset) || ext(out, &first, "cs4Label", dataset ? "dataset" : NULL) ||
			    ext(out, &first, "cs5", layer) || ext(out, &first, "cs5Label", layer ? "layer" : NULL) ||
			    ext(out, &first, "msg", msg)
			? VG_ENOMEM
			: 0;
	vg_buf_free(&tags);
	json_decref(env);
	return r;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static int sd_value(vg_buf *b, const char *s)
{
	int r = 0;
	for (; *s && r == 0; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			r = vg_buf_append(b, "\\", 1);
		if (r == 0)
			r = vg_buf_append(b, s, 1);
	}
	return r;
}

/* PRINTUSASCII without spaces, at most max bytes, "-" when empty. */
static int token(vg_buf *b, const char *s, size_t max)
{
	size_t n = 0;
	int r = 0;
	for (; *s && n < max && r == 0; s++, n++) {
		char c = *s > 32 && *s < 127 ? *s : '_';
		r = vg_buf_append(b, &c, 1);
	}
	return r ? r : n == 0 ? vg_buf_append(b, "-", 1) : 0;
}

static const int syslog_severity[] = {6, 5, 4, 3, 2}; /* informational..critical */

int vg_share_syslog_frame(vg_buf *out, const vg_outbox_item *it, int format, const char *hostname,
			  const vg_share_keys *k)
{
	vg_buf msg = {0}, hdr = {0};
	int r, sev = 6;
	if (format == VG_SINK_CEF) {
		if ((r = vg_share_cef(&msg, it->payload, it->len)) != 0)
			goto out;
	} else if ((r = vg_buf_append(&msg, it->payload, it->len)) != 0) {
		goto out;
	}
	if (strcmp(it->kind, "alert") == 0) {
		json_t *env = json_loadb(it->payload, it->len, 0, NULL);
		int rank = vg_share_level_rank(
			json_string_value(json_object_get(json_object_get(json_object_get(env, "data"), "rule"), "level")));
		json_decref(env);
		if (rank >= 0)
			sev = syslog_severity[rank];
	}
	char sig[VG_SHARE_SIG_B64], ts[40], pri[16], seq[24];
	if ((r = vg_share_sign_b64(k, msg.data ? msg.data : "", msg.len, sig)) != 0)
		goto out;
	vg_format_ts(it->created_us, ts, sizeof(ts));
	snprintf(pri, sizeof(pri), "<%d>1 ", 16 * 8 + sev);
	snprintf(seq, sizeof(seq), "%lld", (long long)it->seq);
	char host[256];
	if (hostname == NULL || hostname[0] == '\0') {
		if (gethostname(host, sizeof(host) - 1) != 0)
			strcpy(host, "-");
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	r = vg_buf_append(&hdr, pri, strlen(pri)) || vg_buf_append(&hdr, ts, strlen(ts)) ||
		    vg_buf_append(&hdr, " ", 1) || token(&hdr, hostname, 255) ||
		    LIT(&hdr, " vigil - ") || token(&hdr, it->kind, 32) ||
		    LIT(&hdr, " [vigilsig@" VG_SYSLOG_PEN " alg=\"ed25519\" keyid=\"") ||
		    sd_value(&hdr, vg_share_key_id(k)) || LIT(&hdr, "\" sig=\"") ||
		    vg_buf_append(&hdr, sig, strlen(sig)) || LIT(&hdr, "\"][vigil@" VG_SYSLOG_PEN " id=\"") ||
		    sd_value(&hdr, it->item_id) || LIT(&hdr, "\" seq=\"") ||
		    vg_buf_append(&hdr, seq, strlen(seq)) || LIT(&hdr, "\"] ")
		? VG_ENOMEM
		: 0;
	if (r != 0)
		goto out;
	char len[24];
	snprintf(len, sizeof(len), "%zu ", hdr.len + msg.len);
	r = vg_buf_append(out, len, strlen(len)) || vg_buf_append(out, hdr.data, hdr.len) ||
		    vg_buf_append(out, msg.data, msg.len)
		? VG_ENOMEM
		: 0;
out:
	vg_buf_free(&msg);
	vg_buf_free(&hdr);
	return r;
}
