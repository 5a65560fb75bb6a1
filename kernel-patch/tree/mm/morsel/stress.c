// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs morsel/atomic_stress: the kernel's pool atomics, driven from
 * several hosts at once, for the test suite.
 *
 * The ownership protocol is only as good as the atomicity of pool_cmpxchg()
 * between hosts. Writing "OFFSET COUNT" increments the u64 at OFFSET of the
 * scratch area COUNT times with pool_cmpxchg(); a test starts every host at
 * once and checks that the word ends at the sum. "OFFSET COUNT plain" uses
 * the kernel's cmpxchg() instead, whose LOCK prefix a one-CPU kernel patches
 * away: it shows what pool_atomic.h is for. Reading the file gives the last
 * run: "mode COUNT retries".
 */
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include "internal.h"

#define STRESS_MAX_COUNT	100000000ULL

/* Serialises runs and their result. */
static DEFINE_MUTEX(stress_lock);
static struct {
	bool plain;
	u64 count, retries;
} last;

static u64 stress_run(u64 *w, u64 count, bool plain)
{
	u64 i, retries = 0;

	for (i = 0; i < count; i++) {
		u64 old = READ_ONCE(*w), seen;

		for (;;) {
			seen = plain ? cmpxchg(w, old, old + 1) : pool_cmpxchg(w, old, old + 1);
			if (seen == old)
				break;
			old = seen;
			retries++;
		}
		if (!(i & 1023))
			cond_resched();
	}
	return retries;
}

/* The pool under test; set once at init. */
static struct morsel_pool *stress_pool;

static ssize_t stress_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct morsel_pool *p = stress_pool;
	char buf[64], mode[8] = "";
	u64 off, count, retries;
	int n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	n = sscanf(buf, "%llu %llu %7s", &off, &count, mode);
	if (n < 2 || (n == 3 && strcmp(mode, "plain"))) {
		pr_warn("morsel: atomic_stress: expected 'OFFSET COUNT [plain]'\n");
		return -EINVAL;
	}
	if (off % 8 || off > MORSEL_SCRATCH_SIZE - 8 || !count ||
	    count > STRESS_MAX_COUNT) {
		pr_warn("morsel: atomic_stress: offset %llu (8-aligned, in the %u-byte scratch) or count %llu (1..%llu) out of range\n",
			off, MORSEL_SCRATCH_SIZE, count, STRESS_MAX_COUNT);
		return -EINVAL;
	}
	if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
		return -ENODEV;
	mutex_lock(&stress_lock);
	retries = stress_run(morsel_pool_ptr(p, p->sb->scratch_off + off), count,
			     n == 3);
	last.plain = n == 3;
	last.count = count;
	last.retries = retries;
	mutex_unlock(&stress_lock);
	return len;
}

static ssize_t stress_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	char buf[80];
	int n;

	mutex_lock(&stress_lock);
	n = scnprintf(buf, sizeof(buf), "%s %llu %llu\n",
		      last.plain ? "plain" : "pool", last.count, last.retries);
	mutex_unlock(&stress_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations stress_fops = {
	.write = stress_write,
	.read = stress_read,
	.llseek = default_llseek,
};

/**
 * morsel_stress_debugfs() - create morsel/atomic_stress.
 * @p: the pool whose scratch area it drives.
 * @dir: the morsel debugfs directory.
 */
void morsel_stress_debugfs(struct morsel_pool *p, struct dentry *dir)
{
	stress_pool = p;
	debugfs_create_file("atomic_stress", 0600, dir, NULL, &stress_fops);
}
