/* jscan_fuzz.c - libFuzzer: jscan must agree with jansson on every input
 * (accept/reject and extracted values), and never read out of bounds. */
#include <stdint.h>
#include <stdio.h>

#include "../proto/jscan_xcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = xc_check((const char *)data, size);
	if (why) {
		fprintf(stderr, "jscan/jansson disagree: %s\n", why);
		abort();
	}
	return 0;
}
