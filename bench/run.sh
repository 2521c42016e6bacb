#!/usr/bin/env bash
# The whole benchmark in one run (see BENCHMARKS.md):
#
#   bench/run.sh            # 30, 1,000 and 10,000 files, card and table form
#   bench/run.sh --huge     # and 100,000 files (~1.5 GB of disk for the card's; at that size
#                           # the packet floor holds every sheet, some 8.5 GB for the card, and
#                           # consolidate 3.8 GB: set KAITO_BENCH_COMMANDS to leave them out)
#   bench/run.sh --sizes 30,1000 --forms card --runs 5
#   bench/run.sh --no-scripts   # without the Python comparison
#   KAITO_BENCH_COMMANDS=floor,check,python-calamine bench/run.sh --sizes 100000 --runs 1
#
# It installs, once, a Python venv in target/bench-venv with openpyxl and python-calamine
# (bench/scripts/requirements.txt, from PyPI), builds the floor program (bench/floor.rs), and
# runs `cargo bench --bench scale`, which makes the files (cached in target/bench-cache/),
# times everything and prints one table with the ratios and the targets. The output is also
# kept in target/bench-cache/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="30,1000,10000"
forms="card,table"
runs=3
scripts=1
while [ $# -gt 0 ]; do
  case "$1" in
    --huge) sizes="$sizes,100000" ;;
    --sizes) sizes="$2"; shift ;;
    --forms) forms="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --no-scripts) scripts=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
venv=target/bench-venv
if [ "$scripts" = 1 ]; then
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import openpyxl, python_calamine" 2>/dev/null; then
    echo "installing openpyxl and python-calamine into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r bench/scripts/requirements.txt
  fi
  export KAITO_BENCH_PYTHON="$PWD/$venv/bin/python"
else
  export KAITO_BENCH_PYTHON=/nonexistent
fi
mkdir -p target/bench-cache
KAITO_BENCH_SCALE="$sizes" KAITO_BENCH_FORMS="$forms" KAITO_BENCH_RUNS="$runs" \
  cargo bench --bench scale 2>&1 | tee target/bench-cache/last-run.txt
