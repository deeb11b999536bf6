# pcscd with vsmartcard's virtual reader (vpcd, TCP 35963 on loopback) and OpenSC's tools, for the tests that
# put the virtual card in "Virtual PCD 00 00" with `mjpki card serve` and read it with opensc-tool, pkcs15-tool
# and pkcs11-tool. Started in the foreground here, never through systemd socket activation (which exits when
# idle). A pcscd that is already running (e.g. a developer's) is used as is and left running.
# Exports:
#   MJPKI_TEST_PCSCD  1 when pcscd with vpcd is up and /run/pcscd/pcscd.comm accepts clients
packages+=(pcscd vsmartcard-vpcd opensc opensc-pkcs11)

pcscd_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

start_pcscd() {
  local dir="$run_dir/pcscd" i
  mkdir -p "$dir"
  if [ -S /run/pcscd/pcscd.comm ] && pgrep -x pcscd >/dev/null; then
    export MJPKI_TEST_PCSCD=1
    return 0
  fi
  pcscd_sudo mkdir -p /run/pcscd
  # A stale pid file from a pcscd that died would make the new one refuse to start.
  pcscd_sudo rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm
  # Started directly (not through the helper function) so that $! is pcscd itself (or sudo, which relays signals).
  if [ "$(id -u)" = 0 ]; then
    /usr/sbin/pcscd --foreground >"$dir/pcscd.log" 2>&1 &
  else
    sudo /usr/sbin/pcscd --foreground >"$dir/pcscd.log" 2>&1 &
  fi
  echo $! >"$dir/pid"
  for i in $(seq 1 100); do
    if [ -S /run/pcscd/pcscd.comm ]; then
      export MJPKI_TEST_PCSCD=1
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "pcscd did not start; see $dir/pcscd.log"
  cat "$dir/pcscd.log"
  return 1
}

stop_pcscd() {
  local pidfile="$run_dir/pcscd/pid"
  [ -f "$pidfile" ] && pcscd_sudo kill "$(cat "$pidfile")" 2>/dev/null
  rm -f "$pidfile"
}
