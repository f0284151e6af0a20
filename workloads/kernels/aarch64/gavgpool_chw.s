// Global average pooling of CHW planes (XNNPACK's f32-gavgpool-cw idea), 4 channels a step: each
// plane summed 4 floats a load, its last hw % 4 floats added through a mask, then the 4 sums
// reduced across lanes by `uzp1`/`uzp2` and scaled by 1/hw. hw >= 4, channels a multiple of 4.
// a: channels planes of hw floats; b: 4 copies of 1/hw, then the tail mask (1.0 in the last
// hw % 4 lanes, else 0); c: channels floats.
// void gavgpool_chw(const float *a, const void *b, float *c, long hw, long channels, long unused)
    .text
    .global gavgpool_chw
    .type gavgpool_chw, %function
gavgpool_chw:
    ldr     q30, [x1]               // 1/hw
    ldr     q31, [x1, #16]          // tail mask
    lsl     x7, x3, #2              // bytes a plane
    lsr     x8, x3, #2              // whole vectors a plane
    sub     x9, x7, #16             // offset of a plane's last 4 floats
    mov     x16, x0
    mov     x17, x2
    lsr     x11, x4, #2             // groups of 4 channels left
1:
    mov     x13, x16
    movi    v16.4s, #0
    mov     x14, x13
    mov     x15, x8
2:
    ldr     q0, [x14], #16
    fadd    v16.4s, v16.4s, v0.4s
    subs    x15, x15, #1
    b.ne    2b
    ldr     q0, [x13, x9]
    fmla    v16.4s, v0.4s, v31.4s
    add     x13, x13, x7
    movi    v17.4s, #0
    mov     x14, x13
    mov     x15, x8
3:
    ldr     q0, [x14], #16
    fadd    v17.4s, v17.4s, v0.4s
    subs    x15, x15, #1
    b.ne    3b
    ldr     q0, [x13, x9]
    fmla    v17.4s, v0.4s, v31.4s
    add     x13, x13, x7
    movi    v18.4s, #0
    mov     x14, x13
    mov     x15, x8
4:
    ldr     q0, [x14], #16
    fadd    v18.4s, v18.4s, v0.4s
    subs    x15, x15, #1
    b.ne    4b
    ldr     q0, [x13, x9]
    fmla    v18.4s, v0.4s, v31.4s
    add     x13, x13, x7
    movi    v19.4s, #0
    mov     x14, x13
    mov     x15, x8
5:
    ldr     q0, [x14], #16
    fadd    v19.4s, v19.4s, v0.4s
    subs    x15, x15, #1
    b.ne    5b
    ldr     q0, [x13, x9]
    fmla    v19.4s, v0.4s, v31.4s
    add     x13, x13, x7
    uzp1    v4.4s, v16.4s, v17.4s
    uzp2    v5.4s, v16.4s, v17.4s
    fadd    v4.4s, v4.4s, v5.4s     // a0+a1 a2+a3 b0+b1 b2+b3
    uzp1    v6.4s, v18.4s, v19.4s
    uzp2    v7.4s, v18.4s, v19.4s
    fadd    v6.4s, v6.4s, v7.4s
    uzp1    v0.4s, v4.4s, v6.4s
    uzp2    v1.4s, v4.4s, v6.4s
    fadd    v0.4s, v0.4s, v1.4s     // the 4 channels' sums
    fmul    v0.4s, v0.4s, v30.4s
    str     q0, [x17], #16
    mov     x16, x13
    subs    x11, x11, #1
    b.ne    1b
    ret
    .size gavgpool_chw, .-gavgpool_chw
