// Group-sparse 1x1 convolution: weights pruned in blocks of 2 output channels x 1 input
// channel, so one index drives 8 FMLAs (XNNPACK's 16x2 SpMM structure; the 2-channel group of
// our reading of SparseByteNN's fine-grained groups along output channels). CHW layout, 16 pixels
// a block (a last partial block overlaps the one before), v16-v31 the 4 x 2 accumulators.
// The weights blob b (the spmm2 driver's format): u32 blocks, u32 byte offset of the first
// block's input channel, 8 bytes padding; per block its 2 values (output channels 2g, 2g+1,
// f32); per group of 2 output channels its count of blocks (u32); per block the byte delta to
// the next block's input channel (i32; the last one returns to the first).
// void spmm_16x2(const float *in, const void *b, float *out, long hw, long cout, long cin)
    .text
    .global spmm_16x2
    .type spmm_16x2, %function
spmm_16x2:
    ldr     w9, [x1]                // blocks
    ldr     w10, [x1, #4]           // first block's channel byte offset
    add     x11, x1, #16            // values, 8 bytes a block
    add     x12, x11, x9, lsl #3    // per-group counts
    lsr     x13, x4, #1             // groups
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
    lsr     x6, x4, #1              // groups left
3:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    movi    v20.4s, #0
    movi    v21.4s, #0
    movi    v22.4s, #0
    movi    v23.4s, #0
    ldr     w7, [x1], #4            // blocks of this group
    cbz     w7, 5f
4:
    ldr     d0, [x17], #8           // the block's 2 weights
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
    add     x16, x16, x8
    subs    w7, w7, #1
    b.ne    4b
5:
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x5]
    add     x5, x5, x14
    st1     {v20.4s, v21.4s, v22.4s, v23.4s}, [x5]
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
    .size spmm_16x2, .-spmm_16x2
