/* jscan_scalar_test.c - jscan_test.c against jscan built without its SSE2
 * paths (JSCAN_NO_SIMD), so the scalar code that other targets and the
 * tails of buffers use is cross-checked the same way. This file's own copy
 * of jscan.c is linked instead of the library's. */
#define JSCAN_NO_SIMD 1
#include "proto/jscan.c"

#include "jscan_test.c"
