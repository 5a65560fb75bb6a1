// SPDX-License-Identifier: GPL-2.0-only
/* Instantiate the morsel tracepoints (include/trace/events/morsel.h). */
#define CREATE_TRACE_POINTS
#include <trace/events/morsel.h>
