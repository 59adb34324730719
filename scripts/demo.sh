#!/usr/bin/env bash
# make demo: start the built-in emulator with seeded users, run a real
# `cogpass set` job against it, and show what came out. No AWS account needed.
set -euo pipefail
bin=${1:-bin/cogpass}
out=demo-out
rm -rf "$out" && mkdir -p "$out"
cp examples/users.csv "$out/users.csv"

"$bin" emulator --listen 127.0.0.1:0 --pool-id us-east-1_Demo --seed-users 120 \
  --latency 40ms --latency-jitter 20ms >"$out/emulator.out" 2>"$out/emulator.err" &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$out/emulator.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out/emulator.out")
[ -n "$url" ] || { echo "demo: the emulator did not start:"; cat "$out/emulator.err"; exit 1; }
echo "demo: emulator listening on $url with 120 users (user000001..user000120)"
echo "demo: cogpass set --user-pool-id us-east-1_Demo --manifest $out/users.csv --endpoint-url $url"
echo

set +e
AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 \
  "$bin" set --user-pool-id us-east-1_Demo --manifest "$out/users.csv" --endpoint-url "$url"
code=$?
set -e
echo
# The manifest names two users the pool does not have: exit 1 is the
# expected answer, with their rows failed in the report.
if [ "$code" -ne 1 ]; then
  echo "demo: expected exit 1 (two unknown users), got $code"; exit 1
fi
echo "demo: exit 1 as expected (ghost000001 and ghost000002 are not in the pool)"
echo "demo: first rows of the report ($out/users.csv.report.csv):"
head -4 "$out/users.csv.report.csv"
echo "demo: failed rows:"
grep ',failed,' "$out/users.csv.report.csv"
echo "demo: generated passwords are in $out/users.csv.secrets.csv, mode $(stat -c %a "$out/users.csv.secrets.csv")"
