/* A small memory-bound program used to compare sparsim's cachesim with cachegrind.
 * It walks a matrix by rows and by columns, chases a pointer ring and does a strided update,
 * so the trace mixes sequential, strided and irregular accesses. Build: gcc -O1 -static. */
#include <stdint.h>
#include <stdio.h>

#define N 96
#define RING 4096

static double a[N][N];
static uint32_t next_idx[RING];

int main(void) {
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = (double)(i * N + j);
    for (int j = 0; j < N; j++)         /* column walk: one line per access */
        for (int i = 0; i < N; i++)
            sum += a[i][j];
    uint32_t x = 12345;                 /* a seeded random permutation ring */
    for (uint32_t k = 0; k < RING; k++) next_idx[k] = k;
    for (uint32_t k = RING - 1; k > 0; k--) {
        x = x * 1103515245u + 12345u;
        uint32_t r = (x >> 8) % (k + 1);
        uint32_t t = next_idx[k]; next_idx[k] = next_idx[r]; next_idx[r] = t;
    }
    uint32_t p = 0;
    for (int k = 0; k < 3 * RING; k++) p = next_idx[p];
    for (int i = 0; i < N * N; i += 7)  /* strided read-modify-write */
        ((double *)a)[i] *= 1.5;
    printf("%f %u\n", sum, p);
    return 0;
}
