// SPDX-License-Identifier: GPL-2.0
/*
 * morsel-policy: attach an ownership policy (bpf/NAME.bpf.c, through its
 * libbpf skeleton), print its statistics every interval, detach it on
 * SIGINT/SIGTERM or after a given time. If the kernel drops the policy
 * (an invalid answer, a recall deferred past the bound), print the
 * kernel's reason and exit with status 2, as sched_ext's loaders do.
 *
 *   morsel-policy [-i MS] [-d SEC] [-r MS] [-q] NAME[,NAME...]
 *   morsel-policy [-i MS] [-d SEC] [-q] -o FILE.bpf.o
 *   morsel-policy -l
 *
 * NAME is one of the policies built in (bpf/, -l lists them); -o loads
 * any object with one .struct_ops.link map of struct morsel_ops instead,
 * for policies written outside this tree.
 *
 * With several names and -r, the policies take turns every MS ms through
 * an atomic link update (BPF_LINK_UPDATE): there is never a moment
 * without a policy.
 *
 * The shape is tools/sched_ext/scx_simple.c's: main() parses, opens and
 * loads, attaches, loops, reports; every exit after the first load goes
 * through one teardown that destroys the link and every skeleton.
 *
 * Exit status: 0 detached on request, 1 an error, 2 the policy was
 * detached by the kernel or from outside (bpftool link detach).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "policy_stats.h"
#include "eager.skel.h"
#include "lazy.skel.h"
#include "seqgrant.skel.h"
#include "selfinval.skel.h"
#include "hold.skel.h"

#define SYS "/sys/kernel/morsel/policy/"
#define MAX_TURNS 8
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct policy {
	const char *name, *about;
	struct bpf_object *(*open_and_load)(void **skel);
	void (*destroy)(void *skel);
};

#define SKELETON(n)                                              \
	static struct bpf_object *n##_open_and_load(void **skel) \
	{                                                        \
		struct n##_bpf *s = n##_bpf__open_and_load();    \
                                                                 \
		*skel = s;                                       \
		return s ? s->obj : NULL;                        \
	}                                                        \
	static void n##_destroy(void *skel)                      \
	{                                                        \
		n##_bpf__destroy(skel);                          \
	}

SKELETON(eager)
SKELETON(lazy)
SKELETON(seqgrant)
SKELETON(selfinval)
SKELETON(hold)

/* clang-format off */
#define POLICY(n, about) { #n, about, n##_open_and_load, n##_destroy }
/* clang-format on */

static const struct policy policies[] = {
	POLICY(eager,
	       "write back and share every owned page at each msync/fsync"),
	POLICY(lazy, "write back only when recalled (the default's behaviour)"),
	POLICY(seqgrant, "grant a run of pages to a sequential writer"),
	POLICY(selfinval, "readers drop their copies every tick (Tigon-style)"),
	POLICY(hold,
	       "defer recalls 2 ms while writing here; first touch takes the page"),
};

/* A policy from an object file: no skeleton, the same maps. */
static struct policy file_policy = { .about = "loaded from a file" };

struct opts {
	unsigned int interval; /* ms between statistics lines */
	unsigned int duration; /* s until detach, 0: until a signal */
	unsigned int rotate; /* ms between swaps, 0: no rotation */
	bool quiet; /* no statistics lines while running */
	const char *names; /* NAME[,NAME...], or NULL with -o */
	const char *file; /* -o FILE */
};

/* One loaded policy of the rotation. */
struct turn {
	const struct policy *p;
	void *skel; /* NULL for a policy from a file */
	struct bpf_object *obj;
	struct bpf_map *ops, *stats;
};

/* Everything the teardown destroys. */
struct loader {
	struct turn turns[MAX_TURNS];
	unsigned int nturns, cur;
	struct bpf_link *link;
	long long detach_seq; /* the kernel's detach count before attaching */
};

static volatile sig_atomic_t exit_req;

static void on_signal(int sig)
{
	(void)sig;
	exit_req = 1;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One line of /sys/kernel/morsel/policy/@file, without its newline. */
static int read_sys(const char *file, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), SYS "%s", file);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static long long sys_num(const char *file)
{
	char buf[64];

	return read_sys(file, buf, sizeof(buf)) ? -1 : atoll(buf);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: morsel-policy [-i MS] [-d SEC] [-r MS] [-q] NAME[,NAME...]\n"
		"       morsel-policy [-i MS] [-d SEC] [-q] -o FILE.bpf.o\n"
		"       morsel-policy -l\n"
		"  -i MS   print statistics every MS ms (default 1000)\n"
		"  -d SEC  detach and exit after SEC seconds (default: on SIGINT/SIGTERM)\n"
		"  -r MS   with several names: swap to the next one every MS ms\n"
		"  -q      no statistics lines\n"
		"  -o FILE load the policy from FILE instead of a built-in one\n");
}

/* Fill @o from the command line; -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int opt;

	*o = (struct opts){ .interval = 1000 };
	while ((opt = getopt(argc, argv, "i:d:r:qlo:")) != -1) {
		switch (opt) {
		case 'i':
			o->interval = (unsigned int)atoi(optarg);
			break;
		case 'd':
			o->duration = (unsigned int)atoi(optarg);
			break;
		case 'r':
			o->rotate = (unsigned int)atoi(optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'o':
			o->file = optarg;
			break;
		case 'l':
			for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
				printf("%-10s %s\n", policies[i].name,
				       policies[i].about);
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind != argc - !o->file || !o->interval) {
		usage();
		return 1;
	}
	o->names = o->file ? NULL : argv[optind];
	if (access(SYS "state", R_OK)) {
		fprintf(stderr,
			"morsel-policy: %s: %s (not a morsel kernel?)\n",
			SYS "state", strerror(errno));
		return 1;
	}
	return -1;
}

static const struct policy *find_policy(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (!strcmp(policies[i].name, name))
			return &policies[i];
	return NULL;
}

/* Open and load one policy into @t (built in, or from @path); 0 or -1. */
static int load_turn(struct turn *t, const struct policy *p, const char *path)
{
	struct bpf_map *m;
	int err;

	if (path) {
		file_policy.name = path;
		t->p = &file_policy;
		t->obj = bpf_object__open_file(path, NULL);
		if (!t->obj) {
			fprintf(stderr, "morsel-policy: cannot open %s: %s\n",
				path, strerror(errno));
			return -1;
		}
		err = bpf_object__load(t->obj);
		if (err) {
			fprintf(stderr, "morsel-policy: cannot load %s: %s\n",
				path, strerror(-err));
			return -1;
		}
	} else {
		t->p = p;
		t->obj = p->open_and_load(&t->skel);
		if (!t->obj) {
			fprintf(stderr, "morsel-policy: cannot load %s: %s\n",
				p->name, strerror(errno));
			return -1;
		}
	}
	bpf_object__for_each_map(m, t->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
			t->ops = m;
		else if (!strcmp(bpf_map__name(m), "stats"))
			t->stats = m;
	}
	if (!t->ops || !t->stats) {
		fprintf(stderr,
			"morsel-policy: %s has no struct_ops or stats map\n",
			t->p->name);
		return -1;
	}
	return 0;
}

/* Open and load every policy of the rotation; 0 or -1. */
static int open_and_load(struct loader *ld, const struct opts *o)
{
	char *names, *tok, *save = NULL;
	int err = 0;

	if (o->file) {
		ld->nturns = 1;
		return load_turn(&ld->turns[0], NULL, o->file);
	}
	names = strdup(o->names);
	if (!names)
		return -1;
	for (tok = strtok_r(names, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct policy *p = find_policy(tok);

		if (!p) {
			fprintf(stderr,
				"morsel-policy: no policy '%s' (see -l)\n",
				tok);
			err = -1;
		} else if (ld->nturns == MAX_TURNS) {
			fprintf(stderr, "morsel-policy: at most %d policies\n",
				MAX_TURNS);
			err = -1;
		} else {
			err = load_turn(&ld->turns[ld->nturns++], p, NULL);
		}
	}
	free(names);
	if (!err && !ld->nturns) {
		usage();
		err = -1;
	}
	if (!err && ld->nturns > 1 && !o->rotate) {
		fprintf(stderr, "morsel-policy: several policies need -r MS\n");
		err = -1;
	}
	return err;
}

/* Attach the first policy; say why the kernel refused it. 0 or -1. */
static int attach(struct loader *ld)
{
	char buf[256];
	int err;

	ld->detach_seq = sys_num("detach_seq");
	ld->link = bpf_map__attach_struct_ops(ld->turns[0].ops);
	if (!ld->link) {
		err = errno;
		fprintf(stderr, "morsel-policy: cannot attach %s: %s\n",
			ld->turns[0].p->name, strerror(err));
		if (err == EBUSY && !read_sys("state", buf, sizeof(buf)) &&
		    !strcmp(buf, "error"))
			fprintf(stderr,
				"morsel-policy: a policy the kernel detached still holds its link\n");
		else if (err == EBUSY && !read_sys("name", buf, sizeof(buf)))
			fprintf(stderr,
				"morsel-policy: policy '%s' is attached already\n",
				buf);
		else if (!read_sys("last_detach_reason", buf, sizeof(buf)))
			fprintf(stderr,
				"morsel-policy: kernel's last reason: %s\n",
				buf);
		return -1;
	}
	printf("attached %s\n", ld->turns[0].p->name);
	fflush(stdout);
	return 0;
}

/*
 * One line: what the policy counted of its own decisions (the counters it
 * never touches stay out), then the kernel's counts: how often each hook
 * was asked, and what it granted, deferred and refused.
 */
static void print_stats(const struct turn *t)
{
	static const char *const names[] = POLICY_STAT_NAMES;
	static const char *const hooks[] = {
		"read_fault", "write_fault",  "recall", "sync",
		"tick",	      "recall_block", "relink",
	};
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[ncpu > 0 ? ncpu : 1];
	char file[64];

	printf("%s:", t->p->name);
	for (uint32_t k = 0; k < STAT_NR; k++) {
		uint64_t sum = 0;

		if (ncpu > 0 &&
		    !bpf_map__lookup_elem(t->stats, &k, sizeof(k), v,
					  sizeof(v[0]) * ncpu, 0))
			for (int c = 0; c < ncpu; c++)
				sum += v[c];
		if (sum)
			printf(" %s %llu", names[k], (unsigned long long)sum);
	}
	printf(" | kernel: asked");
	for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
		snprintf(file, sizeof(file), "decisions_%s", hooks[h]);
		printf(" %s %lld", hooks[h], sys_num(file));
	}
	printf(", granted %lld deferred %lld errors %lld\n", sys_num("granted"),
	       sys_num("deferred"), sys_num("errors"));
	fflush(stdout);
}

/*
 * Has the policy gone without our asking? Detached from outside (bpftool
 * link detach): the link hangs up. Detached by the kernel: its detach
 * count moved, and it says why.
 */
static bool policy_gone(const struct loader *ld)
{
	struct pollfd pfd = { .fd = bpf_link__fd(ld->link), .events = POLLIN };
	const char *name = ld->turns[ld->cur].p->name;
	char reason[256] = "";

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
		printf("EXIT: policy %s detached from outside (link detached)\n",
		       name);
		return true;
	}
	if (sys_num("detach_seq") != ld->detach_seq) {
		read_sys("last_detach_reason", reason, sizeof(reason));
		printf("EXIT: policy %s detached by the kernel: %s\n", name,
		       reason);
		return true;
	}
	return false;
}

/* Swap the link to the next policy of the rotation; 0 or -1. */
static int swap_next(struct loader *ld, bool quiet)
{
	unsigned int next = (ld->cur + 1) % ld->nturns;
	int err = bpf_link__update_map(ld->link, ld->turns[next].ops);

	if (err) {
		fprintf(stderr, "morsel-policy: swap to %s failed: %s\n",
			ld->turns[next].p->name, strerror(-err));
		return -1;
	}
	ld->cur = next;
	if (!quiet)
		printf("swapped to %s\n", ld->turns[ld->cur].p->name);
	return 0;
}

/* How long from @t until @wake, for ppoll(). */
static struct timespec until(uint64_t t, uint64_t wake)
{
	uint64_t ms = wake > t ? wake - t : 0;

	return (struct timespec){ .tv_sec = (time_t)(ms / 1000),
				  .tv_nsec = (long)(ms % 1000) * 1000000 };
}

/*
 * Until a signal, the duration, or the policy's end; the exit status.
 * Asleep in between, so that the policy's overhead carries no wake-ups
 * of ours: the link's fd hangs up when the link is detached from outside,
 * and the kernel notifies policy/detach_seq when it detaches the policy
 * (sysfs: a read arms the notification). Otherwise the loader wakes only
 * for a statistics line, a swap or the end. SIGINT and SIGTERM are
 * blocked but inside ppoll(), so that one cannot come between the check
 * of exit_req and the sleep.
 */
static int run(struct loader *ld, const struct opts *o)
{
	uint64_t start = now_ms(), next_print = start + o->interval;
	uint64_t next_swap = start + o->rotate;
	uint64_t end = o->duration ? start + o->duration * 1000ull : UINT64_MAX;
	bool rotating = o->rotate && ld->nturns > 1;
	struct pollfd pfd[2] = {
		{ .fd = bpf_link__fd(ld->link), .events = POLLIN },
		{ .fd = open(SYS "detach_seq", O_RDONLY | O_CLOEXEC), .events = POLLPRI },
	};
	sigset_t block, unblocked;
	char buf[32];
	int rc = 0;

	if (pfd[1].fd < 0 || pread(pfd[1].fd, buf, sizeof(buf), 0) < 0)
		fprintf(stderr,
			"morsel-policy: %sdetach_seq: %s: a detach by the kernel is seen at the next statistics line only\n",
			SYS, strerror(errno));
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	while (!exit_req) {
		uint64_t t = now_ms(), wake = end;
		struct timespec ts;

		if (policy_gone(ld)) {
			rc = 2;
			break;
		}
		if (t >= end)
			break;
		if (rotating && t >= next_swap) {
			if (swap_next(ld, o->quiet)) {
				rc = 1;
				break;
			}
			next_swap = t + o->rotate;
		}
		if (t >= next_print) {
			if (!o->quiet)
				print_stats(&ld->turns[ld->cur]);
			next_print = t + o->interval;
		}
		if (!o->quiet && next_print < wake)
			wake = next_print;
		if (rotating && next_swap < wake)
			wake = next_swap;
		ts = until(t, wake);
		if (ppoll(pfd, 2, wake == UINT64_MAX ? NULL : &ts, &unblocked) > 0 &&
		    pfd[1].revents && pread(pfd[1].fd, buf, sizeof(buf), 0) < 0) {
			close(pfd[1].fd); /* cannot arm it again: stop asking */
			pfd[1].fd = -1;
		}
	}
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	return rc;
}

/* The last statistics, then detach, with the kernel's state on either side. */
static void detach_report(struct loader *ld)
{
	char before[32] = "?", after[32] = "?";

	read_sys("state", before, sizeof(before));
	print_stats(&ld->turns[ld->cur]);
	bpf_link__destroy(ld->link);
	ld->link = NULL;
	read_sys("state", after, sizeof(after));
	printf("detached %s (kernel state was %s, now %s)\n",
	       ld->turns[ld->cur].p->name, before, after);
}

/* Every path out of main() after the first load comes here. */
static void destroy(struct loader *ld)
{
	bpf_link__destroy(ld->link); /* NULL-safe */
	for (unsigned int i = 0; i < ld->nturns; i++) {
		struct turn *t = &ld->turns[i];

		if (t->skel)
			t->p->destroy(t->skel);
		else
			bpf_object__close(t->obj); /* NULL-safe */
	}
}

int main(int argc, char **argv)
{
	struct loader ld = { 0 };
	struct opts o;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	libbpf_set_print(libbpf_print_fn);

	rc = 1;
	if (open_and_load(&ld, &o))
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (attach(&ld))
		goto out;
	rc = run(&ld, &o);
	detach_report(&ld);
out:
	destroy(&ld);
	return rc;
}
