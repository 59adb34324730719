#!/usr/bin/env bash
# make conformance: run the real cogpass binary against cognito-local
# (https://github.com/jagregory/cognito-local), an emulator nobody on this
# project wrote, to catch the places where cogpass only works because our
# own emulator agrees with it. See docs/conformance.md.
#
# Steps: install the pinned cognito-local with npm ci into .cache/, start it
# on a free loopback port in a throw-away directory, run the Go tests of
# ./conformance (build tag "conformance") against it, stop it. It never
# passes silently: a missing tool, a failed install or a server that does
# not come up is a failure with a message.
set -euo pipefail

bin=${1:-bin/cogpass}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lockdir=conformance/npm
cache=.cache/cognito-local
start_js=$cache/node_modules/cognito-local/lib/bin/start.js
want_version=5.3.0

say() { printf 'conformance: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

t0=$(now)
[ -x "$bin" ] || die "no cogpass binary at $bin: run 'make build' (or 'make conformance', which builds it)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# --- node and npm -----------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "node/npm not found; installing Debian's nodejs and npm (running as root)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    die "node and npm are needed to run cognito-local; install them (Debian: sudo apt-get install nodejs npm) and rerun"
  fi
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old for cognito-local $want_version: need 18 or later"

# --- cognito-local, pinned by conformance/npm/package-lock.json -------------
# The lockfile must fetch from the npm registry only: no git, file, link or
# tarball URLs that would make the install depend on something else.
if grep -nE '"resolved": *"' "$lockdir/package-lock.json" | grep -vE '"resolved": *"https://registry\.npmjs\.org/' >&2; then
  die "$lockdir/package-lock.json resolves packages outside https://registry.npmjs.org/ (lines above)"
fi
if grep -nE '"(version|resolved)": *"(git\+|git:|github:|file:|link:|https?://)' "$lockdir/package-lock.json" | grep -v 'registry\.npmjs\.org' >&2 ||
  grep -nE '"link": *true' "$lockdir/package-lock.json" >&2; then
  die "$lockdir/package-lock.json has a non-registry dependency (lines above)"
fi

installed_version() {
  [ -f "$cache/node_modules/cognito-local/package.json" ] &&
    node -p "require('./$cache/node_modules/cognito-local/package.json').version" 2>/dev/null
}
if [ "$(installed_version || true)" = "$want_version" ] &&
  cmp -s "$lockdir/package-lock.json" "$cache/package-lock.json" &&
  cmp -s "$lockdir/package.json" "$cache/package.json"; then
  say "cognito-local $want_version already installed in $cache"
else
  t=$(now)
  say "installing cognito-local $want_version into $cache (npm ci)"
  rm -rf "$cache"
  mkdir -p "$cache"
  cp "$lockdir/package.json" "$lockdir/package-lock.json" "$cache/"
  # --ignore-scripts: nothing in the tree needs a build step (the one
  # install script, aws-sdk's, only prints a notice).
  if ! (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$cache.npm.log" 2>&1; then
    cat "$cache.npm.log" >&2
    rm -rf "$cache"
    die "npm ci of cognito-local failed (output above)"
  fi
  rm -f "$cache.npm.log"
  got=$(installed_version || true)
  [ "$got" = "$want_version" ] || die "npm ci installed cognito-local '$got', want $want_version"
  say "installed in $(since "$t")"
fi
[ -f "$start_js" ] || die "$start_js is missing after the install"

# --- start it ---------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/cogpass-conformance.XXXXXX")
server_pid=
cleanup() {
  code=$?
  if [ -n "$server_pid" ]; then
    # Its own session and process group (setsid): end the whole group.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 -- "-$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$code" -ne 0 ] && [ -f "$work/cognito-local.log" ]; then
    say "last lines of the cognito-local log:"
    tail -n 15 "$work/cognito-local.log" >&2 || true
  fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# cognito-local keeps its state in .cognito/ under its working directory:
# .cognito/config.json is its configuration, .cognito/db/ the pools. Its
# default configuration makes every new pool use e-mail addresses as
# usernames (UserPoolDefaults.UsernameAttributes = ["email"]), and a
# CreateUserPool request cannot take that away (the request is merged over
# the defaults). Real Cognito pools have plain usernames unless asked, so
# the configuration turns the default off.
mkdir -p "$work/.cognito"
printf '{"UserPoolDefaults":{"UsernameAttributes":[]}}\n' >"$work/.cognito/config.json"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

t=$(now)
url=
for try in 1 2 3; do
  port=$(free_port)
  # PORT and HOST are what cognito-local reads (src/server/config.ts).
  # setsid: a session and process group of its own, so that cleanup can
  # end everything it started.
  (cd "$work" && PORT=$port HOST=127.0.0.1 exec setsid node "$root/$start_js") >"$work/cognito-local.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" 2>/dev/null; then
      url=http://127.0.0.1:$port
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] && break
  if grep -q EADDRINUSE "$work/cognito-local.log" 2>/dev/null; then
    say "port $port was taken meanwhile; trying another (attempt $try)"
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    continue
  fi
  die "cognito-local did not answer on http://127.0.0.1:$port/health within 15s"
done
[ -n "$url" ] || die "cognito-local could not get a free port"
[ "$(ps -o pgid= -p "$server_pid" | tr -d ' ')" = "$server_pid" ] ||
  die "cognito-local is not the leader of its own process group; cleanup could leave it behind"
say "cognito-local $want_version listening on $url (pid $server_pid, up in $(since "$t"))"

# --- the tests --------------------------------------------------------------
t=$(now)
say "go test -tags conformance ./conformance/ against $url with $bin"
status=0
CONFORMANCE_TARGET=cognito-local COGNITO_LOCAL_URL=$url COGPASS_BIN=$bin \
  ${GO:-go} test -tags conformance -count=1 -timeout 4m -v ./conformance/ || status=$?
say "tests took $(since "$t"); whole run $(since "$t0")"
[ "$status" -eq 0 ] || die "conformance tests failed (exit $status)"
say "PASS"
