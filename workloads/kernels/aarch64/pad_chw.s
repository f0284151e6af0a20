// Zero padding by 1 of CHW planes (the layout step before a 3x3 convolution): copies each row of
// h floats into a plane of (h+2) x (h+2) whose border the caller has zeroed, 4 floats a step (a
// last partial block of a row overlaps the one before). h >= 4.
// a: c planes of h x h floats; c: c planes of (h+2) x (h+2) floats.
// void pad_chw(const float *a, const void *unused, float *c, long h, long channels, long unused)
    .text
    .global pad_chw
    .type pad_chw, %function
pad_chw:
    add     x6, x3, #2
    lsl     x7, x6, #2              // bytes an output row
    lsl     x8, x3, #2              // bytes an input row
    add     x17, x2, x7
    add     x17, x17, #4            // output row 1, column 1
    mov     x16, x0
    mov     x11, x4                 // channels left
0:
    mov     x12, x3                 // rows left
1:
    mov     x9, #0
2:
    ldr     q0, [x16, x9]
    str     q0, [x17, x9]
    add     x9, x9, #16
    cmp     x9, x8
    b.eq    3f
    add     x10, x9, #16
    cmp     x10, x8
    b.le    2b
    sub     x9, x8, #16
    b       2b
3:
    add     x16, x16, x8
    add     x17, x17, x7
    subs    x12, x12, #1
    b.ne    1b
    add     x17, x17, x7, lsl #1    // a plane done: skip the bottom and top borders
    subs    x11, x11, #1
    b.ne    0b
    ret
    .size pad_chw, .-pad_chw
