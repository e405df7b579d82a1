#!/usr/bin/env bash
# Fetches the chat widget named in web/webchat.json (package, version, sha512) from the npm
# registry and keeps only its self-contained UMD bundle (lib/index.js) where that file says.
# Its ~590 npm dependencies are only needed to build that bundle, so they are not installed.
# The tarball is checked against the pinned sha512; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r package version integrity target < <(python3 -c 'import json; w = json.load(open("web/webchat.json")); print(w["package"], w["version"], w["integrity"], w["bundle"])')

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(cd "$workdir" && npm pack "$package@$version" --silent > /dev/null)
tarball="$workdir/$package-$version.tgz"
actual="sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")"
if [ "$actual" != "$integrity" ]; then
    echo "error: $package $version does not match its pinned sha512" >&2
    exit 1
fi
mkdir -p "$(dirname "$target")"
tar -xzmf "$tarball" -C "$workdir" package/lib/index.js  # -m: today's date, not the tarball's 1985
mv "$workdir/package/lib/index.js" "$target"
echo "$package $version -> $target"
