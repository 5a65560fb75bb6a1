// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kill points, for failure tests. With morsel.kill_at=POINT, a host that
 * reaches POINT says so on its console ("MORSEL-KILL-ME host N at POINT")
 * and stops there, holding whatever it holds, until the launcher
 * (scripts/hosts.sh, which watches every host's console) kills its QEMU
 * with SIGKILL: the host dies exactly there, as one whose power fails
 * would, and the tests check what the survivors make of it.
 *
 *   dirlock  holding the cross-host directory lock (creating an object)
 *   frame    a data frame taken, not yet entered in any page's entry
 *   recall   answering a recall of a page it owns, before giving it up
 *
 * The parameter is writable at run time; a host stops at most once.
 */
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

static const char *const point_names[] = {
	[MORSEL_KILL_NONE] = "none",
	[MORSEL_KILL_DIRLOCK] = "dirlock",
	[MORSEL_KILL_FRAME] = "frame",
	[MORSEL_KILL_RECALL] = "recall",
};

static enum morsel_kill_point kill_at;

static int kill_at_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(point_names, val);

	if (i < 0) {
		pr_err("morsel: kill_at=%s: expected none, dirlock, frame or recall\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(kill_at, i);
	return 0;
}

static int kill_at_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", point_names[READ_ONCE(kill_at)]);
}

static const struct kernel_param_ops kill_at_ops = {
	.set = kill_at_set,
	.get = kill_at_get,
};
module_param_cb(kill_at, &kill_at_ops, NULL, 0644);
MODULE_PARM_DESC(kill_at, "failure tests: stop at this point and ask the launcher for SIGKILL");

/**
 * morsel_kill_point() - this host may be asked to die here.
 * @p: the pool.
 * @at: which point this is.
 *
 * Context: process context, any locks held; does not return if @at is the
 * point morsel.kill_at names.
 */
void morsel_kill_point(struct morsel_pool *p, enum morsel_kill_point at)
{
	if (likely(READ_ONCE(kill_at) != at) || cmpxchg(&kill_at, at, MORSEL_KILL_NONE) != at)
		return;
	pr_emerg("MORSEL-KILL-ME host %u at %s\n", p->host_id, point_names[at]);
	for (;;)
		msleep(1000);
}
