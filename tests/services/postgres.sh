# A private PostgreSQL cluster on loopback for the storage, end-to-end and multi-node tests: Debian's postgresql,
# started by hand (no systemd; initdb refuses root, so as root it runs as the postgres user).
# Exports:
#   MJPKI_TEST_POSTGRES  Npgsql connection string of the cluster's maintenance database, as superuser
#                        (Host=127.0.0.1;Port=…;Username=postgres;Database=postgres). Each test creates its own
#                        database (mjpki_<guid>) and drops it.
packages+=(postgresql)

_postgres_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin dir="$run_dir/postgres" port
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql"; return 1; }
  mkdir -p "$dir"
  # The server runs as postgres, which must be able to enter every parent (not so for a checkout under /root).
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir"; then
    dir=$(mktemp -d /tmp/mjpki-test-postgres.XXXXXX)
  fi
  echo "$dir" >"$run_dir/postgres.dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  (
    cd "$dir" || exit 1
    _postgres_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log"; exit 1; }
    # A throw-away cluster: durability settings off for speed; enough connections for parallel test classes.
    _postgres_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 30 start \
      -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null || { cat "$dir/pg.log"; exit 1; }
  ) || { echo "PostgreSQL did not start (cluster in $dir)"; return 1; }
  export MJPKI_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop_postgres() {
  local bin dir
  [ -f "$run_dir/postgres.dir" ] || return 0
  dir=$(cat "$run_dir/postgres.dir")
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  (cd "$dir" && _postgres_as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop) >/dev/null 2>&1
  case "$dir" in /tmp/mjpki-test-postgres.*) rm -rf "$dir" ;; esac
  rm -f "$run_dir/postgres.dir"
}
