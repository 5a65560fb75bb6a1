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
 */
#define _GNU_SOURCE
#include <errno.h>
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

struct policy {
	const char *name, *about;
	struct bpf_object *(*open)(void **skel);
	void (*destroy)(void *skel);
};

#define SKELETON(n)							\
static struct bpf_object *n##_open(void **skel)			\
{									\
	struct n##_bpf *s = n##_bpf__open_and_load();			\
									\
	*skel = s;							\
	return s ? s->obj : NULL;					\
}									\
static void n##_destroy(void *skel)					\
{									\
	n##_bpf__destroy(skel);						\
}

SKELETON(eager)
SKELETON(lazy)
SKELETON(seqgrant)
SKELETON(selfinval)
SKELETON(hold)

#define POLICY(n, about) { #n, about, n##_open, n##_destroy }

static const struct policy policies[] = {
	POLICY(eager, "write back and share every owned page at each msync/fsync"),
	POLICY(lazy, "write back only when recalled (the default's behaviour)"),
	POLICY(seqgrant, "grant a run of pages to a sequential writer"),
	POLICY(selfinval, "readers drop their copies every tick (Tigon-style)"),
	POLICY(hold, "defer recalls 2 ms while writing here; first touch takes the page"),
};

/* One loaded policy of the rotation. */
struct turn {
	const struct policy *p;
	void *skel;
	struct bpf_object *obj;
	struct bpf_map *ops, *stats;
};

static volatile sig_atomic_t stop;
static bool quiet;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static const struct policy *find_policy(const char *name)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (!strcmp(policies[i].name, name))
			return &policies[i];
	return NULL;
}

/* A policy from an object file: no skeleton, the same maps. */
static struct policy file_policy = { .about = "loaded from a file" };

static int load_file(struct turn *t, const char *path)
{
	int err;

	file_policy.name = path;
	t->p = &file_policy;
	t->obj = bpf_object__open_file(path, NULL);
	if (!t->obj) {
		fprintf(stderr, "morsel-policy: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	err = bpf_object__load(t->obj);
	if (err) {
		fprintf(stderr, "morsel-policy: cannot load %s: %s\n", path, strerror(-err));
		return -1;
	}
	return 0;
}

static int load_turn(struct turn *t, const struct policy *p, const char *path)
{
	struct bpf_map *m;

	if (path) {
		if (load_file(t, path))
			return -1;
	} else {
		t->p = p;
		t->obj = p->open(&t->skel);
		if (!t->obj) {
			fprintf(stderr, "morsel-policy: cannot load %s: %s\n", p->name,
				strerror(errno));
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
		fprintf(stderr, "morsel-policy: %s has no struct_ops or stats map\n", t->p->name);
		return -1;
	}
	return 0;
}

static void sum_stats(const struct turn *t, uint64_t out[STAT_NR])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[ncpu > 0 ? ncpu : 1];

	for (uint32_t k = 0; k < STAT_NR; k++) {
		out[k] = 0;
		if (ncpu <= 0 || bpf_map__lookup_elem(t->stats, &k, sizeof(k), v,
						       sizeof(v[0]) * ncpu, 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
}

static void print_stats(const struct turn *t)
{
	static const char *const names[] = POLICY_STAT_NAMES;
	uint64_t s[STAT_NR];

	sum_stats(t, s);
	printf("%s:", t->p->name);
	for (int k = 0; k < STAT_NR; k++)
		printf(" %s %llu", names[k], (unsigned long long)s[k]);
	printf(" | kernel: granted %lld deferred %lld errors %lld\n",
	       sys_num("granted"), sys_num("deferred"), sys_num("errors"));
	fflush(stdout);
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

int main(int argc, char **argv)
{
	unsigned int interval = 1000, rotate = 0, duration = 0, nturns = 0, cur = 0;
	struct turn turns[MAX_TURNS] = { 0 };
	struct bpf_link *link = NULL;
	uint64_t start, next_print, next_swap;
	long long seq0;
	char *names, *tok, *file = NULL, state[32], reason[256];
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "i:d:r:qlo:")) != -1) {
		switch (opt) {
		case 'i':
			interval = (unsigned int)atoi(optarg);
			break;
		case 'd':
			duration = (unsigned int)atoi(optarg);
			break;
		case 'r':
			rotate = (unsigned int)atoi(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'o':
			file = optarg;
			break;
		case 'l':
			for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
				printf("%-10s %s\n", policies[i].name, policies[i].about);
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind != argc - !file || !interval) {
		usage();
		return 1;
	}
	if (access(SYS "state", R_OK)) {
		fprintf(stderr, "morsel-policy: %s: %s (not a morsel kernel?)\n",
			SYS "state", strerror(errno));
		return 1;
	}
	libbpf_set_print(libbpf_print);
	if (file) {
		nturns = 1;
		if (load_turn(&turns[0], NULL, file)) {
			rc = 1;
			goto out;
		}
	}
	names = strdup(file ? "" : argv[optind]);
	for (tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
		const struct policy *p = find_policy(tok);

		if (!p) {
			fprintf(stderr, "morsel-policy: no policy '%s' (see -l)\n", tok);
			return 1;
		}
		if (nturns == MAX_TURNS) {
			fprintf(stderr, "morsel-policy: at most %d policies\n", MAX_TURNS);
			return 1;
		}
		if (load_turn(&turns[nturns++], p, NULL)) {
			rc = 1;
			goto out;
		}
	}
	free(names);
	if (nturns > 1 && !rotate) {
		fprintf(stderr, "morsel-policy: several policies need -r MS\n");
		rc = 1;
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	seq0 = sys_num("detach_seq");
	link = bpf_map__attach_struct_ops(turns[0].ops);
	if (!link) {
		rc = errno;
		fprintf(stderr, "morsel-policy: cannot attach %s: %s\n", turns[0].p->name,
			strerror(rc));
		if (rc == EBUSY && !read_sys("state", state, sizeof(state)) &&
		    !strcmp(state, "error"))
			fprintf(stderr, "morsel-policy: a policy the kernel detached still holds its link\n");
		else if (rc == EBUSY && !read_sys("name", reason, sizeof(reason)))
			fprintf(stderr, "morsel-policy: policy '%s' is attached already\n",
				reason);
		else if (!read_sys("last_detach_reason", reason, sizeof(reason)))
			fprintf(stderr, "morsel-policy: kernel's last reason: %s\n", reason);
		rc = 1;
		goto out;
	}
	printf("attached %s\n", turns[0].p->name);
	fflush(stdout);

	start = now_ms();
	next_print = start + interval;
	next_swap = start + rotate;
	while (!stop) {
		struct pollfd pfd = { .fd = bpf_link__fd(link), .events = POLLIN };
		uint64_t t = now_ms();

		/* Detached from outside (bpftool link detach): the link hangs up. */
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
			printf("EXIT: policy %s detached from outside (link detached)\n",
			       turns[cur].p->name);
			rc = 2;
			break;
		}
		if (sys_num("detach_seq") != seq0) {
			read_sys("last_detach_reason", reason, sizeof(reason));
			printf("EXIT: policy %s detached by the kernel: %s\n",
			       turns[cur].p->name, reason);
			rc = 2;
			break;
		}
		if (duration && t - start >= duration * 1000ull)
			break;
		if (rotate && nturns > 1 && t >= next_swap) {
			unsigned int nx = (cur + 1) % nturns;
			int err = bpf_link__update_map(link, turns[nx].ops);

			if (err) {
				fprintf(stderr, "morsel-policy: swap to %s failed: %s\n",
					turns[nx].p->name, strerror(-err));
				rc = 1;
				break;
			}
			cur = nx;
			if (!quiet)
				printf("swapped to %s\n", turns[cur].p->name);
			next_swap = t + rotate;
		}
		if (t >= next_print) {
			if (!quiet)
				print_stats(&turns[cur]);
			next_print = t + interval;
		}
		usleep(rotate && rotate < 50 ? rotate * 1000 : 20000);
	}

	read_sys("state", state, sizeof(state));
	print_stats(&turns[cur]);
	bpf_link__destroy(link);
	link = NULL;
	printf("detached %s (kernel state was %s, now ", turns[cur].p->name, state);
	read_sys("state", state, sizeof(state));
	printf("%s)\n", state);
out:
	for (unsigned int i = 0; i < nturns; i++)
		if (turns[i].skel)
			turns[i].p->destroy(turns[i].skel);
		else if (turns[i].obj)
			bpf_object__close(turns[i].obj);
	return rc;
}
