// SPDX-License-Identifier: GPL-2.0
/*
 * Unmodified SQLite (Debian's libsqlite3) on morselfs, one database shared
 * by every host of the run: a bank whose accounts every host moves money
 * between at the same time, each transfer a BEGIN IMMEDIATE transaction
 * that also logs itself. Run twice, in rollback-journal mode (SQLite's
 * fcntl locks on the database file) and in WAL mode (its -shm index is a
 * MAP_SHARED mapping of a file on every host, its locks fcntl locks on
 * that file: SQLite says WAL does not work across machines; here it must).
 * Every host then finds the total exact, every host's transfers logged,
 * and PRAGMA integrity_check "ok".
 *
 * Per mode a diagnostic line gives this host's transactions per second and
 * the protocol's counts per transaction (TCG numbers: a measurement, not a
 * check).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "guest_job.h"

#define MNT "/mnt/pool"
#define BARRIER_MS 300000
#define ACCOUNTS 50
#define START_BALANCE 1000

static struct pool_client pc;
static unsigned int me, nhosts, bar;

static void barrier(void)
{
	guest_barrier(&pc, &bar, nhosts, BARRIER_MS);
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		tap_diag("%s: %s (%d)", sql, msg ? msg : sqlite3_errstr(rc), rc);
	sqlite3_free(msg);
	return rc;
}

/* The first column of the first row of @sql as an integer; -1 on error. */
static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row of @sql as text, into @buf. */
static const char *query_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;

	snprintf(buf, len, "(error)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return buf;
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/*
 * SQLite's own busy handler backs off up to 100 ms a try, so a host that
 * once found the database locked sleeps while the other commits dozens of
 * transactions: the hosts would take turns in long runs. This one retries
 * every 0.5-1.5 ms, for up to 2 minutes.
 */
static int busy(void *arg, int tries)
{
	(void)arg;
	if (tries > 120000)
		return 0;
	usleep(500 + rand() % 1000);
	return 1;
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		tap_diag("open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_handler(db, busy, NULL);
	return db;
}

/* One transfer, logged; SQLITE_OK or the failing step's code. */
static int transfer(sqlite3 *db, sqlite3_stmt *st[3], unsigned int seq)
{
	int a = 1 + rand() % ACCOUNTS, b = 1 + (a + rand() % (ACCOUNTS - 1)) % ACCOUNTS;
	int amount = 1 + rand() % 100, rc, i;

	rc = exec(db, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int(st[0], 1, amount);
	sqlite3_bind_int(st[0], 2, a);
	sqlite3_bind_int(st[1], 1, amount);
	sqlite3_bind_int(st[1], 2, b);
	sqlite3_bind_int(st[2], 1, (int)me);
	sqlite3_bind_int(st[2], 2, (int)seq);
	sqlite3_bind_int(st[2], 3, a);
	sqlite3_bind_int(st[2], 4, b);
	sqlite3_bind_int(st[2], 5, amount);
	for (i = 0; i < 3; i++) {
		rc = sqlite3_step(st[i]);
		sqlite3_reset(st[i]);
		if (rc != SQLITE_DONE) {
			tap_diag("transfer %u step %d: %s", seq, i, sqlite3_errmsg(db));
			exec(db, "ROLLBACK");
			return rc;
		}
	}
	return exec(db, "COMMIT");
}

/* The bank in journal mode @mode ("delete" or "wal"), @n transfers per host. */
static void bank(const char *mode, unsigned int n)
{
	char path[64], sql[320], buf[64] = "", per[320], accel[16];
	struct own_counts before, after;
	long long total, logged, mine;
	sqlite3_stmt *st[3] = {};
	unsigned int i, failed = 0, h;
	uint64_t t0, ns;
	sqlite3 *db;

	snprintf(path, sizeof(path), MNT "/bank-%s.db", mode);
	if (me == 0) {
		db = open_db(path);
		snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
		if (db)
			query_text(db, sql, buf, sizeof(buf));
		tap_ok(db && !strcasecmp(buf, mode),
		       "%s: host 0 creates the database in journal mode %s", mode, buf);
		snprintf(sql, sizeof(sql),
			 "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL);"
			 "CREATE TABLE log(host INTEGER, seq INTEGER, a INTEGER, b INTEGER,"
			 " amount INTEGER, PRIMARY KEY(host, seq));"
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
			 " WHERE i < %d) INSERT INTO acct SELECT i, %d FROM n;",
			 ACCOUNTS, START_BALANCE);
		tap_ok(db && exec(db, sql) == SQLITE_OK,
		       "%s: %d accounts of %d", mode, ACCOUNTS, START_BALANCE);
		sqlite3_close(db);
	}
	barrier();
	db = open_db(path);
	tap_ok(db && query_int(db, "SELECT count(*) FROM acct") == ACCOUNTS,
	       "%s: host %u opens the database and sees %d accounts", mode, me, ACCOUNTS);
	if (!db)
		goto out;
	tap_ok(sqlite3_prepare_v2(db, "UPDATE acct SET bal = bal - ?1 WHERE id = ?2", -1, &st[0],
				  NULL) == SQLITE_OK &&
		       sqlite3_prepare_v2(db, "UPDATE acct SET bal = bal + ?1 WHERE id = ?2", -1,
					  &st[1], NULL) == SQLITE_OK &&
		       sqlite3_prepare_v2(db, "INSERT INTO log VALUES(?1, ?2, ?3, ?4, ?5)", -1, &st[2],
					  NULL) == SQLITE_OK,
	       "%s: statements prepared", mode);
	srand(me * 7919 + 1);
	barrier();
	own_counts_read(&before);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		failed += transfer(db, st, i) != SQLITE_OK;
		usleep(rand() % 1000);	/* a client's think time: the others get in */
	}
	ns = now_ns() - t0;
	own_counts_read(&after);
	tap_ok(!failed, "%s: host %u committed %u transfers, all running at once with the other hosts' (%u failed)",
	       mode, me, n, failed);
	own_counts_per_op(per, sizeof(per), &before, &after, n, "transaction");
	cmdline_accel(accel, sizeof(accel));
	tap_diag("%s: host %u: %.1f transactions/s (%s, %u hosts); %s", mode, me,
		 n * 1e9 / (double)ns, accel, nhosts, per);
	for (i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	barrier();
	/* Every host checks what all of them did. */
	total = query_int(db, "SELECT sum(bal) FROM acct");
	tap_ok(total == (long long)ACCOUNTS * START_BALANCE, "%s: host %u: the total is exact (%lld)",
	       mode, me, total);
	logged = query_int(db, "SELECT count(*) FROM log");
	tap_ok(logged == (long long)n * nhosts, "%s: host %u: all %u transfers of the %u hosts are logged (%lld)",
	       mode, me, n * nhosts, nhosts, logged);
	for (h = 0; h < nhosts; h++) {
		snprintf(sql, sizeof(sql), "SELECT count(DISTINCT seq) FROM log WHERE host = %u", h);
		mine = query_int(db, sql);
		if (mine != n)
			break;
	}
	tap_ok(h == nhosts, "%s: host %u: every host's transfers are there, each once", mode, me);
	if (me == 0)
		tap_diag("%s: the log switches between hosts %lld times in commit order", mode,
			 query_int(db, "SELECT count(*) FROM log a JOIN log b ON b.rowid = a.rowid + 1"
				       " WHERE a.host != b.host"));
	query_text(db, "PRAGMA integrity_check", buf, sizeof(buf));
	tap_ok(!strcmp(buf, "ok"),
	       "%s: host %u: PRAGMA integrity_check: %s", mode, me, buf);
	barrier();
	if (me == 0 && !strcmp(mode, "wal"))
		tap_ok(query_int(db, "PRAGMA wal_checkpoint(TRUNCATE)") == 0,
		       "wal: host 0 checkpoints the log into the database");
	barrier();
	if (!strcmp(mode, "wal"))
		tap_ok(query_int(db, "SELECT sum(bal) FROM acct") == total &&
			       query_int(db, "SELECT count(*) FROM log") == logged,
		       "wal: host %u reads the same after the checkpoint", me);
	sqlite3_close(db);
out:
	barrier();
}

int main(int argc, char **argv)
{
	int host = guest_job_start(&pc, &nhosts);
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) :
				    (unsigned int)cmdline_int("mtransfers", 100);

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	if (guest_mount_morselfs())
		return tap_end();
	tap_diag("SQLite %s", sqlite3_libversion());
	barrier();
	bank("delete", n);
	bank("wal", n);
	return tap_end();
}
