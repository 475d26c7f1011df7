/* sweepdir.h - the sweep directory: point file names, loading a level's
 * results back, and the manifest (JSON) that makes a sweep resumable and
 * reportable.
 *
 * Layout: DIR/manifest.json, DIR/points/<target>.<workload>.<c|r><load>.
 * rep<r>.json (full results files) with optional .telemetry.json /
 * .timeline.csv sidecars, DIR/logs/ (child output and launched servers'
 * logs), DIR/launch/<target>.json (what happened to a launched
 * configuration's server). Owns file I/O for
 * decide/; the search and decision stay pure. Not thread-safe.
 */
#ifndef INFBENCH_DECIDE_SWEEPDIR_H
#define INFBENCH_DECIDE_SWEEPDIR_H

#include <jansson.h>
#include <stddef.h>

#include "decide/decision.h"

#define SWEEPDIR_MANIFEST "manifest.json"
#define SWEEPDIR_FORMAT "infbench-sweep"
#define SWEEPDIR_VERSION 1

/* "points/<target>.<workload>.c32.rep0" (no extension), relative to the
 * sweep directory; caller frees. */
char *sweepdir_point_stem(const struct scenario *sc, int target,
			  int workload, double load, int rep);

/* A results file usable as a finished point: loads, validates and was not
 * interrupted. 1 yes, 0 no. */
int sweepdir_point_valid(const char *path);

/* Load lv's files (paths as stored in lv->files), evaluate the SLA of its
 * workload, fill the metrics (with telemetry sidecars when present) and
 * set ran_ok. 0, or -1 when a file is missing or invalid (lv->ran_ok = 0,
 * reason in err). */
int sweepdir_level_load(struct decide_level *lv, const struct scenario *sc,
			char *err, size_t errlen);

/* Manifest document of s (caller json_decref's). text: the scenario file's
 * bytes (kept so the directory is self-contained). dir: prefix stripped
 * from level file paths. */
json_t *sweepdir_manifest(const struct decide_set *s, const char *dir,
			  const char *text, int virtual_time, int complete);

/* JSON of target ti's configuration: group, settings and the launch
 * record (null when not launched). Caller json_decref's. */
json_t *sweepdir_config_json(const struct decide_set *s, int ti);

/* Fill l from a "launch" object written by sweepdir_config_json (the
 * old log tail is freed). */
void sweepdir_launch_from_json(struct decide_launch *l, const json_t *o);

/* Write DIR/launch/<target>.json atomically. 0 or -errno. */
int sweepdir_write_launch(const char *dir, const struct decide_set *s,
			  int ti);

/* Read DIR/launch/<target>.json into s->launch[] for every target with
 * launch: whose file exists. */
void sweepdir_load_launches(const char *dir, struct decide_set *s);

/* Write DIR/manifest.json atomically. 0 or -errno. */
int sweepdir_write_manifest(const char *dir, const json_t *m);

/* Open a finished or partial sweep directory: parse the scenario kept in
 * its manifest into *sc, load every level into *set (decide_set_init'ed
 * here) and decide_compute. The caller frees both. 0, or -1 with err. */
int sweepdir_open(const char *dir, struct scenario *sc, struct decide_set *set,
		  char *err, size_t errlen);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer;
 * caller frees. NULL on error (errno set). */
char *sweepdir_read_file(const char *path, size_t max, size_t *len);

#endif
