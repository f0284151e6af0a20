// Unstructured sparse 1x1 convolution as XNNPACK's f32 SpMM does it (MR = 16 pixels, NR = 1
// output channel; google/XNNPACK src/f32-spmm, without its bias and clamp): out[co][p] =
// sum over the non-zeros w of row co of w * in[ci(w)][p], in CHW layout; hw >= 16
// (a last partial block of pixels overlaps the one before).
// The weights blob b (the spmm driver's format): u32 non-zeros, u32 byte offset of the first
// non-zero's input channel, 8 bytes padding; the non-zero values (f32); per output channel its
// count of non-zeros (u32); per non-zero the byte delta to the next non-zero's input channel
// (i32; the last one returns to the first).
// void spmm_16x1(const float *in, const void *b, float *out, long hw, long cout, long cin)
    .text
    .global spmm_16x1
    .type spmm_16x1, %function
spmm_16x1:
    ldr     w9, [x1]                // non-zeros
    ldr     w10, [x1, #4]           // first channel's byte offset
    add     x11, x1, #16            // values
    add     x12, x11, x9, lsl #2    // per-channel counts
    add     x13, x12, x4, lsl #2    // deltas
    lsl     x14, x3, #2             // bytes per channel of in and out
    mov     x15, #0                 // this block's byte offset
1:
    add     x16, x0, x15
    add     x16, x16, x10           // input at the first non-zero's channel
    mov     x17, x11                // next value
    mov     x1, x12                 // next count
    mov     x9, x13                 // next delta
    add     x5, x2, x15             // output of channel 0
    mov     x6, x4                  // channels left
3:
    movi    v16.4s, #0
    movi    v17.4s, #0
    movi    v18.4s, #0
    movi    v19.4s, #0
    ldr     w7, [x1], #4            // non-zeros of this channel
    cbz     w7, 5f
4:
    ld1r    {v0.4s}, [x17], #4      // the weight, to every lane
    ldrsw   x8, [x9], #4            // delta to the next non-zero's channel
    ld1     {v1.4s, v2.4s, v3.4s, v4.4s}, [x16]
    prfm    pldl1keep, [x16, #64]
    fmla    v16.4s, v1.4s, v0.4s
    fmla    v17.4s, v2.4s, v0.4s
    fmla    v18.4s, v3.4s, v0.4s
    fmla    v19.4s, v4.4s, v0.4s
    add     x16, x16, x8
    subs    w7, w7, #1
    b.ne    4b
5:
    st1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x5]
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
    .size spmm_16x1, .-spmm_16x1
