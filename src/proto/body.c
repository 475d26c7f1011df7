/* body.c - the steps every adapter's JSON request body shares. */
#include "proto/body.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

void proto__body_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

void proto__body_int(json_t *o, const char *key, long long v)
{
	json_object_set_new(o, key, json_integer(v));
}

void proto__body_flag(json_t *o, const char *key, int on)
{
	if (on)
		json_object_set_new(o, key, json_true());
}

void proto__body_real(json_t *o, const char *key, double v)
{
	if (!isnan(v))
		json_object_set_new(o, key, json_real(v));
}

static int merge_extra(json_t *o, const char *extra_body)
{
	if (!extra_body || !*extra_body)
		return 0;
	json_error_t jerr;
	json_t *x = json_loads(extra_body, 0, &jerr);
	if (!x || !json_is_object(x)) {
		json_decref(x);
		return -EINVAL;
	}
	json_object_update(o, x);
	json_decref(x);
	return 0;
}

int proto__body_finish(json_t *o, const struct proto_params *p,
		       struct buf *out)
{
	char *s = NULL;
	int rc = merge_extra(o, p->extra_body);
	if (rc)
		goto out;
	s = json_dumps(o, JSON_COMPACT);
	if (!s || buf_puts(out, s))
		rc = -ENOMEM;
out:
	free(s);
	json_decref(o);
	return rc;
}

int proto__body_prompt(json_t *o, const char *text_key, const char *ids_key,
		       const struct proto_params *p)
{
	if (!p->prompt_ids) {
		proto__body_str(o, text_key, p->prompt);
		return 0;
	}
	if (!ids_key)
		return -EINVAL;
	json_t *a = json_array();
	for (size_t i = 0; i < p->n_prompt_ids; i++)
		json_array_append_new(a, json_integer(p->prompt_ids[i]));
	json_object_set_new(o, ids_key, a);
	return 0;
}
