// NC4HW4 to CHW (the layout step after an MNN-like convolution, before a CHW kernel): per 4
// pixels of a row, one 64-byte load of their 4 channels each and a 4x4 transpose by `uzp1`/`uzp2`
// (as `vld4q` would), 4 stores into the 4 channels' planes, optionally zero-padded by 1 (the
// caller zeroes the border). A last partial block of a row overlaps the one before. h >= 4.
// a: [c/4][h*h][4] floats; c: c planes of (h+2p) x (h+2p) floats.
// void nc4hw4_chw(const float *a, const void *unused, float *c, long h, long channels, long p)
    .text
    .global nc4hw4_chw
    .type nc4hw4_chw, %function
nc4hw4_chw:
    add     x6, x3, x5, lsl #1
    lsl     x7, x6, #2              // bytes an output row
    mul     x8, x7, x6              // bytes an output plane
    lsl     x9, x3, #2              // bytes an output row's interior (h floats)
    mul     x10, x5, x7
    add     x10, x10, x5, lsl #2    // offset of the interior
    add     x17, x2, x10            // output row 0 of channel 4g
    mov     x16, x0                 // input row 0 of group g
    lsr     x11, x4, #2             // groups left
1:
    mov     x12, x3                 // rows left
2:
    mov     x13, #0                 // byte offset in the output row (4 a pixel)
3:
    add     x14, x16, x13, lsl #2   // 16 bytes a pixel in the input
    ld1     {v0.4s, v1.4s, v2.4s, v3.4s}, [x14]
    uzp1    v4.4s, v0.4s, v1.4s
    uzp2    v5.4s, v0.4s, v1.4s
    uzp1    v6.4s, v2.4s, v3.4s
    uzp2    v7.4s, v2.4s, v3.4s
    uzp1    v16.4s, v4.4s, v6.4s    // channel 0 of the group
    uzp1    v17.4s, v5.4s, v7.4s    // channel 1
    uzp2    v18.4s, v4.4s, v6.4s    // channel 2
    uzp2    v19.4s, v5.4s, v7.4s    // channel 3
    add     x14, x17, x13
    str     q16, [x14]
    add     x14, x14, x8
    str     q17, [x14]
    add     x14, x14, x8
    str     q18, [x14]
    add     x14, x14, x8
    str     q19, [x14]
    add     x13, x13, #16
    cmp     x13, x9
    b.eq    4f
    add     x15, x13, #16
    cmp     x15, x9
    b.le    3b
    sub     x13, x9, #16
    b       3b
4:
    add     x16, x16, x9, lsl #2    // next input row: h pixels of 16 bytes
    add     x17, x17, x7
    subs    x12, x12, #1
    b.ne    2b
    mul     x14, x7, x3
    sub     x17, x17, x14
    add     x17, x17, x8, lsl #2    // back to row 0, 4 planes on
    subs    x11, x11, #1
    b.ne    1b
    ret
    .size nc4hw4_chw, .-nc4hw4_chw
