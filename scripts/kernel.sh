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
	local frags=("$KP/config")
	[[ -z $KVARIANT ]] || frags+=("$KP/config-$KVARIANT")
	sum=$(cat "${frags[@]}" "$KP"/patches/*.patch "$(find "$KP/tree" -name 'Kconfig*' | sort)" \
		2>/dev/null | sha1sum)
	if [[ -f $cfg && -f $stamp && $(cat "$stamp") == "$sum" ]]; then
		return
	fi
	log "configuring: tinyconfig + kernel-patch/config"
	mkdir -p "$KOBJ"
	make -s -C "$KSRC" O="$KOBJ" ARCH=x86_64 tinyconfig >/dev/null
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$cfg" "${frags[@]}" >/dev/null
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
	done < <(cat "${frags[@]}")
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
	cp "$KOBJ/arch/x86/boot/bzImage" "$OUT/bzImage${KVARIANT:+-$KVARIANT}"
	log "kernel built in $((SECONDS - t0)) s: out/bzImage${KVARIANT:+-$KVARIANT}"
}

# The series, one concept per patch: "files|subject|message file" per line.
# Every new file of kernel-patch/tree and include/ belongs to one patch (a
# file in none is an error); kernel-patch/series/NN.msg holds the commit
# messages and 0000-cover.msg the cover letter.
SERIES=$KP/series

# MAINTAINERS with the morsel entry naming the files added so far.
maintainers() {	# maintainers WORKTREE FILES...
	local wt=$1 f
	shift
	{
		echo "MORSELS: SHARED VIRTUAL-MEMORY OBJECTS ON A CXL MEMORY POOL"
		echo "M:	morsel developers <morsel@invalid>"
		echo "L:	linux-mm@kvack.org"
		echo "S:	Maintained"
		for f in $(printf '%s\n' "$@" | sort); do
			echo "F:	$f"
		done
		echo
	} >"$wt/.morsel-maint"
	"${GIT[@]}" show pristine:MAINTAINERS |
		awk -v entry="$wt/.morsel-maint" '
			/^MOST\(R\) TECHNOLOGY DRIVER$/ { while ((getline l < entry) > 0) print l }
			{ print }' >"$wt/MAINTAINERS"
	rm -f "$wt/.morsel-maint"
}

format_patch() {
	prepare_tree
	local wt dest=${1:-$OUT/kernel-patch} line files subject msg f all=() p
	[[ -f $SERIES/series ]] || die "$SERIES/series missing"
	wt=$(mktemp -d)
	"${GIT[@]}" worktree add -q --detach "$wt" pristine
	local G=(git -C "$wt" -c user.name="morsel developers" -c user.email=morsel@invalid)
	# Every new file, as the kernel tree names it.
	local want
	want=$( (cd "$KP/tree" && find . -type f -printf '%P\n'; cd "$REPO/include" &&
		find . -type f -printf 'include/%P\n') | sort)
	# The new files first, a concept per commit, each with its MAINTAINERS
	# lines; nothing builds them until the last commit hooks mm/morsel into
	# mm/Kconfig and mm/Makefile, so every commit builds.
	while IFS='|' read -r files subject msg; do
		[[ -z $files || $files == \#* ]] && continue
		for f in $files; do
			if [[ $f == include/uapi/* ]]; then
				[[ -f $REPO/$f ]] || die "series: $f does not exist"
				mkdir -p "$wt/$(dirname "$f")"
				cp "$REPO/$f" "$wt/$f"
			else
				[[ -f $KP/tree/$f ]] || die "series: $f does not exist"
				mkdir -p "$wt/$(dirname "$f")"
				cp "$KP/tree/$f" "$wt/$f"
			fi
			all+=("$f")
		done
		maintainers "$wt" "${all[@]}"
		"${G[@]}" add -f MAINTAINERS $files
		"${G[@]}" commit -q -m "$subject" -m "$(fold -s -w 72 "$SERIES/$msg" | sed 's/ *$//')"
	done <"$SERIES/series"
	local missing
	missing=$(comm -23 <(echo "$want") <(printf '%s\n' "${all[@]}" | sort))
	[[ -z $missing ]] || die "series: files in no patch: $missing"
	for p in "$KP"/patches/*.patch; do
		"${G[@]}" apply --index "$p"
		"${G[@]}" commit -q -m "$(sed -n 's/^Subject: \(\[PATCH\] \)\?//p' "$p" | head -1)" \
			-m "$(sed -n '/^$/,/^---$/p' "$p" | sed '1d;$d')"
	done
	rm -rf "$dest"
	"${G[@]}" format-patch -q --cover-letter -o "$dest" pristine..HEAD
	# The cover letter's blurb: kernel-patch/series/0000-cover.msg.
	python3 - "$dest/0000-cover-letter.patch" "$SERIES/0000-cover.msg" <<'PY'
import sys
path, msg = sys.argv[1], open(sys.argv[2]).read().splitlines()
text = open(path).read()
subject, blurb = msg[0], "\n".join(msg[2:]).rstrip() + "\n"
text = text.replace("*** SUBJECT HERE ***", subject)
text = text.replace("*** BLURB HERE ***\n", blurb)
open(path, "w").write(text)
PY
	git -C "$KSRC" worktree remove --force "$wt"
	log "patch series: $dest ($(ls "$dest" | wc -l) files, cover letter included)"
}

case "${1:-build}" in
build) build ;;
format-patch) format_patch "${2:-}" ;;
*) die "usage: kernel.sh build|format-patch [DIR]" ;;
esac
