/* api_share.c — the REST handlers of sharing: destinations, policies, the
 * public key, flush. Validation is the outbox's, sink.h's and policy.h's;
 * this file only maps their answers to HTTP. The contract is in
 * api_share.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "share/api_share.h"
#include "share/policy.h"
#include "share/sink.h"

struct vg_share_api {
	vg_share_api_opts o;
};

vg_share_api *vg_share_api_new(const vg_share_api_opts *o)
{
	if (o == NULL || o->ob == NULL || o->keys == NULL)
		return NULL;
	vg_share_api *sa = calloc(1, sizeof(*sa));
	if (sa != NULL)
		sa->o = *o;
	return sa;
}

void vg_share_api_free(vg_share_api *sa)
{
	free(sa);
}

/* ---- helpers ---- */

/* The destination's entry of vg_outbox_dests (new reference), NULL with
 * *r = VG_ENOTFOUND or an error. */
static json_t *dest_find(vg_share_api *sa, const char *name, int *r)
{
	json_t *l = NULL, *e, *found = NULL;
	size_t i;
	if ((*r = vg_outbox_dests(sa->o.ob, &l)) != 0)
		return NULL;
	json_array_foreach(l, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0) {
			found = json_incref(e);
			break;
		}
	}
	json_decref(l);
	*r = found != NULL ? 0 : VG_ENOTFOUND;
	return found;
}

/* Adds "status" (the destination's entry of vg_outbox_status) to d. */
static int with_status(vg_share_api *sa, vg_api_call *c, json_t *d)
{
	json_t *st = NULL, *e;
	size_t i;
	int r = vg_outbox_status(sa->o.ob, c->now_us, &st);
	if (r != 0)
		return r;
	const char *name = json_string_value(json_object_get(d, "name"));
	json_array_foreach(json_object_get(st, "destinations"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0) {
			json_object_del(e, "name");
			r = json_object_set(d, "status", e);
			break;
		}
	}
	json_decref(st);
	return r != 0 ? VG_ENOMEM : 0;
}

/* Answers 200/201 with the destination and its status. */
static void answer_dest(vg_share_api *sa, vg_api_call *c, const char *name, int status)
{
	int r;
	json_t *d = dest_find(sa, name, &r);
	if (d != NULL && (r = with_status(sa, c, d)) == 0) {
		vg_api_json(c, status, d);
		return;
	}
	json_decref(d);
	vg_api_fail(c, r, "destination '%s': %s", name, r == VG_ENOTFOUND ? "no such destination" : vg_err_str(r));
}

/* why without the validator's own prefix ("destination config: ",
 * "policy: "), so that the answer reads "config: \"url\" ...". */
static const char *bare(const char *why, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(why, prefix, n) == 0 ? why + n : why;
}

/* Validates v (the body's "config") as a sink
 * configuration, answering 400 "config: …" when it is not one; *canon gets
 * the canonical JSON text (caller frees). */
static int config_text(vg_api_call *c, json_t *v, char **canon)
{
	*canon = NULL;
	if (!json_is_object(v)) {
		vg_api_error(c, 400, "invalid", "config: %s", v == NULL ? "required" : "must be a JSON object");
		return VG_EINVAL;
	}
	char why[512] = "";
	char *text = json_dumps(v, JSON_COMPACT);
	vg_sink_conf *conf = malloc(sizeof(*conf));
	int r = text != NULL && conf != NULL ? vg_sink_conf_parse(text, strlen(text), conf, why, sizeof(why)) : VG_ENOMEM;
	json_t *cj = r == 0 ? vg_sink_conf_json(conf) : NULL;
	free(text);
	free(conf);
	if (r == 0 && (cj == NULL || (*canon = json_dumps(cj, JSON_COMPACT)) == NULL))
		r = VG_ENOMEM;
	json_decref(cj);
	if (r != 0)
		vg_api_fail(c, r, "config: %s", why[0] ? bare(why, "destination config: ") : vg_err_str(r));
	return r;
}

/* The same for a policy document (NULL v: none given, *text NULL). */
static int policy_text(vg_api_call *c, json_t *v, char **out)
{
	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_object(v)) {
		vg_api_error(c, 400, "invalid", "policy: must be a JSON object");
		return VG_EINVAL;
	}
	char why[512] = "";
	char *text = json_dumps(v, JSON_COMPACT);
	vg_share_policy *p = NULL;
	int r = text != NULL ? vg_share_policy_parse(text, strlen(text), &p, why, sizeof(why)) : VG_ENOMEM;
	free(text);
	if (r != 0) {
		vg_api_fail(c, r, "policy: %s", why[0] ? bare(why, "policy: ") : vg_err_str(r));
		return r;
	}
	json_t *pj = vg_share_policy_json(p);
	vg_share_policy_free(p);
	*out = pj != NULL ? json_dumps(pj, JSON_COMPACT) : NULL;
	json_decref(pj);
	if (*out == NULL) {
		vg_api_error(c, 500, "internal", "out of memory");
		return VG_ENOMEM;
	}
	return 0;
}

/* Replaces a destination's configuration (text already canonical). The
 * sender rereads configurations at each pass and reopens a changed sink.
 * (outbox.h has no call for it; the lead may move it there.) */
static int config_set(vg_api_call *c, const char *name, const char *text)
{
	sqlite3 *h = vg_db_sqlite(c->db);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "UPDATE share_dest SET config = ?2 WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return VG_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_NOMEM ? VG_ENOMEM : VG_EIO;
	return sqlite3_changes(h) == 1 ? 0 : VG_ENOTFOUND;
}

/* Audit details {"name", "config"?, "policy"?} from canonical texts. */
static json_t *details(const char *name, const char *config, const char *policy)
{
	json_t *d = json_pack("{s:s}", "name", name);
	if (d != NULL && config != NULL)
		json_object_set_new(d, "config", json_loads(config, 0, NULL));
	if (d != NULL && policy != NULL)
		json_object_set_new(d, "policy", json_loads(policy, 0, NULL));
	return d;
}

/* Audits and commits the open change, or rolls back and answers. */
static int finish(vg_api_call *c, int r, const char *why, const char *action, const char *name, json_t *det)
{
	if (r == 0 && (r = vg_api_audit(c, action, "sharing_destination", name, det)) == 0 && (r = vg_api_commit(c)) != 0)
		why = vg_db_errmsg(c->db);
	json_decref(det);
	if (r != 0) {
		vg_api_rollback(c);
		vg_api_fail(c, r, "destination '%s': %s", name,
			    why != NULL && why[0] ? why : r == VG_ENOTFOUND ? "no such destination" : vg_err_str(r));
	}
	return r;
}

static int begin(vg_api_call *c)
{
	if (vg_api_begin(c) == 0)
		return 0;
	vg_api_error(c, 503, "unavailable", "cannot start a transaction: %s", vg_db_errmsg(c->db));
	return VG_EIO;
}

/* ---- handlers ---- */

static void h_list(void *ud, vg_api_call *c)
{
	vg_share_api *sa = ud;
	json_t *l = NULL, *e;
	size_t i;
	int r = vg_outbox_dests(sa->o.ob, &l);
	json_array_foreach(l, i, e) {
		if (r == 0)
			r = with_status(sa, c, e);
	}
	if (r != 0) {
		json_decref(l);
		vg_api_fail(c, r, "sharing destinations: %s", vg_outbox_errmsg(sa->o.ob));
		return;
	}
	vg_api_json(c, 200, json_pack("{s:o}", "destinations", l));
}

static void h_create(void *ud, vg_api_call *c)
{
	vg_share_api *sa = ud;
	static const char *const known[] = {"name", "config", "policy", NULL};
	const char *name;
	char *cfg = NULL, *pol = NULL, why[512] = "";
	if (vg_api_only(c, known) != 0 || vg_api_str(c, "name", 1, VG_OUTBOX_NAME_MAX, &name) != 0)
		return;
	if (!vg_outbox_name_valid(name)) {
		vg_api_error(c, 400, "invalid", "name: 1..%d of [a-z0-9_-]", VG_OUTBOX_NAME_MAX);
		return;
	}
	if (config_text(c, json_object_get(c->body, "config"), &cfg) != 0 ||
	    policy_text(c, json_object_get(c->body, "policy"), &pol) != 0)
		goto out;
	int r;
	json_t *old = dest_find(sa, name, &r);
	json_decref(old);
	if (r != VG_ENOTFOUND) {
		if (r == 0)
			vg_api_error(c, 409, "conflict", "name: destination '%s' exists", name);
		else
			vg_api_fail(c, r, "sharing destinations: %s", vg_outbox_errmsg(sa->o.ob));
		goto out;
	}
	if (begin(c) != 0)
		goto out;
	r = vg_outbox_dest_add(sa->o.ob, name, cfg, pol, why, sizeof(why));
	/* the stored policy is the canonical one, the default when none was given */
	json_t *d = r == 0 ? dest_find(sa, name, &r) : NULL;
	char *cpol = d != NULL ? json_dumps(json_object_get(d, "policy"), JSON_COMPACT) : NULL;
	json_decref(d);
	if (finish(c, r, why, "sharing.destination.create", name, details(name, cfg, cpol)) == 0)
		answer_dest(sa, c, name, 201);
	free(cpol);
out:
	free(cfg);
	free(pol);
}

static void h_get(vg_share_api *sa, vg_api_call *c, const char *name, int policy)
{
	if (!policy) {
		answer_dest(sa, c, name, 200);
		return;
	}
	int r;
	json_t *d = dest_find(sa, name, &r);
	if (d == NULL) {
		vg_api_fail(c, r, "destination '%s': %s", name, r == VG_ENOTFOUND ? "no such destination" : vg_err_str(r));
		return;
	}
	vg_api_json(c, 200, json_incref(json_object_get(d, "policy")));
	json_decref(d);
}

static void h_put(vg_share_api *sa, vg_api_call *c, const char *name)
{
	static const char *const known[] = {"config", "policy", NULL};
	char *cfg = NULL, *pol = NULL, why[512] = "";
	if (vg_api_only(c, known) != 0 || config_text(c, json_object_get(c->body, "config"), &cfg) != 0 ||
	    policy_text(c, json_object_get(c->body, "policy"), &pol) != 0 || begin(c) != 0)
		goto out;
	int r = config_set(c, name, cfg);
	if (r == 0 && pol != NULL)
		r = vg_outbox_policy_set(sa->o.ob, name, pol, why, sizeof(why));
	if (finish(c, r, r == VG_EIO ? vg_db_errmsg(c->db) : why, "sharing.destination.update", name,
		   details(name, cfg, pol)) == 0)
		answer_dest(sa, c, name, 200);
out:
	free(cfg);
	free(pol);
}

static void h_put_policy(vg_share_api *sa, vg_api_call *c, const char *name)
{
	char *pol = NULL, why[512] = "";
	if (policy_text(c, c->body, &pol) != 0 || begin(c) != 0)
		goto out;
	int r = vg_outbox_policy_set(sa->o.ob, name, pol, why, sizeof(why));
	if (finish(c, r, why, "sharing.policy.set", name, details(name, NULL, pol)) == 0)
		vg_api_json(c, 200, json_loads(pol, 0, NULL));
out:
	free(pol);
}

static void h_delete(vg_share_api *sa, vg_api_call *c, const char *name)
{
	int r;
	json_t *d = dest_find(sa, name, &r);
	if (d == NULL || (r = with_status(sa, c, d)) != 0) {
		json_decref(d);
		vg_api_fail(c, r, "destination '%s': %s", name, r == VG_ENOTFOUND ? "no such destination" : vg_err_str(r));
		return;
	}
	/* what is discarded with it is in the audit log */
	json_int_t backlog = json_integer_value(json_object_get(json_object_get(d, "status"), "backlog"));
	json_decref(d);
	if (begin(c) != 0)
		return;
	r = vg_outbox_dest_remove(sa->o.ob, name);
	json_t *det = json_pack("{s:s,s:I}", "name", name, "discarded", backlog);
	if (finish(c, r, r == VG_EIO ? vg_db_errmsg(c->db) : NULL, "sharing.destination.delete", name, det) == 0)
		vg_api_json(c, 200, json_pack("{s:s,s:I}", "deleted", name, "discarded", backlog));
}

static void h_flush(vg_share_api *sa, vg_api_call *c, const char *name)
{
	int r;
	json_t *d = dest_find(sa, name, &r);
	if (d == NULL) {
		vg_api_fail(c, r, "destination '%s': %s", name, r == VG_ENOTFOUND ? "no such destination" : vg_err_str(r));
		return;
	}
	json_decref(d);
	if (sa->o.flush == NULL) {
		vg_api_error(c, 503, "unavailable", "the sharing service is not running");
		return;
	}
	if (begin(c) != 0)
		return;
	if (finish(c, 0, NULL, "sharing.flush", name, json_pack("{s:s}", "name", name)) != 0)
		return;
	sa->o.flush(sa->o.ud);
	d = dest_find(sa, name, &r);
	if (d != NULL && (r = with_status(sa, c, d)) == 0) {
		vg_api_json(c, 202, json_pack("{s:s,s:b,s:O}", "destination", name, "requested", 1, "status",
					      json_object_get(d, "status")));
		json_decref(d);
		return;
	}
	json_decref(d);
	vg_api_fail(c, r, "destination '%s': %s", name, vg_err_str(r));
}

/* /sharing/destinations/{name}[/policy|/flush] */
static int split(vg_api_call *c, char name[VG_OUTBOX_NAME_MAX + 1], const char **word)
{
	const char *slash = strchr(c->rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - c->rest) : strlen(c->rest);
	*word = slash != NULL ? slash + 1 : "";
	if (n == 0 || n > VG_OUTBOX_NAME_MAX)
		goto bad;
	memcpy(name, c->rest, n);
	name[n] = '\0';
	if (vg_outbox_name_valid(name))
		return 0;
bad:
	vg_api_error(c, 404, "not_found", "no such destination");
	return VG_ENOTFOUND;
}

static void h_one_get(void *ud, vg_api_call *c)
{
	char name[VG_OUTBOX_NAME_MAX + 1];
	const char *w;
	if (split(c, name, &w) != 0)
		return;
	if (w[0] == '\0' || strcmp(w, "policy") == 0)
		h_get(ud, c, name, w[0] != '\0');
	else
		vg_api_error(c, 404, "not_found", "no such resource");
}

static void h_one_put(void *ud, vg_api_call *c)
{
	char name[VG_OUTBOX_NAME_MAX + 1];
	const char *w;
	if (split(c, name, &w) != 0)
		return;
	if (w[0] == '\0')
		h_put(ud, c, name);
	else if (strcmp(w, "policy") == 0)
		h_put_policy(ud, c, name);
	else
		vg_api_error(c, 404, "not_found", "no such resource");
}

static void h_one_delete(void *ud, vg_api_call *c)
{
	char name[VG_OUTBOX_NAME_MAX + 1];
	const char *w;
	if (split(c, name, &w) != 0)
		return;
	if (w[0] == '\0')
		h_delete(ud, c, name);
	else
		vg_api_error(c, 404, "not_found", "no such resource");
}

static void h_one_post(void *ud, vg_api_call *c)
{
	char name[VG_OUTBOX_NAME_MAX + 1];
	const char *w;
	if (split(c, name, &w) != 0)
		return;
	if (strcmp(w, "flush") == 0)
		h_flush(ud, c, name);
	else
		vg_api_error(c, 404, "not_found", "no such resource");
}

static void h_pubkey(void *ud, vg_api_call *c)
{
	vg_share_api *sa = ud;
	const char *fmt = vg_api_query(c, "format");
	if (fmt != NULL && strcmp(fmt, "pem") != 0 && strcmp(fmt, "json") != 0) {
		vg_api_error(c, 400, "invalid", "format: pem or json");
		return;
	}
	char *pem = NULL;
	size_t len = 0;
	int r = vg_share_pubkey_pem(sa->o.keys, &pem, &len);
	if (r != 0) {
		vg_api_fail(c, r, "public key: %s", vg_err_str(r));
		return;
	}
	if (fmt != NULL && strcmp(fmt, "pem") == 0) {
		c->rs->content_type = "application/x-pem-file";
		if (vg_buf_append(&c->rs->body, pem, len) != 0)
			vg_api_error(c, 500, "internal", "out of memory");
	} else {
		vg_api_json(c, 200, json_pack("{s:s,s:s,s:s%}", "algorithm", "ed25519", "key_id",
					      vg_share_key_id(sa->o.keys), "pem", pem, len));
	}
	free(pem);
}

int vg_share_api_register(vg_share_api *sa, vg_api *api)
{
	static const char base[] = "/sharing/destinations";
	int r;
	if ((r = vg_api_route(api, "GET", base, 0, VG_API_READ, h_list, sa)) != 0 ||
	    (r = vg_api_route(api, "POST", base, 0, VG_API_ADMIN | VG_API_JSON_BODY, h_create, sa)) != 0 ||
	    (r = vg_api_route(api, "GET", "/sharing/destinations/", 1, VG_API_READ, h_one_get, sa)) != 0 ||
	    (r = vg_api_route(api, "PUT", "/sharing/destinations/", 1, VG_API_ADMIN | VG_API_JSON_BODY, h_one_put, sa)) !=
		    0 ||
	    (r = vg_api_route(api, "DELETE", "/sharing/destinations/", 1, VG_API_ADMIN, h_one_delete, sa)) != 0 ||
	    (r = vg_api_route(api, "POST", "/sharing/destinations/", 1, VG_API_ADMIN, h_one_post, sa)) != 0 ||
	    (r = vg_api_route(api, "GET", "/sharing/pubkey", 0, VG_API_READ, h_pubkey, sa)) != 0)
		return r;
	return 0;
}
