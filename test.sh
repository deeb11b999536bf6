#!/usr/bin/env bash
# Runs every test of MobileJpki: installs what the tests need, builds, tests, and prints
# "N passed, N failed, N skipped" as its last line. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
run_dir="$root/.test-run"
rm -rf "$run_dir"
mkdir -p "$run_dir"

# System packages the tests use for real (openssl is the reference client of the PKI tests), plus what
# each service file in tests/services adds.
packages=(openssl)
services=()
for f in tests/services/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck source=/dev/null
  . "$f"
  services+=("$(basename "$f" .sh)")
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

stop_services() {
  for s in "${services[@]}"; do
    declare -F "stop_$s" >/dev/null && "stop_$s" >/dev/null 2>&1
  done
}
trap stop_services EXIT
for s in "${services[@]}"; do
  if declare -F "start_$s" >/dev/null; then
    "start_$s" || { echo "could not start test service $s"; echo "0 passed, 1 failed"; exit 1; }
  fi
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Browser tests keep their screenshots here (a CI artifact).
export MJPKI_TEST_ARTIFACTS="$run_dir/artifacts"
fail_build() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
dotnet restore MobileJpki.slnx || fail_build "restore failed"
dotnet build MobileJpki.slnx -c Release --no-restore -nologo -clp:ErrorsOnly || fail_build "build failed"

dotnet test MobileJpki.slnx -c Release --no-build --nologo \
  --logger "trx" --results-directory "$run_dir/results" -- RunConfiguration.TreatNoTestsAsError=false
test_rc=$?

passed=0 failed=0 skipped=0 files=0
for trx in "$run_dir"/results/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
if [ "$files" -eq 0 ] || { [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  echo "the test run itself failed (exit $test_rc)"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
