#!/usr/bin/env bash
# Runs the afl++ harnesses of fuzz/MobileJpki.Fuzz for a bounded time each (docs/fuzzing.md).
#
#   fuzz/run.sh [--seconds N] [--out DIR] [--trx FILE] [--no-build] [target ...]
#
# Publishes the harness, instruments the project's parser assemblies with SharpFuzz (the dotnet tool in
# dotnet-tools.json), then runs afl-fuzz on every target (default: all) for N seconds (default 20), one at a time.
# The seeds are fuzz/corpus/<target> plus every regression input in fuzz/crashes/<target>. A target fails when
# afl-fuzz saves a crash, refuses a seed (a regression input that crashes again) or cannot run; its crashing inputs
# are replayed to print the exception. With --trx, writes the results as a test results file that ./test.sh counts.
set -uo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
seconds=20
out="$root/.test-run/fuzz"
trx=""
build=1
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --trx) trx=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) targets+=("$1"); shift ;;
  esac
done

fail_setup() {
  echo "fuzz: $1"
  if [ -n "$trx" ]; then
    write_trx 0 1 "setup" "$1"
  fi
  exit 1
}

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' <<<"$1"; }

# write_trx PASSED FAILED then NAME MESSAGE pairs of failures: the counters are what test.sh reads.
write_trx() {
  local passed=$1 failed=$2 total=$(($1 + $2))
  shift 2
  mkdir -p "$(dirname "$trx")"
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<TestRun id="00000000-0000-0000-0000-000000000000" name="afl-fuzz" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">'
    echo '  <Results>'
    while (($# >= 2)); do
      echo "    <UnitTestResult testName=\"fuzz.$(xml_escape "$1")\" outcome=\"Failed\"><Output><ErrorInfo><Message>$(xml_escape "$2")</Message></ErrorInfo></Output></UnitTestResult>"
      shift 2
    done
    echo '  </Results>'
    echo '  <ResultSummary outcome="'"$([ "$failed" -eq 0 ] && echo Completed || echo Failed)"'">'
    echo "    <Counters total=\"$total\" executed=\"$total\" passed=\"$passed\" failed=\"$failed\" error=\"0\" timeout=\"0\" aborted=\"0\" />"
    echo '  </ResultSummary>'
    echo '</TestRun>'
  } >"$trx"
}

command -v afl-fuzz >/dev/null || fail_setup "afl-fuzz is not installed (Debian package afl++)"
cd "$root"
bin="$out/bin"
rm -rf "$bin"
mkdir -p "$out"
publish_args=(-c Release -o "$bin" -nologo -v quiet)
((build)) || publish_args+=(--no-build)
dotnet publish fuzz/MobileJpki.Fuzz/MobileJpki.Fuzz.csproj "${publish_args[@]}" >"$out/publish.log" 2>&1 \
  || { cat "$out/publish.log"; fail_setup "publishing the harness failed"; }
dotnet tool restore >"$out/tool-restore.log" 2>&1 || { cat "$out/tool-restore.log"; fail_setup "dotnet tool restore failed"; }
# The parsers under test and what they call; the harness itself and the framework stay uninstrumented.
for assembly in Card Core Device Revocation Ra; do
  dotnet tool run sharpfuzz "$bin/MobileJpki.$assembly.dll" >"$out/instrument.log" 2>&1 \
    || { cat "$out/instrument.log"; fail_setup "instrumenting MobileJpki.$assembly failed"; }
done
((${#targets[@]})) || mapfile -t targets < <(dotnet "$bin/MobileJpki.Fuzz.dll" list)

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FORKSRV_INIT_TMOUT=120000 DOTNET_CLI_TELEMETRY_OPTOUT=1
export MJPKI_FUZZ_TEMPLATES="$out/templates"
rm -rf "$MJPKI_FUZZ_TEMPLATES"
passed=0 failed=0 failures=()
for target in "${targets[@]}"; do
  seeds="$out/seeds/$target" findings="$out/findings/$target"
  rm -rf "$seeds" "$findings"
  mkdir -p "$seeds" "$out/findings"
  cp "$fuzz_dir/corpus/$target"/* "$seeds/" 2>/dev/null
  for f in "$fuzz_dir/crashes/$target"/*; do
    [ -f "$f" ] && cp "$f" "$seeds/crash-$(basename "$f")"
  done
  dotnet "$bin/MobileJpki.Fuzz.dll" prepare "$target" >"$out/$target.prepare.log" 2>&1 \
    || { cat "$out/$target.prepare.log"; fail_setup "preparing $target failed"; }
  # -t: generating an RSA key in the SE takes a while on a loaded machine; the + skips seeds that time out.
  afl-fuzz -i "$seeds" -o "$findings" -t 10000+ -m none -V "$seconds" -- dotnet "$bin/MobileJpki.Fuzz.dll" "$target" >"$out/$target.log" 2>&1
  rc=$?
  stats="$findings/default/fuzzer_stats"
  stat() { sed -n "s/^$1 *: *//p" "$stats" 2>/dev/null; }
  execs=$(stat execs_done) crashes=$(stat saved_crashes) hangs=$(stat saved_hangs) edges=$(stat edges_found) corpus=$(stat corpus_count)
  crashes=${crashes:-0}
  echo "fuzz $target: ${execs:-0} executions, $edges edges, $corpus inputs in the queue, $crashes crashes, ${hangs:-0} hangs (afl-fuzz exit $rc)"
  if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ] && [ "$crashes" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    if [ "$crashes" -gt 0 ]; then
      dotnet "$bin/MobileJpki.Fuzz.dll" replay "$target" "$findings/default/crashes" | head -40
      failures+=("$target" "$crashes crashes; inputs in $findings/default/crashes")
    else
      tail -15 "$out/$target.log"
      failures+=("$target" "afl-fuzz exit $rc: $(grep -a -m1 -E 'PROGRAM ABORT|Test case|crash' "$out/$target.log" | tr -d '\033')")
    fi
  fi
done
[ -n "$trx" ] && write_trx "$passed" "$failed" "${failures[@]}"
echo "fuzz: ${#targets[@]} targets, $failed with findings"
[ "$failed" -eq 0 ]
