#!/usr/bin/env bash
# Runs every bundled AArch64 kernel twice on the same inputs: in sparsim (functional execution,
# `sparsim kernel run`) and natively under qemu-aarch64 (assembled by Debian's cross GCC, linked
# with harness.c), and checks that the output regions are byte-identical; the same for kernels as
# the WebAssembly profile rewrites them (`sparsim kernel lower`).
#
#   scripts/aarch64/check.sh        # installs gcc-aarch64-linux-gnu and qemu-user if missing (Debian)
#
# Exit 1 on any difference.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "installing gcc-aarch64-linux-gnu and qemu-user"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq gcc-aarch64-linux-gnu qemu-user >/dev/null
fi
cargo build --release --quiet
sparsim=$PWD/target/release/sparsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# kernel, driver, m, n, k[, WebAssembly profile and its options]: each bundled kernel with one or
# more shapes.
cases=(
    "sgemm_4x4 gemm 4 4 1"
    "sgemm_4x4 gemm 8 8 16"
    "sgemm_4x4 gemm 12 20 33"
    "sgemm_4x4 gemm 64 32 64"
    "fmla_chain_mul loop 50 32 0"
    "fmla_chain_acc loop 50 32 0"
    "fmla_independent loop 50 32 0"
    "load_chain loop 20 16 0"
    "postindex_chain loop 50 16 0"
    "stream_sum loop 3 4096 0"
    "branchy loop 2 1000 0"
    "spmm_16x1 spmm 64 24 40"
    "spmm_16x1 spmm 16 7 9"
    "spmm_16x4 spmm4 64 24 40"
    "spmm_16x4 spmm4 32 8 13"
    "sgemm_4x4 gemm 12 20 33 guard"
    "sgemm_4x4 gemm 12 20 33 explicit --relaxed-simd"
    "fmla_independent loop 50 32 0 guard"
    "stream_sum loop 3 4096 0 explicit"
    "branchy loop 2 1000 0 explicit"
    "sgemm_4x4 gemm 12 20 33 explicit --vector-registers 16"
    "fmla_independent loop 50 32 0 guard --vector-registers 12"
    "spmm_16x1 spmm 64 24 40 explicit"
    "spmm_16x4 spmm4 64 24 40 guard"
    "spmm_16x1 spmm 49 8 12"
    "spmm_16x4 spmm4 49 8 12"
    "spmm_16x2 spmm2 49 8 12"
    "spmm_16x2 spmm2 64 24 40 explicit"
    "conv3x3s2 conv3x3s2 14 6 3"
    "dwconv3x3s1 dw3x3s1 7 5 0"
    "dwconv3x3s2 dw3x3s2 14 3 0"
    "conv1x1_16x4 conv1x1 49 8 12"
    "mnn_16x4 mnn4 49 12 20"
    "mnn_16x1 mnn1 49 12 20"
    "mnn_16x1 mnn1 36 8 9 explicit"
    "pad_chw pad 7 3 0"
    "nc4hw4_chw nc4hw4 7 8 1"
    "gavgpool_chw gavgpool 49 8 0"
    "gemv_16 gemv 1 40 33"
    "conv3x3s2 conv3x3s2 14 6 3 explicit"
    "dwconv3x3s2 dw3x3s2 14 3 0 guard --relaxed-simd"
    "conv1x1_16x4 conv1x1 49 8 12 explicit --relaxed-simd"
    "mnn_16x4 mnn4 49 12 20 guard"
    "nc4hw4_chw nc4hw4 7 8 1 explicit"
    "gavgpool_chw gavgpool 49 8 0 guard"
    "gemv_16 gemv 1 40 33 explicit"
)
status=0
n=0
for c in "${cases[@]}"; do
    read -r name driver m nn k wasm options <<<"$c"
    src=workloads/kernels/aarch64/$name.s
    profile=()
    tag="$name-$driver-$m-$nn-$k"
    if [[ -n ${wasm:-} ]]; then
        # shellcheck disable=SC2206 # the options are words
        profile=(--wasm "$wasm" ${options:-})
        tag="$tag-wasm-$wasm$(echo "${options:-}" | tr -d ' -' | sed 's/^/-/;s/^-$//')"
        "$sparsim" kernel lower "$src" "${profile[@]}" >"$work/$tag.s"
        asm=$work/$tag.s
    else
        asm=$src
    fi
    exe=$work/$tag.exe
    aarch64-linux-gnu-gcc -O2 -static -DKERNEL="$name" -o "$exe" scripts/aarch64/harness.c "$asm"
    "$sparsim" kernel run "$src" "${profile[@]}" --driver "$driver" --m "$m" --n "$nn" --k "$k" --seed 7 \
        --inputs "$work/$tag.in" --output "$work/$tag.sparsim" >/dev/null
    qemu-aarch64 "$exe" "$work/$tag.in" "$work/$tag.qemu"
    if cmp -s "$work/$tag.sparsim" "$work/$tag.qemu"; then
        printf '%-56s identical (%s bytes)\n' "$tag" "$(stat -c %s "$work/$tag.qemu")"
    else
        printf '%-56s DIFFERENT\n' "$tag"
        status=1
    fi
    n=$((n + 1))
done
[[ $status -eq 0 ]] && echo "all $n cases: sparsim's outputs identical to qemu-aarch64's" || echo "outputs DIFFER (see above)"
exit $status
