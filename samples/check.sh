#!/usr/bin/env bash
# Checks the packed packages and the sample that consumes them, as .ci/run does after scripts/pack.sh:
#  1. every library under src/ has its .nupkg and .snupkg in the feed, at the version src/Directory.Build.props sets,
#     with its readme, XML docs, licence, authors, description, the commit it was built from, no runtime-specific
#     assets, its PDB in the symbols package, and its dependencies on other Biathlon packages at that same version;
#  2. samples/EmbeddedScoring restores Biathlon.Engine from that feed (this pack's file, not an older copy of the same
#     version), builds, scores two real flight-delay requests, and refuses a bad request line with exit code 1 and
#     one error line that names the line and the field.
# Needs the flight-delay model (pipelines/flight-delay/model.onnx: benchmarks/dry-run.sh or the harness's `prepare`
# trains it) and the flights data.
#
# usage: samples/check.sh [FEED]        FEED defaults to artifacts/packages (where scripts/pack.sh writes)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
feed=${1:-artifacts/packages}
failures=0
fail() { echo "samples/check.sh: $*" >&2; failures=$((failures + 1)); }

version=$(sed -n 's:.*<VersionPrefix>\s*\([^<[:space:]]*\)\s*</VersionPrefix>.*:\1:p' src/Directory.Build.props | head -1)
[ -n "$version" ] || { echo "samples/check.sh: no <VersionPrefix> in src/Directory.Build.props" >&2; exit 1; }

# 1. The packages: one per project under src/ that MSBuild calls packable (src/Directory.Build.props), as packed.
ids=()
for project in src/*/*.csproj; do
  packable=$(dotnet msbuild "$project" -getProperty:IsPackable -p:Configuration=Release 2>/dev/null | tr -d '[:space:]')
  [ "$packable" = "true" ] && ids+=("$(basename "$project" .csproj)")
done
[ ${#ids[@]} -gt 0 ] || fail "no packable project under src/"
grep -qxF Biathlon.Engine <<<"$(printf '%s\n' "${ids[@]}")" || fail "Biathlon.Engine is not packable"

for id in "${ids[@]}"; do
  nupkg="$feed/$id.$version.nupkg"; snupkg="$feed/$id.$version.snupkg"
  if [ ! -f "$nupkg" ] || [ ! -f "$snupkg" ]; then fail "$id: $nupkg or $snupkg is missing (run scripts/pack.sh)"; continue; fi
  files=$(unzip -Z1 "$nupkg")
  nuspec=$(unzip -p "$nupkg" "$id.nuspec" | tr -d '\r')
  for want in README.md "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -qxF "$want" <<<"$files" || fail "$id: the package lacks $want"
  done
  if grep -qE '^(runtimes/|lib/[^/]+/[^/]+/)' <<<"$files"; then
    fail "$id: the package has runtime-specific assets: $(grep -E '^(runtimes/|lib/[^/]+/[^/]+/)' <<<"$files" | head -3 | tr '\n' ' ')"
  fi
  grep -qF '<readme>README.md</readme>' <<<"$nuspec" || fail "$id: the nuspec names no readme"
  grep -qF '<license type="expression">' <<<"$nuspec" || fail "$id: the nuspec has no licence expression"
  grep -qF '<authors>Biathlon for .NET contributors</authors>' <<<"$nuspec" || fail "$id: the nuspec's authors are not 'Biathlon for .NET contributors'"
  grep -q '<description>Package Description</description>' <<<"$nuspec" && fail "$id: the nuspec has NuGet's placeholder description"
  grep -qE '<repository type="git"[^>]* commit="[0-9a-f]{40}"' <<<"$nuspec" || fail "$id: the nuspec records no git commit (SourceLink)"
  # Every dependency on a package of ours names this version.
  while read -r dependency; do
    [ -n "$dependency" ] || continue
    grep -qF "version=\"$version\"" <<<"$dependency" || fail "$id: $dependency is not at version $version"
  done < <(grep -oE '<dependency id="Biathlon\.[^"]*"[^>]*>' <<<"$nuspec")
  symbols=$(unzip -Z1 "$snupkg")   # not piped into grep -q: under pipefail, unzip's SIGPIPE would read as a miss
  grep -qxF "lib/net10.0/$id.pdb" <<<"$symbols" || fail "$id: the symbols package lacks lib/net10.0/$id.pdb"
done
engine_nuspec=$(unzip -p "$feed/Biathlon.Engine.$version.nupkg" Biathlon.Engine.nuspec 2>/dev/null)
for dependency in Biathlon.Planner Biathlon.Sampling Microsoft.ML.OnnxRuntime; do
  grep -qE "<dependency id=\"$dependency\" version=\"[^\"]+\"" <<<"$engine_nuspec" || fail "Biathlon.Engine: no dependency on $dependency"
done

# 2. The sample, restored from the feed into samples/.packages (git-ignored). The version number is the same on every
# pack, so this pack's copies replace whatever an earlier restore extracted there.
rm -rf samples/.packages/biathlon.*
if ! dotnet build samples/EmbeddedScoring -c Release --nologo -v q -p:RestoreForce=true; then
  fail "samples/EmbeddedScoring does not build against the packed Biathlon.Engine $version"
  echo "samples/check.sh: $failures failure(s)" >&2
  exit 1
fi
if ! cmp -s "samples/.packages/biathlon.engine/$version/biathlon.engine.$version.nupkg" "$feed/Biathlon.Engine.$version.nupkg"; then
  fail "the sample did not restore this pack's Biathlon.Engine.$version.nupkg"
fi
app=samples/EmbeddedScoring/bin/Release/net10.0/linux-x64/EmbeddedScoring.dll
[ -f samples/EmbeddedScoring/bin/Release/net10.0/linux-x64/libonnxruntime.so ] || fail "ONNX Runtime's native library did not flow to the sample's output"

out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if dotnet "$app" pipelines/flight-delay samples/EmbeddedScoring/flight-delay.jsonl >"$out" 2>"$err"; then
  cat "$out"
  [ "$(wc -l <"$out")" -eq 2 ] || fail "the sample printed $(wc -l <"$out") lines for 2 requests"
  for line in 1 2; do
    grep -qE "^\{\"line\":$line,\"prediction\":-?[0-9.]+(E[-+]?[0-9]+)?,\"valueKind\":\"[A-Za-z]+\",\"meetsBound\":(true|false),\"stopReason\":\"[A-Za-z]+\"" "$out" \
      || fail "the sample's line for request $line lacks a prediction, meetsBound or stopReason"
  done
  grep -q '"importance":\[{"query":' "$out" || fail "the sample printed no query importance"
else
  fail "the sample failed on the flight-delay requests: $(tail -3 "$err")"
fi

# A bad request line: exit 1, one error line naming the line and the field, no stack trace.
printf '%s\n' '{"origin": "ORD", "destination": "LGA", "distance": "far", "departure": "2001-06-12T17:05:00"}' \
  | dotnet "$app" pipelines/flight-delay >"$out" 2>"$err"
rc=$?
[ "$rc" -eq 1 ] || fail "a bad request line exited with $rc, not 1"
grep -qF "line 1, field 'distance'" "$err" || fail "the error for a bad request line does not name line 1 and field 'distance': $(head -2 "$err")"
[ "$(wc -l <"$err")" -eq 1 ] || fail "the error for a bad request line is $(wc -l <"$err") lines, not one"

if [ "$failures" -gt 0 ]; then
  echo "samples/check.sh: $failures failure(s)" >&2
  exit 1
fi
echo "samples/check.sh: the packages ($version) and the sample against them are fine"
