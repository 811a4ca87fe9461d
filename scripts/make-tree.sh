#!/usr/bin/env bash
# Make a git work tree of the base with patches/series applied, one commit
# per patch.  Idempotent: a tree that already holds exactly the series is
# left alone; a tree holding other commits is refused unless FORCE=1.
# With WIP=1, patches/wip/series is applied on top (work in progress);
# with UPTO=N, only the first N patches of patches/series are.
# usage: scripts/make-tree.sh [DIR]      (default: build/linux)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:-$BUILD/linux}
log=$LOGS/tree-$(basename "$(dirname "$dir")")-$(basename "$dir").log

"$TOP/scripts/fetch-base.sh"

patches=()
read_series() {	# read_series DIR: append the patches DIR/series names
	local p
	[ -f "$1/series" ] || return 0
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$1/$p" ] || die "$1/series names $p, which does not exist"
		patches+=("$1/$p")
	done <"$1/series"
}
read_series "$TOP/patches"
[ -z "${UPTO:-}" ] || patches=("${patches[@]:0:$UPTO}")
[ "${WIP:-}" = 1 ] && read_series "$TOP/patches/wip"

# patch-ids of the series and of base..HEAD, to compare content, not hashes.
series_ids() {
	local p
	for p in "${patches[@]}"; do git patch-id --stable <"$p" | cut -d' ' -f1; done
}
tree_ids() {
	local c
	for c in $(git -C "$dir" rev-list --reverse base..HEAD); do
		git -C "$dir" show "$c" | git patch-id --stable | cut -d' ' -f1
	done
}

if [ -d "$dir/.git" ]; then
	if [ "$(series_ids)" = "$(tree_ids)" ] &&
	   [ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ]; then
		status "$dir already holds the series (${#patches[@]} patches)"
		exit 0
	fi
	[ "${FORCE:-}" = 1 ] ||
		die "$dir holds commits or changes that differ from patches/series; 'make export' them, or remake with FORCE=1 (this discards them)"
	status "removing $dir (FORCE=1)"
	rm -rf "$dir"
fi

status "creating $dir from the base"
mkdir -p "$(dirname "$dir")"
git clone -q --no-checkout "$BASE_GIT" "$dir"
git -C "$dir" checkout -q -b work base
git -C "$dir" config user.name "${GIT_AUTHOR_NAME:-developer}"
git -C "$dir" config user.email "${GIT_AUTHOR_EMAIL:-developer@localhost}"

if [ ${#patches[@]} -gt 0 ]; then
	status "applying ${#patches[@]} patches"
	if ! git -C "$dir" am --keep-cr "${patches[@]}" >"$log" 2>&1; then
		n=$(sed -n 's/^Patch failed at \([0-9]*\) .*/\1/p' "$log" | head -n 1)
		failed=${patches[$((10#${n:-1} - 1))]}
		git -C "$dir" am --abort >/dev/null 2>&1 || true
		printf 'error: the series does not apply: patches/%s fails\n' "${failed##*/}" >&2
		tail -n 20 "$log" | sed 's/^/    /' >&2
		printf 'full log: %s\n' "$log" >&2
		exit 1
	fi
fi
status "$dir: base + ${#patches[@]} patches"
