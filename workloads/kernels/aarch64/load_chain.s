// Micro-kernel: a chain of dependent loads (each address is the value the one before loaded):
// one per load-to-use latency while it hits in L1. c: 8 bytes (written with a pointer to itself,
// then chased); m: iterations (8 loads each). Stores the final pointer's offset from c.
// void load_chain(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global load_chain
load_chain:
    str     x2, [x2]
    mov     x9, x2
1:
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    ldr     x9, [x9]
    subs    x3, x3, #1
    b.ne    1b
    sub     x9, x9, x2
    str     x9, [x2]
    ret
