#!/usr/bin/env bash
# The GPU measurements of issue 12, prepared here and taken in one call on the lent GPU machine (the `device` tool).
#
#   benchmarks/gpu/run.sh prepare     trains the flight-delay model if missing, exports its held-out requests, and
#                                     publishes benchmarks/Biathlon.GpuBench self-contained and single-file (the GPU
#                                     machine has no .NET) into artifacts/gpubench with the pipeline and its data:
#                                     everything the device run needs, under the 64 MiB the device tool carries.
#   benchmarks/gpu/run.sh dry-run     runs that published binary here on ILGPU's CPU accelerator at toy sizes, to check
#                                     the publish before spending device time (its figures are not GPU figures).
#   benchmarks/gpu/run.sh device      what the device machine runs (the command below): every section, in one call of
#                                     at most 8 minutes, results under $OUT (gpu.md, gpu.log).
#
# Then, with the device tool: run(command="bash benchmarks/gpu/run.sh device", carry=["artifacts/gpubench"],
# timeout_s=540), and copy $OUT/gpu.md into experiments/reports/gpu.md under "Figures".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
out_dir=artifacts/gpubench

case "${1:-}" in
  prepare)
    if [ ! -f pipelines/flight-delay/model.onnx ] || [ ! -f "$out_dir/flight-delay-requests.csv" ]; then
      mkdir -p "$out_dir"
      dotnet run --project experiments/Biathlon.Experiments -c Release -- \
        prepare --pipeline flight-delay --export-requests "$repo/$out_dir/flight-delay-requests.csv"
    fi
    # Trimmed (the framework only: the project roots every library, ILGPU and CoreLib; deps.md §9) and compressed:
    # 29 MB instead of 52, so the binary, the 13 MB of flights and the repository fit the tool's 64 MiB.
    rm -rf "$out_dir/bin"
    dotnet publish benchmarks/Biathlon.GpuBench -c Release -r linux-x64 --self-contained \
      -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
      -p:PublishTrimmed=true -p:TreatWarningsAsErrors=false -p:ILLinkTreatWarningsAsErrors=false \
      -p:SuppressTrimAnalysisWarnings=true -p:DebugType=none -p:GenerateDocumentationFile=false \
      -o "$out_dir/bin" --nologo -v q
    rm -rf "$out_dir/flight-delay" "$out_dir/data"
    mkdir -p "$out_dir/flight-delay" "$out_dir/data"
    cp pipelines/flight-delay/pipeline.json pipelines/flight-delay/model.onnx "$out_dir/flight-delay/"
    cp data/real/flights-3m.parquet "$out_dir/data/"
    rm -rf "$out_dir/dry-run"
    size=$(du -sm "$out_dir" | cut -f1)
    tree=$(git ls-files -z | du -cm --files0-from=- | tail -1 | cut -f1)
    echo "benchmarks/gpu/run.sh: $out_dir holds ${size} MiB, the repository ${tree} MiB (the device tool carries 64 in all)"
    [ $((size + tree)) -le 62 ] || { echo "benchmarks/gpu/run.sh: too large to carry" >&2; exit 1; }
    ;;
  dry-run)
    env -i PATH=/usr/bin:/bin HOME=/tmp "$out_dir/bin/Biathlon.GpuBench" --out "$out_dir/dry-run" --simulate --pipeline "$out_dir/flight-delay" \
      --data "$out_dir/data" --requests "$out_dir/flight-delay-requests.csv"
    ;;
  device)
    : "${OUT:?the device tool sets OUT}"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia-smi.csv" 2>&1 || true
    timeout 480 "$out_dir/bin/Biathlon.GpuBench" --out "$OUT" --pipeline "$out_dir/flight-delay" \
      --data "$out_dir/data" --requests "$out_dir/flight-delay-requests.csv"
    ;;
  *)
    sed -n '2,15p' "$0"
    exit 2
    ;;
esac
