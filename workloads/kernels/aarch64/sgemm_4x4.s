// Dense single-precision GEMM, C = A . B, in 4 x 4 tiles of C held in v16-v19.
// A is M x K, B is K x N, C is M x N, all row-major f32; M and N multiples of 4.
// void sgemm_4x4(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global sgemm_4x4
    .type sgemm_4x4, %function
sgemm_4x4:
    lsl     x9, x4, #2              // bytes per row of B and C
    lsl     x10, x5, #2             // bytes per row of A
    mov     x11, #0                 // i: first row of the tile
1:
    mov     x12, #0                 // j: first column of the tile
2:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    madd    x13, x11, x10, x0       // &A[i][0]
    add     x14, x13, x10           // &A[i+1][0]
    add     x15, x14, x10
    add     x16, x15, x10
    add     x17, x1, x12, lsl #2    // &B[0][j]
    mov     x6, x5                  // k left
3:
    ldr     q0, [x17]               // B[kk][j..j+3]
    add     x17, x17, x9
    ldr     s1, [x13], #4           // A[i][kk]
    ldr     s2, [x14], #4
    ldr     s3, [x15], #4
    ldr     s4, [x16], #4
    fmla    v16.4s, v0.4s, v1.s[0]
    fmla    v17.4s, v0.4s, v2.s[0]
    fmla    v18.4s, v0.4s, v3.s[0]
    fmla    v19.4s, v0.4s, v4.s[0]
    subs    x6, x6, #1
    b.ne    3b
    madd    x7, x11, x9, x2         // &C[i][0]
    add     x7, x7, x12, lsl #2     // &C[i][j]
    str     q16, [x7]
    add     x7, x7, x9
    str     q17, [x7]
    add     x7, x7, x9
    str     q18, [x7]
    add     x7, x7, x9
    str     q19, [x7]
    add     x12, x12, #4
    cmp     x12, x4
    b.lt    2b
    add     x11, x11, #4
    cmp     x11, x3
    b.lt    1b
    ret
    .size sgemm_4x4, .-sgemm_4x4
