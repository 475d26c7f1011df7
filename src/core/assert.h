/* assert.h - two assert tiers (style guide rule 9).
 *
 * ASSERT stays on in every build, for invariants whose failure would corrupt
 * results; it prints file:line and aborts. DEBUG_ASSERT compiles out unless
 * INFBENCH_DEBUG is defined. Never assert on server input.
 */
#ifndef INFBENCH_CORE_ASSERT_H
#define INFBENCH_CORE_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define ASSERT(c)                                                         \
	do {                                                              \
		if (!(c)) {                                               \
			fprintf(stderr, "infbench: assertion failed: %s " \
					"(%s:%d)\n",                      \
				#c, __FILE__, __LINE__);                  \
			abort();                                          \
		}                                                         \
	} while (0)

#ifdef INFBENCH_DEBUG
#define DEBUG_ASSERT(c) ASSERT(c)
#else
#define DEBUG_ASSERT(c) ((void)0)
#endif

#endif
