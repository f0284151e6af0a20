// Micro-kernel: FMLAs dependent on each other only through the accumulator; one per
// accumulator-forwarding latency. a: 32 floats; c: 8 floats; m: iterations (8 FMLAs each).
// void fmla_chain_acc(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global fmla_chain_acc
fmla_chain_acc:
    ldr     q0, [x0]
    ldr     q1, [x0, #16]
    ldr     q2, [x0, #32]
1:
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v0.4s, v2.4s, v1.4s
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v0.4s, v2.4s, v1.4s
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v0.4s, v2.4s, v1.4s
    fmla    v0.4s, v1.4s, v2.4s
    fmla    v0.4s, v2.4s, v1.4s
    subs    x3, x3, #1
    b.ne    1b
    st1     {v0.4s, v1.4s}, [x2]
    ret
