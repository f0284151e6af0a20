// MNN-like sparse 1x1 convolution with blocks of 1 output channel (alibaba/MNN
// MNNPackedSparseMatMulEpx1, sparseBlockOC = 1, eP = 16): per tile of 16 pixels the input is
// packed into a contiguous [cin][16] buffer (MNNPackC4ForMatMul_A's job); per non-zero, its
// weight to every lane (`ld1r`), two `ldp` of the 16 packed inputs and 4 FMLAs; 4 output
// channels at a time, their 16 pixels transposed by `uzp1`/`uzp2` into NC4HW4 ([cout/4][hw][4]).
// hw >= 16, cout a multiple of 4; a last partial tile overlaps the one before.
// a: cin planes of hw floats (CHW); b: u32 non-zeros, u32 packed byte offset of the first
// non-zero's input channel, u32 byte offset (from b) of a cin x 64-byte pack buffer, 4 bytes
// padding; the non-zero values (f32); per output channel its count (u32); per non-zero the packed
// byte delta to the next one's input channel (i32; the last returns to the first); the buffer.
// void mnn_16x1(const float *a, const void *b, float *c, long hw, long cout, long cin)
    .text
    .global mnn_16x1
    .type mnn_16x1, %function
mnn_16x1:
    str     x19, [sp, #-16]!
    ldr     w9, [x1]                // non-zeros
    ldr     w10, [x1, #4]           // first non-zero's packed offset
    ldr     w11, [x1, #8]
    add     x11, x1, x11            // pack buffer
    add     x10, x11, x10           // packed input at the first non-zero's channel
    add     x12, x1, #16            // values, 4 bytes each
    add     x13, x12, x9, lsl #2    // per-channel counts
    add     x9, x13, x4, lsl #2     // deltas
    lsr     x4, x4, #2              // groups of 4 output channels
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
    mov     x17, x12                // next value
    mov     x1, x13                 // next count
    mov     x8, x9                  // next delta
    add     x6, x2, x15, lsl #2     // output: group 0, this tile (16 bytes a pixel)
    mov     x3, x4                  // groups left
3:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    ldr     w7, [x1], #4            // non-zeros of output channel 0 of the group
    cbz     w7, 50f
40:
    ld1r    {v0.4s}, [x17], #4      // the weight, to every lane
    ldrsw   x19, [x8], #4           // delta to the next non-zero's channel
    ldp     q1, q2, [x16]
    ldp     q3, q4, [x16, #32]
    fmla    v16.4s, v1.4s, v0.4s
    fmla    v17.4s, v2.4s, v0.4s
    fmla    v18.4s, v3.4s, v0.4s
    fmla    v19.4s, v4.4s, v0.4s
    add     x16, x16, x19
    subs    w7, w7, #1
    b.ne    40b
50:
    movi    v20.4s, #0
    movi    v21.4s, #0
    movi    v22.4s, #0
    movi    v23.4s, #0
    ldr     w7, [x1], #4            // non-zeros of output channel 1 of the group
    cbz     w7, 51f
41:
    ld1r    {v0.4s}, [x17], #4      // the weight, to every lane
    ldrsw   x19, [x8], #4           // delta to the next non-zero's channel
    ldp     q1, q2, [x16]
    ldp     q3, q4, [x16, #32]
    fmla    v20.4s, v1.4s, v0.4s
    fmla    v21.4s, v2.4s, v0.4s
    fmla    v22.4s, v3.4s, v0.4s
    fmla    v23.4s, v4.4s, v0.4s
    add     x16, x16, x19
    subs    w7, w7, #1
    b.ne    41b
51:
    movi    v24.4s, #0
    movi    v25.4s, #0
    movi    v26.4s, #0
    movi    v27.4s, #0
    ldr     w7, [x1], #4            // non-zeros of output channel 2 of the group
    cbz     w7, 52f
42:
    ld1r    {v0.4s}, [x17], #4      // the weight, to every lane
    ldrsw   x19, [x8], #4           // delta to the next non-zero's channel
    ldp     q1, q2, [x16]
    ldp     q3, q4, [x16, #32]
    fmla    v24.4s, v1.4s, v0.4s
    fmla    v25.4s, v2.4s, v0.4s
    fmla    v26.4s, v3.4s, v0.4s
    fmla    v27.4s, v4.4s, v0.4s
    add     x16, x16, x19
    subs    w7, w7, #1
    b.ne    42b
52:
    movi    v28.4s, #0
    movi    v29.4s, #0
    movi    v30.4s, #0
    movi    v31.4s, #0
    ldr     w7, [x1], #4            // non-zeros of output channel 3 of the group
    cbz     w7, 53f
43:
    ld1r    {v0.4s}, [x17], #4      // the weight, to every lane
    ldrsw   x19, [x8], #4           // delta to the next non-zero's channel
    ldp     q1, q2, [x16]
    ldp     q3, q4, [x16, #32]
    fmla    v28.4s, v1.4s, v0.4s
    fmla    v29.4s, v2.4s, v0.4s
    fmla    v30.4s, v3.4s, v0.4s
    fmla    v31.4s, v4.4s, v0.4s
    add     x16, x16, x19
    subs    w7, w7, #1
    b.ne    43b
53:
    uzp1    v5.4s, v16.4s, v20.4s     // pixels 0..3: 4 channels each
    uzp2    v6.4s, v16.4s, v20.4s
    uzp1    v7.4s, v24.4s, v28.4s
    uzp2    v0.4s, v24.4s, v28.4s
    uzp1    v1.4s, v5.4s, v7.4s
    uzp1    v2.4s, v6.4s, v0.4s
    uzp2    v3.4s, v5.4s, v7.4s
    uzp2    v4.4s, v6.4s, v0.4s
    st1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x6], #64
    uzp1    v5.4s, v17.4s, v21.4s     // pixels 4..7: 4 channels each
    uzp2    v6.4s, v17.4s, v21.4s
    uzp1    v7.4s, v25.4s, v29.4s
    uzp2    v0.4s, v25.4s, v29.4s
    uzp1    v1.4s, v5.4s, v7.4s
    uzp1    v2.4s, v6.4s, v0.4s
    uzp2    v3.4s, v5.4s, v7.4s
    uzp2    v4.4s, v6.4s, v0.4s
    st1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x6], #64
    uzp1    v5.4s, v18.4s, v22.4s     // pixels 8..11: 4 channels each
    uzp2    v6.4s, v18.4s, v22.4s
    uzp1    v7.4s, v26.4s, v30.4s
    uzp2    v0.4s, v26.4s, v30.4s
    uzp1    v1.4s, v5.4s, v7.4s
    uzp1    v2.4s, v6.4s, v0.4s
    uzp2    v3.4s, v5.4s, v7.4s
    uzp2    v4.4s, v6.4s, v0.4s
    st1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x6], #64
    uzp1    v5.4s, v19.4s, v23.4s     // pixels 12..15: 4 channels each
    uzp2    v6.4s, v19.4s, v23.4s
    uzp1    v7.4s, v27.4s, v31.4s
    uzp2    v0.4s, v27.4s, v31.4s
    uzp1    v1.4s, v5.4s, v7.4s
    uzp1    v2.4s, v6.4s, v0.4s
    uzp2    v3.4s, v5.4s, v7.4s
    uzp2    v4.4s, v6.4s, v0.4s
    st1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x6], #64
    sub     x6, x6, #256
    add     x6, x6, x14, lsl #2     // next group: hw x 16 bytes on
    subs    x3, x3, #1
    b.ne    3b
    add     x15, x15, #64           // next tile of 16 pixels; a last partial tile
    cmp     x15, x14                // is computed as the 16 pixels ending the plane
    b.eq    9f
    add     x3, x15, #64
    cmp     x3, x14
    b.le    1b
    sub     x15, x14, #64
    b       1b
9:
    ldr     x19, [sp], #16
    ret
    .size mnn_16x1, .-mnn_16x1
