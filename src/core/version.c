/* version.c - build revision. */
#include "core/version.h"

#ifndef INFBENCH_GIT_REV
#define INFBENCH_GIT_REV "unknown"
#endif

const char *version_git(void)
{
	return INFBENCH_GIT_REV;
}
