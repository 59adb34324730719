#!/usr/bin/env bash
# Runs every go test -fuzz target in the module for the given time each.
#
# go1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" at the -fuzztime boundary on a busy machine, having found
# nothing (golang/go#75804, fixed in Go 1.27). Such a run, and only such a
# run (no "Failing input written to", no panic), is tried again, up to three
# tries in all; any other failure fails at once.
set -euo pipefail
time=${1:-30s}
cd "$(dirname "$0")/.."
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

deadline_flake() {
  grep -q 'context deadline exceeded' "$log" &&
    ! grep -q 'Failing input written to' "$log" &&
    ! grep -q 'panic:' "$log"
}

for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    for try in 1 2 3; do
      echo "== $pkg $target ($time)"
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" "$pkg" 2>&1 | tee "$log"; then
        break
      fi
      if [ "$try" != 3 ] && deadline_flake; then
        echo "== $target: the fuzz coordinator's deadline race (golang/go#75804), nothing found: again"
        continue
      fi
      status=1
      break
    done
  done
done
exit $status
