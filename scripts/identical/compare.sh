#!/usr/bin/env bash
# Compares two folders written by scripts/identical/run-all.sh: every run's report.json and
# stats.csv, and every sweep's results.jsonl, byte for byte. Prints each file compared and exits 1
# at the first difference (with the diff), 0 if all are identical.
#
#   scripts/identical/compare.sh BEFORE_DIR AFTER_DIR
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BEFORE_DIR AFTER_DIR" >&2; exit 2; }
a=$1
b=$2
n=0
while IFS= read -r f; do
    rel=${f#"$a"/}
    if [[ ! -f $b/$rel ]]; then
        echo "missing in $b: $rel" >&2
        exit 1
    fi
    # The commit a report records changes with every build: compared without it.
    if ! cmp -s <(grep -v '"sparsim_commit"' "$f") <(grep -v '"sparsim_commit"' "$b/$rel"); then
        echo "differs: $rel" >&2
        diff <(grep -v '"sparsim_commit"' "$f") <(grep -v '"sparsim_commit"' "$b/$rel") | head -40 >&2
        exit 1
    fi
    echo "identical: $rel"
    n=$((n + 1))
done < <(find "$a" \( -name report.json -o -name stats.csv -o -name results.jsonl \) | sort)
[[ $n -gt 0 ]] || { echo "no report.json, stats.csv or results.jsonl under $a" >&2; exit 1; }
echo "all $n files identical"
