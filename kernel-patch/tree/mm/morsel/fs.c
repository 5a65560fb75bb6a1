// SPDX-License-Identifier: GPL-2.0-only
/*
 * morselfs: the pool's objects as files, so that programs we did not write
 * share them across hosts (mount -t morselfs none /mnt/pool). One flat
 * directory, which is the pool's object directory itself: a file that one
 * host creates is there on every other. Nothing of it is trusted from a
 * host's caches: readdir reads the pool, every dentry is revalidated
 * against it before use (another host may have deleted, replaced or
 * renamed the object), and size, mode, owner and mtime are read from the
 * object's entry whenever they are asked for. Mode, owner and group are
 * stored on the pool (the same numbers on every host) and enforced by the
 * VFS's permission checks on open, and so on mmap.
 *
 * An open file is a file of the host's overlay of the object, with the
 * operations of /dev/morsel's object files (object.c, rw.c): mmap through
 * the overlay, read/write through the ownership protocol, fsync as a sync
 * point, fallocate, the object ioctls, record locks that hold across
 * hosts (filelock.c). Its f_mapping is the overlay's, so that revoking a
 * page reaches mappings made through either interface.
 *
 * Not supported, with their errors: directories, links, special files
 * (EPERM, the VFS's answer for a missing operation), O_DIRECT and
 * MAP_PRIVATE (EINVAL), unlinking or renaming over an object that a host
 * maps (EBUSY: its frames would go while mapped). An object that another
 * host deletes is gone for the files open here too (ESTALE), unlike a
 * local file system's unlinked-but-open file. Names are 1..31 bytes of
 * [A-Za-z0-9._-]: longer ENAMETOOLONG, others EINVAL.
 *
 * The mount option coherence=morsels|pagecopy|twindiff|plain chooses the
 * coherence mode of the files this host creates from then on (one
 * superblock per host: a later mount or a remount changes it), so that
 * unmodified programs run on the page-copy and twin-and-diff baselines
 * and the plain upper bound too; a file keeps the mode it was created
 * with, on every host.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/seq_file.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include "overlay.h"

#define MORSELFS_MAGIC	0x4d4f5246	/* "MORF" */
#define FS_ROOT_INO	1
#define FS_INO(idx)	((idx) + 2)	/* objects: directory index + 2 */
#define FS_IDX(inode)	((unsigned int)((inode)->i_ino - 2))
#define FS_END_POS	FS_INO(MORSEL_MAX_OBJECTS)	/* readdir: past the last */

static struct morsel_pool *fs_pool;
/*
 * enum morsel_coherence of the files this host creates: the mount option
 * coherence=morsels|pagecopy|twindiff|plain of the first mount or a remount.
 */
static u32 fs_coherence;

static const struct inode_operations fs_file_iops;
static const struct file_operations fs_file_fops;

/* Is @name (@len bytes) one an object can have? 0, or the errno to give. */
static int fs_name_check(const struct qstr *name)
{
	if (name->len >= MORSEL_NAME_LEN)
		return -ENAMETOOLONG;
	return morsel_obj_name_valid((const char *)name->name, name->len + 1) ? 0 : -EINVAL;
}

static int fs_online(void)
{
	return READ_ONCE(fs_pool->state) == MORSEL_POOL_ONLINE ? 0 : -ENOTCONN;
}

/*
 * Read the object's attributes from its entry into @inode. False if the
 * entry no longer holds the object of this inode (deleted, maybe reused).
 */
static bool fs_refresh(struct inode *inode)
{
	struct morsel_obj_entry *o = morsel_obj_entry(fs_pool, FS_IDX(inode));
	struct timespec64 t;
	u32 mode;

	if (READ_ONCE(o->state) != MORSEL_OBJ_LIVE || READ_ONCE(o->gen) != inode->i_generation)
		return false;
	mode = READ_ONCE(o->mode) ?: 0600;
	inode->i_mode = S_IFREG | (mode & 07777);
	i_uid_write(inode, READ_ONCE(o->uid));
	i_gid_write(inode, READ_ONCE(o->gid));
	i_size_write(inode, READ_ONCE(o->size));
	t = ns_to_timespec64(READ_ONCE(o->mtime_ns));
	inode_set_mtime_to_ts(inode, t);
	inode_set_ctime_to_ts(inode, t);
	inode_set_atime_to_ts(inode, t);
	return true;
}

struct fs_key {
	unsigned int idx;
	u32 gen;
};

static int fs_inode_test(struct inode *inode, void *data)
{
	const struct fs_key *k = data;

	return inode->i_ino == FS_INO(k->idx) && inode->i_generation == k->gen;
}

static int fs_inode_set(struct inode *inode, void *data)
{
	const struct fs_key *k = data;

	inode->i_ino = FS_INO(k->idx);
	inode->i_generation = k->gen;
	return 0;
}

/* The inode of object (@idx, @gen), which the caller found live. */
static struct inode *fs_inode(struct super_block *sb, unsigned int idx, u32 gen)
{
	struct fs_key k = { .idx = idx, .gen = gen };
	struct inode *inode = iget5_locked(sb, idx, fs_inode_test, fs_inode_set, &k);

	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (inode->i_state & I_NEW) {
		inode->i_op = &fs_file_iops;
		inode->i_fop = &fs_file_fops;
		if (!fs_refresh(inode)) {
			iget_failed(inode);
			return ERR_PTR(-ENOENT);
		}
		unlock_new_inode(inode);
	} else if (!fs_refresh(inode)) {
		iput(inode);
		return ERR_PTR(-ENOENT);
	}
	return inode;
}

/*
 * A dentry is good while the pool's directory agrees: the same object
 * under the name, or (negative) still no object of that name.
 */
static int fs_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode;
	u32 gen;
	int idx;

	if (flags & LOOKUP_RCU)
		return -ECHILD;
	if (IS_ROOT(dentry))
		return 1;
	if (fs_name_check(&dentry->d_name) || fs_online())
		return 0;
	idx = morsel_obj_lookup(fs_pool, (const char *)dentry->d_name.name, &gen);
	inode = d_inode(dentry);
	if (!inode)
		return idx < 0;
	return idx >= 0 && FS_INO(idx) == inode->i_ino && gen == inode->i_generation &&
	       fs_refresh(inode);
}

static const struct dentry_operations fs_dops = {
	.d_revalidate = fs_d_revalidate,
	.d_delete = always_delete_dentry,
};

static struct dentry *fs_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	struct inode *inode = NULL;
	int idx, err;
	u32 gen;

	err = fs_name_check(&dentry->d_name);
	if (err == -ENAMETOOLONG)
		return ERR_PTR(err);
	if (!err) {
		err = fs_online();
		if (err)
			return ERR_PTR(err);
		idx = morsel_obj_lookup(fs_pool, (const char *)dentry->d_name.name, &gen);
		if (idx >= 0)
			inode = fs_inode(dir->i_sb, idx, gen);
		if (IS_ERR(inode) && PTR_ERR(inode) == -ENOENT)
			inode = NULL;	/* deleted since the lookup */
	}
	return d_splice_alias(inode, dentry);
}

static int fs_create(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry,
		     umode_t mode, bool excl)
{
	struct morsel_obj_owner own = {
		.mode = mode & 07777,
		.uid = from_kuid(&init_user_ns, current_fsuid()),
		.gid = from_kgid(&init_user_ns, current_fsgid()),
	};
	struct inode *inode;
	int idx, err;
	u32 gen;

	err = fs_name_check(&dentry->d_name) ?: fs_online();
	if (err)
		return err;
	idx = morsel_obj_create(fs_pool, (const char *)dentry->d_name.name, 0, &own,
				READ_ONCE(fs_coherence), &gen);
	if (idx < 0)
		return idx;
	inode = fs_inode(dir->i_sb, idx, gen);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	return 0;
}

static int fs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int err = fs_online();

	if (err)
		return err;
	err = morsel_obj_remove(fs_pool, FS_IDX(inode), inode->i_generation);
	if (!err)
		clear_nlink(inode);
	return err;
}

static int fs_rename(struct mnt_idmap *idmap, struct inode *old_dir, struct dentry *old,
		     struct inode *new_dir, struct dentry *new, unsigned int flags)
{
	struct inode *inode = d_inode(old), *target = d_inode(new);
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	err = fs_name_check(&new->d_name) ?: fs_online();
	if (err)
		return err;
	err = morsel_obj_rename(fs_pool, FS_IDX(inode), inode->i_generation,
				(const char *)new->d_name.name,
				!(flags & RENAME_NOREPLACE));
	if (!err && target)
		clear_nlink(target);
	return err;
}

/* readdir: the live objects of the pool's directory, by index. */
static int fs_iterate(struct file *file, struct dir_context *ctx)
{
	struct morsel_dir_item *items;
	unsigned int i, n;

	if (!dir_emit_dots(file, ctx))
		return 0;
	if (ctx->pos >= FS_END_POS)
		return 0;
	items = kmalloc_array(MORSEL_MAX_OBJECTS, sizeof(*items), GFP_KERNEL);
	if (!items)
		return -ENOMEM;
	n = morsel_dir_list(fs_pool, ctx->pos - 2, items, MORSEL_MAX_OBJECTS);
	for (i = 0; i < n; i++) {
		ctx->pos = FS_INO(items[i].idx);
		if (!dir_emit(ctx, items[i].name, strlen(items[i].name), FS_INO(items[i].idx),
			      DT_REG))
			break;
	}
	if (i == n)
		ctx->pos = FS_END_POS;
	kfree(items);
	return 0;
}

static loff_t fs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	return generic_file_llseek_size(file, offset, whence, FS_END_POS, FS_END_POS);
}

static const struct file_operations fs_dir_fops = {
	.llseek = fs_dir_llseek,
	.read = generic_read_dir,
	.iterate_shared = fs_iterate,
	.fsync = noop_fsync,	/* names are on the pool as soon as they change */
};

static const struct inode_operations fs_dir_iops = {
	.lookup = fs_lookup,
	.create = fs_create,
	.unlink = fs_unlink,
	.rename = fs_rename,
};

/* The pool's values first: another host may have changed them. */
static int fs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask)
{
	if (!fs_refresh(inode))
		return -ESTALE;
	return generic_permission(idmap, inode, mask);
}

static int fs_getattr(struct mnt_idmap *idmap, const struct path *path, struct kstat *stat,
		      u32 request_mask, unsigned int query_flags)
{
	struct inode *inode = d_inode(path->dentry);

	if (!fs_refresh(inode))
		return -ESTALE;
	generic_fillattr(idmap, request_mask, inode, stat);
	stat->blksize = PAGE_SIZE;
	return 0;
}

/* truncate and ftruncate: the object's size, on every host. */
static int fs_truncate(struct inode *inode, loff_t size)
{
	struct morsel_overlay *ov;
	int err;

	ov = morsel_overlay_get(fs_pool, FS_IDX(inode), inode->i_generation, true);
	if (IS_ERR(ov))
		return PTR_ERR(ov);
	err = morsel_obj_resize(ov, size, false);
	morsel_overlay_put(ov);
	return err;
}

static int fs_setattr(struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct morsel_obj_owner own;
	int err;

	err = fs_online();
	if (!err && !fs_refresh(inode))
		err = -ESTALE;
	if (!err)
		err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if (attr->ia_valid & ATTR_SIZE) {
		err = fs_truncate(inode, attr->ia_size);
		if (err)
			return err;
	}
	if (attr->ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID)) {
		own.mode = (attr->ia_valid & ATTR_MODE ? attr->ia_mode : inode->i_mode) & 07777;
		own.uid = from_kuid(&init_user_ns, attr->ia_valid & ATTR_UID ? attr->ia_uid :
									     inode->i_uid);
		own.gid = from_kgid(&init_user_ns, attr->ia_valid & ATTR_GID ? attr->ia_gid :
									     inode->i_gid);
		err = morsel_obj_set_owner(fs_pool, FS_IDX(inode), inode->i_generation, &own);
	}
	/* Times other than a write's are not kept: mtime follows the data. */
	fs_refresh(inode);
	return err;
}

static const struct inode_operations fs_file_iops = {
	.permission = fs_permission,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
};

/*
 * Open: a file of the overlay from now on, with the object file's
 * operations (object.c) and the overlay's mapping.
 */
static int fs_open(struct inode *inode, struct file *file)
{
	struct morsel_overlay *ov;
	int err = fs_online();

	if (err)
		return err;
	if (file->f_flags & O_DIRECT)
		return -EINVAL;	/* there is no page cache to bypass */
	ov = morsel_overlay_get(fs_pool, FS_IDX(inode), inode->i_generation, true);
	if (IS_ERR(ov))
		return PTR_ERR(ov) == -ESTALE ? -ENOENT : PTR_ERR(ov);
	file->private_data = ov;
	file->f_mapping = ov->inode->i_mapping;
	replace_fops(file, &morsel_fs_obj_fops);
	return 0;
}

static const struct file_operations fs_file_fops = {
	.open = fs_open,
};

static int fs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	unsigned int i, used = 0;

	/* A count as the directory is while it is read, as for the frames. */
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++)
		used += READ_ONCE(morsel_obj_entry(fs_pool, i)->state) == MORSEL_OBJ_LIVE;
	buf->f_type = MORSELFS_MAGIC;
	buf->f_bsize = PAGE_SIZE;
	buf->f_frsize = PAGE_SIZE;
	buf->f_blocks = morsel_sb_frames(fs_pool->sb);
	buf->f_bfree = morsel_frames_free(fs_pool);
	buf->f_bavail = buf->f_bfree;
	buf->f_files = MORSEL_MAX_OBJECTS;
	buf->f_ffree = MORSEL_MAX_OBJECTS - used;
	buf->f_namelen = MORSEL_NAME_LEN - 1;
	return 0;
}

static const struct constant_table fs_coherence_names[] = {
	{ "morsels", MORSEL_COHERENCE_LINES },
	{ "pagecopy", MORSEL_COHERENCE_PAGECOPY },
	{ "twindiff", MORSEL_COHERENCE_TWINDIFF },
	{ "plain", MORSEL_COHERENCE_PLAIN },	/* indexed by value: show_options */
	{}
};

static int fs_show_options(struct seq_file *m, struct dentry *root)
{
	seq_printf(m, ",coherence=%s",
		   fs_coherence_names[READ_ONCE(fs_coherence)].name);
	return 0;
}

static const struct super_operations fs_sops = {
	.statfs = fs_statfs,
	.show_options = fs_show_options,
	.drop_inode = generic_delete_inode,
};

static int fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;
	int err = fs_online();

	if (err) {
		errorf(fc, "morselfs: no pool is online on this host");
		return err;
	}
	sb->s_magic = MORSELFS_MAGIC;
	sb->s_op = &fs_sops;
	sb->s_d_op = &fs_dops;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = morsel_obj_max_pages(fs_pool) << PAGE_SHIFT;
	sb->s_time_gran = 1;
	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = FS_ROOT_INO;
	/* Anyone may create; only an owner removes (as /tmp). */
	root->i_mode = S_IFDIR | S_ISVTX | 0777;
	root->i_op = &fs_dir_iops;
	root->i_fop = &fs_dir_fops;
	simple_inode_init_ts(root);
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int fs_get_tree(struct fs_context *fc)
{
	int err = get_tree_single(fc, fs_fill_super);

	/* One superblock per host: a later mount's option applies too. */
	if (!err && fc->fs_private)
		WRITE_ONCE(fs_coherence, (uintptr_t)fc->fs_private - 1);
	return err;
}

static const struct fs_parameter_spec fs_params[] = {
	fsparam_enum("coherence", 0, fs_coherence_names),
	{}
};

/* coherence=: kept as its value + 1 (0: not given) until applied. */
static int fs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct fs_parse_result r;
	int opt = fs_parse(fc, fs_params, param, &r);

	if (opt < 0)
		return opt;
	fc->fs_private = (void *)(uintptr_t)(r.uint_32 + 1);
	return 0;
}

static int fs_reconfigure(struct fs_context *fc)
{
	if (fc->fs_private)
		WRITE_ONCE(fs_coherence, (uintptr_t)fc->fs_private - 1);
	return 0;
}

static const struct fs_context_operations fs_context_ops = {
	.get_tree = fs_get_tree,
	.parse_param = fs_parse_param,
	.reconfigure = fs_reconfigure,
};

static int fs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &fs_context_ops;
	return 0;
}

static struct file_system_type morselfs_type = {
	.owner = THIS_MODULE,
	.name = "morselfs",
	.init_fs_context = fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * morsel_fs_init() - register morselfs.
 * @p: the pool its files are objects of.
 *
 * Mounting needs the pool online; until then a mount fails with ENOTCONN.
 *
 * Return: 0 or a negative errno.
 */
int morsel_fs_init(struct morsel_pool *p)
{
	fs_pool = p;
	return register_filesystem(&morselfs_type);
}
