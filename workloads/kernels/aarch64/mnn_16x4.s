// MNN-like block-sparse 1x1 convolution (alibaba/MNN SparseConvolutionTiledExecutor with
// MNNPackedSparseMatMulEpx4, sparseBlockOC = 4, eP = 16): per tile of 16 pixels, the input is first
// packed into a contiguous [cin][16] buffer (MNNPackC4ForMatMul_A's job), then per block of 4
// output channels x 1 input channel: two `ldp` of the 16 packed inputs, one load of the 4 weights,
// 16 FMLAs by element into one accumulator per pixel holding its 4 output channels, so the output
// is NC4HW4 ([cout/4][hw][4]). hw >= 16; a last partial tile overlaps the one before.
// a: cin planes of hw floats (CHW); b: u32 blocks, u32 packed byte offset of the first block's
// input channel, u32 byte offset (from b) of a cin x 64-byte pack buffer, 4 bytes padding; per
// block its 4 values (f32); per group of 4 output channels its count of blocks (u32); per block
// the packed byte delta to the next block's input channel (i32; the last returns to the first);
// the pack buffer.
// void mnn_16x4(const float *a, const void *b, float *c, long hw, long cout, long cin)
    .text
    .global mnn_16x4
    .type mnn_16x4, %function
mnn_16x4:
    str     x19, [sp, #-16]!
    ldr     w9, [x1]                // blocks
    ldr     w10, [x1, #4]           // first block's packed offset
    ldr     w11, [x1, #8]
    add     x11, x1, x11            // pack buffer
    add     x10, x11, x10           // packed input at the first block's channel
    add     x12, x1, #16            // values, 16 bytes a block
    add     x13, x12, x9, lsl #4    // per-group counts
    lsr     x4, x4, #2              // groups
    add     x9, x13, x4, lsl #2     // deltas
    lsl     x14, x3, #2             // bytes per input channel
    mov     x15, #0                 // this tile's byte offset in a channel
1:
    add     x16, x0, x15            // pack: channel by channel, 16 floats each
    mov     x17, x11
    mov     x7, x5
2:
    ld1     {v0.4s, v1.4s, v2.4s, v3.4s}, [x16]
    add     x16, x16, x14
    st1     {v0.4s, v1.4s, v2.4s, v3.4s}, [x17], #64
    subs    x7, x7, #1
    b.ne    2b
    mov     x16, x10
    mov     x17, x12                // next values
    mov     x1, x13                 // next count
    mov     x8, x9                  // next delta
    add     x6, x2, x15, lsl #2     // output: group 0, this tile (16 bytes a pixel)
    mov     x3, x4                  // groups left
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
    ldr     q4, [x17], #16          // the block's 4 weights
    ldrsw   x19, [x8], #4           // delta to the next block's channel
    ldp     q0, q1, [x16]
    ldp     q2, q3, [x16, #32]
    fmla    v16.4s, v4.4s, v0.s[0]
    fmla    v17.4s, v4.4s, v0.s[1]
    fmla    v18.4s, v4.4s, v0.s[2]
    fmla    v19.4s, v4.4s, v0.s[3]
    fmla    v20.4s, v4.4s, v1.s[0]
    fmla    v21.4s, v4.4s, v1.s[1]
    fmla    v22.4s, v4.4s, v1.s[2]
    fmla    v23.4s, v4.4s, v1.s[3]
    fmla    v24.4s, v4.4s, v2.s[0]
    fmla    v25.4s, v4.4s, v2.s[1]
    fmla    v26.4s, v4.4s, v2.s[2]
    fmla    v27.4s, v4.4s, v2.s[3]
    fmla    v28.4s, v4.4s, v3.s[0]
    fmla    v29.4s, v4.4s, v3.s[1]
    fmla    v30.4s, v4.4s, v3.s[2]
    fmla    v31.4s, v4.4s, v3.s[3]
    add     x16, x16, x19
    subs    w7, w7, #1
    b.ne    4b
5:
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x6], #64
    st1     {v20.4s, v21.4s, v22.4s, v23.4s}, [x6], #64
    st1     {v24.4s, v25.4s, v26.4s, v27.4s}, [x6], #64
    st1     {v28.4s, v29.4s, v30.4s, v31.4s}, [x6]
    sub     x6, x6, #192
    add     x6, x6, x14, lsl #2     // next group: hw x 16 bytes on
    subs    x3, x3, #1
    b.ne    3b
    add     x15, x15, #64           // next tile of 16 pixels; a last partial tile
    cmp     x15, x14                // is computed as the 16 pixels ending the plane
    b.eq    6f
    add     x3, x15, #64
    cmp     x3, x14
    b.le    1b
    sub     x15, x14, #64
    b       1b
6:
    ldr     x19, [sp], #16
    ret
    .size mnn_16x4, .-mnn_16x4
