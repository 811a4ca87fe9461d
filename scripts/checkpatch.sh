#!/usr/bin/env bash
# Run the tree's scripts/checkpatch.pl --strict on every patch of the
# series. The only message left out is the missing Signed-off-by: whoever
# posts the series adds their own.
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
while read -r p _; do
	case "$p" in ''|'#'*) continue ;; esac
	if (cd "$tree" && scripts/checkpatch.pl --strict --ignore MISSING_SIGN_OFF \
		"$TOP/patches/$p") >>"$log" 2>&1; then
		echo "ok checkpatch $p"
	else
		echo "not ok checkpatch $p"
		(cd "$tree" && scripts/checkpatch.pl --strict --ignore MISSING_SIGN_OFF \
			--terse "$TOP/patches/$p") 2>&1 | grep -v '^total:' | sed 's/^/    /' || true
		fail=1
	fi
done <"$TOP/patches/series"
[ $fail -eq 0 ] || echo "    full log: $log"
exit $fail
