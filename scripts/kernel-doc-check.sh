#!/usr/bin/env bash
# kernel-doc on every C file and header the series changes: the series may
# add no kernel-doc warning (a file's warnings are counted at base and at
# HEAD; only new ones fail).
# usage: scripts/kernel-doc-check.sh [TREE]      (default: build/linux)
# Prints one ok/not ok line; exits 1 on new warnings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:-$BUILD/linux}
[ -x "$tree/scripts/kernel-doc" ] || die "$tree has no scripts/kernel-doc; run 'make tree' first"
log=$LOGS/kernel-doc.log
: >"$log"
files=$(git -C "$tree" diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h' |
	grep -v '^tools/' || true)
new=0
for f in $files; do
	now=$(cd "$tree" && scripts/kernel-doc -none -Wall "$f" 2>&1 | grep -c 'warning:' || true)
	before=0
	if git -C "$tree" cat-file -e "base:$f" 2>/dev/null; then
		before=$(git -C "$tree" show "base:$f" >"$BUILD/kdoc.tmp.${f##*.}" &&
			 cd "$tree" && scripts/kernel-doc -none -Wall "$BUILD/kdoc.tmp.${f##*.}" 2>&1 |
			 grep -c 'warning:' || true)
	fi
	if [ "$now" -gt "$before" ]; then
		echo "$f: $before warnings at base, $now now:" >>"$log"
		(cd "$tree" && scripts/kernel-doc -none -Wall "$f") >>"$log" 2>&1 || true
		new=1
	fi
done
rm -f "$BUILD"/kdoc.tmp.*
if [ $new -eq 0 ]; then
	echo "ok kernel-doc adds no warning ($(echo $files | wc -w) files)"
else
	echo "not ok kernel-doc adds warnings"
	sed 's/^/    /' "$log" | head -n 30
	echo "    full log: $log"
	exit 1
fi
