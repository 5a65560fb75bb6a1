# Morsels on a CXL pool: the two commands of the README are `make demo` and
# `make test`; both install what they need and build what is missing.
# Build state (kernel tree, objects, ccache) lives in /var/cache/morsel.

SHELL := /bin/bash
OUT := out
HOST_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2

.PHONY: all deps kernel kernel-debug kernel-kcsan guest test test-debug demo eval kernel-patch checkpatch clean help

all: deps kernel guest $(OUT)/ivshmem-server $(OUT)/poolimg $(OUT)/poolcheck $(OUT)/graph-ref

help:
	@echo "make demo          boot 2 hosts on a pool, measure, print the table"
	@echo "make test          build everything and run every test"
	@echo "make eval          the evaluation's tables and plots into out/eval/ (NUMA=1: bind)"
	@echo "make test-debug    the object, policy and failure suites on the sanitizer kernel"
	@echo "make kernel        build out/bzImage (tinyconfig + kernel-patch/)"
	@echo "make kernel-patch  write the kernel change as a format-patch series"
	@echo "make checkpatch    run the tree's checkpatch.pl --strict on it"

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel.sh build

# The sanitizer kernel (kernel-patch/config-debug), its own object tree.
kernel-debug: deps
	@MORSEL_KVARIANT=debug scripts/kernel.sh build

guest: kernel
	@scripts/tools.sh
	@scripts/bpf.sh
	@scripts/initramfs.sh

$(OUT)/ivshmem-server: scripts/ivshmem-server.c | deps
	@mkdir -p $(OUT)
	gcc $(HOST_CFLAGS) -o $@ $<

$(OUT)/poolimg: tests/host/poolimg.c | deps
	@mkdir -p $(OUT)
	gcc $(HOST_CFLAGS) -o $@ $< -lz

# The pool checker reads the pool through the kernel's own layout.h.
$(OUT)/poolcheck: tests/host/poolcheck.c kernel-patch/tree/mm/morsel/layout.h \
		include/uapi/linux/morsel.h include/uapi/linux/morsel_pte.h | deps
	@mkdir -p $(OUT)
	gcc $(HOST_CFLAGS) -I tests/host/kshim -I include -I include/uapi \
		-I kernel-patch/tree/mm/morsel -o $@ $<

# The shared-graph workload's reference: bench/graph.c's code, natively.
$(OUT)/graph-ref: bench/graph-ref.c bench/graph.h | deps
	@mkdir -p $(OUT)
	gcc $(HOST_CFLAGS) -o $@ $< -lm

# The data-race kernel (kernel-patch/config-kcsan): KCSAN excludes KASAN.
kernel-kcsan: deps
	@MORSEL_KVARIANT=kcsan scripts/kernel.sh build

test: all kernel-debug kernel-kcsan
	@tests/run.sh

test-debug: all kernel-debug kernel-kcsan
	@tests/run.sh --debug

demo: all
	@scripts/demo.sh

# The evaluation's tables and plots, into out/eval/ (NUMA=1: bind the pool
# and the hosts to different NUMA nodes).
eval: all
	@scripts/eval.sh $(if $(filter 1,$(NUMA)),-N)

kernel-patch: deps
	@scripts/kernel.sh format-patch

checkpatch: kernel-patch
	@scripts/checkpatch.sh

clean:
	rm -rf $(OUT)
