// SPDX-License-Identifier: GPL-2.0
/*
 * ivshmem-server: hands out peer ids and doorbell eventfds to QEMU
 * ivshmem-doorbell devices, following QEMU's documented client-server
 * protocol (docs/specs/ivshmem-spec.rst). Debian ships no server.
 *
 * Every message is one little-endian int64, optionally with one fd
 * (SCM_RIGHTS). On connect a peer gets: version 0; its id; -1 + shm fd;
 * for every other peer, that peer's id once per vector with the peer's
 * eventfd for that vector; its own id once per vector with its own
 * eventfds. Existing peers get the new peer's id + eventfds. When a peer
 * disconnects, the others get its id without an fd.
 *
 * Peer ids are the lowest free ones, so that a host that reboots takes
 * its old id back and ids stay below the pool's host limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PEERS 64
#define MAX_VECTORS 8

struct peer {
	int sock;	/* -1 when the slot is free */
	int efd[MAX_VECTORS];
};

static struct peer peers[MAX_PEERS];
static int nvectors = 1;
static int shm_fd = -1;
static int verbose;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int send_msg(int sock, int64_t val, int fd)
{
	struct msghdr msg = { 0 };
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	ssize_t n;

	val = (int64_t)htole64((uint64_t)val);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(val) ? 0 : -1;
}

static void drop_peer(int id)
{
	struct peer *p = &peers[id];
	int i;

	close(p->sock);
	p->sock = -1;
	for (i = 0; i < nvectors; i++)
		close(p->efd[i]);
	for (i = 0; i < MAX_PEERS; i++)
		if (peers[i].sock >= 0)
			send_msg(peers[i].sock, id, -1);
	if (verbose)
		fprintf(stderr, "ivshmem-server: peer %d left\n", id);
}

static int add_peer(int sock)
{
	struct peer *p;
	int id, i, v;

	for (id = 0; id < MAX_PEERS && peers[id].sock >= 0; id++)
		;
	if (id == MAX_PEERS) {
		fprintf(stderr, "ivshmem-server: more than %d peers\n", MAX_PEERS);
		return -1;
	}
	p = &peers[id];
	for (v = 0; v < nvectors; v++) {
		p->efd[v] = eventfd(0, EFD_CLOEXEC);
		if (p->efd[v] < 0) {
			perror("ivshmem-server: eventfd");
			while (v--)
				close(p->efd[v]);
			return -1;
		}
	}
	if (send_msg(sock, 0, -1) || send_msg(sock, id, -1) ||
	    send_msg(sock, -1, shm_fd))
		goto fail;
	for (i = 0; i < MAX_PEERS; i++) {
		if (peers[i].sock < 0)
			continue;
		for (v = 0; v < nvectors; v++) {
			if (send_msg(sock, i, peers[i].efd[v]))
				goto fail;
			send_msg(peers[i].sock, id, p->efd[v]);
		}
	}
	for (v = 0; v < nvectors; v++)
		if (send_msg(sock, id, p->efd[v]))
			goto fail;
	p->sock = sock;
	if (verbose)
		fprintf(stderr, "ivshmem-server: peer %d joined\n", id);
	return 0;
fail:
	fprintf(stderr, "ivshmem-server: peer %d: handshake failed\n", id);
	for (v = 0; v < nvectors; v++)
		close(p->efd[v]);
	return -1;
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	case 0: break;
	default: return 0;
	}
	return *end ? 0 : v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ivshmem-server -S SOCKET -M SHM_PATH [-l SIZE[K|M|G]] [-n VECTORS] [-p PIDFILE] [-v]\n"
		"  SHM_PATH is a file (e.g. /dev/shm/x) created with SIZE bytes (default 1M).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sock_path = NULL, *shm_path = NULL, *pidfile = NULL;
	unsigned long long size = 1 << 20;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd[MAX_PEERS + 1];
	int pmap[MAX_PEERS + 1];
	int lsock, opt, i;

	while ((opt = getopt(argc, argv, "S:M:l:n:p:v")) != -1) {
		switch (opt) {
		case 'S': sock_path = optarg; break;
		case 'M': shm_path = optarg; break;
		case 'l': size = parse_size(optarg); break;
		case 'n': nvectors = atoi(optarg); break;
		case 'p': pidfile = optarg; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (!sock_path || !shm_path || nvectors < 1 || nvectors > MAX_VECTORS ||
	    size == 0)
		usage();
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
			"ivshmem-server: socket path of %zu bytes: a UNIX socket path has at most %zu: %s\n",
			strlen(sock_path), sizeof(sa.sun_path) - 1, sock_path);
		return 2;
	}

	for (i = 0; i < MAX_PEERS; i++)
		peers[i].sock = -1;
	shm_fd = open(shm_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (shm_fd < 0 || ftruncate(shm_fd, (off_t)size)) {
		fprintf(stderr, "ivshmem-server: %s: %s\n", shm_path, strerror(errno));
		return 1;
	}
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock_path);
	unlink(sock_path);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lsock, 16)) {
		fprintf(stderr, "ivshmem-server: %s: %s\n", sock_path, strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
	}

	while (!stop) {
		int n = 0;

		pfd[n].fd = lsock;
		pfd[n].events = POLLIN;
		pmap[n++] = -1;
		for (i = 0; i < MAX_PEERS; i++) {
			if (peers[i].sock < 0)
				continue;
			pfd[n].fd = peers[i].sock;
			pfd[n].events = POLLIN;
			pmap[n++] = i;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("ivshmem-server: poll");
			break;
		}
		for (i = 1; i < n; i++) {
			char buf[64];

			/* Clients never send; readable means closed. */
			if (pfd[i].revents &&
			    read(pfd[i].fd, buf, sizeof(buf)) <= 0)
				drop_peer(pmap[i]);
		}
		if (pfd[0].revents & POLLIN) {
			int s = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);

			if (s >= 0 && add_peer(s))
				close(s);
		}
	}
	unlink(sock_path);
	if (pidfile)
		unlink(pidfile);
	return 0;
}
