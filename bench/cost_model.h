/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A modelled time from what the kernel counted, for the benches that
 * compare designs: TCG times are not hardware times, counts travel. The
 * costs are published figures (../shared/notes/cxl_anchors.md) and every
 * one can be replaced on the kernel command line, so that a reader can
 * plug in their own hardware:
 *
 *   mfault_us=   a page fault and its PTE update            1.5 us
 *   mrecall_us=  an inter-host interrupt round trip, handled 5.0 us
 *   mline_ns=    a CXL load of one line that misses          250 ns
 *   mgbps=       CXL bandwidth for copies and write-backs   31.8 GB/s
 *   mmlp=        line loads a core has in flight at once     10
 *                (a core's line fill buffers; 1: every load waits)
 *
 * time = faults * fault + recalls * recall + pages copied * line latency
 * + lines loaded on demand * (line latency / in flight + 64 B / bandwidth)
 * + bytes moved / bandwidth.
 */
#ifndef MORSEL_COST_MODEL_H
#define MORSEL_COST_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include "object_client.h"
#include "pool_client.h"

struct cost_model {
	double fault_us, recall_us, line_ns, gbps, mlp;
};

static inline double cost_param(const char *key, double def)
{
	char buf[32];

	return cmdline_str(key, buf, sizeof(buf)) ? def : atof(buf);
}

static inline void cost_model_read(struct cost_model *c)
{
	c->fault_us = cost_param("mfault_us", 1.5);
	c->recall_us = cost_param("mrecall_us", 5.0);
	c->line_ns = cost_param("mline_ns", 250);
	c->gbps = cost_param("mgbps", 31.8);
	c->mlp = cost_param("mmlp", 10);
	if (c->mlp < 1)
		c->mlp = 1;
}

static inline void cost_model_print(const struct cost_model *c)
{
	printf("model: fault %.1f us, recall round trip %.1f us, CXL line load %.0f ns, CXL bandwidth %.1f GB/s, %.0f line loads in flight\n",
	       c->fault_us, c->recall_us, c->line_ns, c->gbps, c->mlp);
	printf("  (mfault_us= mrecall_us= mline_ns= mgbps= mmlp= on the kernel command line change them)\n");
}

/* Modelled microseconds of @m, with @lines_read loaded on demand. */
static inline double cost_model_us(const struct cost_model *c, const struct obj_moved *m,
				   double lines_read)
{
	const uint64_t *v = m->v;

	return (double)(v[MV_RFAULT] + v[MV_WFAULT]) * c->fault_us + v[MV_RECALL] * c->recall_us +
	       (double)v[MV_COPIED] * c->line_ns / 1000 +
	       lines_read * (c->line_ns / c->mlp / 1000 + 64 / (c->gbps * 1000)) +
	       (double)(v[MV_TO] + v[MV_FROM]) / (c->gbps * 1000);
}

#endif
