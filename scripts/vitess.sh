#!/usr/bin/env bash
# A local Vitess for the example, the tests and the benchmarks:
# vtcombo (Vitess v0.24.4, built from the Go module) over MySQL 9.7 (Debian sid's
# mysql-server-core, unpacked with debootstrap). Heavy builds are cached per user,
# keyed by version; the running instance lives in a runtime folder that the
# unprivileged user running vtcombo can reach.
#
#   scripts/vitess.sh up       build what is missing, start (or reuse) mysqld + vtcombo
#   scripts/vitess.sh down     stop both
#   scripts/vitess.sh status   say what runs and where
#   scripts/vitess.sh env      print the addresses as shell variables
#   scripts/vitess.sh build    only build/fetch the cached binaries
#   scripts/vitess.sh kill     SIGKILL both (for crash-recovery tests)
#   scripts/vitess.sh restart-vtcombo [--kill]   restart vtcombo alone
#   scripts/vitess.sh restart-mysqld [--kill]    restart mysqld alone (vtcombo reconnects by itself)
#
# Environment (all optional):
#   VTGATE_MYSQL_URL + VTGATE_GRPC_ADDR  use that vtgate; start nothing
#   VITESS_MESSAGES_CACHE   cache root      (~/.cache/vitess-messages)
#   VITESS_MESSAGES_RUN     runtime folder  (/var/tmp/vitess-messages-<uid>)
#   VTGATE_MYSQL_PORT (27307) VTGATE_GRPC_PORT (27991) VTCOMBO_HTTP_PORT (27080)
#   VITESS_MYSQLD_PORT (27306)   VTCOMBO_USER (nobody)
#   VTCOMBO_EXTRA_FLAGS     more vtcombo flags, split on spaces (e.g. the TLS
#                           flags of the fault suite's own instance)
set -euo pipefail

VITESS_VERSION=v0.24.4
MYSQL_SERIES=9.7
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

CACHE=${VITESS_MESSAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vitess-messages}
RUN=${VITESS_MESSAGES_RUN:-/var/tmp/vitess-messages-$(id -u)}
MYSQLD_PORT=${VITESS_MYSQLD_PORT:-27306}
VTGATE_MYSQL_PORT=${VTGATE_MYSQL_PORT:-27307}
VTGATE_GRPC_PORT=${VTGATE_GRPC_PORT:-27991}
VTCOMBO_HTTP_PORT=${VTCOMBO_HTTP_PORT:-27080}
# vtcombo refuses to run as root: as root it runs as this unprivileged user.
VTCOMBO_USER=${VTCOMBO_USER:-$([[ $(id -u) == 0 ]] && echo nobody || id -un)}
VTCOMBO_GROUP=$(id -gn "$VTCOMBO_USER" 2>/dev/null || echo nogroup)

VTCOMBO_CACHE=$CACHE/vitess-$VITESS_VERSION
MYSQL_CACHE=$CACHE/mysql-$MYSQL_SERIES-sid
MYSQL_ROOT=$MYSQL_CACHE/root
LOGS=$RUN/logs
MYSQL_DATA=$RUN/mysql/data
MYSQL_SOCK=$RUN/mysql/mysqld.sock
MYSQL_PID=$RUN/mysql/mysqld.pid
VTC_DIR=$RUN/vtcombo
VTC_PID=$VTC_DIR/vtcombo.pid

say() { printf 'vitess: %s\n' "$*" >&2; }
die() { printf 'vitess: error: %s\n' "$*" >&2; exit 1; }

external() {
  if [[ -n "${VTGATE_MYSQL_URL:-}" && -n "${VTGATE_GRPC_ADDR:-}" ]]; then return 0; fi
  if [[ -n "${VTGATE_MYSQL_URL:-}${VTGATE_GRPC_ADDR:-}" ]]; then
    die "set both VTGATE_MYSQL_URL and VTGATE_GRPC_ADDR to use your own vtgate (only one is set), or neither for the local one"
  fi
  return 1
}

# --- processes -----------------------------------------------------------------

# A pid counts as ours only if it is alive and its command line names our runtime
# folder: after a crash a pid file may point at an unrelated, recycled pid.
ours() {
  local pid=$1
  [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$RUN/"
}
pid_of() { [[ -f $1 ]] && tr -dc 0-9 < "$1" || true; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
who_has_port() { # the name of the process listening on a port, or "another process"
  local who
  who=$(ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)".*/\1/p' | head -n1)
  echo "${who:-another process}"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

stop_pid() { # stop_pid PIDFILE NAME: SIGTERM, then SIGKILL after a grace period
  local file=$1 name=$2 pid
  pid=$(pid_of "$file")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for 30 "$name to stop" bash -c "! kill -0 $pid"; then
      say "$name did not stop in 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 "$name to die" bash -c "! kill -0 $pid" || true
    fi
    say "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

# --- builds (cached) -------------------------------------------------------------

build_vtcombo() {
  [[ -x $VTCOMBO_CACHE/bin/vtcombo ]] && return 0
  command -v go >/dev/null || die "Go is not installed (needed once to build vtcombo $VITESS_VERSION); install Go 1.24 or newer"
  mkdir -p "$VTCOMBO_CACHE" "$LOGS"
  local log=$LOGS/build-vtcombo.log work=$VTCOMBO_CACHE/module
  say "building vtcombo $VITESS_VERSION from the Go module (once; a few minutes cold) — log: $log"
  rm -rf "$work" && mkdir -p "$work"
  (
    set -e
    cd "$work"
    # `go install vitess.io/vitess/...@version` is refused (its go.mod has exclude
    # directives), so build inside a module that copies Vitess's own requirements.
    local dir
    dir=$(go mod download -json "vitess.io/vitess@$VITESS_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
    [[ -n "$dir" ]] || { echo "go mod download gave no Dir"; exit 1; }
    sed "s|^module .*|module vitess-messages/localvitess|" "$dir/go.mod" > go.mod
    printf '\nrequire vitess.io/vitess %s\n' "$VITESS_VERSION" >> go.mod
    cp "$dir/go.sum" go.sum
    go build -mod=mod -o "$VTCOMBO_CACHE/bin/vtcombo.tmp" vitess.io/vitess/go/cmd/vtcombo
  ) > "$log" 2>&1 &
  local builder=$! start=$SECONDS
  while kill -0 "$builder" 2>/dev/null; do
    sleep 15
    kill -0 "$builder" 2>/dev/null && say "  still building vtcombo ($((SECONDS - start)) s; $(wc -l < "$log") log lines)"
  done
  wait "$builder" || die "building vtcombo failed; see $log"
  mv "$VTCOMBO_CACHE/bin/vtcombo.tmp" "$VTCOMBO_CACHE/bin/vtcombo"
  go version > "$VTCOMBO_CACHE/built-with"
  say "built vtcombo in $((SECONDS - start)) s"
}

mysql_version() { cat "$MYSQL_CACHE/version" 2>/dev/null; }

build_mysql() {
  if [[ -x $MYSQL_ROOT/usr/sbin/mysqld && -f $MYSQL_CACHE/version ]]; then return 0; fi
  if ! command -v debootstrap >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      say "installing debootstrap with apt-get (needed once to unpack MySQL)"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } > "$LOGS/apt-debootstrap.log" 2>&1 \
        || die "debootstrap is not installed and apt-get could not install it; see $LOGS/apt-debootstrap.log"
    else
      die "debootstrap is not installed (needed once to unpack MySQL $MYSQL_SERIES from Debian sid): apt-get install debootstrap"
    fi
  fi
  local log=$LOGS/build-mysql.log tmp=$MYSQL_CACHE/root.tmp start=$SECONDS
  mkdir -p "$MYSQL_CACHE" "$LOGS"
  say "unpacking MySQL $MYSQL_SERIES from Debian sid with debootstrap (once; under a minute) — log: $log"
  rm -rf "$tmp"
  debootstrap --variant=minbase --include=mysql-server-core,mysql-client-core \
      sid "$tmp" "$DEBIAN_MIRROR" > "$log" 2>&1 &
  local job=$!
  while kill -0 "$job" 2>/dev/null; do
    sleep 10
    kill -0 "$job" 2>/dev/null && say "  still unpacking MySQL ($((SECONDS - start)) s)"
  done
  if ! wait "$job"; then
    if grep -qiE "couldn't find package|unable to locate|no such package|Couldn't find these debs" "$log"; then
      die "Debian sid no longer offers mysql-server-core; see $log"
    fi
    die "debootstrap of MySQL failed; see $log"
  fi
  local version
  version=$(dpkg-query --admindir="$tmp/var/lib/dpkg" -W -f='${Version}' 'mysql-server-core*' 2>/dev/null | head -c 64)
  [[ $version == $MYSQL_SERIES.* ]] || die "Debian sid's mysql-server-core is '$version', not $MYSQL_SERIES.x; see $log"
  rm -rf "$MYSQL_ROOT" && mv "$tmp" "$MYSQL_ROOT"
  echo "$version" > "$MYSQL_CACHE/version"
  say "MySQL $version unpacked in $((SECONDS - start)) s"
}

# Run a binary of the unpacked root with its own loader and libraries.
in_root() {
  local bin=$1; shift
  "$MYSQL_ROOT/lib64/ld-linux-x86-64.so.2" \
    --library-path "$MYSQL_ROOT/usr/lib/x86_64-linux-gnu:$MYSQL_ROOT/lib/x86_64-linux-gnu" \
    "$MYSQL_ROOT$bin" "$@"
}

# --- mysqld ------------------------------------------------------------------------

mysqld_args() {
  printf '%s\n' --no-defaults --basedir="$MYSQL_ROOT/usr" \
    --lc-messages-dir="$MYSQL_ROOT/usr/share/mysql" \
    --plugin-dir="$MYSQL_ROOT/usr/lib/mysql/plugin" \
    --datadir="$MYSQL_DATA"
}

mysql_ping() { in_root /usr/bin/mysql --no-defaults -uroot -S "$MYSQL_SOCK" -N -e 'select 1'; }

start_mysqld() {
  local pid
  pid=$(pid_of "$MYSQL_PID")
  if ours "$pid" && mysql_ping >/dev/null 2>&1; then
    say "mysqld already running (pid $pid)"; return 1
  fi
  if ours "$pid"; then # alive but not answering: wait a little, then replace it
    wait_for 20 "mysqld to answer" mysql_ping || { say "mysqld (pid $pid) does not answer; restarting it"; kill -KILL "$pid" || true; sleep 1; }
    if mysql_ping >/dev/null 2>&1; then return 1; fi
  fi
  # Leftovers of a killed mysqld: its pid file, socket and socket lock.
  rm -f "$MYSQL_PID" "$MYSQL_SOCK" "$MYSQL_SOCK.lock"
  # A just-killed mysqld may hold its port for a moment.
  wait_for 15 "port $MYSQLD_PORT to be free" port_free "$MYSQLD_PORT" \
    || die "port $MYSQLD_PORT (mysqld) is taken by $(who_has_port "$MYSQLD_PORT"); set VITESS_MYSQLD_PORT"
  mkdir -p "$RUN/mysql" "$LOGS"
  chmod 755 "$RUN" "$RUN/mysql"
  if [[ ! -d $MYSQL_DATA/mysql ]]; then
    say "initialising the MySQL data folder"
    rm -rf "$MYSQL_DATA"
    # shellcheck disable=SC2046
    in_root /usr/sbin/mysqld $(mysqld_args) --user=root --initialize-insecure \
      --log-error="$LOGS/mysqld-init.log" || die "mysqld --initialize failed; see $LOGS/mysqld-init.log"
  fi
  # shellcheck disable=SC2046
  setsid "$MYSQL_ROOT/lib64/ld-linux-x86-64.so.2" \
    --library-path "$MYSQL_ROOT/usr/lib/x86_64-linux-gnu:$MYSQL_ROOT/lib/x86_64-linux-gnu" \
    "$MYSQL_ROOT/usr/sbin/mysqld" $(mysqld_args) \
    --user=root --mysqlx=OFF --secure-file-priv="" --server-id=1 \
    --log-bin=binlog --binlog-format=ROW --gtid-mode=ON --enforce-gtid-consistency=ON \
    --bind-address=127.0.0.1 --port="$MYSQLD_PORT" --socket="$MYSQL_SOCK" \
    --pid-file="$MYSQL_PID" --log-error="$LOGS/mysqld.log" \
    --skip-name-resolve --max-connections=1000 \
    < /dev/null > "$LOGS/mysqld.out" 2>&1 &
  echo $! > "$MYSQL_PID"
  wait_for 120 "mysqld" mysql_ping || die "mysqld did not come up in 120 s; see $LOGS/mysqld.log"
  say "mysqld $(mysql_version) up (pid $(pid_of "$MYSQL_PID"), socket $MYSQL_SOCK)"
  return 0
}

# --- vtcombo -------------------------------------------------------------------------

vtcombo_healthy() {
  [[ $(curl -fsS --max-time 2 "http://127.0.0.1:$VTCOMBO_HTTP_PORT/debug/health" 2>/dev/null) == ok ]]
}

write_vtcombo_config() {
  mkdir -p "$VTC_DIR/bin" "$VTC_DIR/schema/commerce" "$VTC_DIR/schema/meta" "$VTC_DIR/vtdataroot" "$VTC_DIR/vschema"
  # A copy the unprivileged user can execute (root's home is closed to it).
  if ! cmp -s "$VTCOMBO_CACHE/bin/vtcombo" "$VTC_DIR/bin/vtcombo"; then
    cp "$VTCOMBO_CACHE/bin/vtcombo" "$VTC_DIR/bin/vtcombo.tmp" && mv "$VTC_DIR/bin/vtcombo.tmp" "$VTC_DIR/bin/vtcombo"
  fi
  chmod 755 "$VTC_DIR" "$VTC_DIR/bin" "$VTC_DIR/bin/vtcombo"
  cat > "$VTC_DIR/schema/commerce/vschema.json" <<'JSON'
{ "sharded": true, "vindexes": { "hash": { "type": "hash" } }, "tables": {} }
JSON
  cat > "$VTC_DIR/schema/meta/vschema.json" <<'JSON'
{ "sharded": false, "tables": {} }
JSON
  chmod -R a+rX "$VTC_DIR/schema"
  # One `alter vschema on meta.t add vindex …` marks the unsharded keyspace sharded
  # for good (and persisted), after which its tables need vindexes: undo that here.
  if grep -qE '"sharded": *true' "$VTC_DIR/vschema/meta.json" 2>/dev/null; then
    say "the persisted vschema made keyspace 'meta' sharded; resetting it to unsharded"
    rm -f "$VTC_DIR/vschema/meta.json"
  fi
  chown -R "$VTCOMBO_USER:$VTCOMBO_GROUP" "$VTC_DIR/vtdataroot" "$VTC_DIR/vschema"
  touch "$LOGS/vtcombo.log" && chown "$VTCOMBO_USER:$VTCOMBO_GROUP" "$LOGS/vtcombo.log"
}

start_vtcombo() {
  local force=$1 pid
  pid=$(pid_of "$VTC_PID")
  if [[ $force == 0 ]] && ours "$pid" && vtcombo_healthy; then
    say "vtcombo already running (pid $pid)"; return 0
  fi
  stop_pid "$VTC_PID" vtcombo
  # vtcombo may have been started by an earlier, killed run without a pid file.
  pkill -KILL -f "^$VTC_DIR/bin/vtcombo " 2>/dev/null || true
  local port
  for port in "$VTGATE_MYSQL_PORT" "$VTGATE_GRPC_PORT" "$VTCOMBO_HTTP_PORT"; do
    wait_for 10 "port $port to be free" port_free "$port" \
      || die "port $port is taken by $(who_has_port "$port"); set VTGATE_MYSQL_PORT / VTGATE_GRPC_PORT / VTCOMBO_HTTP_PORT"
  done
  write_vtcombo_config
  local users=() u
  for u in app dba allprivs appdebug filtered repl; do users+=(--db-"$u"-user root); done
  local as_user=()
  if [[ $(id -u) == 0 ]]; then
    as_user=(setpriv --reuid="$VTCOMBO_USER" --regid="$VTCOMBO_GROUP" --clear-groups)
  elif [[ $VTCOMBO_USER != "$(id -un)" ]]; then
    die "VTCOMBO_USER=$VTCOMBO_USER: only root can start vtcombo as another user"
  fi
  # VTCOMBO_EXTRA_FLAGS is split on spaces on purpose.
  # shellcheck disable=SC2086
  setsid "${as_user[@]}" \
    env VTDATAROOT="$VTC_DIR/vtdataroot" HOME="$VTC_DIR/vtdataroot" \
    "$VTC_DIR/bin/vtcombo" \
    --db-socket "$MYSQL_SOCK" --mycnf-socket-file "$MYSQL_SOCK" --mycnf-server-id 1 \
    --db-charset utf8mb4 "${users[@]}" \
    --proto-topo 'keyspaces:{name:"commerce" shards:{name:"-80"} shards:{name:"80-"}} keyspaces:{name:"meta" shards:{name:"0"}} cells:"test"' \
    --schema-dir "$VTC_DIR/schema" --vschema-persistence-dir "$VTC_DIR/vschema" \
    --service-map grpc-vtgateservice --grpc-port "$VTGATE_GRPC_PORT" --grpc-bind-address 127.0.0.1 \
    --mysql-server-port "$VTGATE_MYSQL_PORT" --mysql-server-bind-address 127.0.0.1 \
    --mysql-auth-server-impl none --vschema-ddl-authorized-users '%' \
    --port "$VTCOMBO_HTTP_PORT" --bind-address 127.0.0.1 --tablet-hostname localhost \
    --log_dir "$VTC_DIR/vtdataroot" \
    ${VTCOMBO_EXTRA_FLAGS:-} \
    < /dev/null >> "$LOGS/vtcombo.log" 2>&1 &
  echo $! > "$VTC_PID"
  wait_for 120 "vtcombo" vtcombo_healthy || die "vtcombo did not become healthy in 120 s; see $LOGS/vtcombo.log"
  wait_for 60 "vtgate's MySQL port" bash -c "(exec 3<>/dev/tcp/127.0.0.1/$VTGATE_MYSQL_PORT)" \
    || die "vtgate's MySQL port $VTGATE_MYSQL_PORT did not open; see $LOGS/vtcombo.log"
  say "vtcombo $VITESS_VERSION up (pid $(pid_of "$VTC_PID"))"
}

print_env() {
  if external; then
    printf 'VTGATE_MYSQL_URL=%s\nVTGATE_GRPC_ADDR=%s\n' "$VTGATE_MYSQL_URL" "$VTGATE_GRPC_ADDR"
  else
    printf 'VTGATE_MYSQL_URL=mysql://root@127.0.0.1:%s/\nVTGATE_GRPC_ADDR=127.0.0.1:%s\nVTCOMBO_HTTP=http://127.0.0.1:%s\n' \
      "$VTGATE_MYSQL_PORT" "$VTGATE_GRPC_PORT" "$VTCOMBO_HTTP_PORT"
  fi
}

cmd_up() {
  if external; then say "using the vtgate at $VTGATE_MYSQL_URL / $VTGATE_GRPC_ADDR; starting nothing"; print_env; return; fi
  mkdir -p "$RUN" "$LOGS" && chmod 755 "$RUN"
  build_mysql
  build_vtcombo
  local restarted=0
  start_mysqld && restarted=1
  start_vtcombo "$restarted"
  say "vtgate MySQL: 127.0.0.1:$VTGATE_MYSQL_PORT   gRPC: 127.0.0.1:$VTGATE_GRPC_PORT   status: http://127.0.0.1:$VTCOMBO_HTTP_PORT/debug/status"
  say "keyspaces: commerce (shards -80, 80-), meta (unsharded); logs: $LOGS"
  print_env
}

cmd_down() {
  if external; then say "external vtgate configured; nothing to stop"; return; fi
  stop_pid "$VTC_PID" vtcombo
  stop_pid "$MYSQL_PID" mysqld
}

cmd_status() {
  if external; then say "external vtgate: $VTGATE_MYSQL_URL / $VTGATE_GRPC_ADDR"; return; fi
  local m v
  m=$(pid_of "$MYSQL_PID"); v=$(pid_of "$VTC_PID")
  if ours "$m"; then say "mysqld $(mysql_version): running (pid $m)"; else say "mysqld: stopped"; fi
  if ours "$v" && vtcombo_healthy; then say "vtcombo: healthy (pid $v)"; elif ours "$v"; then say "vtcombo: running, not healthy (pid $v)"; else say "vtcombo: stopped"; fi
  say "cache: $CACHE   runtime: $RUN   logs: $LOGS"
  ours "$v" && vtcombo_healthy
}

cmd_kill() {
  local pid
  for f in "$VTC_PID" "$MYSQL_PID"; do pid=$(pid_of "$f"); ours "$pid" && kill -KILL "$pid" && say "killed pid $pid"; done
  return 0
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  build) mkdir -p "$LOGS"; build_mysql; build_vtcombo ;;
  kill) cmd_kill ;;
  restart-vtcombo)
    if [[ ${2:-} == --kill ]]; then pid=$(pid_of "$VTC_PID"); ours "$pid" && kill -KILL "$pid"; fi
    start_vtcombo 1 ;;
  restart-mysqld)
    pid=$(pid_of "$MYSQL_PID")
    if [[ ${2:-} == --kill ]]; then
      if ours "$pid"; then kill -KILL "$pid"; say "killed mysqld (pid $pid)"; fi
      wait_for 10 "mysqld to die" bash -c "! kill -0 $pid 2>/dev/null" || true
    else
      stop_pid "$MYSQL_PID" mysqld
    fi
    start_mysqld || true ;;
  *) die "unknown command '$1' (up, down, status, env, build, kill, restart-vtcombo, restart-mysqld)" ;;
esac
