// Dense 3x3 stride-2 convolution of 3 input channels (MobileNet-v1's first layer), direct, in
// CHW layout: 4 output pixels of a row a step, each tap's 4 inputs gathered by `uzp1`/`uzp2` from
// two 8-float loads (the stride-2 deinterleave XNNPACK's conv-hwc2chw and dwconv-chw s2 kernels do
// with `vld2q`/`uzp`). A last partial block of a row overlaps the one before.
// a: the input, 3 planes of (h+2) x (h+2) floats, zero-padded by 1; b: per output channel its 27
// weights [ci][ky][kx] and one zero float; c: cout planes of (h/2) x (h/2) floats.
// void conv3x3s2(const float *a, const float *b, float *c, long h, long cout, long cin = 3)
    .text
    .global conv3x3s2
    .type conv3x3s2, %function
conv3x3s2:
    add     x6, x3, #2              // padded width
    lsl     x7, x6, #2              // bytes a padded row
    mul     x8, x7, x6              // bytes a padded plane
    lsr     x9, x3, #1              // output width and height
    mov     x10, x1                 // this output channel's weights
    mov     x17, x2                 // this output row
    mov     x11, x4                 // output channels left
1:
    ld1     {v16.4s, v17.4s, v18.4s, v19.4s}, [x10], #64
    ld1     {v20.4s, v21.4s, v22.4s}, [x10], #48
    mov     x12, #0                 // output row
2:
    lsl     x13, x12, #1
    mul     x13, x13, x7
    add     x13, x0, x13            // input row 2*oy of channel 0
    mov     x14, #0                 // output column
3:
    add     x15, x13, x14, lsl #3   // input column 2*ox
    mov     x16, x15
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmul    v23.4s, v4.4s, v16.s[0]
    fmla    v23.4s, v5.4s, v16.s[1]
    fmla    v23.4s, v6.4s, v16.s[2]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmul    v24.4s, v4.4s, v16.s[3]
    fmla    v24.4s, v5.4s, v17.s[0]
    fmla    v24.4s, v6.4s, v17.s[1]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmul    v25.4s, v4.4s, v17.s[2]
    fmla    v25.4s, v5.4s, v17.s[3]
    fmla    v25.4s, v6.4s, v18.s[0]
    add     x15, x15, x8            // next input channel
    mov     x16, x15
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v23.4s, v4.4s, v18.s[1]
    fmla    v23.4s, v5.4s, v18.s[2]
    fmla    v23.4s, v6.4s, v18.s[3]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v24.4s, v4.4s, v19.s[0]
    fmla    v24.4s, v5.4s, v19.s[1]
    fmla    v24.4s, v6.4s, v19.s[2]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v25.4s, v4.4s, v19.s[3]
    fmla    v25.4s, v5.4s, v20.s[0]
    fmla    v25.4s, v6.4s, v20.s[1]
    add     x15, x15, x8            // next input channel
    mov     x16, x15
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v23.4s, v4.4s, v20.s[2]
    fmla    v23.4s, v5.4s, v20.s[3]
    fmla    v23.4s, v6.4s, v21.s[0]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v24.4s, v4.4s, v21.s[1]
    fmla    v24.4s, v5.4s, v21.s[2]
    fmla    v24.4s, v6.4s, v21.s[3]
    add     x16, x16, x7
    ld1     {v0.4s, v1.4s}, [x16]
    add     x6, x16, #8
    ld1     {v2.4s, v3.4s}, [x6]
    uzp1    v4.4s, v0.4s, v1.4s     // kx 0: columns 2ox, 2ox+2, ...
    uzp2    v5.4s, v0.4s, v1.4s     // kx 1
    uzp1    v6.4s, v2.4s, v3.4s     // kx 2
    fmla    v25.4s, v4.4s, v22.s[0]
    fmla    v25.4s, v5.4s, v22.s[1]
    fmla    v25.4s, v6.4s, v22.s[2]
    fadd    v23.4s, v23.4s, v24.4s
    fadd    v23.4s, v23.4s, v25.4s
    add     x6, x17, x14, lsl #2
    st1     {v23.4s}, [x6]
    add     x14, x14, #4            // next 4 columns; a last partial block overlaps
    cmp     x14, x9
    b.eq    4f
    add     x6, x14, #4
    cmp     x6, x9
    b.le    3b
    sub     x14, x9, #4
    b       3b
4:
    add     x17, x17, x9, lsl #2
    add     x12, x12, #1
    cmp     x12, x9
    b.lt    2b
    subs    x11, x11, #1
    b.ne    1b
    ret
    .size conv3x3s2, .-conv3x3s2
