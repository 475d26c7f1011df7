/* version.h - infbench's version and the git revision it was built from. */
#ifndef INFBENCH_CORE_VERSION_H
#define INFBENCH_CORE_VERSION_H

#define INFBENCH_VERSION "0.1.0"

/* Git revision baked in at build time ("unknown" outside a checkout). */
const char *version_git(void);

#endif
