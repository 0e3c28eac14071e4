#!/usr/bin/env bash
# CI dry run of the benchmark suite, so that it cannot rot: every benchmark case runs once (BenchmarkDotNet's dry job:
# one launch, one warm-up and one measured invocation; numbers meaningless), in process (no generated project to build,
# no process per case; heavy setup such as the 3M-row flights table is shared between cases), followed by a short
# --round-distribution run. Exits non-zero when the build, any benchmark or the distribution mode fails.
# Needs the datasets (scripts/fetch-datasets.sh flights sensors); a missing pipeline model is trained as `prepare` does.
# Usage: bash benchmarks/dry-run.sh            (from anywhere; about 2-3 minutes on 2 cores)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
project=benchmarks/Biathlon.Benchmarks
start=$SECONDS

if ! dotnet build "$project" -c Release --nologo -v q; then
  echo "benchmarks/dry-run.sh: the benchmark project does not build" >&2
  exit 1
fi

expected=$(dotnet run -c Release --no-build --project "$project" -- --list flat | grep -c '^Biathlon\.Benchmarks\.')
log="$artifacts/dry-run.log"
dotnet run -c Release --no-build --project "$project" -- \
  --filter '*' --job dry --inProcess --artifacts "$artifacts" 2>&1 | tee "$log" | grep -E '^(// Benchmark:|// \*\*\*\*\*|Run time|Global total)'
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  echo "benchmarks/dry-run.sh: BenchmarkDotNet exited with $rc; the failures:" >&2
  grep -nE -A12 'Exception|// ERROR|failed' "$log" | head -80 >&2
  exit 1
fi

# Every listed benchmark class must have run (a filter or discovery problem would skip one silently).
ran=$(grep -oE '^// Benchmark: [A-Za-z0-9_]+\.' "$log" | sort -u | wc -l)
classes=$(dotnet run -c Release --no-build --project "$project" -- --list flat | sed -nE 's/^Biathlon\.Benchmarks\.([A-Za-z0-9_]+)\..*/\1/p' | sort -u | wc -l)
if [ "$ran" -ne "$classes" ]; then
  echo "benchmarks/dry-run.sh: $ran of $classes benchmark classes ran ($expected methods listed)" >&2
  exit 1
fi

if ! dotnet run -c Release --no-build --project "$project" -- --round-distribution --requests 20 > "$artifacts/rounds.log" 2>&1; then
  echo "benchmarks/dry-run.sh: --round-distribution failed:" >&2
  tail -40 "$artifacts/rounds.log" >&2
  exit 1
fi

# The GPU measurement program (benchmarks/gpu/run.sh publishes it for the GPU machine), on ILGPU's CPU accelerator at
# toy sizes, so it cannot rot between device sessions: every section runs, the GPU path end to end included.
requests_csv=artifacts/gpubench/flight-delay-requests.csv
if [ ! -f "$requests_csv" ]; then
  mkdir -p artifacts/gpubench
  if ! dotnet run -c Release --project experiments/Biathlon.Experiments -- prepare --pipeline flight-delay \
      --export-requests "$PWD/$requests_csv" > "$artifacts/export.log" 2>&1; then
    echo "benchmarks/dry-run.sh: exporting flight-delay's requests failed:" >&2
    tail -20 "$artifacts/export.log" >&2
    exit 1
  fi
fi
if ! dotnet run -c Release --project benchmarks/Biathlon.GpuBench -- --out "$artifacts/gpu" --simulate \
    --pipeline pipelines/flight-delay --data data/real --requests "$requests_csv" > "$artifacts/gpu.log" 2>&1; then
  echo "benchmarks/dry-run.sh: the GPU measurement program failed on the CPU accelerator:" >&2
  tail -40 "$artifacts/gpu.log" >&2
  exit 1
fi

echo "benchmarks/dry-run.sh: $expected benchmarks in $classes classes, --round-distribution and the GPU program's dry run ran ($((SECONDS - start)) s)"
