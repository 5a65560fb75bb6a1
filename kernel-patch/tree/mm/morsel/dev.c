// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/morsel: the user interface of the pool (include/uapi/linux/morsel.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include "internal.h"

/* The pool this device serves; set once at init. */
static struct morsel_pool *dev_pool;

static long ioc_pool_info(struct morsel_pool *p, void __user *uarg)
{
	struct morsel_pool_info info = {};

	if (p->state != MORSEL_POOL_ONLINE && p->state != MORSEL_POOL_ATTACHED)
		return -ENODEV;
	info.pool_size = p->sb->pool_size;
	info.coherent_size = p->sb->coherent_size;
	info.data_offset = p->sb->data_off;
	info.scratch_size = MORSEL_SCRATCH_SIZE;
	info.uuid[0] = p->sb->uuid[0];
	info.uuid[1] = p->sb->uuid[1];
	info.version = p->sb->version;
	info.host_id = p->host_id;
	info.epoch = p->epoch;
	info.max_hosts = MORSEL_MAX_HOSTS;
	info.hosts_alive = morsel_hosts_alive_mask(p);
	info.doorbell = morsel_doorbell_kind();
	info.lease_ms = p->sb->lease_ms;
	info.table_bytes = MORSEL_TABLE_BYTES;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long ioc_ping(struct morsel_pool *p, void __user *uarg)
{
	struct morsel_ping req;
	long err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~MORSEL_PING_FLAGS || req.reserved)
		return -EINVAL;
	if (!req.count || req.count > MORSEL_PING_MAX)
		return -EINVAL;
	if (req.dst >= MORSEL_MAX_HOSTS || req.dst == p->host_id)
		return -EINVAL;
	if (req.timeout_ms > 60000)
		return -EINVAL;
	if (p->state != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	err = morsel_channel_ping(p, req.dst, req.count,
				  req.flags & MORSEL_PING_POLL, req.timeout_ms,
				  u64_to_user_ptr(req.rtt_ns), &req.completed);
	if (put_user(req.completed, &((struct morsel_ping __user *)uarg)->completed))
		return -EFAULT;
	return err;
}

/* What every request naming an object must satisfy. */
static long check_named(struct morsel_pool *p, const char *name, u32 flags,
			u32 reserved)
{
	if (flags || reserved)
		return -EINVAL;
	if (!morsel_obj_name_valid(name, MORSEL_NAME_LEN))
		return -EINVAL;
	return p->state == MORSEL_POOL_ONLINE ? 0 : -ENOTCONN;
}

static long open_by_name(struct morsel_pool *p, const char *name)
{
	u32 gen;
	int idx = morsel_obj_lookup(p, name, &gen);

	return idx < 0 ? idx : morsel_obj_open_fd(p, idx, gen);
}

static long ioc_create(struct morsel_pool *p, void __user *uarg)
{
	struct morsel_create req;
	long err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = check_named(p, req.name, req.flags, req.reserved);
	if (!err)
		err = morsel_obj_create(p, req.name, req.size);
	return err < 0 ? err : open_by_name(p, req.name);
}

static long ioc_open_delete(struct morsel_pool *p, void __user *uarg, bool del)
{
	struct morsel_open req;
	long err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = check_named(p, req.name, req.flags, req.reserved);
	if (err)
		return err;
	return del ? morsel_obj_delete(p, req.name) : open_by_name(p, req.name);
}

static long morsel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct morsel_pool *p = dev_pool;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MORSEL_IOC_POOL_INFO:
		return ioc_pool_info(p, uarg);
	case MORSEL_IOC_PING:
		return ioc_ping(p, uarg);
	case MORSEL_IOC_CREATE:
		return ioc_create(p, uarg);
	case MORSEL_IOC_OPEN:
		return ioc_open_delete(p, uarg, false);
	case MORSEL_IOC_DELETE:
		return ioc_open_delete(p, uarg, true);
	default:
		return -ENOTTY;
	}
}

/* The scratch area, for tests and benchmarks: coherent, root only. */
static int morsel_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct morsel_pool *p = dev_pool;
	unsigned long len = vma->vm_end - vma->vm_start;
	phys_addr_t start;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (p->state != MORSEL_POOL_ONLINE && p->state != MORSEL_POOL_ATTACHED)
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > MORSEL_SCRATCH_SIZE >> PAGE_SHIFT ||
	    len > MORSEL_SCRATCH_SIZE - (vma->vm_pgoff << PAGE_SHIFT))
		return -EINVAL;
	start = p->phys + p->sb->scratch_off + (vma->vm_pgoff << PAGE_SHIFT);
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return remap_pfn_range(vma, vma->vm_start, PHYS_PFN(start), len,
			       vma->vm_page_prot);
}

static const struct file_operations morsel_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = morsel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = morsel_mmap,
};

static struct miscdevice morsel_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "morsel",
	.fops = &morsel_fops,
	.mode = 0600,
};

/**
 * morsel_dev_init() - register /dev/morsel.
 * @p: the pool it serves.
 *
 * Return: 0 or a negative errno.
 */
int morsel_dev_init(struct morsel_pool *p)
{
	dev_pool = p;
	return misc_register(&morsel_misc);
}
