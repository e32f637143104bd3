/* sink_taxii.c — the TAXII 2.1 sink: outbox items become STIX 2.1 objects
 * (share/stix.h) added to a collection by the TAXII client (share/taxii.h),
 * which polls each envelope's status to completion, splits on 413 and
 * retries 429/5xx. Items the STIX mapping does not carry (heartbeats, raw
 * events) count as delivered: the receiver is told "alive" by the TAXII
 * exchange itself, and docs/stix.md says which streams go over TAXII. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "share/sink.h"
#include "share/stix.h"
#include "share/taxii.h"

typedef struct taxii_sink {
	vg_sink base;
	const vg_sink_conf *c;
	vg_taxii *t;
	char *token;
	vg_stix_ctx ctx;
} taxii_sink;

static void t_close(vg_sink *base)
{
	taxii_sink *s = (taxii_sink *)base;
	if (s == NULL)
		return;
	vg_taxii_free(s->t);
	if (s->token != NULL) {
		OPENSSL_cleanse(s->token, strlen(s->token));
		free(s->token);
	}
	free(s);
}

static int t_open(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res)
{
	taxii_sink *s = calloc(1, sizeof(*s));
	int err = 0;
	if (s == NULL)
		return VG_ENOMEM;
	s->base.ops = &vg_sink_taxii_ops;
	s->c = c;
	s->ctx.org = c->organisation[0] ? c->organisation : "vigil";
	s->ctx.origin = c->hostname[0] ? c->hostname : NULL;
	if (c->token_file[0] && (err = vg_sink_read_token(c->token_file, &s->token, res)) != 0) {
		res->retryable = 0;
		t_close(&s->base);
		return err;
	}
	vg_taxii_opts o = {
		.url = c->url,
		.api_root = c->api_root[0] ? c->api_root : NULL,
		.collection = c->collection[0] ? c->collection : NULL,
		.ca = c->ca,
		.cert = c->cert[0] ? c->cert : NULL,
		.key = c->key[0] ? c->key : NULL,
		.bearer = s->token,
		.keys = k,
		.timeout_ms = c->timeout_ms,
	};
	if ((s->t = vg_taxii_new(&o, &err, res->why, sizeof(res->why))) == NULL) {
		res->retryable = 0;
		t_close(&s->base);
		return err != 0 ? err : VG_EINVAL;
	}
	*out = &s->base;
	return 0;
}

static int t_send(vg_sink *base, const vg_outbox_item *items, size_t n, vg_sink_result *res)
{
	taxii_sink *s = (taxii_sink *)base;
	json_t *objects = json_array();
	if (objects == NULL)
		return VG_ENOMEM;
	char why[256] = "";
	for (size_t i = 0; i < n; i++) {
		int r = vg_stix_outbox_item(&s->ctx, items[i].payload, items[i].len, objects, why, sizeof(why));
		if (r == VG_EUNSUPPORTED)
			continue; /* not carried over TAXII (heartbeat, raw event) */
		if (r != 0) {
			/* a payload the mapping refuses cannot go out: an operator's matter */
			snprintf(res->why, sizeof(res->why), "item %s: %s", items[i].item_id, why[0] ? why : vg_err_str(r));
			res->done = i;
			res->retryable = 0;
			json_decref(objects);
			return r;
		}
	}
	int rc = 0;
	if (json_array_size(objects) > 0) {
		vg_taxii_result tr;
		rc = vg_taxii_add(s->t, objects, &tr);
		if (rc != 0) {
			res->done = 0; /* the receiver de-duplicates by id: resend all */
			res->retryable = tr.retryable;
			snprintf(res->why, sizeof(res->why), "%s", tr.why);
		}
	}
	json_decref(objects);
	if (rc == 0)
		res->done = n;
	return rc;
}

const vg_sink_ops vg_sink_taxii_ops = {
	.name = "taxii",
	.open = t_open,
	.send = t_send,
	.close = t_close,
};
