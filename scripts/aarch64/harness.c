/* Calls one of sparsim's AArch64 kernels on the inputs sparsim's driver laid out, and writes the
 * output region C: scripts/aarch64/check.sh builds it with the kernel (-DKERNEL=<symbol>) and runs
 * it under qemu-aarch64. Input file: "SPARSIMK", then A, B and C (each a little-endian u64 byte
 * count and the bytes), then m, n, k (little-endian i64). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void KERNEL(float *a, float *b, float *c, long m, long n, long k);

static void *region(FILE *f, uint64_t *len) {
    if (fread(len, 8, 1, f) != 1) { fprintf(stderr, "truncated input\n"); exit(2); }
    /* 64-byte aligned, as sparsim's regions are; at least 16 bytes. */
    void *p = aligned_alloc(64, (*len + 63) / 64 * 64 + 64);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    if (fread(p, 1, *len, f) != *len) { fprintf(stderr, "truncated input\n"); exit(2); }
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s INPUTS OUTPUT\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    char magic[8];
    if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "SPARSIMK", 8)) { fprintf(stderr, "not a sparsim inputs file\n"); return 2; }
    uint64_t la, lb, lc;
    float *a = region(f, &la), *b = region(f, &lb), *c = region(f, &lc);
    int64_t mnk[3];
    if (fread(mnk, 8, 3, f) != 3) { fprintf(stderr, "truncated input\n"); return 2; }
    fclose(f);
    KERNEL(a, b, c, mnk[0], mnk[1], mnk[2]);
    FILE *o = fopen(argv[2], "wb");
    if (!o || fwrite(c, 1, lc, o) != lc) { fprintf(stderr, "cannot write %s\n", argv[2]); return 1; }
    fclose(o);
    return 0;
}
