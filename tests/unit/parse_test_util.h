/* parse_test_util.h — what the parser unit tests share: one event reused
 * across tests (cmocka group setup/teardown) and exact field assertions that
 * name the field and both values on failure. Include after <cmocka.h>. */
#ifndef VG_PARSE_TEST_UTIL_H
#define VG_PARSE_TEST_UTIL_H

#include <string.h>

#include "core/event.h"

static vg_event *ev;

static int setup(void **state)
{
	(void)state;
	ev = vg_event_new();
	return ev == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_event_free(ev);
	return 0;
}

/* The first value of name is exactly val, with type type. */
static void check(const char *name, const char *val, uint8_t type)
{
	const vg_field *f = vg_event_get(ev, name);
	if (f == NULL)
		fail_msg("field %s missing (want \"%s\")", name, val);
	if (f->val_len != strlen(val) || memcmp(f->val, val, f->val_len) != 0)
		fail_msg("field %s = \"%.*s\", want \"%s\"", name, (int)f->val_len, f->val, val);
	assert_int_equal(f->type, type);
}

static void want(const char *name, const char *val)
{
	check(name, val, VG_V_STR);
}

static void want_num(const char *name, const char *val)
{
	check(name, val, VG_V_NUM);
}

static void absent(const char *name)
{
	const vg_field *f = vg_event_get(ev, name);
	if (f != NULL)
		fail_msg("field %s present (\"%.*s\"), want none", name, (int)f->val_len, f->val);
}

#endif
