/* body.h - the steps every adapter's JSON request body shares (internal to
 * proto/).
 *
 * Owns optional keys (set only when the request asks for them), the
 * extra_body merge and the compact dump appended to the caller's buffer.
 * Which keys, under which names and in which order stays in each adapter:
 * the key order is what goes on the wire. Stateless; thread-safe.
 */
#ifndef INFBENCH_PROTO_BODY_H
#define INFBENCH_PROTO_BODY_H

#include <jansson.h>

#include "core/buf.h"
#include "proto/proto.h"

/* o[key] = the string s; nothing when s is NULL (or not valid UTF-8). */
void proto__body_str(json_t *o, const char *key, const char *s);
/* The prompt: p->prompt under text_key, or, when the request carries token
 * ids, p->prompt_ids as an array under ids_key. Returns 0, or -EINVAL when
 * ids were given and this API takes text only (ids_key NULL). */
int proto__body_prompt(json_t *o, const char *text_key, const char *ids_key,
		       const struct proto_params *p);
/* o[key] = the integer v. */
void proto__body_int(json_t *o, const char *key, long long v);
/* o[key] = true when on; nothing when not. */
void proto__body_flag(json_t *o, const char *key, int on);
/* o[key] = the real v; nothing when v is NaN ("server default"). */
void proto__body_real(json_t *o, const char *key, double v);
/* Ends a body: merges p->extra_body (a JSON object: its keys replace ours
 * where they stand, new ones come last) into o, appends o as compact JSON
 * to out and frees o, also on failure. Returns 0, -EINVAL when extra_body
 * is not a JSON object, -ENOMEM when the dump or the append fails; out is
 * unchanged on failure. */
int proto__body_finish(json_t *o, const struct proto_params *p,
		       struct buf *out);

#endif
