#!/bin/bash
# Queue a class on Slurm: N array tasks grade a shard each, then one job merges them.
#
#   examples/slurm/submit.sh SUBMISSIONS OUT [N]     # N defaults to 8
#
# SUBMISSIONS and OUT must be on a file system every node sees. Results: OUT/merged/
# (results.json, grades.csv, report.html, feedback/); each task's log: OUT/logs/.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
subs=$(realpath "${1:?usage: submit.sh SUBMISSIONS OUT [N]}")
out=$(realpath -m "${2:?usage: submit.sh SUBMISSIONS OUT [N]}")
count=${3:-8}
hw3=${HW3:-hw3}
mkdir -p "$out/logs"
grade=$(HW3=$hw3 sbatch --parsable --export=ALL --array="1-$count" \
    --output="$out/logs/shard-%a.log" "$here/grade-shards.sbatch" "$subs" "$out")
shards=$(for i in $(seq "$count"); do printf '%q ' "$out/shard-$i"; done)
merge=$(sbatch --parsable --export=ALL --job-name=hw3-merge --dependency="afterok:$grade" \
    --output="$out/logs/merge.log" --cpus-per-task=1 --mem=2G \
    --wrap="$(printf '%q' "$hw3") merge $shards --out $(printf '%q' "$out/merged")")
echo "grading: job $grade (array 1-$count); merging: job $merge -> $out/merged/"
