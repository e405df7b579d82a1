#!/usr/bin/env bash
# Fetches rasa-webchat from the npm registry and keeps only its self-contained UMD
# bundle (lib/index.js) in web/vendor/. Its ~590 npm dependencies are only needed to
# build that bundle, so they are not installed. The tarball is checked against the
# registry's sha512, pinned here; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.0.1
integrity="sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="
target="web/vendor/rasa-webchat-$version.js"

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(cd "$workdir" && npm pack "rasa-webchat@$version" --silent > /dev/null)
tarball="$workdir/rasa-webchat-$version.tgz"
actual="sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")"
if [ "$actual" != "$integrity" ]; then
    echo "error: rasa-webchat $version does not match its pinned sha512" >&2
    exit 1
fi
mkdir -p web/vendor
tar -xzmf "$tarball" -C "$workdir" package/lib/index.js  # -m: today's date, not the tarball's 1985
mv "$workdir/package/lib/index.js" "$target"
echo "rasa-webchat $version -> $target"
