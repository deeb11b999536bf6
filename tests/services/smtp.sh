# A real SMTP server on loopback for the notification tests: Debian's python3-aiosmtpd (RFC 5321), whose
# Mailbox handler stores every message it accepts in a maildir the tests read back.
# Exports:
#   MJPKI_TEST_SMTP_PORT     the port on 127.0.0.1 it listens on (no TLS, no authentication)
#   MJPKI_TEST_SMTP_MAILDIR  the maildir (new/ holds one file per received message)
packages+=(python3-aiosmtpd)

start_smtp() {
  local dir="$run_dir/smtp" port i
  mkdir -p "$dir"
  port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  # Debian's interpreter, not one a version manager may put first on PATH: the package installs for it.
  /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir/maildir" \
    >"$dir/smtp.log" 2>&1 &
  echo $! >"$dir/pid"
  for i in $(seq 1 100); do
    if /usr/bin/python3 -c "import socket,sys;s=socket.socket();s.settimeout(0.2);sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      export MJPKI_TEST_SMTP_PORT="$port" MJPKI_TEST_SMTP_MAILDIR="$dir/maildir"
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "the SMTP server did not start; see $dir/smtp.log"
  cat "$dir/smtp.log"
  return 1
}

stop_smtp() {
  local pidfile="$run_dir/smtp/pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  rm -f "$pidfile"
}
