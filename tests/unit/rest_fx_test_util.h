/* rest_fx_test_util.h — rest_test_util.h bound to a test's fixture `fx`:
 * a request on an /api/v1 path of the server under test, and its audit
 * entries with an action.
 *
 * Include after <cmocka.h> and after the fixture, whose fields these read:
 * url (https://127.0.0.1:port of the running server), ca (the CA file that
 * signed its certificate), api and db (the vg_api and the database it
 * serves). P is the test's path buffer size. */
#ifndef VG_REST_FX_TEST_UTIL_H
#define VG_REST_FX_TEST_UTIL_H

#include <stdio.h>

#include "rest_test_util.h"

/* METHOD /api/v1<path> as rest_call. */
static __attribute__((unused)) long request(const char *tok, const char *method, const char *path, const char *body,
					    reply *out)
{
	char url[P];
	snprintf(url, sizeof(url), "%s/api/v1%s", fx.url, path);
	return rest_call(url, fx.ca, tok, method, body, out);
}

static __attribute__((unused)) int audit_count(const char *action)
{
	return audit_entries(fx.api, fx.db, action);
}

#endif
