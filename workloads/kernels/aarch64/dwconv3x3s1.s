// Dense depthwise 3x3 stride-1 convolution in CHW layout, as XNNPACK's f32-dwconv2d-chw does
// it: 4 output pixels of a row a step, three unaligned loads a row (XNNPACK's 3x3p1 kernel shifts with `ext` instead),
// one accumulator per kernel row. A last partial block of a row overlaps the one before.
// a: c planes of (h+2) x (h+2) floats, zero-padded by 1; b: per channel its 9 weights [ky][kx]
// and 3 zero floats; c: c planes of (h/1) x (h/1) floats.
// void dwconv3x3s1(const float *a, const float *b, float *c, long h, long channels, long unused)
    .text
    .global dwconv3x3s1
    .type dwconv3x3s1, %function
dwconv3x3s1:
    add     x6, x3, #2              // padded width
    lsl     x7, x6, #2              // bytes a padded row
    mul     x8, x7, x6              // bytes a padded plane
    mov     x9, x3              // output width and height
    mov     x10, x1                 // this channel's weights
    mov     x17, x2                 // this output row
    mov     x11, x4                 // channels left
    mov     x13, x0                 // this channel's plane
1:
    ld1     {v16.4s, v17.4s, v18.4s}, [x10], #48
    mov     x12, #0                 // output row
    mov     x15, x13                // input row oy
2:
    mov     x14, #0                 // output column
3:
    add     x16, x15, x14, lsl #2
    ld1     {v0.4s}, [x16]
    add     x6, x16, #4
    ld1     {v1.4s}, [x6]
    add     x6, x16, #8
    ld1     {v2.4s}, [x6]
    fmul    v24.4s, v0.4s, v16.s[0]
    fmla    v24.4s, v1.4s, v16.s[1]
    fmla    v24.4s, v2.4s, v16.s[2]
    add     x16, x16, x7
    ld1     {v0.4s}, [x16]
    add     x6, x16, #4
    ld1     {v1.4s}, [x6]
    add     x6, x16, #8
    ld1     {v2.4s}, [x6]
    fmul    v25.4s, v0.4s, v16.s[3]
    fmla    v25.4s, v1.4s, v17.s[0]
    fmla    v25.4s, v2.4s, v17.s[1]
    add     x16, x16, x7
    ld1     {v0.4s}, [x16]
    add     x6, x16, #4
    ld1     {v1.4s}, [x6]
    add     x6, x16, #8
    ld1     {v2.4s}, [x6]
    fmul    v26.4s, v0.4s, v17.s[2]
    fmla    v26.4s, v1.4s, v17.s[3]
    fmla    v26.4s, v2.4s, v18.s[0]
    fadd    v24.4s, v24.4s, v25.4s
    fadd    v24.4s, v24.4s, v26.4s
    add     x6, x17, x14, lsl #2
    st1     {v24.4s}, [x6]
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
    add     x15, x15, x7
    add     x12, x12, #1
    cmp     x12, x9
    b.lt    2b
    add     x13, x13, x8
    subs    x11, x11, #1
    b.ne    1b
    ret
    .size dwconv3x3s1, .-dwconv3x3s1
