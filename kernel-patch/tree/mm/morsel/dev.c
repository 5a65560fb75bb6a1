// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/morsel: the user interface of the pool (include/uapi/linux/morsel.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
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

/* /dev/morsel is root's: so are the objects it creates, as files. */
static const struct morsel_obj_owner dev_owner = { .mode = 0600 };

static u32 coherence_of(u32 flags)
{
	if (flags & MORSEL_CREATE_PAGECOPY)
		return MORSEL_COHERENCE_PAGECOPY;
	if (flags & MORSEL_CREATE_TWINDIFF)
		return MORSEL_COHERENCE_TWINDIFF;
	if (flags & MORSEL_CREATE_PLAIN)
		return MORSEL_COHERENCE_PLAIN;
	return MORSEL_COHERENCE_LINES;
}

static long ioc_create(struct morsel_pool *p, void __user *uarg)
{
	struct morsel_create req;
	u32 gen;
	long err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = check_named(p, req.name, req.flags & ~MORSEL_CREATE_FLAGS, req.reserved);
	if (!err && (!req.size || hweight32(req.flags) > 1))
		err = -EINVAL;	/* pages, and one coherence at most */
	if (!err)
		err = morsel_obj_create(p, req.name, req.size, &dev_owner,
					coherence_of(req.flags), &gen);
	return err < 0 ? err : morsel_obj_open_fd(p, err, gen);
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

/*
 * The data region as plain memory, the baseline that benchmarks compare
 * objects with: read-only (objects live there), no ownership, no cache
 * maintenance; faulted in as device DAX does, by 2 MiB where the mapping
 * allows (huge_fault) or by 4 KiB (MORSEL_MMAP_DATA_PAGES).
 */
static unsigned long data_pfn(struct vm_area_struct *vma, unsigned long addr)
{
	struct morsel_pool *p = dev_pool;
	u64 first = vma->vm_pgoff & (PHYS_PFN(MORSEL_MMAP_DATA) - 1);

	return PHYS_PFN(p->phys + p->sb->data_off) + first +
	       ((addr - vma->vm_start) >> PAGE_SHIFT);
}

static vm_fault_t data_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & ~((PAGE_SIZE << order) - 1);
	unsigned long pfn = data_pfn(vma, addr);

	if (!order)
		return vmf_insert_pfn(vma, addr, pfn);
	if (order != PMD_ORDER || addr < vma->vm_start ||
	    addr + PMD_SIZE > vma->vm_end || (pfn & (PTRS_PER_PMD - 1)))
		return VM_FAULT_FALLBACK;
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), false);
}

static vm_fault_t data_fault(struct vm_fault *vmf)
{
	return data_huge_fault(vmf, 0);
}

/* By 2 MiB, as device DAX maps (MORSEL_MMAP_DATA), or by 4 KiB. */
static const struct vm_operations_struct data_pmd_vm_ops = {
	.fault = data_fault,
	.huge_fault = data_huge_fault,
};

static const struct vm_operations_struct data_page_vm_ops = {
	.fault = data_fault,
};

static int data_mmap(struct morsel_pool *p, struct vm_area_struct *vma)
{
	u64 first = vma->vm_pgoff & (PHYS_PFN(MORSEL_MMAP_DATA) - 1);
	u64 pages = vma_pages(vma);

	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;	/* objects live there: look, do not touch */
	if (first > morsel_sb_frames(p->sb) || pages > morsel_sb_frames(p->sb) - first)
		return -EINVAL;
	vm_flags_mod(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP,
		     VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = vma->vm_pgoff < PHYS_PFN(MORSEL_MMAP_DATA_PAGES) ? &data_pmd_vm_ops :
									 &data_page_vm_ops;
	return 0;
}

/*
 * The scratch area (coherent, for tests and benchmarks) at offset 0, the
 * data region beyond MORSEL_MMAP_DATA; root only.
 */
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
	if (vma->vm_pgoff >= PHYS_PFN(MORSEL_MMAP_DATA) &&
	    vma->vm_pgoff < PHYS_PFN(MORSEL_MMAP_DATA_PAGES * 2))
		return data_mmap(p, vma);
	if (vma->vm_pgoff > MORSEL_SCRATCH_SIZE >> PAGE_SHIFT ||
	    len > MORSEL_SCRATCH_SIZE - (vma->vm_pgoff << PAGE_SHIFT))
		return -EINVAL;
	start = p->phys + p->sb->scratch_off + (vma->vm_pgoff << PAGE_SHIFT);
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return remap_pfn_range(vma, vma->vm_start, PHYS_PFN(start), len,
			       vma->vm_page_prot);
}

/* A mapping of the data region by 2 MiB starts on a PMD. */
static unsigned long morsel_dev_get_unmapped_area(struct file *file, unsigned long addr,
						  unsigned long len, unsigned long pgoff,
						  unsigned long flags)
{
	if (pgoff < PHYS_PFN(MORSEL_MMAP_DATA) || pgoff >= PHYS_PFN(MORSEL_MMAP_DATA_PAGES))
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
	return morsel_pmd_unmapped_area(file, addr, len, pgoff, flags);
}

static const struct file_operations morsel_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = morsel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = morsel_mmap,
	.get_unmapped_area = morsel_dev_get_unmapped_area,
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
