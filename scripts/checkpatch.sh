#!/bin/bash
# Run the kernel tree's checkpatch.pl --strict over our patch series.
set -euo pipefail
. "$(dirname "$0")/config.sh"
dir=${1:-$OUT/kernel-patch}
[[ -d $dir ]] || die "$dir missing: run 'make kernel-patch' first"
cd "$KSRC"
# spdxcheck.py needs python3-ply from Debian, not a pyenv python.
export PATH=/usr/bin:$PATH
rc=0
for p in "$dir"/*.patch; do
	"$KSRC/scripts/checkpatch.pl" --strict --quiet --no-signoff "$p" || rc=1
done
if ((rc == 0)); then log "checkpatch --strict: clean"; fi
exit $rc
