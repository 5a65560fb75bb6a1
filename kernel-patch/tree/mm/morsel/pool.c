// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool: attach the shared memory range, validate or format its
 * superblock, and bring this host online once it knows its host id.
 *
 * The range is a device-DAX instance (dax0.0): on real hardware a CXL shared
 * region, here a soft-reserved range over QEMU's shared pc-dimm; either way
 * it is never in the page allocator. We bind to it as a dax driver of the
 * "kmem" kind (the one that decides what a soft-reserved range is used for)
 * and map it cacheable with memremap(MEMREMAP_WB).
 *
 * Bring-up needs two things that probe in either order: the pool range and
 * the host id (the doorbell's peer id, or morsel.host_id=). Whichever comes
 * second calls morsel_pool_try_online().
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/reboot.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include "bus.h"
#include "dax-private.h"
#include "internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

static unsigned int coherent_mb = 16;
module_param(coherent_mb, uint, 0444);
MODULE_PARM_DESC(coherent_mb, "coherent region of a pool formatted by this host (MiB)");

static unsigned int lease_ms = 3000;
module_param(lease_ms, uint, 0444);
MODULE_PARM_DESC(lease_ms, "lease of a pool formatted by this host (ms)");

static unsigned int heartbeat_ms = 100;
module_param(heartbeat_ms, uint, 0444);
MODULE_PARM_DESC(heartbeat_ms, "heartbeat period (ms)");

struct morsel_pool morsel_pool = {
	.lock = __MUTEX_INITIALIZER(morsel_pool.lock),
	.host_id = -1,
	.ack_wq = __WAIT_QUEUE_HEAD_INITIALIZER(morsel_pool.ack_wq),
	.rx_wq = __WAIT_QUEUE_HEAD_INITIALIZER(morsel_pool.rx_wq),
};

/**
 * morsel_pool_set_error() - record why the pool cannot be used.
 * @p: the pool.
 * @fmt: printf format of the reason.
 *
 * The reason is logged and shown in /sys/kernel/morsel/pool/error.
 */
void morsel_pool_set_error(struct morsel_pool *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	pr_err("morsel: pool refused: %s\n", p->error);
}

/* Claim an all-zero pool with the format lock and lay out version 1. */
static int pool_format(struct morsel_pool *p)
{
	struct morsel_sb *sb = p->base, img;
	u64 uuid[2], end;
	int err;

	if (memchr_inv(p->base, 0, PAGE_SIZE))
		return 0;	/* not empty: validation decides */
	if (pool_cmpxchg(&sb->magic, 0, MORSEL_POOL_FORMATTING) != 0)
		return 0;	/* another host is formatting it */
	get_random_bytes(uuid, sizeof(uuid));
	err = morsel_sb_layout(&img, p->size, (u64)coherent_mb << 20, lease_ms,
			       uuid, p->phys);
	if (err) {
		WRITE_ONCE(sb->magic, 0);	/* release the format lock */
		morsel_pool_set_error(p, "pool of %llu bytes too small for %u MiB coherent",
				      p->size, coherent_mb);
		return err;
	}
	img.magic = MORSEL_POOL_FORMATTING;
	/*
	 * Registry, rings, scratch, directory, frame bitmap, chunk
	 * directories, table bitmap and the hole table (0, in use forever)
	 * start empty; other tables are zeroed when taken.
	 */
	end = img.tables_off + MORSEL_TABLE_BYTES;	/* through the hole pair */
	memset(p->base + PAGE_SIZE, 0, end - PAGE_SIZE);
	*(u64 *)(p->base + img.tmap_off) = 1;
	memcpy(sb, &img, sizeof(img));
	/* Release: everything above is visible before the signature. */
	smp_store_release(&sb->magic, MORSEL_POOL_MAGIC);
	pr_info("morsel: formatted pool %pUb: %llu MiB, coherent %llu MiB, lease %u ms\n",
		img.uuid, p->size >> 20, img.coherent_size >> 20, img.lease_ms);
	return 0;
}

static int pool_attach(struct morsel_pool *p)
{
	struct morsel_sb *sb = p->base;
	char why[sizeof(p->error)];
	int i, err;

	err = pool_format(p);
	if (err)
		return err;
	/* Another host may hold the format lock: wait for it, bounded. */
	for (i = 0; i < 500 && READ_ONCE(sb->magic) == MORSEL_POOL_FORMATTING; i++)
		usleep_range(10000, 20000);
	/* Acquire: pairs with the release of the magic by the formatter. */
	if (smp_load_acquire(&sb->magic) == MORSEL_POOL_FORMATTING) {
		morsel_pool_set_error(p, "pool format by another host not finished in 10 s");
		return -ETIMEDOUT;
	}
	err = morsel_sb_check(sb, p->size, why, sizeof(why));
	if (err) {
		morsel_pool_set_error(p, "%s", why);
		return err;
	}
	p->sb = sb;
	p->hosts = morsel_pool_ptr(p, sb->registry_off);
	p->heartbeat_ms = clamp(heartbeat_ms, 10U, max(sb->lease_ms / 4, 10U));
	pr_info("morsel: attached pool %pUb: %llu MiB at %pa (node %d), version %u\n",
		sb->uuid, sb->pool_size >> 20, &p->phys, p->node, sb->version);
	return 0;
}

/**
 * morsel_pool_try_online() - join the registry once pool and host id exist.
 *
 * Called by whichever of the pool range and the doorbell probes last.
 */
void morsel_pool_try_online(void)
{
	struct morsel_pool *p = &morsel_pool;
	int id, err;

	mutex_lock(&p->lock);
	id = morsel_doorbell_peer_id();
	if (p->state != MORSEL_POOL_ATTACHED || id < 0)
		goto out;
	p->host_id = id;
	err = morsel_registry_join(p);
	if (err) {
		morsel_pool_set_error(p, "host id %d outside the registry (0..%u)",
				      p->host_id, MORSEL_MAX_HOSTS - 1);
		goto refuse;
	}
	/* What an earlier incarnation held that nobody swept. */
	morsel_dir_lock_reset(p);
	morsel_dir_forget_host(p, p->host_id, true);
	morsel_filelock_forget_host(p, p->host_id);
	err = morsel_channel_start(p);
	if (err) {
		morsel_registry_leave(p);
		morsel_pool_set_error(p, "cannot start the handler thread: %d", err);
		goto refuse;
	}
	p->state = MORSEL_POOL_ONLINE;
	pr_info("morsel: host %d online, epoch %u, doorbell %s, hosts alive %#x\n",
		p->host_id, p->epoch,
		morsel_doorbell_kind() == MORSEL_DOORBELL_IVSHMEM ? "ivshmem" : "none (polled)",
		morsel_hosts_alive_mask(p));
	goto out;
refuse:
	p->state = MORSEL_POOL_REFUSED;
out:
	mutex_unlock(&p->lock);
}

static int morsel_dax_probe(struct dev_dax *dev_dax)
{
	struct morsel_pool *p = &morsel_pool;
	struct range *range;
	int err = -EBUSY;

	if (dev_dax->nr_range != 1) {
		dev_err(&dev_dax->dev, "a pool must be one contiguous range, not %d\n",
			dev_dax->nr_range);
		return -EINVAL;
	}
	range = &dev_dax->ranges[0].range;
	mutex_lock(&p->lock);
	if (p->state != MORSEL_POOL_ABSENT) {
		dev_err(&dev_dax->dev, "this host already has a pool\n");
		goto out;
	}
	if (!request_mem_region(range->start, range_len(range), "morsel pool")) {
		dev_err(&dev_dax->dev, "pool range %#llx-%#llx busy\n",
			range->start, range->end);
		goto out;
	}
	p->phys = range->start;
	p->size = range_len(range);
	p->node = dev_dax->target_node;
	p->base = memremap(p->phys, p->size, MEMREMAP_WB);
	if (!p->base) {
		morsel_pool_set_error(p, "cannot map %llu bytes at %pa write-back",
				      p->size, &p->phys);
		err = -ENOMEM;
		goto release;
	}
	err = pool_attach(p);
	if (err)
		goto unmap;
	morsel_pooltable_attach(p, &dev_dax->dev);
	p->state = MORSEL_POOL_ATTACHED;
	mutex_unlock(&p->lock);
	morsel_pool_try_online();
	return 0;

unmap:
	memunmap(p->base);
	p->base = NULL;
release:
	release_mem_region(range->start, range_len(range));
	p->state = MORSEL_POOL_REFUSED;
out:
	mutex_unlock(&p->lock);
	return err;
}

static struct dax_device_driver morsel_dax_driver = {
	.probe = morsel_dax_probe,
	/* A soft-reserved range is "kmem" type: we decide what it is for. */
	.type = DAXDRV_KMEM_TYPE,
	/* No detach yet: other hosts' state refers to this one. */
	.drv.suppress_bind_attrs = true,
};

static int morsel_reboot(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	struct morsel_pool *p = &morsel_pool;

	/*
	 * A clean shutdown tells the others at once instead of by lease. It
	 * may come with objects still open and mapped (reboot -f closes no
	 * file): they are not, from now on. Pages this host still holds are
	 * recovered at the next fault, as a dead host's are.
	 */
	if (READ_ONCE(p->state) == MORSEL_POOL_ONLINE) {
		morsel_dir_forget_host(p, p->host_id, false);
		morsel_filelock_forget_host(p, p->host_id);
		morsel_registry_leave(p);
		pr_info("morsel: host %d left the pool\n", p->host_id);
	}
	return NOTIFY_DONE;
}

static struct notifier_block morsel_reboot_nb = {
	.notifier_call = morsel_reboot,
};

/*
 * device_initcall in mm/ runs before drivers/dax registers device_dax and
 * before hmem creates dax0.0, so the pool range binds to us first.
 */
static int __init morsel_init(void)
{
	int h, err;

	for (h = 0; h < MORSEL_MAX_HOSTS; h++)
		spin_lock_init(&morsel_pool.tx_lock[h]);
	INIT_DELAYED_WORK(&morsel_pool.heartbeat_work, morsel_heartbeat_fn);
	/* Names the counters that sysfs shows. */
	err = morsel_overlay_init();
	if (err)
		return err;
	err = morsel_sysfs_init(&morsel_pool);
	if (err)
		return err;
	err = morsel_recall_init();
	if (err)
		return err;
	err = morsel_filelock_init(&morsel_pool);
	if (err)
		return err;
	morsel_writeback_init(&morsel_pool);
	err = morsel_dev_init(&morsel_pool);
	if (err)
		return err;
	err = morsel_fs_init(&morsel_pool);
	if (err)
		return err;
	err = morsel_doorbell_init(&morsel_pool, morsel_channel_kick,
				   morsel_pool_try_online);
	if (err)
		return err;
	register_reboot_notifier(&morsel_reboot_nb);
	return __dax_driver_register(&morsel_dax_driver, NULL, "morsel_pool");
}
device_initcall(morsel_init);

/* No doorbell device and no pool range by now: say so once. */
static int __init morsel_late(void)
{
	struct morsel_pool *p = &morsel_pool;

	if (p->state == MORSEL_POOL_ABSENT)
		pr_info("morsel: no pool range found (expected a soft-reserved DAX range)\n");
	else if (p->state == MORSEL_POOL_ATTACHED && morsel_doorbell_peer_id() < 0)
		pr_warn("morsel: pool attached but no host id: no ivshmem-doorbell and no morsel.host_id=\n");
	return 0;
}
late_initcall_sync(morsel_late);
