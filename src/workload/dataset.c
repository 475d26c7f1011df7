/* dataset.c - ShareGPT JSON parser. */
#include "workload/dataset.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void dataset_parser_init(struct dataset_parser *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name ? name : "<input>");
	buf_init(&p->in, DATASET_MAX_BYTES);
}

void dataset_parser_free(struct dataset_parser *p)
{
	if (!p)
		return;
	buf_free(&p->in);
	free(p->name);
	free(p->err);
	p->name = p->err = NULL;
}

void dataset_free(struct dataset *d)
{
	if (!d)
		return;
	free(d->convs);
	buf_free(&d->text);
	memset(d, 0, sizeof(*d));
}

int dataset_parser_feed(struct dataset_parser *p, const char *buf, size_t n)
{
	if (p->err)
		return -EINVAL;
	if (buf_append(&p->in, buf, n)) {
		p->err = xasprintf("%s: larger than %zu bytes", p->name,
				   DATASET_MAX_BYTES);
		return -E2BIG;
	}
	return 0;
}

static int keep(struct dataset *d, json_t *s, size_t *off, size_t *len)
{
	*off = d->text.len;
	*len = json_string_length(s);
	return buf_append(&d->text, json_string_value(s), *len + 1);
}

int dataset_parser_finish(struct dataset_parser *p, struct dataset *out)
{
	json_error_t je;
	json_t *root = NULL;
	struct dataset d;
	int rc = -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	buf_init(&d.text, DATASET_MAX_BYTES);
	if (p->err)
		goto out;
	root = json_loadb(p->in.data ? p->in.data : "", p->in.len, 0, &je);
	if (!root) {
		p->err = xasprintf("%s:%d:%d: %s", p->name,
				   je.line > 0 ? je.line : 1,
				   je.column > 0 ? je.column : 1, je.text);
		goto out;
	}
	if (!json_is_array(root)) {
		p->err = xasprintf("%s: not a ShareGPT file: expected a JSON "
				   "array of {\"conversations\": [...]} "
				   "objects",
				   p->name);
		goto out;
	}
	size_t i;
	json_t *e;
	json_array_foreach(root, i, e)
	{
		d.entries++;
		if (!json_is_object(e)) {
			p->err = xasprintf("%s: entry %zu is not an object",
					   p->name, i);
			goto out;
		}
		json_t *c = json_object_get(e, "conversations");
		if (!c)
			c = json_object_get(e, "conversation");
		json_t *t0 = json_object_get(json_array_get(c, 0), "value");
		json_t *t1 = json_object_get(json_array_get(c, 1), "value");
		if (!json_is_string(t0) || !json_is_string(t1) ||
		    !json_string_length(t0)) {
			d.skipped++;
			continue;
		}
		xgrow((void **)&d.convs, &d.cap, d.n + 1, sizeof(*d.convs));
		struct dataset_conv *cv = &d.convs[d.n];
		if (keep(&d, t0, &cv->prompt_off, &cv->prompt_len) ||
		    keep(&d, t1, &cv->reply_off, &cv->reply_len)) {
			p->err = xasprintf("%s: text over %zu bytes", p->name,
					   DATASET_MAX_BYTES);
			goto out;
		}
		d.n++;
	}
	if (!d.n) {
		p->err = xasprintf("%s: no conversation with a prompt and a "
				   "reply (%zu entries)",
				   p->name, d.entries);
		goto out;
	}
	*out = d;
	memset(&d, 0, sizeof(d));
	rc = 0;
out:
	json_decref(root);
	dataset_free(&d);
	return rc;
}
