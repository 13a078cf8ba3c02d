#!/usr/bin/env bash
# Builds the Go baseline consumer, inside a module that copies Vitess's own
# go.mod (as scripts/vitess.sh builds vtcombo: `go install ...@v0.24.4` is refused).
# The binary is cached per user, keyed by main.go, so a clean build/ does not
# rebuild it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/bench/go-drain}
version=v0.24.4
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vitess-messages/go-drain-$version-$(sha256sum "$here/main.go" | cut -c1-12)
if [[ ! -x $cache ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  dir=$(go mod download -json "vitess.io/vitess@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  sed "s|^module .*|module vitess-messages/godrain|" "$dir/go.mod" > "$work/go.mod"
  printf '\nrequire vitess.io/vitess %s\n' "$version" >> "$work/go.mod"
  cp "$dir/go.sum" "$work/go.sum"
  cp "$here/main.go" "$work/main.go"
  mkdir -p "$(dirname "$cache")"
  (cd "$work" && GOFLAGS=-mod=mod go build -o "$cache.tmp" . && mv "$cache.tmp" "$cache")
fi
mkdir -p "$(dirname "$out")"
cp "$cache" "$out"
