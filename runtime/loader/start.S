# Entry of the restart loader: run on our own stack (inside the loader's
# image) so that the kernel-provided stack can be unmapped.
        .text
        .globl _start
        .type _start, @function
_start:
        mov     %rsp, %rdi
        lea     loader_stack_top(%rip), %rsp
        and     $-16, %rsp
        call    loader_main
        hlt

# void jump_to_runtime(uint64_t entry, uint64_t stack_top, void* arg)
        .globl jump_to_runtime
        .type jump_to_runtime, @function
jump_to_runtime:
        mov     %rsi, %rsp
        and     $-16, %rsp
        mov     %rdi, %rax
        mov     %rdx, %rdi
        xor     %ebp, %ebp
        call    *%rax
        hlt
        .section .note.GNU-stack,"",@progbits
