#!/bin/bash
# Build the static guest programs and pack them with busybox and the guest
# init into out/initramfs.cpio (uncompressed: the kernel needs no
# decompressor for it and TCG unpacks it fast).
set -euo pipefail
. "$(dirname "$0")/config.sh"

# The tests print KTAP through the tree's kselftest.h (tests/lib/tap.h).
KSELFTEST=$KSRC/tools/testing/selftests
[[ -f $KSELFTEST/kselftest.h ]] || die "$KSELFTEST/kselftest.h missing: run scripts/kernel.sh first"
DYNFLAGS=(-std=c11 -Wall -Wextra -Werror -O2
	-I "$REPO/include/uapi" -I "$REPO/tests/lib" -I "$KSELFTEST")
CFLAGS=("${DYNFLAGS[@]}" -static)
G=$OUT/guest
mkdir -p "$G"
build() {
	local out=$1
	shift
	gcc "${CFLAGS[@]}" -o "$G/$out" "$@" "$REPO/tests/lib/pool_client.c" \
		"$REPO/tests/lib/object_client.c"
}
build pool_test "$REPO/tests/guest/pool_test.c"
build pingbench "$REPO/bench/pingbench.c"
build object_test "$REPO/tests/guest/object_test.c"
build fuzz "$REPO/tests/guest/fuzz.c"
build subtree_test "$REPO/tests/guest/subtree_test.c"
build objbench "$REPO/bench/objbench.c"
build density "$REPO/bench/density.c"
build patterns "$REPO/bench/patterns.c" -lm
build graph "$REPO/bench/graph.c" -lm
build policy_test "$REPO/tests/guest/policy_test.c"
build policybench "$REPO/bench/policybench.c" -lm
build revokebench "$REPO/bench/revokebench.c"
build mapbench "$REPO/bench/mapbench.c"
build fs_test "$REPO/tests/guest/fs_test.c"
build lock_test "$REPO/tests/guest/lock_test.c"
build fsx "$REPO/tests/guest/fsx.c"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
chmod 755 "$root"	# mktemp made it 0700: no other user could walk /
cp /bin/busybox "$root/bin/busybox"
file "$root/bin/busybox" 2>/dev/null | grep -q 'statically linked' ||
	ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || die "/bin/busybox is not static: install busybox-static"
cp "$REPO/tests/guest/init" "$root/init"
chmod 755 "$root/init"
cp "$G"/pool_test "$G"/pingbench "$G"/object_test "$G"/fuzz "$G"/subtree_test "$G"/objbench \
	"$G"/policy_test "$G"/policybench "$G"/revokebench "$G"/mapbench "$G"/fs_test "$G"/lock_test "$G"/fsx \
	"$G"/density "$G"/patterns "$G"/graph \
	"$root/bin/"
# The policy loader and every BPF object (policies and test fixtures), for
# morsel-policy and for bpftool struct_ops register.
[[ -x $G/morsel-policy ]] || die "out/guest/morsel-policy missing: run scripts/bpf.sh"
cp "$G/morsel-policy" "$root/bin/"
install -m 755 "$REPO/bench/guest/xfertrace.sh" "$root/bin/xfertrace.sh"
mkdir -p "$root/lib/morsel"
cp "$OUT"/bpf/*.bpf.o "$root/lib/morsel/"
[[ -x $G/bpftool ]] || die "out/guest/bpftool missing: run scripts/tools.sh"
cp "$G/bpftool" "$root/bin/"
# A dynamic program into the guest's /bin, with its shared libraries.
with_libs() {	# with_libs PROGRAM
	[[ -x $1 ]] || die "$1 missing: run scripts/deps.sh"
	cp "$1" "$root/bin/"
	ldd "$1" | awk '/=> \// {print $3} /^[ \t]*\/lib/ {print $1}' | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
# perf from Debian's linux-perf, for perf record/trace of the morsel:*
# tracepoints in the guests; Debian's sqlite3 and LMDB tools, unmodified,
# and the SQLite test linked to Debian's libsqlite3.
with_libs "$(command -v perf || echo /usr/bin/perf)"
for tool in sqlite3 mdb_dump mdb_stat mdb_load mdb_copy; do
	with_libs "/usr/bin/$tool"
done
gcc "${DYNFLAGS[@]}" -o "$G/sqlite_test" "$REPO/tests/guest/sqlite_test.c" \
	"$REPO/tests/lib/pool_client.c" "$REPO/tests/lib/object_client.c" -lsqlite3
with_libs "$G/sqlite_test"
gcc "${DYNFLAGS[@]}" -o "$G/lmdb_test" "$REPO/tests/guest/lmdb_test.c" \
	"$REPO/tests/lib/pool_client.c" "$REPO/tests/lib/object_client.c" -llmdb
with_libs "$G/lmdb_test"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$OUT/initramfs.cpio.tmp"
mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
log "initramfs: $(du -h "$OUT/initramfs.cpio" | cut -f1) out/initramfs.cpio"
