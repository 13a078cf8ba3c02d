#!/usr/bin/env bash
# Builds the Go baseline consumer once, inside a module that copies Vitess's own
# go.mod (as scripts/vitess.sh builds vtcombo: `go install ...@v0.24.4` is refused).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/bench/go-drain}
[[ -x $out ]] && exit 0
version=v0.24.4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=$(go mod download -json "vitess.io/vitess@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
sed "s|^module .*|module vitess-messages/godrain|" "$dir/go.mod" > "$work/go.mod"
printf '\nrequire vitess.io/vitess %s\n' "$version" >> "$work/go.mod"
cp "$dir/go.sum" "$work/go.sum"
cp "$here/main.go" "$work/main.go"
mkdir -p "$(dirname "$out")"
(cd "$work" && GOFLAGS=-mod=mod go build -o "$out" .)
