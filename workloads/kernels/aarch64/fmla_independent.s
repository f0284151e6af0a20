// Micro-kernel: eight independent FMLA chains (v16-v23), enough to fill two ASIMD pipes of
// latency 4. a: 32 floats; c: 32 floats (the eight accumulators); m: iterations (8 FMLAs each).
// void fmla_independent(const float *a, const float *b, float *c, long m, long n, long k)
    .text
    .global fmla_independent
fmla_independent:
    ldr     q0, [x0]
    ldr     q1, [x0, #16]
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    movi    v20.4s, #0
    movi    v21.4s, #0
    movi    v22.4s, #0
    movi    v23.4s, #0
1:
    fmla    v16.4s, v0.4s, v1.4s
    fmla    v17.4s, v0.4s, v1.4s
    fmla    v18.4s, v0.4s, v1.4s
    fmla    v19.4s, v0.4s, v1.4s
    fmla    v20.4s, v0.4s, v1.4s
    fmla    v21.4s, v0.4s, v1.4s
    fmla    v22.4s, v0.4s, v1.4s
    fmla    v23.4s, v0.4s, v1.4s
    subs    x3, x3, #1
    b.ne    1b
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x2], #64
    st1     {v20.4s, v21.4s, v22.4s, v23.4s}, [x2]
    ret
