#!/usr/bin/env bash
# OCSP responses per second on loopback: the server's pre-signed GET path next to nginx serving the very same DER
# response as a static file, same request path, same wrk settings, in one run (docs/benchmarks.md, "OCSP").
#
#   bench/ocsp-vs-nginx.sh [seconds=10] [connections=32] [rounds=2]
#
# Needs: dotnet, openssl, python3, wrk, nginx (apt-get install -y wrk nginx-light). CONFIG=Release by default.
set -euo pipefail
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-2}
CONFIG=${CONFIG:-Release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/mjpki-ocsp-bench.XXXXXX)
for tool in wrk nginx openssl python3; do
  command -v "$tool" >/dev/null || { echo "mjpki-bench: $tool is missing (apt-get install -y wrk nginx-light)" >&2; exit 1; }
done
NGINX=$(command -v nginx)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

dotnet build "$ROOT/src/MobileJpki.Server" -c "$CONFIG" -p:Optimize=true -v q -nologo >/dev/null
dotnet build "$ROOT/src/MobileJpki.Cli" -c "$CONFIG" -p:Optimize=true -v q -nologo >/dev/null
BIN="$ROOT/src/MobileJpki.Server/bin/$CONFIG/net10.0"
CLI="$ROOT/src/MobileJpki.Cli/bin/$CONFIG/net10.0/mjpki.dll"
PORT=$(free_port)
NGINX_PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

env -u ASPNETCORE_ENVIRONMENT -u DOTNET_ENVIRONMENT dotnet "$BIN/MobileJpki.Server.dll" --contentRoot "$BIN" --urls "$URL" \
  "--Storage:ConnectionString=Data Source=$WORK/s.db" "--Pki:DataDirectory=$WORK" "--Pki:BaseUrl=$URL" \
  --Sandbox:Enabled=true --Logging:LogLevel:Default=Warning >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do curl -sf "$URL/ca/auth.cer" -o "$WORK/ca.der" && break; sleep 0.5; done

# One card, its authentication certificate as the subject of the requests.
dotnet "$CLI" card issue --server "$URL" --out "$WORK/card.json" --name "ベンチ 太郎" --birth 1985-04-01 --gender male \
  --address "東京都千代田区紀尾井町1-3" --sign-password CARD2023 --auth-pin 1234 >/dev/null
python3 - "$WORK" <<'PY'
import sqlite3, sys
work = sys.argv[1]
der = sqlite3.connect(f"{work}/s.db").execute("select Der from Certificates where Kind = 2 and Der is not null limit 1").fetchone()[0]
open(f"{work}/cert.der", "wb").write(der)
PY
openssl x509 -inform DER -in "$WORK/cert.der" -out "$WORK/cert.pem"
openssl x509 -inform DER -in "$WORK/ca.der" -out "$WORK/ca.pem"
openssl ocsp -issuer "$WORK/ca.pem" -cert "$WORK/cert.pem" -no_nonce -reqout "$WORK/req.der" >/dev/null
REQUEST=$(python3 -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1],"rb").read()).decode(), safe=""))' "$WORK/req.der")
OCSP_PATH="/ocsp/auth/$REQUEST"

# Wait until the refresher has signed it and this node's replica serves it (an ETag marks a pre-signed answer).
for _ in $(seq 1 100); do curl -sI "$URL$OCSP_PATH" | grep -qi '^etag' && break; sleep 0.2; done
curl -sf "$URL$OCSP_PATH" -o "$WORK/resp.der"
openssl ocsp -respin "$WORK/resp.der" -issuer "$WORK/ca.pem" -cert "$WORK/cert.pem" -CAfile "$WORK/ca.pem" 2>&1 | grep -E 'good|verify' | sed 's/^/openssl: /'

# nginx workers run as an unprivileged user: the static file must be readable by them.
mkdir -p "$WORK/www"
cp "$WORK/resp.der" "$WORK/www/resp.der"
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/resp.der"
cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location /ocsp/ {
      default_type application/ocsp-response;
      add_header Cache-Control "public, no-transform, must-revalidate, max-age=86400";
      try_files /resp.der =404;
    }
  }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NGINX_PORT$OCSP_PATH" -o /dev/null && break; sleep 0.2; done
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT$OCSP_PATH") "$WORK/resp.der"

echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg); response: $(stat -c %s "$WORK/resp.der") bytes; wrk -t2 -c$CONNECTIONS -d${DURATION}s"
for round in $(seq 1 "$ROUNDS"); do
  for target in nginx mjpki; do
    port=$([ "$target" = nginx ] && echo "$NGINX_PORT" || echo "$PORT")
    rps=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$port$OCSP_PATH" | awk '/Requests\/sec/ {print $2}')
    echo "round $round $target: $rps requests/s"
  done
done
