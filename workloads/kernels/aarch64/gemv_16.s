// Fully connected layer at batch 1 (a matrix-vector product), 16 outputs a step: per input, its
// value to every lane (`ld1r`), 16 weights (one 4-register load) and 4 FMLAs. Weights stored
// input-major ([k][n]) so the 16 are contiguous. n >= 16; a last partial block overlaps.
// a: k floats; b: the weights [k][n]; c: n floats.
// void gemv_16(const float *a, const float *b, float *c, long unused, long n, long k)
    .text
    .global gemv_16
    .type gemv_16, %function
gemv_16:
    lsl     x7, x4, #2              // bytes a weight row
    mov     x15, #0                 // this block's byte offset
1:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    mov     x16, x0
    add     x17, x1, x15
    mov     x9, x5
2:
    ld1r    {v0.4s}, [x16], #4
    ld1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x17]
    add     x17, x17, x7
    fmla    v16.4s, v1.4s, v0.4s
    fmla    v17.4s, v2.4s, v0.4s
    fmla    v18.4s, v3.4s, v0.4s
    fmla    v19.4s, v4.4s, v0.4s
    subs    x9, x9, #1
    b.ne    2b
    add     x10, x2, x15
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x10]
    add     x15, x15, #64
    cmp     x15, x7
    b.eq    3f
    add     x10, x15, #64
    cmp     x10, x7
    b.le    1b
    sub     x15, x7, #64
    b       1b
3:
    ret
    .size gemv_16, .-gemv_16
