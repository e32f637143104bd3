/* event.c — the normalised event (see event.h). */
#include "core/event.h"

#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/limits.h"

vg_event *vg_event_new(void)
{
	vg_event *ev = calloc(1, sizeof(*ev) + VG_MAX_FIELDS * sizeof(vg_field));
	if (ev == NULL)
		return NULL;
	if ((ev->arena = vg_arena_new(VG_EVENT_ARENA)) == NULL) {
		free(ev);
		return NULL;
	}
	ev->ts_us = VG_TS_NONE;
	return ev;
}

void vg_event_free(vg_event *ev)
{
	if (ev == NULL)
		return;
	vg_arena_free(ev->arena);
	free(ev);
}

int vg_event_add_copy(vg_event *ev, const char *name, size_t name_len, const char *val, size_t val_len, enum vg_vtype type)
{
	char *v = vg_arena_strndup(ev->arena, val, val_len);
	if (v == NULL) {
		ev->dropped++;
		return VG_ELIMIT;
	}
	return vg_event_add(ev, name, name_len, v, val_len, type);
}

const vg_field *vg_event_get(const vg_event *ev, const char *name)
{
	size_t n = strlen(name), pos = 0;
	return vg_event_next(ev, name, n, vg_field_hash(name, n), &pos);
}

const char *vg_layer_name(uint8_t layer)
{
	switch (layer) {
	case VG_LAYER_NETWORK: return "network";
	case VG_LAYER_HOST: return "host";
	case VG_LAYER_APPLICATION: return "application";
	case VG_LAYER_ENDPOINT: return "endpoint";
	default: return "unknown";
	}
}
