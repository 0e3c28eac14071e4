#!/usr/bin/env bash
# Packs every library under src/ (Release) into NuGet packages: a .nupkg and a .snupkg (symbols) per library, the
# version from src/Directory.Build.props. Which projects are packages is what MSBuild says (IsPackable: every src
# library; the Host is an application). Idempotent: a package of the same id already in OUT is replaced. Reproducible:
# built as a CI build (ContinuousIntegrationBuild: source paths in the PDBs read /_/), and every file in the archives
# dated at the last commit (SOURCE_DATE_EPOCH, NuGet's DeterministicTimestamp), so the same commit packs the same bytes
# on any machine. Prints the package files.
#
# usage: scripts/pack.sh [OUT]        OUT defaults to artifacts/packages (git-ignored)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/artifacts/packages}
case "$out" in -h|--help) sed -n '2,8p' "$0"; exit 0 ;; esac
mkdir -p "$out"; out=$(cd "$out" && pwd)

# The archive's file dates: SOURCE_DATE_EPOCH when set, else the last commit's time (none outside a git checkout).
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null) && [ -n "$epoch" ]; then
  export SOURCE_DATE_EPOCH=$epoch
fi

projects=()
for project in "$repo"/src/*/*.csproj; do
  packable=$(dotnet msbuild "$project" -getProperty:IsPackable -p:Configuration=Release 2>/dev/null | tr -d '[:space:]')
  [ "$packable" = "true" ] && projects+=("$project")
done
if [ ${#projects[@]} -eq 0 ]; then
  echo "scripts/pack.sh: no packable project under src/" >&2
  exit 1
fi

# A Release build of the same sources without ContinuousIntegrationBuild looks up to date to MSBuild (it compares
# files, not properties) but holds machine paths: clean first, so the packages hold this build's assemblies.
for project in "${projects[@]}"; do
  dotnet clean "$project" -c Release --nologo -v q >/dev/null
done

for project in "${projects[@]}"; do
  id=$(basename "$project" .csproj)
  rm -f "$out/$id".[0-9]*.nupkg "$out/$id".[0-9]*.snupkg
  echo "scripts/pack.sh: packing $id"
  if ! dotnet pack "$project" -c Release -o "$out" --nologo -v q -p:ContinuousIntegrationBuild=true; then
    echo "scripts/pack.sh: packing $id failed ($project)" >&2
    exit 1
  fi
done

ls -1 "$out"/*.nupkg "$out"/*.snupkg
