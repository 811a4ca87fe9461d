#!/usr/bin/env bash
# Fetch the pinned base kernel (Debian's linux-source-6.12), verify it, and
# keep it as a one-commit git repository (tag "base") in the cache.
# usage: scripts/fetch-base.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if git -C "$BASE_GIT" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	exit 0
fi

debs=$CACHE/debs
mkdir -p "$debs"
version=$BASE_VERSION
deb=$(ls "$debs"/${BASE_PKG}_"${version/\~/%7e}"_all.deb "$debs"/${BASE_PKG}_"$version"_all.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	status "fetching $BASE_PKG $version"
	if ! (cd "$debs" && run_logged "$LOGS/fetch.log" apt-get download "$BASE_PKG=$version"); then
		newest=$(apt-cache policy "$BASE_PKG" | awk '/Candidate:/ { print $2 }')
		[ -n "$newest" ] && [ "$newest" != "(none)" ] ||
			die "$BASE_PKG is not available from apt (run apt-get update?)"
		cat >&2 <<-MSG
		########################################################################
		WARNING: the pinned $BASE_PKG $version is no longer served.
		WARNING: using the newest one, $newest, whose checksum is NOT pinned.
		WARNING: update BASE_VERSION and BASE_TAR_SHA256 in scripts/lib.sh.
		########################################################################
		MSG
		version=$newest
		(cd "$debs" && run_logged "$LOGS/fetch.log" apt-get download "$BASE_PKG=$version")
		BASE_TAR_SHA256=
	fi
	deb=$(ls -t "$debs"/${BASE_PKG}_*_all.deb | head -n 1)
fi

status "extracting $(basename "$deb")"
work=$CACHE/tmp.$$
rm -rf "$work"; mkdir -p "$work/src"
trap 'rm -rf "$work"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/src/$BASE_PKG.tar.xz
tarball=$work/usr/src/$BASE_PKG.tar.xz
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ -n "$BASE_TAR_SHA256" ] && [ "$sum" != "$BASE_TAR_SHA256" ]; then
	rm -f "$deb"
	die "checksum mismatch for $BASE_PKG.tar.xz: got $sum, pinned $BASE_TAR_SHA256 (the .deb was removed from the cache)"
fi
tar -xf "$tarball" -C "$work/src" --strip-components=1

# Debian appends "/*" and "!/debian/" to the top-level .gitignore, which
# would hide every new file of a work tree from git: drop those two rules.
# This is the only difference between the base commit and the tarball.
n=$(grep -n '^# Debian packaging: ignore everything' "$work/src/.gitignore" | cut -d: -f1)
[ -n "$n" ] && sed -i "$((n - 1)),\$d" "$work/src/.gitignore"
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$work/src/.gitignore"

status "committing the base to $BASE_GIT"
(
	cd "$work/src"
	git init -q
	git add -A -f
	GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost \
	GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost \
	GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
		git commit -q -m "Linux $version (Debian $BASE_PKG, tarball sha256 $sum)"
	git tag base
) >"$LOGS/fetch-commit.log" 2>&1 || die "could not commit the base; see $LOGS/fetch-commit.log"
rm -rf "$BASE_GIT"
git clone -q --bare "$work/src" "$BASE_GIT.tmp"
mv "$BASE_GIT.tmp" "$BASE_GIT"
status "base ready: $version"
