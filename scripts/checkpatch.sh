#!/usr/bin/env bash
# Run the tree's scripts/checkpatch.pl --strict on every patch of the
# series. Two messages are left out: the missing Signed-off-by (whoever
# posts the series adds their own), and "does MAINTAINERS need updating?",
# which checkpatch prints for every new file; instead, every file the
# series adds must have a maintainer in the tree's MAINTAINERS (an existing
# section's F: pattern), checked with get_maintainer.pl.
# usage: scripts/checkpatch.sh [TREE]      (default: build/linux)
# Prints one "ok"/"not ok" line per patch; exits 1 if any patch has a
# message.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:-$BUILD/linux}
[ -x "$tree/scripts/checkpatch.pl" ] || die "$tree has no scripts/checkpatch.pl; run 'make tree' first"
# checkpatch runs scripts/spdxcheck.py with "python3": make that Debian's,
# which has the python3-ply and python3-git that deps.sh installs.
export PATH=/usr/bin:$PATH
log=$LOGS/checkpatch.log
: >"$log"
fail=0
ignore=MISSING_SIGN_OFF,FILE_PATH_CHANGES
while read -r p _; do
	case "$p" in ''|'#'*) continue ;; esac
	if (cd "$tree" && scripts/checkpatch.pl --strict --ignore "$ignore" \
		"$TOP/patches/$p") >>"$log" 2>&1; then
		echo "ok checkpatch $p"
	else
		echo "not ok checkpatch $p"
		(cd "$tree" && scripts/checkpatch.pl --strict --ignore "$ignore" \
			--terse "$TOP/patches/$p") 2>&1 | grep -v '^total:' | sed 's/^/    /' || true
		fail=1
	fi
done <"$TOP/patches/series"
[ $fail -eq 0 ] || echo "    full log: $log"

# Every file the series adds is covered by a MAINTAINERS section
orphans=
for f in $(git -C "$tree" diff --diff-filter=A --name-only base..HEAD); do
	m=$(cd "$tree" && scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats --m --nol --nor -f "$f" 2>/dev/null || true)
	[ -n "$m" ] || orphans+=" $f"
done
if [ -z "$orphans" ]; then
	echo "ok every new file has a maintainer"
else
	echo "not ok every new file has a maintainer"
	echo "    no MAINTAINERS section covers:$orphans"
	fail=1
fi
exit $fail
