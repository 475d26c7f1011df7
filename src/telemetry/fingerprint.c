/* fingerprint.c - environment fingerprint and its diff. */
#include "telemetry/fingerprint.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "core/buf.h"
#include "core/clock.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "telemetry/httpget.h"
#include "telemetry/tstat.h"

#define FP_MAX_LINE 1024 /* bytes per /proc or os-release line read */

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* Trims blanks and newline at both ends, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Value after the first "key<sep>" line of a file, or NULL (caller frees). */
static char *file_field(const char *path, const char *key, char sep)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char line[FP_MAX_LINE];
	char *ret = NULL;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		char *l = trim(line);
		if (strncmp(l, key, kl) != 0)
			continue;
		char *p = trim(l + kl);
		if (*p != sep)
			continue;
		p = trim(p + 1);
		size_t n = strlen(p);
		if (sep == '=' && n >= 2 && (p[0] == '"' || p[0] == '\'') &&
		    p[n - 1] == p[0]) {
			p[n - 1] = '\0';
			p++;
		}
		ret = xstrdup(p);
		break;
	}
	fclose(f);
	return ret;
}

static json_t *host_json(void)
{
	json_t *h = json_object();
	char hn[256] = "";
	if (gethostname(hn, sizeof(hn) - 1) == 0)
		set_str(h, "hostname", hn);
	else
		set_str(h, "hostname", NULL);
	char *cpu = file_field("/proc/cpuinfo", "model name", ':');
	if (!cpu) /* aarch64 kernels often have no "model name" */
		cpu = file_field("/proc/cpuinfo", "Hardware", ':');
	set_str(h, "cpu_model", cpu);
	free(cpu);
	json_object_set_new(h, "cpus_online",
			    json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(h, "cpus_configured",
			    json_integer(sysconf(_SC_NPROCESSORS_CONF)));
	char *mem = file_field("/proc/meminfo", "MemTotal", ':');
	long long kb = mem ? strtoll(mem, NULL, 10) : -1;
	free(mem);
	json_object_set_new(h, "mem_total_bytes",
			    kb > 0 ? json_integer(kb * 1024) : json_null());
	struct utsname u;
	json_t *k = json_object();
	if (uname(&u) == 0) {
		set_str(k, "sysname", u.sysname);
		set_str(k, "release", u.release);
		set_str(k, "version", u.version);
		set_str(k, "machine", u.machine);
	}
	json_object_set_new(h, "kernel", k);
	json_t *os = json_object();
	static const char *const osk[][2] = {
		{"PRETTY_NAME", "pretty_name"},
		{"ID", "id"},
		{"VERSION_ID", "version_id"},
	};
	for (size_t i = 0; i < 3; i++) {
		char *v = file_field("/etc/os-release", osk[i][0], '=');
		set_str(os, osk[i][1], v);
		free(v);
	}
	json_object_set_new(h, "os", os);
#ifdef __GLIBC__
	char libc[64];
	snprintf(libc, sizeof(libc), "glibc %s", gnu_get_libc_version());
	set_str(h, "libc", libc);
#else
	set_str(h, "libc", NULL);
#endif
	return h;
}

static json_t *libs_json(void)
{
	json_t *l = json_object();
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	set_str(l, "libcurl", cv ? cv->version : NULL);
	set_str(l, "libcurl_ssl", cv ? cv->ssl_version : NULL);
#if JANSSON_VERSION_HEX >= 0x020d00
	set_str(l, "jansson", jansson_version_str());
#else
	set_str(l, "jansson", JANSSON_VERSION);
#endif
	return l;
}

static json_t *gpu_json(const struct fp_cfg *cfg)
{
	json_t *g = json_object();
	if (cfg->no_gpu) {
		json_object_set_new(g, "present", json_false());
		set_str(g, "note", "GPU probing disabled");
		return g;
	}
	char why[256] = "";
	struct nvml *nv = cfg->nvml, *own = NULL;
	if (!nv)
		nv = own = nvml_open(why, sizeof(why));
	if (!nv) {
		json_object_set_new(g, "present", json_false());
		set_str(g, "note", why);
		return g;
	}
	struct gpu_info info[GPU_MAX_DEVICES];
	int n = nvml_info(nv, info, GPU_MAX_DEVICES);
	json_object_set_new(g, "present", json_boolean(n > 0));
	json_object_set_new(g, "count", json_integer(n));
	json_t *devs = json_array();
	for (int i = 0; i < n; i++) {
		json_t *d = json_object();
		json_object_set_new(d, "index", json_integer(info[i].index));
		set_str(d, "name", info[i].name);
		set_str(d, "uuid", info[i].uuid);
		json_object_set_new(d, "mem_total_bytes",
				    tjson_num(info[i].mem_total_bytes));
		json_array_append_new(devs, d);
	}
	json_object_set_new(g, "devices", devs);
	struct nvml_versions v;
	nvml_get_versions(nv, &v);
	set_str(g, "driver", v.driver[0] ? v.driver : NULL);
	set_str(g, "cuda_driver", v.cuda[0] ? v.cuda : NULL);
	set_str(g, "nvml", v.nvml[0] ? v.nvml : NULL);
	nvml_close(own);
	return g;
}

int fingerprint_base_url(const char *url, char *out, size_t out_len)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -EINVAL;
	p += 3;
	size_t n = (size_t)(p - url) + strcspn(p, "/?#");
	if (n + 1 > out_len)
		return -EINVAL;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

/* Value at a path like "data[0].max_model_len" (borrowed), or NULL. */
static json_t *jpath(json_t *v, const char *path)
{
	char seg[64];
	while (v && *path) {
		size_t n = strcspn(path, ".[");
		if (n >= sizeof(seg))
			return NULL;
		if (n) {
			memcpy(seg, path, n);
			seg[n] = '\0';
			v = json_object_get(v, seg);
			path += n;
		}
		if (*path == '[') {
			char *end = NULL;
			long i = strtol(path + 1, &end, 10);
			if (!end || *end != ']' || i < 0)
				return NULL;
			v = json_array_get(v, (size_t)i);
			path = end + 1;
		}
		if (*path == '.')
			path++;
	}
	return v;
}

static const char *const routes[] = {
	"/version", "/info", "/props", "/v1/models", "/get_server_info",
	"/server_info",
};

/* Where each server states its context limit, most specific first. */
static const char *const ctx_paths[][2] = {
	{"/v1/models", "data[0].max_model_len"},   /* vLLM, SGLang */
	{"/get_server_info", "context_length"},    /* SGLang */
	{"/server_info", "context_length"},        /* SGLang, newer */
	{"/info", "max_total_tokens"},             /* TGI */
	{"/props", "default_generation_settings.n_ctx"}, /* llama.cpp */
	{"/v1/models", "data[0].meta.n_ctx_train"}, /* llama.cpp, trained */
};

static const char *const ver_paths[][2] = {
	{"/version", "version"},
	{"/info", "version"},
	{"/get_server_info", "version"},
	{"/server_info", "version"},
	{"/props", "build_info"},
};

static json_t *server_json(const struct fp_cfg *cfg)
{
	json_t *s = json_object();
	char base[1024];
	if (fingerprint_base_url(cfg->server_url, base, sizeof(base))) {
		set_str(s, "url", cfg->server_url);
		set_str(s, "error", "not a URL");
		return s;
	}
	set_str(s, "url", base);
	int64_t tmo = cfg->timeout_ns > 0 ? cfg->timeout_ns : 2 * NS_PER_S;
	struct httpget h;
	httpget_init(&h);
	json_t *rt = json_object(), *missing = json_object();
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		char url[1200];
		snprintf(url, sizeof(url), "%s%s", base, routes[i]);
		struct buf body;
		buf_init(&body, FP_MAX_ROUTE_BODY);
		long st = 0;
		int rc = httpget_body(&h, url, tmo, &body, &st);
		if (rc == 0) {
			json_t *j = json_loadb(body.data ? body.data : "",
					       body.len, JSON_DECODE_ANY, NULL);
			json_object_set_new(rt, routes[i],
					    j ? j : json_stringn(body.data ? body.data : "",
								 body.len));
			if (!json_object_get(rt, routes[i])) /* bad UTF-8 */
				json_object_set_new(rt, routes[i],
						    json_string("(binary)"));
		} else {
			json_object_set_new(missing, routes[i],
					    rc == HTTPGET_ESTATUS
						    ? json_integer(st)
						    : json_string(httpget_strerror(rc)));
		}
		buf_free(&body);
	}
	httpget_free(&h);
	json_t *ctx = json_null(), *from = json_null();
	for (size_t i = 0; i < sizeof(ctx_paths) / sizeof(ctx_paths[0]); i++) {
		json_t *v = jpath(json_object_get(rt, ctx_paths[i][0]),
				  ctx_paths[i][1]);
		if (json_is_integer(v) && json_integer_value(v) > 0) {
			json_decref(ctx);
			json_decref(from);
			ctx = json_integer(json_integer_value(v));
			from = json_sprintf("%s %s", ctx_paths[i][0],
					    ctx_paths[i][1]);
			break;
		}
	}
	json_t *ver = json_null();
	for (size_t i = 0; i < sizeof(ver_paths) / sizeof(ver_paths[0]); i++) {
		json_t *v = jpath(json_object_get(rt, ver_paths[i][0]),
				  ver_paths[i][1]);
		if (json_is_string(v)) {
			json_decref(ver);
			ver = json_string(json_string_value(v));
			break;
		}
	}
	json_object_set_new(s, "routes", rt);
	json_object_set_new(s, "missing", missing);
	json_object_set_new(s, "max_context_len", ctx);
	json_object_set_new(s, "max_context_len_from", from);
	json_object_set_new(s, "version", ver);
	return s;
}

json_t *fingerprint_collect(const struct fp_cfg *cfg)
{
	httpget_global_init();
	json_t *f = json_object();
	json_object_set_new(f, "host", host_json());
	json_object_set_new(f, "libs", libs_json());
	json_object_set_new(f, "gpu", gpu_json(cfg));
	if (cfg->server_url && *cfg->server_url)
		json_object_set_new(f, "server", server_json(cfg));
	json_t *ib = json_object();
	set_str(ib, "version", INFBENCH_VERSION);
	set_str(ib, "git", version_git());
	json_object_set_new(f, "infbench", ib);
	return f;
}

/* diff */

/* Adds every leaf of v under prefix into flat (path -> borrowed value). */
static void flatten(const json_t *v, struct buf *path, json_t *flat)
{
	size_t keep = path->len;
	if (json_is_object(v) && json_object_size(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			if (buf_printf(path, "%s%s", keep ? "." : "", k) == 0)
				flatten(x, path, flat);
			path->len = keep;
			path->data[keep] = '\0';
		}
		return;
	}
	if (json_is_array(v) && json_array_size(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (buf_printf(path, "[%zu]", i) == 0)
				flatten(x, path, flat);
			path->len = keep;
			path->data[keep] = '\0';
		}
		return;
	}
	json_object_set(flat, path->data ? path->data : "", (json_t *)v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *fingerprint_diff(const json_t *a, const json_t *b)
{
	json_t *fa = json_object(), *fb = json_object(), *out = json_array();
	struct buf p;
	buf_init(&p, 4096); /* paths longer than this are dropped */
	buf_puts(&p, "");
	flatten(a, &p, fa);
	buf_reset(&p);
	flatten(b, &p, fb);
	buf_free(&p);
	size_t n = json_object_size(fa) + json_object_size(fb), m = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *x;
	json_object_foreach(fa, k, x)
		keys[m++] = k;
	json_object_foreach(fb, k, x)
		if (!json_object_get(fa, k))
			keys[m++] = k;
	qsort(keys, m, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < m; i++) {
		json_t *va = json_object_get(fa, keys[i]);
		json_t *vb = json_object_get(fb, keys[i]);
		if (va && vb && json_equal(va, vb))
			continue;
		json_t *d = json_object();
		json_object_set_new(d, "key", json_string(keys[i]));
		json_object_set_new(d, "a", va ? json_incref(va) : json_null());
		json_object_set_new(d, "b", vb ? json_incref(vb) : json_null());
		if (!va || !vb)
			json_object_set_new(d, "only_in",
					    json_string(va ? "a" : "b"));
		json_array_append_new(out, d);
	}
	free(keys);
	json_decref(fa);
	json_decref(fb);
	return out;
}
