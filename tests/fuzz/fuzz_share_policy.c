/* fuzz_share_policy.c — libFuzzer target for the sharing policy parser
 * (share/policy.h), which reads documents from the API and the CLI. Oracles:
 * only the documented error codes, with a message; an accepted policy's
 * canonical form parses again to the same canonical form; matching and
 * applying it (redaction, pseudonymisation, internal-IP scrubbing) to a
 * fixed alert and event never fails but for memory. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "share/policy.h"
#include "share/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alert_doc[] =
	"{\"@timestamp\":\"2026-11-21T10:00:00Z\",\"host\":{\"name\":\"web-1\"},"
	"\"source\":{\"ip\":\"10.1.2.3\"},\"user\":{\"name\":\"alice\"},"
	"\"event\":{\"original\":\"Failed password for alice from 10.1.2.3 port 22\",\"dataset\":\"sshd\"},"
	"\"rule\":{\"level\":\"high\",\"tags\":[\"attack.credential_access\"]},"
	"\"vigil\":{\"system\":\"portal\",\"unit\":\"bo-tt/cuc\"}}";

static const vg_share_keys *keys(void)
{
	static vg_share_keys *k;
	if (k == NULL) {
		char dir[] = "/tmp/vigil-fuzz-policy-XXXXXX", why[256];
		if (mkdtemp(dir) == NULL || vg_share_keys_load(dir, 1, &k, why, sizeof(why)) != 0)
			__builtin_trap();
		/* the keys are in memory now: leave nothing behind in /tmp */
		static const char *const files[] = {"lock", "pseudonym.key", "signing.key", ""};
		char path[sizeof(dir) + 32];
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/" VG_SHARE_DIR "/%s", dir, files[i]);
			(void)remove(path);
		}
		(void)remove(dir);
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_share_policy *p = NULL, *q = NULL;
	char why[512] = "";
	int r = vg_share_policy_parse((const char *)data, size, &p, why, sizeof(why));
	if (r != 0) {
		if ((r != VG_EINVAL && r != VG_EPARSE && r != VG_ELIMIT && r != VG_ENOMEM) || p != NULL ||
		    (r != VG_ENOMEM && why[0] == '\0'))
			__builtin_trap();
		return 0;
	}
	/* the canonical form is a fixed point */
	json_t *c1 = vg_share_policy_json(p);
	char *t1 = c1 != NULL ? json_dumps(c1, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (t1 != NULL) {
		if (vg_share_policy_parse(t1, strlen(t1), &q, why, sizeof(why)) != 0)
			__builtin_trap();
		json_t *c2 = vg_share_policy_json(q);
		if (c2 != NULL && !json_equal(c1, c2))
			__builtin_trap();
		json_decref(c2);
	}
	/* matching and applying */
	json_t *doc = json_loads(alert_doc, 0, NULL);
	if (doc != NULL) {
		vg_share_subject s;
		vg_share_alert_subject(doc, NULL, &s);
		unsigned streams[] = {VG_SHARE_ALERTS, VG_SHARE_INCIDENTS, VG_SHARE_EVENTS, VG_SHARE_HEARTBEATS,
				      VG_SHARE_PUBLIC_IPS};
		for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
			(void)vg_share_policy_match(p, streams[i], &s);
		int ar = vg_share_policy_apply(p, keys(), doc);
		if (ar != 0 && ar != VG_ENOMEM)
			__builtin_trap();
		json_decref(doc);
	}
	free(t1);
	json_decref(c1);
	vg_share_policy_free(q);
	vg_share_policy_free(p);
	return 0;
}
