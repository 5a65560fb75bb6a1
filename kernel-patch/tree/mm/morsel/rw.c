// SPDX-License-Identifier: GPL-2.0-only
/*
 * read() and write() of an object, through the same ownership protocol as
 * its faults: a read shares each page (an owner elsewhere is recalled to
 * downgrade), a write takes it exclusively (every other host's access
 * revoked; a plain object's only shares it, as its faults do), and the
 * kernel copies under the same rules as a user store:
 * with ov->lock held after morsel_acquire(), into the page this host maps
 * (the pool's frame, or its copy: copy.c). So a file written
 * with write() on one host and read through mmap on another is one
 * coherent file, and a write-back happens when the page is given up, as
 * for a store.
 *
 * A user buffer is never touched under ov->lock: the copy to or from the
 * user goes through a bounce page, since the buffer may itself be a
 * mapping of this object, whose fault takes ov->lock. There is no page
 * cache: the object is the cache.
 *
 *   morsel_obj_read_iter()   pages shared; holes read as zeros
 *   morsel_obj_write_iter()  pages taken; past the end, the object grows
 *   morsel_obj_fallocate()   punch a hole, or reserve the size
 *   morsel_obj_llseek()      SEEK_END and friends against the pool's size
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include "overlay.h"

/*
 * The kernel's view of a page that @e grants this host. Context: ov->lock
 * held. Return: NULL without memory for a shadow.
 */
static void *rw_page(struct morsel_overlay *ov, u64 page, u64 e)
{
	struct page *pg;

	if (!overlay_copies(ov))
		return morsel_frame_addr(ov->pool, e);
	pg = morsel_copy_get(ov, page, e);
	return pg ? page_address(pg) : NULL;
}

/*
 * Copy @len bytes at @off of page @page into @buf, as this host may read
 * them now. A page without a frame reads as zeros and is not filled: the
 * hole stays a hole.
 */
static int read_page(struct morsel_overlay *ov, u64 page, size_t off, size_t len, void *buf)
{
	struct morsel_grant g;
	void *src;
	int err;

	if (!MORSEL_PTE_FRAME1(READ_ONCE(*overlay_pte(ov, page)))) {
		memset(buf, 0, len);
		return 0;
	}
	err = morsel_acquire_xfer(ov, page, MORSEL_ACCESS_READ, &g);
	if (err)
		return err;
	src = rw_page(ov, page, g.entry);
	if (src)
		memcpy(buf, src + off, len);
	mutex_unlock(&ov->lock);
	return src ? 0 : -ENOMEM;
}

/**
 * morsel_obj_read_iter() - read() of an object file.
 * @iocb: the file and position.
 * @to: where to.
 *
 * Return: bytes read (0 at or past the end), or a negative errno.
 */
ssize_t morsel_obj_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct morsel_overlay *ov = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;
	void *buf;
	int err;

	err = overlay_usable(ov);
	if (err)
		return err;
	if (pos < 0)
		return -EINVAL;
	buf = (void *)__get_free_page(GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (iov_iter_count(to)) {
		u64 size = READ_ONCE(overlay_obj(ov)->size), page = pos >> PAGE_SHIFT;
		size_t off = offset_in_page(pos), n;

		if ((u64)pos >= size)
			break;
		n = min3(PAGE_SIZE - off, iov_iter_count(to), (size_t)(size - pos));
		err = read_page(ov, page, off, n, buf);
		if (err)
			break;
		n = copy_to_iter(buf, n, to);
		if (!n) {
			err = -EFAULT;
			break;
		}
		pos += n;
		done += n;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	free_page((unsigned long)buf);
	iocb->ki_pos = pos;
	return done ? done : err;
}

/*
 * Copy @len bytes of @buf to @off of page @page, which this host takes
 * (a plain object's page only shared, as its faults do).
 */
static int write_page(struct morsel_overlay *ov, u64 page, size_t off, size_t len,
		      const void *buf)
{
	struct morsel_grant g;
	void *dst;
	int err;

	err = morsel_acquire_xfer(ov, page,
				  overlay_plain(ov) ? MORSEL_ACCESS_READ : MORSEL_ACCESS_WRITE, &g);
	if (err)
		return err;
	dst = rw_page(ov, page, g.entry);
	if (dst)
		memcpy(dst + off, buf, len);
	mutex_unlock(&ov->lock);
	return dst ? 0 : -ENOMEM;
}

/**
 * morsel_obj_write_iter() - write() of an object file.
 * @iocb: the file and position (O_APPEND: the size as this host reads it).
 * @from: what.
 *
 * A write past the end grows the object first (on every host at once).
 * Appends from two hosts at once may land at the same offset: serialise
 * them with a lock, as on any shared file system.
 *
 * Return: bytes written, or a negative errno (-EFBIG past the largest
 * size, -ENOSPC without frames or tables).
 */
ssize_t morsel_obj_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct morsel_overlay *ov = iocb->ki_filp->private_data;
	u64 max = morsel_obj_max_pages(ov->pool) << PAGE_SHIFT;
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;
	size_t count;
	void *buf;
	int err;

	err = overlay_usable(ov);
	if (err)
		return err;
	if (iocb->ki_flags & IOCB_APPEND)
		pos = READ_ONCE(overlay_obj(ov)->size);
	count = iov_iter_count(from);
	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	if ((u64)pos >= max)
		return -EFBIG;
	count = min_t(u64, count, max - pos);
	if ((u64)pos + count > READ_ONCE(overlay_obj(ov)->size)) {
		err = morsel_obj_resize(ov, pos + count, true);
		if (err)
			return err;
	}
	buf = (void *)__get_free_page(GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (count) {
		size_t off = offset_in_page(pos), n = min(PAGE_SIZE - off, count);

		if (copy_from_iter(buf, n, from) != n) {
			err = -EFAULT;
			break;
		}
		err = write_page(ov, pos >> PAGE_SHIFT, off, n, buf);
		if (err)
			break;
		pos += n;
		done += n;
		count -= n;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	free_page((unsigned long)buf);
	if (done)
		WRITE_ONCE(overlay_obj(ov)->mtime_ns, ktime_get_real_ns());
	iocb->ki_pos = pos;
	return done ? done : err;
}

/**
 * morsel_obj_zero() - zero [@start, @end) of one page, on every host.
 * @ov: this host's overlay.
 * @start: first byte.
 * @end: past the last byte, in the same page as @start.
 *
 * A page without a frame is a hole already; any other is taken
 * (write_page()) and zeroed as a store would.
 *
 * Context: process context, no lock held; sleeps.
 * Return: 0, or the errno of morsel_acquire().
 */
int morsel_obj_zero(struct morsel_overlay *ov, loff_t start, loff_t end)
{
	if (!MORSEL_PTE_FRAME1(READ_ONCE(*overlay_pte(ov, start >> PAGE_SHIFT))))
		return 0;
	return write_page(ov, start >> PAGE_SHIFT, offset_in_page(start), end - start,
			  page_address(ZERO_PAGE(0)));
}

/**
 * morsel_obj_fallocate() - fallocate() of an object file.
 * @file: the file.
 * @mode: 0 or FALLOC_FL_KEEP_SIZE (the size at least @offset + @len;
 *	frames come at first touch, as for every page), or
 *	FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (whole pages removed on
 *	every host, the partial ones zeroed).
 * @offset: first byte.
 * @len: bytes.
 *
 * Return: 0, -EOPNOTSUPP for any other mode, or an errno of the resize or
 * the punch.
 */
long morsel_obj_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct morsel_overlay *ov = file->private_data;
	loff_t end, first, last;
	u64 size;
	int err;

	err = overlay_usable(ov);
	if (err)
		return err;
	if (offset < 0 || len <= 0 || check_add_overflow(offset, len, &end))
		return -EINVAL;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if (!(mode & FALLOC_FL_PUNCH_HOLE))
		return mode ? 0 : morsel_obj_resize(ov, end, true);
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;	/* punch always keeps the size */
	size = READ_ONCE(overlay_obj(ov)->size);
	end = min_t(u64, end, size);
	if (offset >= end)
		return 0;
	first = round_up(offset, PAGE_SIZE);
	last = round_down(end, PAGE_SIZE);
	if (first > last)	/* within one page */
		return morsel_obj_zero(ov, offset, end);
	if (offset < first)
		err = morsel_obj_zero(ov, offset, first);
	if (!err && last < end)
		err = morsel_obj_zero(ov, last, end);
	if (!err && first < last)
		err = morsel_obj_punch(ov, first >> PAGE_SHIFT, (last - first) >> PAGE_SHIFT);
	if (!err)
		WRITE_ONCE(overlay_obj(ov)->mtime_ns, ktime_get_real_ns());
	return err;
}

/**
 * morsel_obj_llseek() - lseek() of an object file, against the pool's size.
 * @file: the file.
 * @offset: as lseek() takes it.
 * @whence: SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA or SEEK_HOLE.
 *
 * Return: the new position, or a negative errno.
 */
loff_t morsel_obj_llseek(struct file *file, loff_t offset, int whence)
{
	struct morsel_overlay *ov = file->private_data;

	return generic_file_llseek_size(file, offset, whence,
					morsel_obj_max_pages(ov->pool) << PAGE_SHIFT,
					READ_ONCE(overlay_obj(ov)->size));
}
