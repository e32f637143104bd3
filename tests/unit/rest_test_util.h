/* rest_test_util.h — what the unit tests that serve vg_api routes over real
 * TLS on loopback share, fixture-free (rest_fx_test_util.h binds it to a
 * test's fixture): one HTTPS request with a bearer token and an optional
 * JSON body, its answer kept whole (status, headers, body, the body parsed),
 * the message of an error answer, and how many audit entries carry an action.
 * Include after <cmocka.h>. Header-only (static) so each test stays one
 * executable. */
#ifndef VG_REST_TEST_UTIL_H
#define VG_REST_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "server/api.h"
#include "server/audit.h"
#include "server/auth.h"

typedef struct reply {
	long status;
	vg_buf body, hdrs; /* both NUL-terminated */
	json_t *json;      /* the body parsed, NULL if it is not JSON */
} reply;

static size_t on_bytes(char *p, size_t sz, size_t n, void *ud)
{
	return vg_buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* METHOD url with bearer token tok and an optional JSON body, trusting the
 * CA file ca; fails the test if the transfer fails. Returns the status; free
 * *out with reply_free. */
static __attribute__((unused)) long rest_call(const char *url, const char *ca, const char *tok, const char *method,
					      const char *body, reply *out)
{
	char auth[VG_AUTH_TOKEN_BUF + 32];
	memset(out, 0, sizeof(*out));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = curl_slist_append(NULL, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
	assert_int_equal(vg_buf_append(&out->body, "", 1), 0);
	assert_int_equal(vg_buf_append(&out->hdrs, "", 1), 0);
	out->json = json_loads(out->body.data, 0, NULL);
	return out->status;
}

static __attribute__((unused)) void reply_free(reply *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->hdrs);
	json_decref(r->json);
}

/* error.message of an error answer, "" if there is none */
static __attribute__((unused)) const char *err_msg(const json_t *answer)
{
	const char *m = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
	return m != NULL ? m : "";
}

static int count_entry(void *ud, const vg_audit_entry *e)
{
	(void)e;
	(*(int *)ud)++;
	return 0;
}

/* audit entries in db with this action, read under the lock of api */
static __attribute__((unused)) int audit_entries(vg_api *api, vg_db *db, const char *action)
{
	int n = 0;
	vg_audit_filter f = {.action = action};
	vg_api_lock(api);
	assert_int_equal(vg_audit_list(db, &f, count_entry, &n), 0);
	vg_api_unlock(api);
	return n;
}

#endif
