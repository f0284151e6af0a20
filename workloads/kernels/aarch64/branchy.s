// Micro-kernel: a branch on the sign of each of the n floats of a (random signs: about half
// mispredicted by any predictor), counting the positive ones into c (as an integer), m times.
// void branchy(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global branchy
branchy:
    mov     x11, #0
1:
    mov     x9, x0
    mov     x10, x4
2:
    ldr     w12, [x9], #4
    cmp     w12, #0
    b.lt    3f
    add     x11, x11, #1
3:
    subs    x10, x10, #1
    b.ne    2b
    subs    x3, x3, #1
    b.ne    1b
    str     x11, [x2]
    ret
