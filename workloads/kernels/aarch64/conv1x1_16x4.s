// Dense 1x1 convolution (a GEMM) in CHW layout with the 16x4 register tile of the group-sparse
// kernel (spmm_16x4.s) and no indices: per input channel, 16 pixels (4 vector loads) and the 4
// weights of 4 output channels (one load) drive 16 FMLAs by element. hw >= 16; a last partial
// block of pixels overlaps the one before.
// a: cin planes of hw floats; b: the weights packed [cout/4][cin][4]; c: cout planes of hw floats.
// void conv1x1_16x4(const float *a, const float *b, float *c, long hw, long cout, long cin)
    .text
    .global conv1x1_16x4
    .type conv1x1_16x4, %function
conv1x1_16x4:
    mov     x13, x5                 // input channels
    lsl     x14, x3, #2             // bytes per channel of in and out
    mov     x15, #0                 // this block of pixels' byte offset
1:
    mov     x17, x1                 // weights of this group
    add     x5, x2, x15
    lsr     x6, x4, #2              // groups left
3:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    movi    v20.4s, #0
    movi    v21.4s, #0
    movi    v22.4s, #0
    movi    v23.4s, #0
    movi    v24.4s, #0
    movi    v25.4s, #0
    movi    v26.4s, #0
    movi    v27.4s, #0
    movi    v28.4s, #0
    movi    v29.4s, #0
    movi    v30.4s, #0
    movi    v31.4s, #0
    add     x16, x0, x15            // input channel 0, this block
    mov     x7, x13                 // input channels left
4:
    ldr     q0, [x17], #16          // 4 output channels' weights of this input channel
    ld1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x16]
    prfm    pldl1keep, [x16, #64]
    fmla    v16.4s, v1.4s, v0.s[0]
    fmla    v17.4s, v2.4s, v0.s[0]
    fmla    v18.4s, v3.4s, v0.s[0]
    fmla    v19.4s, v4.4s, v0.s[0]
    fmla    v20.4s, v1.4s, v0.s[1]
    fmla    v21.4s, v2.4s, v0.s[1]
    fmla    v22.4s, v3.4s, v0.s[1]
    fmla    v23.4s, v4.4s, v0.s[1]
    fmla    v24.4s, v1.4s, v0.s[2]
    fmla    v25.4s, v2.4s, v0.s[2]
    fmla    v26.4s, v3.4s, v0.s[2]
    fmla    v27.4s, v4.4s, v0.s[2]
    fmla    v28.4s, v1.4s, v0.s[3]
    fmla    v29.4s, v2.4s, v0.s[3]
    fmla    v30.4s, v3.4s, v0.s[3]
    fmla    v31.4s, v4.4s, v0.s[3]
    add     x16, x16, x14
    subs    x7, x7, #1
    b.ne    4b
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x5]
    add     x5, x5, x14
    st1     {v20.4s, v21.4s, v22.4s, v23.4s}, [x5]
    add     x5, x5, x14
    st1     {v24.4s, v25.4s, v26.4s, v27.4s}, [x5]
    add     x5, x5, x14
    st1     {v28.4s, v29.4s, v30.4s, v31.4s}, [x5]
    add     x5, x5, x14
    subs    x6, x6, #1
    b.ne    3b
    add     x15, x15, #64           // next block of 16 pixels; a last partial block
    cmp     x15, x14                // is computed as the 16 pixels ending the plane
    b.eq    6f
    add     x3, x15, #64
    cmp     x3, x14
    b.le    1b
    sub     x15, x14, #64
    b       1b
6:
    ret
    .size conv1x1_16x4, .-conv1x1_16x4
