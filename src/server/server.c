/* server.c — `vigil server` wiring (see server.h). */
#include "server/server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/metrics.h"
#include "detect/rulepack.h"
#include "net/http.h"
#include "net/pki.h"
#include "net/tls.h"
#include "server/api.h"
#include "server/api_agents.h"
#include "server/api_events.h"
#include "server/auth.h"
#include "server/assess.h"
#include "server/coverage.h"
#include "server/incidents.h"
#include "server/reports.h"
#include "server/roster.h"
#include "server/systems.h"
#include "share/api_share.h"
#include "share/producers.h"
#include "share/service.h"
#include "server/ingest.h"
#include "server/listen_agents.h"
#include "server/listen_syslog.h"
#include "server/notify.h"
#include "store/db.h"

#define POLL_MS 50                     /* a round at least this often */
#define FAIL_LOG_US (10 * 1000000)     /* refused peers: one line per 10 s per input at most */
#define METRICS_US 1000000             /* metrics snapshot period */
#define OPS_US 1000000                 /* the operations modules' background work */
#define MAX_NAMES (VG_PKI_MAX_NAMES)

typedef struct server {
	const vg_server_config *cfg;
	pthread_mutex_t lock; /* the ingest: main loop vs HTTP threads */
	vg_engine *engine;
	vg_db *db, *api_db;
	vg_auth *auth;
	vg_api *api; /* the REST API; its lock guards api_db, auth and the ops modules */
	vg_systems *systems;
	vg_coverage *coverage;
	vg_activity_batch *acts; /* drained from the ingest, recorded under the API lock */
	vg_incidents *incidents;
	vg_reports_modules rep_mods; /* must outlive reports */
	vg_reports *reports;
	vg_assess *assess;
	vg_roster *roster;
	vg_notify *notify;
	vg_share_service *share; /* sharing with the national centre: its own thread and connection */
	vg_share_producers *share_prod; /* incidents, public IPs, coverage into the outbox (API connection) */
	vg_share_api *share_api;        /* /api/v1/sharing/destinations..., /sharing/pubkey */
	vg_share_keys *ingest_keys;     /* the ingest's outbox: alerts and events enter it in the ingest's commit */
	vg_outbox *ingest_ob;           /* on db (the ingest's connection) */
	struct {
		char name[64];
		vg_mseries *backlog, *lag, *dropped, *sent, *throttled;
		uint64_t sent_last, dropped_last, throttled_last;
	} sm[16]; /* per sharing destination */
	size_t nsm;
	vg_ingest *g;
	vg_pki_ca *ca;
	vg_tls_ctx *syslog_tls, *agent_tls;
	vg_syslog_listener *syslog;
	vg_agent_listener *agents;
	vg_http *http;
	vg_api_events *api_events;
	vg_metrics *metrics;
	struct {
		vg_mfamily *events, *unparsed, *parsed, *failed;
		vg_mseries *alerts, *corr_alerts, *alert_errors, *archive_errors, *duplicates;
		vg_mseries *agent_batches, *agent_records, *agent_refused, *syslog_tcp_conns, *syslog_frame_errors;
		vg_mseries *tls_failures;
		vg_ingest_stats last;
		vg_agent_listener_stats alast;
		vg_syslog_listener_stats slast;
		struct {
			const char *name;
			vg_mseries *ev, *un, *pa, *fa;
			uint64_t ev_last, un_last, fa_last;
		} in[16];
		size_t nin;
	} m;
	/* gauges, read by the HTTP thread under snap_lock */
	pthread_mutex_t snap_lock;
	double archive_bytes, archive_segments, agents_connected, agent_conns, syslog_conns, pending_events;
} server;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* mkdir -p, mode 0700 for what it creates */
static int make_dir(const char *dir)
{
	struct stat st;
	char tmp[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* A compiled engine from the configured rules, or NULL with the reason printed. */
static void on_reject(void *ud, const char *path, const char *rule_id, const char *reason)
{
	(*(size_t *)ud)++;
	fprintf(stderr, "vigil server: %s%s%s: %s\n", path != NULL ? path : "-", rule_id != NULL ? ": " : "",
		rule_id != NULL ? rule_id : "", reason);
}

static vg_engine *load_rules(const vg_server_config *cfg)
{
	size_t rejected = 0;
	vg_engine *e = vg_engine_new();
	if (e == NULL) {
		fprintf(stderr, "vigil server: out of memory\n");
		return NULL;
	}
	int rc = 0;
	if (cfg->rules_builtin)
		rc = vg_rulepack_load(e, on_reject, &rejected);
	for (size_t i = 0; i < cfg->rules_paths.n && rc == 0; i++)
		if ((rc = vg_engine_load_path(e, cfg->rules_paths.v[i], on_reject, &rejected)) != 0)
			fprintf(stderr, "vigil server: %s: cannot read rules: %s\n", cfg->rules_paths.v[i],
				rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
	if (rc == 0 && (rc = vg_engine_compile(e, on_reject, &rejected)) != 0)
		fprintf(stderr, "vigil server: compiling rules: %s\n", vg_err_str(rc));
	if (rc != 0) {
		vg_engine_free(e);
		return NULL;
	}
	fprintf(stderr, "vigil server: %zu rules loaded, %zu rejected\n", vg_engine_loaded(e), vg_engine_rejected(e));
	return e;
}

/* "host" of a listen address when it is a specific one (wildcards: ""). */
static void listen_host(const char *addr, char *host, size_t n)
{
	host[0] = '\0';
	if (addr == NULL || addr[0] == '\0')
		return;
	const char *h = addr[0] == '[' ? addr + 1 : addr;
	const char *end = addr[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
	if (end != NULL && (size_t)(end - h) < n) {
		memcpy(host, h, (size_t)(end - h));
		host[end - h] = '\0';
	}
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		host[0] = '\0';
}

/* DIR/pki: the CA and a server certificate covering localhost, this host,
 * the specific listen addresses and tls.server_names. */
static int setup_pki(server *s)
{
	const vg_server_config *cfg = s->cfg;
	char why[512] = "", hosts[4][64];
	const char *names[MAX_NAMES];
	size_t nn = 0;
	const char *addrs[4] = {cfg->listen_agents, cfg->listen_syslog_tls, cfg->listen_api, NULL};
	for (int i = 0; addrs[i] != NULL || i < 3; i++) {
		if (addrs[i] == NULL)
			continue;
		listen_host(addrs[i], hosts[i], sizeof(hosts[i]));
		if (hosts[i][0] != '\0' && nn < MAX_NAMES)
			names[nn++] = hosts[i];
	}
	for (size_t i = 0; i < cfg->tls_server_names.n && nn < MAX_NAMES; i++)
		names[nn++] = cfg->tls_server_names.v[i];
	int r = vg_pki_init_ca(cfg->data_dir, &s->ca, why, sizeof(why));
	if (r == 0)
		r = vg_pki_server_cert(s->ca, names, nn, why, sizeof(why));
	if (r != 0)
		fprintf(stderr, "vigil server: %s/pki: %s\n", cfg->data_dir, why[0] ? why : vg_err_str(r));
	return r;
}

static void listen_error(const char *what, const char *addr, int err)
{
	fprintf(stderr, "vigil server: %s %s: %s\n", what, addr,
		err == VG_EINVAL ? "not a numeric ADDR:PORT" : err == VG_EIO ? strerror(errno) : vg_err_str(err));
}

/* ---- the HTTP API ---- */

static int api_auth(void *ud, const char *token, char *who, size_t wholen)
{
	server *s = ud;
	vg_principal p;
	vg_api_lock(s->api);
	int r = vg_auth_check_token(s->auth, token, wall_us(), &p);
	vg_api_unlock(s->api);
	if (r != 0)
		return r == VG_ENOTFOUND ? VG_ENOTFOUND : VG_EIO;
	if (!vg_auth_can_ingest(&p))
		return VG_EINVAL;
	snprintf(who, wholen, "%s", p.name);
	return 0;
}

static int api_ingest(void *ud, const char *line, size_t len, const char *peer)
{
	server *s = ud;
	pthread_mutex_lock(&s->lock);
	int r = vg_ingest_message(s->g, line, len, peer, "http", wall_us());
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

static int api_commit(void *ud)
{
	server *s = ud;
	pthread_mutex_lock(&s->lock);
	int r = vg_ingest_sync(s->g);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static double gauge(server *s, const double *v)
{
	pthread_mutex_lock(&s->snap_lock);
	double x = *v;
	pthread_mutex_unlock(&s->snap_lock);
	return x;
}
static double g_archive_bytes(void *ud) { return gauge(ud, &((server *)ud)->archive_bytes); }
static double g_archive_segments(void *ud) { return gauge(ud, &((server *)ud)->archive_segments); }
static double g_agents_connected(void *ud) { return gauge(ud, &((server *)ud)->agents_connected); }
static double g_agent_conns(void *ud) { return gauge(ud, &((server *)ud)->agent_conns); }
static double g_syslog_conns(void *ud) { return gauge(ud, &((server *)ud)->syslog_conns); }
static double g_pending(void *ud) { return gauge(ud, &((server *)ud)->pending_events); }

static int setup_metrics(server *s)
{
	vg_metrics *m = s->metrics = vg_metrics_new();
	const char *in[] = {"input"};
	if (m == NULL)
		return VG_ENOMEM;
	int r = 0;
#define C(var, name, help) (r == 0 ? (r = vg_metrics_counter(m, name, help, &s->m.var)) : r)
#define G(name, help, fn) (r == 0 ? (r = vg_metrics_gauge_fn(m, name, help, fn, s)) : r)
	if (r == 0)
		r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_events_received_total",
				      "events received, by input", in, 1, &s->m.events);
	if (r == 0)
		r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_events_unparsed_total",
				      "events no parser recognised (kept as raw events), by input", in, 1, &s->m.unparsed);
	if (r == 0)
		r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_events_parsed_total",
				      "events a parser recognised, by input", in, 1, &s->m.parsed);
	if (r == 0)
		r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_events_input_failed_total",
				      "events of the input the archive refused, by input", in, 1, &s->m.failed);
	C(alerts, "vigil_alerts_total", "rule alerts raised");
	C(corr_alerts, "vigil_correlation_alerts_total", "correlation alerts raised");
	C(alert_errors, "vigil_alert_errors_total", "alerts that could not be built or written");
	C(archive_errors, "vigil_events_failed_total", "events the archive refused or lost");
	C(duplicates, "vigil_agent_duplicates_total", "agent records skipped as already held");
	C(agent_batches, "vigil_agent_batches_total", "batches received from agents");
	C(agent_records, "vigil_agent_records_total", "records received from agents");
	C(agent_refused, "vigil_agent_refused_total",
	  "agent connections refused (handshake, protocol errors, failed enrolments, over the limit)");
	C(syslog_tcp_conns, "vigil_syslog_connections_total", "syslog TCP and TLS connections accepted");
	C(syslog_frame_errors, "vigil_syslog_frame_errors_total", "syslog connections closed for bad framing");
	C(tls_failures, "vigil_syslog_tls_handshake_failures_total", "failed syslog TLS handshakes");
	G("vigil_archive_bytes", "bytes of the event archive on disk", g_archive_bytes);
	G("vigil_archive_segments", "segment files of the event archive", g_archive_segments);
	G("vigil_agents_connected", "agents with a session now", g_agents_connected);
	G("vigil_agent_connections", "agent connections open now", g_agent_conns);
	G("vigil_syslog_connections", "syslog TCP/TLS connections open now", g_syslog_conns);
	G("vigil_ingest_uncommitted_events", "events ingested and not yet committed (queue depth)", g_pending);
#undef C
#undef G
	return r;
}

static void add_input(void *ud, const char *input, uint64_t messages, uint64_t unparsed, uint64_t failed)
{
	server *s = ud;
	size_t i = 0;
	while (i < s->m.nin && s->m.in[i].name != input)
		i++;
	if (i == s->m.nin) {
		const char *v[] = {input};
		if (i == sizeof(s->m.in) / sizeof(s->m.in[0]) || vg_metrics_series(s->m.events, v, &s->m.in[i].ev) != 0 ||
		    vg_metrics_series(s->m.unparsed, v, &s->m.in[i].un) != 0 ||
		    vg_metrics_series(s->m.parsed, v, &s->m.in[i].pa) != 0 ||
		    vg_metrics_series(s->m.failed, v, &s->m.in[i].fa) != 0)
			return;
		s->m.in[i].name = input;
		s->m.nin++;
	}
	/* counters move by difference: the ingest keeps the totals */
	uint64_t parsed_before = s->m.in[i].ev_last - s->m.in[i].un_last;
	vg_metric_add(s->m.in[i].ev, messages - s->m.in[i].ev_last);
	vg_metric_add(s->m.in[i].un, unparsed - s->m.in[i].un_last);
	vg_metric_add(s->m.in[i].pa, (messages - unparsed) - parsed_before);
	vg_metric_add(s->m.in[i].fa, failed - s->m.in[i].fa_last);
	s->m.in[i].ev_last = messages;
	s->m.in[i].un_last = unparsed;
	s->m.in[i].fa_last = failed;
}

#define DELTA(series, now, before) vg_metric_add(series, (uint64_t)((now) - (before)))

/* Per sharing destination: backlog, lag, dropped, sent, events throttled (from the service's
 * last status). */
static void sharing_metrics(server *s)
{
	json_t *st = s->share != NULL ? vg_share_service_status(s->share) : NULL;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(st, "destinations"), i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		if (name == NULL)
			continue;
		size_t k = 0;
		while (k < s->nsm && strcmp(s->sm[k].name, name) != 0)
			k++;
		if (k == s->nsm) {
			const char *lab[] = {"destination"}, *v[] = {name};
			vg_mfamily *f;
			if (k == sizeof(s->sm) / sizeof(s->sm[0]))
				continue;
			snprintf(s->sm[k].name, sizeof(s->sm[k].name), "%s", name);
			if (vg_metrics_family(s->metrics, VG_METRIC_GAUGE, "vigil_share_backlog", "items waiting per sharing destination", lab, 1, &f) != 0 ||
			    vg_metrics_series(f, v, &s->sm[k].backlog) != 0 ||
			    vg_metrics_family(s->metrics, VG_METRIC_GAUGE, "vigil_share_lag_seconds", "age of the oldest unsent item", lab, 1, &f) != 0 ||
			    vg_metrics_series(f, v, &s->sm[k].lag) != 0 ||
			    vg_metrics_family(s->metrics, VG_METRIC_COUNTER, "vigil_share_dropped_total", "items refused: the outbox was full", lab, 1, &f) != 0 ||
			    vg_metrics_series(f, v, &s->sm[k].dropped) != 0 ||
			    vg_metrics_family(s->metrics, VG_METRIC_GAUGE, "vigil_share_sent_last_hour", "items delivered in the last hour", lab, 1, &f) != 0 ||
			    vg_metrics_series(f, v, &s->sm[k].sent) != 0 ||
			    vg_metrics_family(s->metrics, VG_METRIC_COUNTER, "vigil_share_events_throttled_total", "raw events over the destination's max_per_second, not queued", lab, 1, &f) != 0 ||
			    vg_metrics_series(f, v, &s->sm[k].throttled) != 0)
				continue;
			s->nsm++;
		}
		uint64_t dropped = (uint64_t)json_integer_value(json_object_get(d, "dropped"));
		vg_metric_set(s->sm[k].backlog, (double)json_integer_value(json_object_get(d, "backlog")));
		vg_metric_set(s->sm[k].lag, json_number_value(json_object_get(d, "lag_s")));
		vg_metric_set(s->sm[k].sent, (double)json_integer_value(json_object_get(d, "sent_1h")));
		if (dropped > s->sm[k].dropped_last)
			vg_metric_add(s->sm[k].dropped, dropped - s->sm[k].dropped_last);
		s->sm[k].dropped_last = dropped;
		uint64_t throttled = (uint64_t)json_integer_value(json_object_get(d, "events_throttled"));
		if (throttled > s->sm[k].throttled_last)
			vg_metric_add(s->sm[k].throttled, throttled - s->sm[k].throttled_last);
		s->sm[k].throttled_last = throttled;
	}
	json_decref(st);
}

/* Copies the figures of the loop's modules into the registry (under s->lock). */
static void update_metrics(server *s)
{
	vg_ingest_stats is;
	vg_agent_listener_stats as = {0};
	vg_syslog_listener_stats ss = {0};
	vg_archive_stats ar;
	vg_ingest_stats_get(s->g, &is);
	vg_ingest_archive_stats(s->g, &ar);
	if (s->agents != NULL)
		vg_agent_listener_stats_get(s->agents, &as);
	vg_syslog_listener_stats_get(s->syslog, &ss);
	DELTA(s->m.alerts, is.alerts, s->m.last.alerts);
	DELTA(s->m.corr_alerts, is.corr_alerts, s->m.last.corr_alerts);
	DELTA(s->m.alert_errors, is.alert_errors, s->m.last.alert_errors);
	DELTA(s->m.archive_errors, is.archive_errors, s->m.last.archive_errors);
	DELTA(s->m.duplicates, is.duplicates, s->m.last.duplicates);
	DELTA(s->m.agent_batches, as.batches, s->m.alast.batches);
	DELTA(s->m.agent_records, as.records, s->m.alast.records);
	DELTA(s->m.agent_refused, as.refused + as.handshake_failures + as.protocol_errors + as.enroll_failures,
	      s->m.alast.refused + s->m.alast.handshake_failures + s->m.alast.protocol_errors + s->m.alast.enroll_failures);
	DELTA(s->m.syslog_tcp_conns, ss.tcp_accepted + ss.tls_accepted, s->m.slast.tcp_accepted + s->m.slast.tls_accepted);
	DELTA(s->m.syslog_frame_errors, ss.tcp_frame_errors, s->m.slast.tcp_frame_errors);
	DELTA(s->m.tls_failures, ss.tls_handshake_failures, s->m.slast.tls_handshake_failures);
	s->m.last = is;
	s->m.alast = as;
	s->m.slast = ss;
	vg_ingest_inputs(s->g, add_input, s);
	sharing_metrics(s);
	pthread_mutex_lock(&s->snap_lock);
	s->archive_bytes = (double)ar.bytes;
	s->archive_segments = (double)ar.segments;
	s->pending_events = (double)ar.pending;
	s->agents_connected = (double)as.agents_connected;
	s->agent_conns = (double)as.open;
	s->syslog_conns = (double)ss.tcp_open;
	pthread_mutex_unlock(&s->snap_lock);
}

/* ---- the incidents module's view of the systems registry ---- */

static int64_t inc_system_of(void *ud, const vg_activity *origin)
{
	return vg_systems_attribute(ud, origin);
}

static int inc_system_info(void *ud, int64_t id, int *level, int *national)
{
	json_t *o = NULL;
	int r = vg_systems_get(ud, NULL, id, &o);
	if (r != 0)
		return r;
	*level = (int)json_integer_value(json_object_get(o, "level"));
	*national = json_is_true(json_object_get(o, "nationally_important"));
	json_decref(o);
	return 0;
}

static int inc_system_unit(void *ud, int64_t id, char *unit, size_t cap)
{
	return cap > VG_AUTH_UNIT_MAX ? vg_systems_unit_of(ud, id, unit) : VG_ELIMIT;
}

static int assess_systems_each(void *ud, vg_assess_system_fn fn, void *ud2)
{
	json_t *out = NULL;
	int r = vg_systems_list(ud, NULL, NULL, &out);
	if (r != 0)
		return r;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(out, "systems"), i, d)
		fn(ud2, json_integer_value(json_object_get(d, "id")), json_string_value(json_object_get(d, "name")),
		   json_string_value(json_object_get(d, "unit")), (int)json_integer_value(json_object_get(d, "level")),
		   json_integer_value(json_object_get(d, "created_us")));
	json_decref(out);
	return 0;
}

static void inc_report(void *ud, struct vg_api_call *c, int64_t id)
{
	vg_reports_handle_incident(ud, c, id);
}

static void sharing_status(void *ud, vg_api_call *c)
{
	server *s = ud;
	json_t *st = s->share != NULL ? vg_share_service_status(s->share) : NULL;
	if (st == NULL) {
		vg_api_error(c, 503, "starting", "the sharing service has not finished its first round");
		return;
	}
	vg_api_json(c, 200, st);
}

/* POST /api/v1/sharing/destinations/{name}/flush (an HTTP thread) */
static void share_flush(void *ud)
{
	server *s = ud;
	if (s->share != NULL)
		vg_share_service_flush(s->share);
}

static int setup_http(server *s)
{
	const vg_server_config *cfg = s->cfg;
	char crt[4096], key[4096], why[512] = "";
	int err = 0, r;
	snprintf(crt, sizeof(crt), "%s/pki/server.crt", cfg->data_dir);
	snprintf(key, sizeof(key), "%s/pki/server.key", cfg->data_dir);
	vg_http_opts ho = {
		.addr = cfg->listen_api,
		.cert_path = crt,
		.key_path = key,
		.max_body = (size_t)cfg->api_max_body,
		.threads = (unsigned)cfg->api_threads,
		.metrics = s->metrics,
	};
	if ((s->http = vg_http_new(&ho, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil server: API: %s\n", why[0] ? why : vg_err_str(err));
		return err ? err : VG_EIO;
	}
	vg_api_events_opts eo = {
		.auth = api_auth,
		.ingest = api_ingest,
		.commit = api_commit,
		.ud = s,
		.metrics = s->metrics,
	};
	if ((r = vg_http_route_metrics(s->http, s->metrics)) != 0 ||
	    (r = vg_api_events_new(&eo, s->http, &s->api_events)) != 0) {
		fprintf(stderr, "vigil server: API routes: %s\n", vg_err_str(r));
		return r;
	}
	if ((s->api = vg_api_new(s->http, s->api_db, s->auth)) == NULL) {
		fprintf(stderr, "vigil server: API: %s\n", vg_err_str(VG_ENOMEM));
		return VG_ENOMEM;
	}
	if ((r = vg_api_register_core(s->api)) != 0 || (r = vg_api_agents_register(s->api, s->ca, cfg->data_dir)) != 0) {
		fprintf(stderr, "vigil server: API routes: %s\n", vg_err_str(r));
		return r;
	}
	if ((s->systems = vg_systems_open(s->api_db, &err)) == NULL ||
	    (s->coverage = vg_coverage_open(s->api_db, &err)) == NULL || (s->acts = vg_activity_batch_new()) == NULL) {
		fprintf(stderr, "vigil server: information systems: %s\n", vg_err_str(err ? err : VG_ENOMEM));
		return err ? err : VG_ENOMEM;
	}
	if ((s->incidents = vg_incidents_open(s->api_db, &err)) == NULL) {
		fprintf(stderr, "vigil server: incidents: %s\n", vg_err_str(err));
		return err;
	}
	vg_incidents_set_hooks(s->incidents, &(vg_incidents_hooks){.system_of = inc_system_of,
								  .system_info = inc_system_info,
								  .system_unit = inc_system_unit,
								  .ud = s->systems});
	s->rep_mods = (vg_reports_modules){.incidents = s->incidents, .systems = s->systems, .coverage = s->coverage};
	vg_reports_src rsrc;
	vg_reports_src_modules(&rsrc, &s->rep_mods);
	vg_reports_opts ro = {.organisation = cfg->organisation_name, .place = cfg->organisation_place};
	if ((s->reports = vg_reports_open(s->api_db, &rsrc, &ro, &err)) == NULL) {
		fprintf(stderr, "vigil server: reports: %s\n", vg_err_str(err));
		return err;
	}
	vg_incidents_set_report_handler(s->incidents, inc_report, s->reports);
	if ((s->assess = vg_assess_open(s->api_db, &err)) == NULL || (s->roster = vg_roster_open(s->api_db, &err)) == NULL ||
	    (s->notify = vg_notify_open(s->api_db, &err)) == NULL) {
		fprintf(stderr, "vigil server: assessments, roster, notifications: %s (%s)\n", vg_err_str(err),
			vg_db_errmsg(s->api_db));
		return err;
	}
	vg_assess_set_systems(s->assess, assess_systems_each, s->systems);
	vg_roster_set_users(s->roster, s->auth);
	vg_share_producers_opts po = {.db = s->api_db, .dir = cfg->data_dir,
				      .origin = cfg->organisation_name[0] ? cfg->organisation_name : NULL,
				      .systems = s->systems, .coverage = s->coverage};
	if ((s->share_prod = vg_share_producers_open(&po, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil server: sharing: %s\n", why[0] ? why : vg_err_str(err));
		return err ? err : VG_EIO;
	}
	vg_incidents_set_change_hook(s->incidents, vg_share_incident_hook, s->share_prod);
	vg_systems_set_change_hook(s->systems, vg_share_system_hook, s->share_prod);
	s->share_api = vg_share_api_new(&(vg_share_api_opts){.ob = vg_share_producers_outbox(s->share_prod),
							     .keys = vg_share_producers_keys(s->share_prod),
							     .flush = share_flush,
							     .ud = s});
	if (s->share_api == NULL) {
		fprintf(stderr, "vigil server: sharing API: %s\n", vg_err_str(VG_ENOMEM));
		return VG_ENOMEM;
	}
	if ((r = vg_systems_register_api(s->systems, s->api)) != 0 ||
	    (r = vg_coverage_register_api(s->coverage, s->api)) != 0 ||
	    (r = vg_incidents_register_api(s->incidents, s->api)) != 0 ||
	    (r = vg_reports_register_api(s->reports, s->api, 0)) != 0 ||
	    (r = vg_assess_register_api(s->assess, s->api)) != 0 || (r = vg_roster_register_api(s->roster, s->api)) != 0 ||
	    (r = vg_notify_register_api(s->notify, s->api)) != 0 ||
	    (r = vg_api_route(s->api, "GET", "/sharing/status", 0, VG_API_READ, sharing_status, s)) != 0 ||
	    (r = vg_share_api_register(s->share_api, s->api)) != 0) {
		fprintf(stderr, "vigil server: API routes: %s\n", vg_err_str(r));
		return r;
	}
	if ((r = vg_http_start(s->http, why, sizeof(why))) != 0) {
		fprintf(stderr, "vigil server: API: %s\n", why[0] ? why : vg_err_str(r));
		return r;
	}
	if ((r = vg_notify_start(s->notify, s->api)) != 0) {
		fprintf(stderr, "vigil server: notifications: %s\n", vg_err_str(r));
		return r;
	}
	return 0;
}

static int setup(server *s)
{
	const vg_server_config *cfg = s->cfg;
	char why[512] = "";
	int err = 0;
	if (make_dir(cfg->data_dir) != 0) {
		fprintf(stderr, "vigil server: %s: %s\n", cfg->data_dir, strerror(errno));
		return -1;
	}
	if ((s->engine = load_rules(cfg)) == NULL)
		return -1;
	if ((s->db = vg_db_open(cfg->data_dir, NULL, &err, why, sizeof(why))) == NULL ||
	    (s->api_db = vg_db_open(cfg->data_dir, NULL, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil server: state database: %s\n", why);
		return -1;
	}
	if ((s->auth = vg_auth_open(s->api_db, NULL, &err)) == NULL) {
		fprintf(stderr, "vigil server: users and tokens: %s\n", vg_err_str(err));
		return -1;
	}
	vg_archive_opts ao = {
		.zstd_level = VG_ARCHIVE_SERVER_LEVEL, /* it compresses every event: speed over ratio */
		.segment_bytes = cfg->archive_segment_bytes,
		.max_age_us = (int64_t)cfg->archive_max_age_ms * 1000,
		.max_bytes = cfg->archive_max_bytes,
	};
	if ((s->g = vg_ingest_new(cfg->data_dir, s->engine, &ao, &err)) == NULL) {
		fprintf(stderr, "vigil server: %s: %s\n", cfg->data_dir,
			err == VG_EIO ? (errno == EWOULDBLOCK ? "another server uses this directory" : strerror(errno))
				      : vg_err_str(err));
		return -1;
	}
	vg_ingest_set_db(s->g, s->db);
	vg_ingest_set_lateness(s->g, (int64_t)cfg->correlation_lateness_ms * 1000);
	vg_ingest_set_commit(s->g, (uint64_t)cfg->ingest_sync_events, (int64_t)cfg->ingest_sync_interval_ms * 1000);
	if (setup_pki(s) != 0)
		return -1;
	if ((s->syslog = vg_syslog_listener_new(cfg->listen_syslog, s->g, &err)) == NULL) {
		listen_error("syslog on", cfg->listen_syslog, err);
		return -1;
	}
	if (cfg->listen_syslog_tls[0] != '\0') {
		int ca = cfg->syslog_tls_require_client_cert ? VG_TLS_CLIENT_REQUIRED : VG_TLS_CLIENT_OPTIONAL;
		if ((err = vg_tls_server_from_pki(s->ca, ca, &s->syslog_tls, why, sizeof(why))) != 0) {
			fprintf(stderr, "vigil server: TLS: %s\n", why);
			return -1;
		}
		if ((err = vg_syslog_listener_add_tls(s->syslog, cfg->listen_syslog_tls, s->syslog_tls)) != 0) {
			listen_error("syslog over TLS on", cfg->listen_syslog_tls, err);
			return -1;
		}
	}
	if ((err = vg_tls_server_from_pki(s->ca, VG_TLS_CLIENT_OPTIONAL, &s->agent_tls, why, sizeof(why))) != 0) {
		fprintf(stderr, "vigil server: TLS: %s\n", why);
		return -1;
	}
	if ((s->agents = vg_agent_listener_new(cfg->listen_agents, s->g, s->agent_tls, s->ca, &err)) == NULL) {
		listen_error("agents on", cfg->listen_agents, err);
		return -1;
	}
	vg_agent_listener_set_limits(s->agents, (size_t)cfg->agents_max_connections,
				     (int64_t)cfg->agents_heartbeat_timeout_ms * 1000);
	if (setup_metrics(s) != 0 || setup_http(s) != 0)
		return -1;
	/* sharing inside the ingest's own transaction: alerts and selected raw
	 * events enter the outbox when they are stored (docs/sharing.md) */
	vg_outbox_opts iob = {.origin = cfg->organisation_name[0] ? cfg->organisation_name : NULL};
	if ((err = vg_share_keys_load(cfg->data_dir, 1, &s->ingest_keys, why, sizeof(why))) != 0 ||
	    (s->ingest_ob = vg_outbox_open(s->db, s->ingest_keys, &iob, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil server: sharing: %s\n", why[0] ? why : vg_err_str(err));
		return -1;
	}
	if ((err = vg_ingest_set_outbox(s->g, s->ingest_ob)) != 0)
		fprintf(stderr, "vigil server: sharing: events selection: %s (%s); retried at the next commit\n",
			vg_err_str(err), vg_outbox_errmsg(s->ingest_ob));
	/* after the notifications module (it initialises libcurl before any thread) */
	vg_share_service_opts so = {.dir = cfg->data_dir, .origin = cfg->organisation_name[0] ? cfg->organisation_name : NULL};
	if (vg_share_service_start(&so, &s->share, why, sizeof(why)) != 0) {
		fprintf(stderr, "vigil server: sharing: %s\n", why);
		return -1;
	}
	return 0;
}

static void reload(server *s)
{
	fprintf(stderr, "vigil server: SIGHUP: reloading rules\n");
	vg_engine *ne = load_rules(s->cfg);
	if (ne == NULL) {
		fprintf(stderr, "vigil server: reload failed; keeping the current rules\n");
		return;
	}
	vg_ingest_stats before, after;
	vg_ingest_stats_get(s->g, &before);
	int r = vg_ingest_set_engine(s->g, ne);
	if (r != 0) {
		fprintf(stderr, "vigil server: reload failed (%s); keeping the current rules\n", vg_err_str(r));
		vg_engine_free(ne);
		return;
	}
	vg_ingest_stats_get(s->g, &after);
	vg_engine_free(s->engine);
	s->engine = ne;
	fprintf(stderr, "vigil server: rules reloaded; state of %llu correlation rule(s) kept\n",
		(unsigned long long)(after.corr_kept - before.corr_kept));
}

static void log_failures(server *s, int64_t *at, uint64_t *seen_a, uint64_t *seen_s)
{
	int64_t now = mono_us();
	if (*at != 0 && now - *at < FAIL_LOG_US)
		return;
	vg_agent_listener_stats as;
	vg_syslog_listener_stats ss;
	vg_agent_listener_stats_get(s->agents, &as);
	vg_syslog_listener_stats_get(s->syslog, &ss);
	uint64_t fa = as.handshake_failures + as.protocol_errors, fs = ss.tls_handshake_failures;
	if (fa != *seen_a)
		fprintf(stderr, "vigil server: agents: %s (%llu refused since the last report)\n",
			vg_agent_listener_last_failure(s->agents), (unsigned long long)(fa - *seen_a));
	if (fs != *seen_s)
		fprintf(stderr, "vigil server: TLS input: %s (%llu failed handshakes since the last report)\n",
			vg_syslog_listener_tls_failure(s->syslog), (unsigned long long)(fs - *seen_s));
	if (fa != *seen_a || fs != *seen_s)
		*at = now;
	*seen_a = fa;
	*seen_s = fs;
}

static int loop(server *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e1 = {.events = EPOLLIN, .data.u32 = 1}, e2 = {.events = EPOLLIN, .data.u32 = 2};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, vg_syslog_listener_fd(s->syslog), &e1) != 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, vg_agent_listener_fd(s->agents), &e2) != 0) {
		fprintf(stderr, "vigil server: epoll: %s\n", strerror(errno));
		if (ep >= 0)
			close(ep);
		return 2;
	}
	const vg_server_config *cfg = s->cfg;
	int64_t retention_us = (int64_t)cfg->archive_retention_interval_ms * 1000;
	int64_t activity_us = (int64_t)cfg->coverage_activity_interval_ms * 1000;
	int64_t last_retain = mono_us(), last_metrics = 0, fail_at = 0, commit_said = 0, last_activity = mono_us();
	int64_t last_ops = 0;
	uint64_t seen_a = 0, seen_s = 0, rollbacks_said = 0, alerts_seen = 0, shared_seen = 0;
	int status = 0;
	while (!*stop) {
		struct epoll_event evs[2];
		int n = epoll_wait(ep, evs, 2, POLL_MS);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "vigil server: epoll: %s\n", strerror(errno));
			status = 2;
			break;
		}
		pthread_mutex_lock(&s->lock);
		int rc = 0;
		if (vg_syslog_listener_poll(s->syslog, 0) != 0 || vg_agent_listener_poll(s->agents, 0) != 0)
			rc = VG_EIO;
		if (vg_ingest_tick(s->g, mono_us()) != 0)
			commit_said += 0; /* a failure shows in the rollback count below */
		vg_ingest_stats is;
		vg_ingest_stats_get(s->g, &is);
		if (is.alerts + is.corr_alerts != alerts_seen && s->share != NULL) {
			/* new alerts are committed (or about to be): let sharing pick them up */
			vg_share_service_wake(s->share);
			alerts_seen = is.alerts + is.corr_alerts;
		}
		if (is.shared != shared_seen && s->share != NULL) {
			/* the ingest's commit put items in the outbox: send them now */
			vg_share_service_wake(s->share);
			shared_seen = is.shared;
		}
		if (is.rollbacks != rollbacks_said && mono_us() - commit_said > FAIL_LOG_US) {
			fprintf(stderr, "vigil server: storage failed: %s (%llu commit(s) rolled back; agents resend, "
					"syslog and API events of those commits are lost)\n",
				is.last_errno ? strerror(is.last_errno) : "out of memory",
				(unsigned long long)(is.rollbacks - rollbacks_said));
			rollbacks_said = is.rollbacks;
			commit_said = mono_us();
		}
		if (rc == 0 && vg_agent_listener_poll(s->agents, 0) != 0) /* ACKs for what was just committed */
			rc = VG_EIO;
		if (*hup) {
			*hup = 0;
			reload(s);
		}
		int64_t now = mono_us();
		if (retention_us > 0 && now - last_retain >= retention_us) {
			int64_t freed = vg_ingest_retain(s->g, wall_us());
			if (freed > 0)
				fprintf(stderr, "vigil server: retention: %lld bytes of old archive segments deleted\n",
					(long long)freed);
			last_retain = now;
		}
		if (now - last_metrics >= METRICS_US) {
			update_metrics(s);
			last_metrics = now;
		}
		int record_activity = now - last_activity >= activity_us;
		if (record_activity) {
			(void)vg_ingest_activity_drain(s->g, vg_activity_batch_add, s->acts);
			last_activity = now;
		}
		pthread_mutex_unlock(&s->lock);
		if (record_activity) { /* never both locks at once */
			vg_api_lock(s->api);
			if (vg_systems_record_batch(s->systems, s->acts, wall_us()) != 0 ||
			    vg_systems_tick(s->systems, wall_us()) != 0)
				fprintf(stderr, "vigil server: coverage: %s\n", vg_systems_errmsg(s->systems));
			vg_api_unlock(s->api);
		}
		if (now - last_ops >= OPS_US) { /* alerts -> incidents */
			vg_api_lock(s->api);
			/* in a vg_db transaction: the sharing hook writes the outbox in it */
			int ir = vg_db_begin(s->api_db);
			if (ir == 0 && (ir = vg_incidents_tick(s->incidents, wall_us())) == 0)
				ir = vg_db_commit(s->api_db);
			if (ir != 0) {
				(void)vg_db_rollback(s->api_db);
				fprintf(stderr, "vigil server: incidents: %s\n", vg_incidents_errmsg(s->incidents));
			}
			uint64_t sq = 0; /* public IP snapshot, coverage item */
			if (vg_share_producers_tick(s->share_prod, wall_us(), &sq) == 0 && sq > 0 && s->share != NULL)
				vg_share_service_wake(s->share);
			int nr = vg_notify_tick(s->notify, wall_us()); /* new high/critical alerts -> on duty */
			if (nr != 0)
				fprintf(stderr, "vigil server: notifications: %s (%s)\n", vg_err_str(nr),
					vg_db_errmsg(s->api_db));
			vg_api_unlock(s->api);
			last_ops = now;
		}
		if (rc != 0) {
			fprintf(stderr, "vigil server: epoll: %s\n", strerror(errno));
			status = 2;
			break;
		}
		log_failures(s, &fail_at, &seen_a, &seen_s);
	}
	close(ep);
	return status;
}

int vg_server_run(const vg_server_config *cfg, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	server s = {.cfg = cfg};
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.snap_lock, NULL);
	int status = 2;
	if (setup(&s) == 0) {
		fprintf(stderr,
			"vigil server: listening for syslog on %s (udp, tcp)%s%s%s, agents on %s, API on https://%s; "
			"data in %s\n",
			cfg->listen_syslog, cfg->listen_syslog_tls[0] ? ", syslog over TLS on " : "",
			cfg->listen_syslog_tls,
			!cfg->listen_syslog_tls[0] ? ""
			: cfg->syslog_tls_require_client_cert ? " (client certificate required)"
							      : " (client certificate optional)",
			cfg->listen_agents, cfg->listen_api, cfg->data_dir);
		status = loop(&s, stop, hup);
		pthread_mutex_lock(&s.lock);
		vg_syslog_listener_stats ls;
		vg_agent_listener_stats as;
		vg_syslog_listener_stats_get(s.syslog, &ls);
		vg_agent_listener_stats_get(s.agents, &as);
		vg_syslog_listener_free(s.syslog); /* delivers the open connections' last lines */
		s.syslog = NULL;
		vg_ingest_stats is;
		vg_ingest_stats_get(s.g, &is);
		pthread_mutex_unlock(&s.lock);
		fprintf(stderr,
			"vigil server: stopping: %llu events (%llu unparsed, %llu duplicates skipped), %llu alerts, "
			"%llu correlation alerts (%llu not stored in the database); "
			"udp %llu datagrams, tcp %llu connections (%llu refused, %llu framing errors); "
			"tls %llu connections (%llu handshakes failed, %llu of them timed out; %llu TLS errors); "
			"agents %llu connections (%llu refused or failed), %llu batches, %llu records, %llu enrolled\n",
			(unsigned long long)is.messages, (unsigned long long)is.unparsed,
			(unsigned long long)is.duplicates, (unsigned long long)is.alerts,
			(unsigned long long)is.corr_alerts, (unsigned long long)is.db_errors,
			(unsigned long long)ls.udp_datagrams, (unsigned long long)ls.tcp_accepted,
			(unsigned long long)ls.tcp_refused, (unsigned long long)ls.tcp_frame_errors,
			(unsigned long long)ls.tls_accepted, (unsigned long long)ls.tls_handshake_failures,
			(unsigned long long)ls.tls_handshake_timeouts, (unsigned long long)ls.tls_errors,
			(unsigned long long)as.accepted,
			(unsigned long long)(as.refused + as.handshake_failures + as.protocol_errors + as.enroll_failures),
			(unsigned long long)as.batches, (unsigned long long)as.records, (unsigned long long)as.enrolled);
	}
	/* the HTTP threads first: they use the ingest and the auth database */
	vg_http_free(s.http);
	vg_share_service_stop(s.share);
	vg_notify_close(s.notify); /* its sender thread takes the API lock */
	vg_api_events_free(s.api_events);
	pthread_mutex_lock(&s.lock);
	vg_syslog_listener_free(s.syslog); /* delivers the open connections' last lines */
	vg_agent_listener_free(s.agents);
	if (s.g != NULL) {
		int rc = vg_ingest_free(s.g);
		if (rc != 0) {
			fprintf(stderr, "vigil server: final commit failed: %s\n", vg_err_str(rc));
			status = 2;
		}
	}
	vg_outbox_close(s.ingest_ob); /* after the ingest's last commit */
	vg_share_keys_free(s.ingest_keys);
	pthread_mutex_unlock(&s.lock);
	vg_tls_ctx_free(s.syslog_tls);
	vg_tls_ctx_free(s.agent_tls);
	vg_pki_ca_free(s.ca);
	vg_reports_close(s.reports);
	vg_share_api_free(s.share_api);
	vg_share_producers_close(s.share_prod);
	vg_incidents_close(s.incidents);
	vg_roster_close(s.roster);
	vg_assess_close(s.assess);
	vg_coverage_close(s.coverage);
	vg_systems_close(s.systems);
	vg_activity_batch_free(s.acts);
	vg_api_free(s.api);
	vg_auth_close(s.auth);
	vg_db_close(s.api_db);
	vg_db_close(s.db);
	vg_engine_free(s.engine);
	vg_metrics_free(s.metrics);
	pthread_mutex_destroy(&s.lock);
	pthread_mutex_destroy(&s.snap_lock);
	return status;
}
