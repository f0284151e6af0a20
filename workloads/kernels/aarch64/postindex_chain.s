// Micro-kernel: a chain of loads through their written-back base registers only (post-indexed
// forward, pre-indexed back, so the address never depends on loaded data): one a cycle when the
// base is written back by the address generation, as on the cores modelled, whatever the load's
// latency. a: at least 16 floats; m: iterations (8 loads each). Stores the last vectors loaded.
// void postindex_chain(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global postindex_chain
postindex_chain:
    mov     x9, x0
1:
    ldr     q0, [x9], #16
    ldr     q1, [x9], #16
    ldr     q2, [x9], #16
    ldr     q3, [x9], #16
    ldr     q3, [x9, #-16]!
    ldr     q2, [x9, #-16]!
    ldr     q1, [x9, #-16]!
    ldr     q0, [x9, #-16]!
    subs    x3, x3, #1
    b.ne    1b
    st1     {v0.4s, v1.4s, v2.4s, v3.4s}, [x2]
    ret
