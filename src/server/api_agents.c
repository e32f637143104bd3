/* api_agents.c — agent tokens and revocation over the API (see api_agents.h). */
#include "server/api_agents.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "net/enroll.h"

typedef struct agents_api {
	vg_pki_ca *ca;
	const char *dir;
} agents_api;

static agents_api the; /* one server per process */

static void post_token(void *ud, vg_api_call *c)
{
	agents_api *a = ud;
	static const char *const allowed[] = {"ttl", NULL};
	int64_t ttl = VG_ENROLL_TTL;
	if (c->body != NULL && (vg_api_only(c, allowed) != 0 || vg_api_int(c, "ttl", 0, 60, 30L * 86400, &ttl) != 0))
		return;
	char tok[VG_ENROLL_TOKEN_BUF];
	int r = vg_enroll_token_new(a->dir, (long)ttl, time(NULL), tok);
	if (r != 0) {
		vg_api_fail(c, r, "cannot create an enrolment token");
		return;
	}
	json_t *details = json_pack("{s:I}", "ttl", (json_int_t)ttl);
	char id[VG_ENROLL_ID_LEN + 1];
	memcpy(id, tok, VG_ENROLL_ID_LEN);
	id[VG_ENROLL_ID_LEN] = '\0';
	if (vg_api_begin(c) != 0 || vg_api_audit(c, "agent.token", "agent_token", id, details) != 0 ||
	    vg_api_commit(c) != 0) {
		json_decref(details);
		OPENSSL_cleanse(tok, sizeof(tok));
		vg_api_fail(c, VG_EIO, "cannot record the audit entry");
		return;
	}
	json_decref(details);
	vg_api_json(c, 201, json_pack("{s:s,s:s,s:I}", "token", tok, "id", id, "expires_in", (json_int_t)ttl));
	OPENSSL_cleanse(tok, sizeof(tok));
}

static void post_revoke(void *ud, vg_api_call *c)
{
	agents_api *a = ud;
	/* rest: "{id}/revoke" */
	const char *slash = strchr(c->rest, '/');
	if (slash == NULL || strcmp(slash, "/revoke") != 0) {
		vg_api_error(c, 404, "not_found", "no such resource");
		return;
	}
	size_t n = (size_t)(slash - c->rest);
	char id[VG_PKI_MAX_ID + 1];
	if (n == 0 || n > VG_PKI_MAX_ID || !vg_pki_id_valid(c->rest, n)) {
		vg_api_error(c, 400, "invalid", "'%.*s' is not an agent id", (int)(n > 64 ? 64 : n), c->rest);
		return;
	}
	memcpy(id, c->rest, n);
	id[n] = '\0';
	size_t count = 0;
	int r = vg_pki_revoke_agent(a->ca, id, &count);
	if (r == VG_ENOTFOUND) {
		vg_api_error(c, 404, "not_found", "no certificate was issued to agent '%s'", id);
		return;
	}
	if (r != 0) {
		vg_api_fail(c, r, "cannot revoke agent '%s'", id);
		return;
	}
	json_t *details = json_pack("{s:I}", "certificates", (json_int_t)count);
	if (vg_api_begin(c) != 0 || vg_api_audit(c, "agent.revoke", "agent", id, details) != 0 ||
	    vg_api_commit(c) != 0) {
		json_decref(details);
		vg_api_fail(c, VG_EIO, "revoked, but the audit entry could not be recorded");
		return;
	}
	json_decref(details);
	vg_api_json(c, 200, json_pack("{s:s,s:I}", "agent", id, "revoked", (json_int_t)count));
}

int vg_api_agents_register(vg_api *api, vg_pki_ca *ca, const char *dir)
{
	the.ca = ca;
	the.dir = dir;
	int r = vg_api_route(api, "POST", "/agents/tokens", 0, VG_API_ADMIN | VG_API_JSON_BODY, post_token, &the);
	if (r == 0)
		r = vg_api_route(api, "POST", "/agents/", 1, VG_API_ADMIN, post_revoke, &the);
	return r;
}
