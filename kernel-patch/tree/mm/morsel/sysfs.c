// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/morsel: the pool, this host, and the channel counters.
 *
 *   pool/    state error size coherent_size data_offset version uuid
 *            host_id epoch lease_ms doorbell hosts_alive
 *   channel/ sent handled acked timeouts failed doorbells_sent
 *            doorbell_irqs stale bad ring_full late polling
 *   ownership/ read_faults write_faults transfers recalls_sent
 *            recalls_handled writebacks invalidates shootdowns stale_cache
 *            pages_recovered
 *   locks/   waits wakes  (record locks, filelock.c)
 *   policy/  name state last_detach_reason enable_seq detach_seq errors
 *            granted deferred decisions_{read_fault,write_fault,recall,
 *            sync,tick}  (policy.c)
 *
 * /sys/kernel/debug/morsel/hosts: the registry as a table.
 * /sys/kernel/debug/morsel/objects: this host's overlays, with counters.
 */
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>
#include "internal.h"
#include "policy.h"

/* The pool these files show; set once at init. */
static struct morsel_pool *P;

static const char *const state_names[] = {
	[MORSEL_POOL_ABSENT] = "absent",
	[MORSEL_POOL_ATTACHED] = "attached",
	[MORSEL_POOL_ONLINE] = "online",
	[MORSEL_POOL_REFUSED] = "refused",
	[MORSEL_POOL_FENCED] = "fenced",
};

static bool have_sb(void)
{
	return P->state == MORSEL_POOL_ATTACHED || P->state == MORSEL_POOL_ONLINE ||
	       P->state == MORSEL_POOL_FENCED;
}

static ssize_t state_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", state_names[READ_ONCE(P->state)]);
}

static ssize_t error_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", P->error);
}

#define SB_ATTR(name, expr)						\
static ssize_t name##_show(struct kobject *k, struct kobj_attribute *a,	\
			   char *buf)					\
{									\
	if (!have_sb())							\
		return -ENODEV;						\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

SB_ATTR(size, P->sb->pool_size);
SB_ATTR(coherent_size, P->sb->coherent_size);
SB_ATTR(data_offset, P->sb->data_off);
SB_ATTR(version, P->sb->version);
SB_ATTR(lease_ms, P->sb->lease_ms);
SB_ATTR(epoch, P->epoch);

static ssize_t host_id_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", P->host_id);
}

static ssize_t uuid_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	if (!have_sb())
		return -ENODEV;
	return sysfs_emit(buf, "%pUb\n", P->sb->uuid);
}

static ssize_t doorbell_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", morsel_doorbell_kind() == MORSEL_DOORBELL_IVSHMEM ?
			  "ivshmem" : "none");
}

static ssize_t hosts_alive_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	unsigned long mask;

	if (!have_sb())
		return -ENODEV;
	mask = morsel_hosts_alive_mask(P);
	return sysfs_emit(buf, "%*pbl\n", MORSEL_MAX_HOSTS, &mask);
}

static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute error_attr = __ATTR_RO(error);
static struct kobj_attribute host_id_attr = __ATTR_RO(host_id);
static struct kobj_attribute uuid_attr = __ATTR_RO(uuid);
static struct kobj_attribute doorbell_attr = __ATTR_RO(doorbell);
static struct kobj_attribute hosts_alive_attr = __ATTR_RO(hosts_alive);

static struct attribute *pool_attrs[] = {
	&state_attr.attr, &error_attr.attr, &size_attr.attr,
	&coherent_size_attr.attr, &data_offset_attr.attr, &version_attr.attr,
	&uuid_attr.attr, &host_id_attr.attr, &epoch_attr.attr,
	&lease_ms_attr.attr, &doorbell_attr.attr, &hosts_alive_attr.attr,
	NULL,
};

static const struct attribute_group pool_group = {
	.name = "pool",
	.attrs = pool_attrs,
};

/* A counter file: its name and the counter's offset in its structure. */
struct counter_field {
	const char *name;
	size_t off;
};

/* Fill @attrs and the group's @out from a table of counter fields. */
static void counter_attrs(const struct counter_field *f, size_t n,
			  struct kobj_attribute *attrs, struct attribute **out,
			  ssize_t (*show)(struct kobject *, struct kobj_attribute *, char *))
{
	size_t i;

	for (i = 0; i < n; i++) {
		sysfs_attr_init(&attrs[i].attr);
		attrs[i].attr.name = f[i].name;
		attrs[i].attr.mode = 0444;
		attrs[i].show = show;
		out[i] = &attrs[i].attr;
	}
}

/* The channel counters, one read-only file each. */
static const struct counter_field stat_fields[] = {
	{ "sent", offsetof(struct morsel_chan_stats, sent) },
	{ "handled", offsetof(struct morsel_chan_stats, handled) },
	{ "acked", offsetof(struct morsel_chan_stats, acked) },
	{ "timeouts", offsetof(struct morsel_chan_stats, timeouts) },
	{ "failed", offsetof(struct morsel_chan_stats, failed) },
	{ "doorbells_sent", offsetof(struct morsel_chan_stats, doorbells_sent) },
	{ "doorbell_irqs", offsetof(struct morsel_chan_stats, doorbell_irqs) },
	{ "stale", offsetof(struct morsel_chan_stats, stale) },
	{ "bad", offsetof(struct morsel_chan_stats, bad) },
	{ "ring_full", offsetof(struct morsel_chan_stats, ring_full) },
	{ "late", offsetof(struct morsel_chan_stats, late) },
};

static struct kobj_attribute stat_attrs[ARRAY_SIZE(stat_fields)];

static ssize_t stat_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	size_t off = stat_fields[a - stat_attrs].off;
	atomic64_t *v = (atomic64_t *)((char *)&P->stats + off);

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(v));
}

static ssize_t polling_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	if (P->state != MORSEL_POOL_ONLINE)
		return sysfs_emit(buf, "0\n");
	return sysfs_emit(buf, "%u\n", READ_ONCE(P->hosts[P->host_id].polling));
}

static struct kobj_attribute polling_attr = __ATTR_RO(polling);

/* Filled at init from stat_fields, plus polling and the NULL end. */
static struct attribute *channel_attrs[ARRAY_SIZE(stat_fields) + 2];

/* This host's ownership counters (counters.h), summed over its overlays. */
static struct kobj_attribute own_attrs[MORSEL_CNT_NR];
static struct attribute *ownership_attrs[MORSEL_CNT_NR + 3];

static ssize_t own_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", morsel_host_counter(a - own_attrs));
}

static ssize_t stale_cache_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", morsel_stale_cache);
}

static struct kobj_attribute stale_cache_attr = __ATTR_RO(stale_cache);

/* Pages this host took back from dead exclusive owners (recall.c). */
static ssize_t pages_recovered_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", morsel_pages_recovered());
}

static struct kobj_attribute pages_recovered_attr = __ATTR_RO(pages_recovered);

/* Record locks (filelock.c): sleeps for a lock, wake-ups from other hosts. */
static ssize_t lock_waits_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", morsel_filelock_stat(false));
}

static ssize_t lock_wakes_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", morsel_filelock_stat(true));
}

static struct kobj_attribute lock_waits_attr = __ATTR(waits, 0444, lock_waits_show, NULL);
static struct kobj_attribute lock_wakes_attr = __ATTR(wakes, 0444, lock_wakes_show, NULL);
static struct attribute *locks_attrs[] = { &lock_waits_attr.attr, &lock_wakes_attr.attr, NULL };

static const struct attribute_group locks_group = {
	.name = "locks",
	.attrs = locks_attrs,
};

static const struct attribute_group ownership_group = {
	.name = "ownership",
	.attrs = ownership_attrs,
};

static const struct attribute_group channel_group = {
	.name = "channel",
	.attrs = channel_attrs,
};

static int hosts_show(struct seq_file *m, void *v)
{
	unsigned int h;

	if (!have_sb())
		return -ENODEV;
	seq_puts(m, "id state epoch heartbeat silent_ms doorbell polling ncpus\n");
	for (h = 0; h < MORSEL_MAX_HOSTS; h++) {
		struct morsel_host_entry *e = &P->hosts[h];
		u64 se = READ_ONCE(e->state_epoch);

		if (morsel_hs_state(se) == MORSEL_HOST_FREE)
			continue;
		seq_printf(m, "%u %s %u %llu %u %u %u %u\n", h,
			   morsel_hs_name(morsel_hs_state(se)), morsel_hs_epoch(se),
			   READ_ONCE(e->heartbeat),
			   h == P->host_id ? 0 :
			   jiffies_to_msecs(jiffies - P->watch[h].changed),
			   READ_ONCE(e->doorbell), READ_ONCE(e->polling),
			   READ_ONCE(e->ncpus));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hosts);

static int objects_show(struct seq_file *m, void *v)
{
	return morsel_overlays_show(m);
}
DEFINE_SHOW_ATTRIBUTE(objects);

/**
 * morsel_sysfs_init() - create /sys/kernel/morsel and the debugfs table.
 * @p: the pool they show.
 *
 * Return: 0 or a negative errno.
 */
int morsel_sysfs_init(struct morsel_pool *p)
{
	struct kobject *kobj;
	struct dentry *dir;
	unsigned int c;
	int err;

	P = p;
	counter_attrs(stat_fields, ARRAY_SIZE(stat_fields), stat_attrs,
		      channel_attrs, stat_show);
	channel_attrs[ARRAY_SIZE(stat_fields)] = &polling_attr.attr;
	for (c = 0; c < MORSEL_CNT_NR; c++) {
		sysfs_attr_init(&own_attrs[c].attr);
		own_attrs[c].attr.name = morsel_counter_name(c);
		own_attrs[c].attr.mode = 0444;
		own_attrs[c].show = own_show;
		ownership_attrs[c] = &own_attrs[c].attr;
	}
	ownership_attrs[MORSEL_CNT_NR] = &stale_cache_attr.attr;
	ownership_attrs[MORSEL_CNT_NR + 1] = &pages_recovered_attr.attr;

	kobj = kobject_create_and_add("morsel", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &pool_group);
	if (!err)
		err = sysfs_create_group(kobj, &channel_group);
	if (!err)
		err = sysfs_create_group(kobj, &ownership_group);
	if (!err)
		err = sysfs_create_group(kobj, &locks_group);
	if (!err)
		err = sysfs_create_group(kobj, &morsel_policy_group);
	if (err) {
		kobject_put(kobj);
		return err;
	}
	morsel_policy_sysfs_ready(kobj);
	dir = debugfs_create_dir("morsel", NULL);
	debugfs_create_file("hosts", 0444, dir, NULL, &hosts_fops);
	debugfs_create_file("objects", 0444, dir, NULL, &objects_fops);
	morsel_stress_debugfs(p, dir);
	return 0;
}
