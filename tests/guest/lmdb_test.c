// SPDX-License-Identifier: GPL-2.0
/*
 * Unmodified LMDB (Debian's liblmdb) on morselfs: one environment, host 0
 * the writer, every other host a reader, all at once; a YCSB-like mix
 * (the writer updates and inserts, readers read). LMDB's own lock file
 * keeps its reader table and writer mutex with futex-based pthread
 * mutexes, which cannot wake a waiter on another host, so the environment
 * is opened MDB_NOLOCK and serialised by an fcntl lock that holds across
 * hosts (filelock.c): the writer takes it exclusively per transaction,
 * a reader shared per read transaction. LMDB maps the file MAP_SHARED
 * and writes it with pwrite(): a reader host sees the writer's commits
 * through the ownership protocol.
 *
 * Every value encodes its key and version, so every read is checked (the
 * right key, a version that never goes back); at the end every host runs
 * Debian's mdb_dump in turn and all dumps must be identical.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>
#include "guest_job.h"

#define MNT "/mnt/pool"
#define ENV MNT "/kv.mdb"
#define LOCK MNT "/kv.lock"
#define BARRIER_MS 300000
#define KEYS 400
#define MAX_KEYS 800
#define HASH_FLAG 8	/* pc.ctl->flag[HASH_FLAG + host]: its dump's hash */

static struct pool_client pc;
static unsigned int me, nhosts, bar;
static unsigned int seen[MAX_KEYS];	/* highest version read per key + 1 */
static unsigned int updated;	/* reads that found a version the writer updated */

static void barrier(void)
{
	guest_barrier(&pc, &bar, nhosts, BARRIER_MS);
}

static int lock_fd = -1;

static int serialise(short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	return fcntl(lock_fd, type == F_UNLCK ? F_SETLK : F_SETLKW, &fl);
}

static void key_of(unsigned int k, char *buf, size_t len)
{
	snprintf(buf, len, "user%06u", k);
}

static void value_of(unsigned int k, unsigned int version, char *buf, size_t len)
{
	snprintf(buf, len, "user%06u:v%08u:%064u", k, version, k * 2654435761u + version);
}

/* Check a value read for key @k: its key and version; the version. */
static int check_value(unsigned int k, const MDB_val *v, unsigned int *version)
{
	char want[128], key[16];

	key_of(k, key, sizeof(key));
	if (v->mv_size < 20 || v->mv_size >= sizeof(want) || memcmp(v->mv_data, key, 10) ||
	    sscanf((const char *)v->mv_data + 11, "v%8u", version) != 1)
		return -1;
	value_of(k, *version, want, sizeof(want));
	return v->mv_size == strlen(want) + 1 && !memcmp(v->mv_data, want, v->mv_size) ? 0 : -1;
}

static int open_env(MDB_env **env, MDB_dbi *dbi, unsigned int flags)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_env_create(env);
	if (!rc)
		rc = mdb_env_set_mapsize(*env, 16u << 20);
	if (!rc)
		rc = mdb_env_open(*env, ENV, MDB_NOSUBDIR | MDB_NOLOCK | flags, 0664);
	if (!rc)
		rc = mdb_txn_begin(*env, NULL, flags & MDB_RDONLY, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, NULL, 0, dbi);
		rc = rc ?: mdb_txn_commit(txn);
	}
	if (rc) {
		tap_diag("open " ENV ": %s", mdb_strerror(rc));
		mdb_env_close(*env);
		*env = NULL;
	}
	return rc;
}

/* Writer: update (or insert) key @k to the next version. */
static int write_one(MDB_env *env, MDB_dbi dbi, unsigned int k)
{
	unsigned int version = 0;
	char key[16], val[128];
	MDB_val mk, mv;
	MDB_txn *txn;
	int rc;

	key_of(k, key, sizeof(key));
	mk = (MDB_val){ .mv_size = strlen(key), .mv_data = key };
	if (serialise(F_WRLCK))
		return -errno;
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc)
		goto out;
	rc = mdb_get(txn, dbi, &mk, &mv);
	if (!rc && check_value(k, &mv, &version))
		rc = -EBADMSG;
	else if (!rc)
		version++;
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc) {
		value_of(k, version, val, sizeof(val));
		mv = (MDB_val){ .mv_size = strlen(val) + 1, .mv_data = val };
		rc = mdb_put(txn, dbi, &mk, &mv, 0);
	}
	if (rc)
		mdb_txn_abort(txn);
	else
		rc = mdb_txn_commit(txn);
out:
	serialise(F_UNLCK);
	return rc;
}

/* Reader: key @k, checked; 1 if absent, 0 if good, else an error. */
static int read_one(MDB_env *env, MDB_dbi dbi, unsigned int k)
{
	unsigned int version;
	char key[16];
	MDB_val mk, mv;
	MDB_txn *txn;
	int rc;

	key_of(k, key, sizeof(key));
	mk = (MDB_val){ .mv_size = strlen(key), .mv_data = key };
	if (serialise(F_RDLCK))
		return -errno;
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (!rc) {
		rc = mdb_get(txn, dbi, &mk, &mv);
		if (rc == MDB_NOTFOUND)
			rc = k < KEYS ? -ENOENT : 1;
		else if (!rc && (check_value(k, &mv, &version) || version + 1 < seen[k]))
			rc = -EBADMSG;	/* not its value, or older than one read before */
		else if (!rc)
			seen[k] = version + 1;
		updated += !rc && version > 0;
		mdb_txn_abort(txn);
	}
	serialise(F_UNLCK);
	return rc;
}

static uint64_t hash_file(const char *path)
{
	uint64_t h = 1469598103934665603ull;
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		h = (h ^ (uint64_t)c) * 1099511628211ull;
	fclose(f);
	return h;
}

int main(int argc, char **argv)
{
	unsigned int ops = argc > 1 ? (unsigned int)atoi(argv[1]) :
				      (unsigned int)cmdline_int("mops", 1000);
	unsigned int i, k, bad = 0;
	unsigned int reads = 0, writes = 0, h, same = 0;
	int host = guest_job_start(&pc, &nhosts), rc = 0;
	struct own_counts before, after;
	char per[320], accel[16];
	uint64_t t0 = 0, ns;
	MDB_env *env = NULL;
	MDB_dbi dbi;
	uint64_t hash;

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	if (guest_mount_morselfs())
		return tap_end();
	tap_diag("%s", mdb_version(NULL, NULL, NULL));
	if (me == 0) {
		lock_fd = open(LOCK, O_CREAT | O_RDWR, 0666);
		rc = lock_fd < 0 ? -errno : open_env(&env, &dbi, 0);
		for (k = 0; !rc && k < KEYS; k++)
			rc = write_one(env, dbi, k);
		tap_ok(!rc, "host 0 loads %u keys (%s)", KEYS, rc ? mdb_strerror(rc) : "ok");
	}
	barrier();
	if (me != 0) {
		lock_fd = open(LOCK, O_RDWR);
		tap_ok(lock_fd >= 0 && !open_env(&env, &dbi, MDB_RDONLY),
		       "host %u opens the environment read-only", me);
	}
	barrier();
	srand(me * 7919 + 3);
	own_counts_read(&before);
	t0 = now_ns();
	for (i = 0; env && i < ops; i++) {
		k = (unsigned int)rand() % MAX_KEYS;
		if (me == 0 && i % 2 == 0) {
			rc = write_one(env, dbi, k);	/* update, or insert past KEYS */
			writes++;
		} else {
			rc = read_one(env, dbi, k);
			reads++;
			rc = rc == 1 ? 0 : rc;
		}
		if (rc && bad++ < 5)
			tap_diag("op %u key %u: %s", i, k, rc < 0 ? strerror(-rc) : mdb_strerror(rc));
	}
	ns = now_ns() - t0;
	own_counts_read(&after);
	own_counts_per_op(per, sizeof(per), &before, &after, i, "operation");
	cmdline_accel(accel, sizeof(accel));
	tap_diag("lmdb: host %u: %.1f operations/s, %u%% writes (%s, %u hosts); %s", me,
		 i * 1e9 / (double)(ns ? ns : 1), i ? writes * 100 / i : 0, accel, nhosts, per);
	tap_ok(env && !bad, "host %u: %u reads (%u found an updated value), %u writes, every value the right key at a version that never went back (%u bad)",
	       me, reads, updated, writes, bad);
	barrier();
	if (env)
		mdb_env_close(env);
	/* mdb_dump in turn: its lock file is LMDB's own, one host at a time. */
	for (h = 0; h < nhosts; h++) {
		if (h == me) {
			rc = system("mdb_dump -n -a " ENV " >/tmp/kv.dump 2>/tmp/kv.err");
			hash = rc == 0 ? hash_file("/tmp/kv.dump") : 0;
			if (rc)
				system("sed 's/^/# mdb_dump: /' /tmp/kv.err");
			__atomic_store_n(&pc.ctl->flag[HASH_FLAG + me], hash, __ATOMIC_RELEASE);
			tap_ok(hash != 0, "host %u: mdb_dump exits 0 (hash %016llx)", me,
			       (unsigned long long)hash);
		}
		barrier();
	}
	for (h = 0; h < nhosts; h++)
		same += __atomic_load_n(&pc.ctl->flag[HASH_FLAG + h], __ATOMIC_ACQUIRE) ==
			__atomic_load_n(&pc.ctl->flag[HASH_FLAG], __ATOMIC_ACQUIRE);
	tap_ok(same == nhosts, "host %u: the dumps of all %u hosts are identical (%u)", me, nhosts,
	       same);
	barrier();
	if (me == 0) {
		unlink(MNT "/kv.mdb-lock");
		tap_ok(!unlink(ENV) && !unlink(LOCK), "host 0 removes the environment");
	}
	close(lock_fd);
	return tap_end();
}
