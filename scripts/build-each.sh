#!/usr/bin/env bash
# Build every commit of the series on its own, so that the series bisects:
# the kernel (with W=1 on the files each commit changes), its headers and
# the iommu kselftests, incrementally in one build directory.
# usage: scripts/build-each.sh ARCH [TREE]   (default TREE: build/linux)
# Prints one ok/not ok line per commit; exits 1 if any fails to build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 ARCH [TREE]"
arch=$1
tree=$(realpath "${2:-$BUILD/linux}")
wt=$(dirname "$tree")/bisect-src
out=$(dirname "$tree")/bisect-$arch
[ -d "$tree/.git" ] || die "$tree is not a work tree; run 'make tree' first"

rm -rf "$wt"
git -C "$tree" worktree prune
git -C "$tree" worktree add -q --detach "$wt" base
trap 'rm -rf "$wt"; git -C "$tree" worktree prune' EXIT
# The worktree has no "base" tag of its own: it shares the tree's refs.

fail=0
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	if BISECT=1 "$TOP/scripts/build-kernel.sh" "$arch" "$wt" "$out" 2>"$LOGS/bisect-step.log"; then
		echo "ok builds alone ($arch): $subject"
	else
		echo "not ok builds alone ($arch): $subject"
		sed 's/^/    /' "$LOGS/bisect-step.log" | tail -n 15
		fail=1
	fi
done
exit $fail
