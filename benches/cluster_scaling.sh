#!/usr/bin/env bash
# Scaling of shards on one machine (docs/cluster.md): N = 1, 2, 4, 8 processes of one
# thread each, all started at once, then the merge; every merged folder is compared
# with a single run. Needs GNU time (/usr/bin/time) and a release build.
#   benches/cluster_scaling.sh [REPLICATIONS] [REPEATS]
set -euo pipefail
replications=${1:-4096}
repeats=${2:-3}
fundsim=$(cd "$(dirname "$0")/.." && pwd)/target/release/fundsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$fundsim" run stf -n "$replications" --seed 1 --threads 2 -q --out single
echo "N,repeat,shards_wall_s,shards_cpu_s,merge_wall_s,merge_cpu_s"
for n in 1 2 4 8; do
  for repeat in $(seq 1 "$repeats"); do
    rm -rf shard-* merged times-*
    start=$(date +%s.%N)
    for k in $(seq 0 $((n - 1))); do
      /usr/bin/time -o "times-$k" -f '%U %S' \
        "$fundsim" run stf -n "$replications" --seed 1 --threads 1 -q \
        --shard "$k/$n" --out "shard-$k" &
    done
    wait
    end=$(date +%s.%N)
    cpu=$(cat times-* | awk '{ s += $1 + $2 } END { printf "%.2f", s }')
    /usr/bin/time -o times-merge -f '%e %U %S' \
      "$fundsim" merge shard-* --out merged -q
    diff -r single merged >/dev/null || { echo "merged folder differs" >&2; exit 1; }
    read -r mwall muser msys < times-merge
    awk -v n="$n" -v r="$repeat" -v s="$start" -v e="$end" -v mw="$mwall" -v mu="$muser" -v ms="$msys" -v c="$cpu" \
      'BEGIN { printf "%d,%d,%.2f,%s,%.2f,%.2f\n", n, r, e - s, c, mw, mu + ms }'

  done
done
