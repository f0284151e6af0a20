# Sourced by the speed scripts, not run: their arguments, and one run of the experiment under
# valgrind's callgrind, counting inside the run loop (Sim::run) only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

# speed_args ARG...: `exp` is the first argument unless it is an option (default: SMASH V1 on
# bcsstk13), and `args` the rest (`--set key=value ...`).
speed_args() {
    exp=configs/experiments/smash-bcsstk13.toml
    if [[ $# -gt 0 && $1 != --* ]]; then
        exp=$1
        shift
    fi
    args=("$@")
}

# speed_callgrind [VALGRIND OPTION...]: builds the release binary and runs `exp` with `args` under
# callgrind; leaves callgrind.out, stdout and stderr in `$tmp`, removed when the script exits.
speed_callgrind() {
    cargo build --release --quiet
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    valgrind --tool=callgrind "$@" --toggle-collect='sparsim::engine::sim::Sim::run' \
        --callgrind-out-file="$tmp/callgrind.out" \
        target/release/sparsim run "$exp" "${args[@]}" --out "$tmp/reports" >"$tmp/stdout" 2>"$tmp/stderr" || {
        cat "$tmp/stdout" "$tmp/stderr" >&2
        exit 1
    }
}
