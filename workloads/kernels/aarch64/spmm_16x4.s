// Group-sparse 1x1 convolution: weights pruned in blocks of 4 output channels x 1 input
// channel, so one index drives 16 FMLAs (XNNPACK's 16x4 SpMM structure, MNN's Epx4 idea; our
// reading of SparseByteNN's fine-grained groups along output channels). CHW layout, 16 pixels
// a block (a last partial block overlaps the one before), v16-v31 the 4 x 4 accumulators.
// The weights blob b (the spmm4 driver's format): u32 blocks, u32 byte offset of the first
// block's input channel, 8 bytes padding; per block its 4 values (output channels 4g..4g+3,
// f32); per group of 4 output channels its count of blocks (u32); per block the byte delta to
// the next block's input channel (i32; the last one returns to the first).
// void spmm_16x4(const float *in, const void *b, float *out, long hw, long cout, long cin)
    .text
    .global spmm_16x4
    .type spmm_16x4, %function
spmm_16x4:
    ldr     w9, [x1]                // blocks
    ldr     w10, [x1, #4]           // first block's channel byte offset
    add     x11, x1, #16            // values, 16 bytes a block
    add     x12, x11, x9, lsl #4    // per-group counts
    lsr     x13, x4, #2             // groups
    add     x13, x12, x13, lsl #2   // deltas
    lsl     x14, x3, #2             // bytes per channel of in and out
    mov     x15, #0                 // this block of pixels' byte offset
1:
    add     x16, x0, x15
    add     x16, x16, x10
    mov     x17, x11
    mov     x1, x12
    mov     x9, x13
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
    ldr     w7, [x1], #4            // blocks of this group
    cbz     w7, 5f
4:
    ldr     q0, [x17], #16          // the block's 4 weights
    ldrsw   x8, [x9], #4            // delta to the next block's channel
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
    add     x16, x16, x8
    subs    w7, w7, #1
    b.ne    4b
5:
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
    .size spmm_16x4, .-spmm_16x4
