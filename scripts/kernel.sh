#!/bin/bash
# Build our kernel: unpack Debian's source once into $KSRC (a git repo whose
# tag "pristine" is the untouched tree), lay kernel-patch/ onto it, configure
# from tinyconfig + kernel-patch/config, build bzImage out of tree with ccache.
#
#   kernel.sh build         everything above (incremental)
#   kernel.sh format-patch  write the whole change as a git format-patch series
set -euo pipefail
. "$(dirname "$0")/config.sh"

KP=$REPO/kernel-patch
GIT=(git -C "$KSRC" -c user.name=morsel -c user.email=morsel@invalid)

prepare_tree() {
	[[ -f $KERNEL_TARBALL ]] || die "$KERNEL_TARBALL missing: run scripts/deps.sh"
	if [[ -d $KSRC/.git ]] && "${GIT[@]}" rev-parse -q --verify pristine >/dev/null; then
		return
	fi
	log "unpacking $KERNEL_TARBALL into $KSRC (once, ~1 min)"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	tar -C "$KSRC.tmp" -xf "$KERNEL_TARBALL" --strip-components=1
	git -C "$KSRC.tmp" init -q
	git -C "$KSRC.tmp" add -A -f
	git -C "$KSRC.tmp" -c user.name=morsel -c user.email=morsel@invalid \
		commit -q -m "pristine $KERNEL_PKG $KERNEL_PKG_VERSION"
	git -C "$KSRC.tmp" tag pristine
	mv "$KSRC.tmp" "$KSRC"
}

# Copy $1 to $2 only when the content differs, so make sees no change
# for files we did not touch.
install_if_changed() {
	if ! cmp -s "$1" "$2"; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		log "  updated ${2#"$KSRC"/}"
	fi
}

patched_files() {
	sed -n 's|^+++ b/\([^	]*\).*|\1|p' "$KP"/patches/*.patch 2>/dev/null | sort -u
}

overlay() {
	local stage f
	stage=$(mktemp -d)
	# New files: kernel-patch/tree mirrors the kernel tree.
	(cd "$KP/tree" && find . -type f -printf '%P\n') | while read -r f; do
		install_if_changed "$KP/tree/$f" "$KSRC/$f"
	done
	# The UAPI header is the repository's include/, laid in as well.
	(cd "$REPO/include" && find . -type f -printf '%P\n') | while read -r f; do
		install_if_changed "$REPO/include/$f" "$KSRC/include/$f"
	done
	# Edits to existing files: patch the pristine version in a scratch tree.
	patched_files | while read -r f; do
		mkdir -p "$stage/$(dirname "$f")"
		"${GIT[@]}" show "pristine:$f" >"$stage/$f" 2>/dev/null || : >"$stage/$f"
	done
	for p in "$KP"/patches/*.patch; do
		[[ -e $p ]] || continue
		patch -s -p1 -d "$stage" --no-backup-if-mismatch <"$p" ||
			die "kernel-patch/patches/${p##*/} does not apply to the pristine tree"
	done
	patched_files | while read -r f; do
		install_if_changed "$stage/$f" "$KSRC/$f"
	done
	rm -rf "$stage"
}

configure() {
	local cfg=$KOBJ/.config stamp=$KOBJ/.morsel-config.sha
	local sum
	sum=$(cat "$KP/config" "$KP"/patches/*.patch "$(find "$KP/tree" -name 'Kconfig*' | sort)" \
		2>/dev/null | sha1sum)
	if [[ -f $cfg && -f $stamp && $(cat "$stamp") == "$sum" ]]; then
		return
	fi
	log "configuring: tinyconfig + kernel-patch/config"
	mkdir -p "$KOBJ"
	make -s -C "$KSRC" O="$KOBJ" ARCH=x86_64 tinyconfig >/dev/null
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$cfg" "$KP/config" >/dev/null
	make -s -C "$KSRC" O="$KOBJ" ARCH=x86_64 olddefconfig >/dev/null
	local bad=() line name val
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			name=${line%%=*} val=${line#*=}
			grep -qx "$name=$val" "$cfg" || bad+=("$line (got: $(grep "^$name=" "$cfg" || echo unset))")
			;;
		"# CONFIG_"*" is not set")
			name=${line#"# "}; name=${name%% *}
			! grep -q "^$name=" "$cfg" || bad+=("$line (got: $(grep "^$name=" "$cfg"))")
			;;
		esac
	done <"$KP/config"
	((${#bad[@]} == 0)) || die "config fragment not honoured: ${bad[*]}"
	echo "$sum" >"$stamp"
}

build() {
	prepare_tree
	overlay
	configure
	log "building bzImage in $KOBJ (clean build ~10 min, incremental ~1 min)"
	local t0=$SECONDS
	local blog=$KOBJ/build.log
	set +e
	make -C "$KSRC" O="$KOBJ" ARCH=x86_64 -j"$NPROC" CC="ccache gcc" \
		KBUILD_BUILD_TIMESTAMP=morsel KBUILD_BUILD_USER=morsel KBUILD_BUILD_HOST=morsel \
		bzImage 2>&1 | tee "$blog" | { grep --line-buffered -E '^  (CC|LD|AR)' |
		awk '{n++} n % 200 == 0 {printf "[kernel] %d objects...\n", n; fflush()}' || true; }
	local rc=${PIPESTATUS[0]}
	set -e
	if [[ $rc -ne 0 ]]; then
		grep -E -B2 -A6 'error|Error' "$blog" | head -60 >&2
		die "kernel build failed (full log: $blog)"
	fi
	if grep -q 'warning:' "$blog"; then
		grep -E -A4 'warning:' "$blog" | grep -F -A4 morsel >&2 || true
	fi
	mkdir -p "$OUT"
	cp "$KOBJ/arch/x86/boot/bzImage" "$OUT/bzImage"
	log "kernel built in $((SECONDS - t0)) s: out/bzImage"
}

format_patch() {
	prepare_tree
	local wt dest=${1:-$OUT/kernel-patch}
	wt=$(mktemp -d)
	"${GIT[@]}" worktree add -q --detach "$wt" pristine
	local G=(git -C "$wt" -c user.name="morsel developers" -c user.email=morsel@invalid)
	# The new files and their MAINTAINERS entry first, so that every
	# commit builds; then the hooks into existing files that switch them on.
	mkdir -p "$wt/include/uapi"
	cp -r "$REPO/include/uapi/." "$wt/include/uapi/"
	cp -r "$KP/tree/." "$wt/"
	"${G[@]}" apply --index "$KP"/patches/*MAINTAINERS*.patch
	"${G[@]}" add -f include/uapi include/trace mm/morsel
	"${G[@]}" commit -q -m "mm/morsel: shared virtual-memory objects on a CXL memory pool" \
		-m "$(fold -s -w 72 <<'MSG' | sed 's/ *$//'
Attach a memory pool shared by several hosts (a CXL 3.0 shared region, presented as a soft-reserved DAX range), validate or format its versioned, checksummed superblock, register the host with an epoch and a heartbeat lease, and exchange requests with the other hosts through mailbox rings in the pool's coherent region plus a doorbell interrupt per host (ivshmem-doorbell MSI-X under QEMU, or polling where no interrupt exists).

Named objects live entirely on the pool: a directory and one authoritative page table per object in the coherent region (8 bytes per 4 KiB page), frames in the data region. Every host maps an object through its own overlay (one address_space per object per host); pages are shared read-only or owned exclusively by one host (multiple readers / single writer), and a write fault revokes every other host's access through recalls on the channel (unmap_mapping_range and its TLB shootdown, write-back, acknowledgment) before the PTE becomes writable. Every wait is bounded by the lease; pages of a dead host return to their last written-back content. A stale-cache mode maps host-local shadows so that a missing write-back or invalidate shows up as wrong data.

/dev/morsel (include/uapi/linux/morsel.h) creates, opens and deletes objects and runs timed round trips; object fds map, resize, punch and report state. /sys/kernel/morsel shows the pool, the channel and the ownership counters; TRACE_SYSTEM morsel marks messages, faults, recalls, write-backs, invalidates and shootdowns. KUnit covers the superblock, the rings, the registry and the ownership transitions.
MSG
)"
	for p in "$KP"/patches/*.patch; do
		[[ $p == *MAINTAINERS* ]] && continue
		"${G[@]}" apply --index "$p"
		"${G[@]}" commit -q -m "$(sed -n 's/^Subject: \(\[PATCH\] \)\?//p' "$p" | head -1)" \
			-m "$(sed -n '/^$/,/^---$/p' "$p" | sed '1d;$d')"
	done
	rm -rf "$dest"
	"${G[@]}" format-patch -q -o "$dest" pristine..HEAD
	git -C "$KSRC" worktree remove --force "$wt"
	log "patch series: $dest ($(ls "$dest" | wc -l) patches)"
}

case "${1:-build}" in
build) build ;;
format-patch) format_patch "${2:-}" ;;
*) die "usage: kernel.sh build|format-patch [DIR]" ;;
esac
