#!/usr/bin/env bash
# Packs every library under src/ (Release) into NuGet packages: a .nupkg and a .snupkg (symbols) per library, the
# version from src/Directory.Build.props. Which projects are packages is what MSBuild says (IsPackable: every src
# library; the Host is an application). Idempotent: a package of the same id already in OUT is replaced. Built as a CI
# build (ContinuousIntegrationBuild: source paths in the PDBs read /_/, so the same commit packs the same assemblies on
# any machine). Prints the package files.
#
# usage: scripts/pack.sh [OUT]        OUT defaults to artifacts/packages (git-ignored)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/artifacts/packages}
case "$out" in -h|--help) sed -n '2,8p' "$0"; exit 0 ;; esac
mkdir -p "$out"; out=$(cd "$out" && pwd)

projects=()
for project in "$repo"/src/*/*.csproj; do
  packable=$(dotnet msbuild "$project" -getProperty:IsPackable -p:Configuration=Release 2>/dev/null | tr -d '[:space:]')
  [ "$packable" = "true" ] && projects+=("$project")
done
if [ ${#projects[@]} -eq 0 ]; then
  echo "scripts/pack.sh: no packable project under src/" >&2
  exit 1
fi

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
