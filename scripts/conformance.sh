#!/usr/bin/env bash
# make conformance: run the real cogpass binary, and the behaviour scenarios
# of issue 15, against two Cognito emulators nobody on this project wrote --
# cognito-local (https://github.com/jagregory/cognito-local) and moto's
# cognito-idp backend (https://github.com/getmoto/moto) -- and against
# cogpass's own emulator, to catch the places where cogpass only works
# because our own emulator agrees with it. See docs/conformance.md.
#
# Steps: install the pinned cognito-local with npm ci into .cache/, check
# that moto is installed, start cognito-local, moto and `cogpass emulator`
# each on a free loopback port in a process group of its own, wait until
# each answers, run the Go tests of ./conformance (build tag "conformance")
# against the three (one subtest per backend), stop them. It never passes
# silently: a missing tool, a failed install or a server that does not come
# up is a failure with a message.
set -euo pipefail

bin=${1:-bin/cogpass}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lockdir=conformance/npm
cache=.cache/cognito-local
start_js=$cache/node_modules/cognito-local/lib/bin/start.js
want_version=5.3.0
want_moto=5.2.1

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

# --- moto ------------------------------------------------------------------
# moto is a Python package; its server (python3 -m moto.server) needs the
# "server" extra (flask). It is not installed here: a missing or different
# moto is a failure with the command that installs the pinned one.
command -v python3 >/dev/null || die "python3 is needed to run moto; install python3 and moto[server]==$want_moto"
moto_version=$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || true)
[ -n "$moto_version" ] || die "moto is not installed: python3 -m pip install 'moto[server]==$want_moto'"
[ "$moto_version" = "$want_moto" ] ||
  die "moto $moto_version is installed, the suite's expectations are for $want_moto: python3 -m pip install 'moto[server]==$want_moto'"
python3 -c 'import flask' 2>/dev/null || die "moto's server needs flask: python3 -m pip install 'moto[server]==$want_moto'"

# --- start the servers -----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/cogpass-conformance.XXXXXX")
pids=()   # process-group leaders started here (setsid), ended on exit
cleanup() {
  code=$?
  for pid in "${pids[@]}"; do
    # Its own session and process group (setsid): end the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$code" -ne 0 ]; then
    for log in "$work"/*.log; do
      [ -f "$log" ] || continue
      say "last lines of $(basename "$log"):"
      tail -n 15 "$log" >&2 || true
    done
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
mkdir -p "$work/cognito-local/.cognito" "$work/moto" "$work/cogpass-emulator"
printf '{"UserPoolDefaults":{"UsernameAttributes":[]}}\n' >"$work/cognito-local/.cognito/config.json"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Each server's command; it reads the port from $PORT. PORT and HOST are
# what cognito-local reads (src/server/config.ts). cogpass's emulator runs
# with --quota off (the scenarios measure answers, not pacing) and a seed
# manifest that gives its pool (us-east-1_Demo) the users no API call can
# make: EXTERNAL_PROVIDER, and UNCONFIRMED (it has no SignUp).
cmd_cognito_local=(env HOST=127.0.0.1 node "$root/$start_js")
cmd_moto=(sh -c 'exec python3 -m moto.server -H 127.0.0.1 -p "$PORT"')
cmd_cogpass_emulator=(sh -c 'exec "$0" emulator --listen "127.0.0.1:$PORT" --quota off --seed-manifest "$1"'
  "$bin" "$root/conformance/testdata/emulator-seed.csv")
# What answers any HTTP status once a server is up: cognito-local's
# health check, moto's dashboard, the emulator's root.
declare -A ready_path=([cognito-local]=health [moto]=moto-api/ [cogpass-emulator]="")
declare -A pid_of port_of url_of started_at

# launch NAME: start cmd_NAME in $work/NAME on a free loopback port, in a
# session and process group of its own (setsid, so that cleanup ends
# everything it started), without waiting.
launch() {
  local name=$1
  local -n cmd=cmd_${1//-/_}
  port_of[$name]=$(free_port)
  started_at[$name]=$(now)
  (cd "$work/$name" && PORT=${port_of[$name]} exec setsid "${cmd[@]}") >"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
  pids+=("${pid_of[$name]}")
}

# await NAME: wait until NAME answers HTTP on its port (30 s at most);
# relaunch it on another port if that one was taken meanwhile (3 tries).
await() {
  local name=$1 try code pid port
  for try in 1 2 3; do
    pid=${pid_of[$name]} port=${port_of[$name]}
    for _ in $(seq 300); do
      code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/${ready_path[$name]}" 2>/dev/null || true)
      if [ -n "$code" ] && [ "$code" != 000 ]; then
        [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] ||
          die "$name is not the leader of its own process group; cleanup could leave it behind"
        url_of[$name]=http://127.0.0.1:$port
        say "$name listening on ${url_of[$name]} (pid $pid, up in $(since "${started_at[$name]}"))"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if grep -qiE 'EADDRINUSE|address already in use' "$work/$name.log" 2>/dev/null; then
      say "$name: port $port was taken meanwhile; trying another (attempt $try)"
      kill -KILL -- "-$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      launch "$name"
      continue
    fi
    die "$name did not answer on http://127.0.0.1:$port/${ready_path[$name]} within 30s"
  done
  die "$name could not get a free port"
}

# All three start at once (each takes seconds on a loaded machine), then
# each is awaited.
for name in cognito-local moto cogpass-emulator; do launch "$name"; done
for name in cognito-local moto cogpass-emulator; do await "$name"; done
local_url=${url_of[cognito-local]}
moto_url=${url_of[moto]}
emu_url=${url_of[cogpass-emulator]}

# --- the tests --------------------------------------------------------------
t=$(now)
backends="cognito-local=$local_url moto=$moto_url cogpass-emulator=$emu_url"
say "go test -tags conformance ./conformance/ against $backends with $bin"
status=0
CONFORMANCE_BACKENDS=$backends COGPASS_BIN=$bin \
  ${GO:-go} test -tags conformance -count=1 -timeout 8m -v ${CONFORMANCE_RUN:+-run "$CONFORMANCE_RUN"} ./conformance/ || status=$?
say "tests took $(since "$t"); whole run $(since "$t0")"
[ "$status" -eq 0 ] || die "conformance tests failed (exit $status)"
say "PASS"
