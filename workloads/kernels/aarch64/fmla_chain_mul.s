// Micro-kernel: FMLAs each dependent on the one before through its multiplicand; one per FMLA
// latency. a: 32 floats of input; c: 8 floats of output; m: iterations (8 FMLAs each).
// void fmla_chain_mul(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global fmla_chain_mul
fmla_chain_mul:
    ldr     q0, [x0]
    ldr     q1, [x0, #16]
    ldr     q2, [x0, #32]
1:
    fmla    v1.4s, v0.4s, v2.4s     // v1 <- v1 + v0 * v2
    fmla    v0.4s, v1.4s, v2.4s     // uses v1 as a multiplicand
    fmla    v1.4s, v0.4s, v2.4s
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v1.4s, v0.4s, v2.4s
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v1.4s, v0.4s, v2.4s
    fmla    v0.4s, v1.4s, v2.4s
    subs    x3, x3, #1
    b.ne    1b
    st1     {v0.4s, v1.4s}, [x2]
    ret
