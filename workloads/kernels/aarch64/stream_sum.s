// Micro-kernel: streams through a (n floats, n a multiple of 16) m times, summing it into four
// accumulators, and stores their sum (4 floats) to c. With a small a it stays in L1; with a large
// one it streams from DRAM.
// void stream_sum(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global stream_sum
stream_sum:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
1:
    mov     x9, x0
    mov     x10, x4
2:
    ld1     {v0.4s, v1.4s, v2.4s, v3.4s}, [x9], #64
    prfm    pldl1keep, [x9, #512]
    fadd    v16.4s, v16.4s, v0.4s
    fadd    v17.4s, v17.4s, v1.4s
    fadd    v18.4s, v18.4s, v2.4s
    fadd    v19.4s, v19.4s, v3.4s
    subs    x10, x10, #16
    b.gt    2b
    subs    x3, x3, #1
    b.ne    1b
    fadd    v16.4s, v16.4s, v17.4s
    fadd    v18.4s, v18.4s, v19.4s
    fadd    v16.4s, v16.4s, v18.4s
    str     q16, [x2]
    ret
