# Register context of a thread at a safe point (callee-saved registers,
# stack pointer, resume address, MXCSR and x87 control word) and a raw clone
# that starts a function on a given stack. Our own code, not glibc's
# setjmp/clone, so that nothing depends on glibc internals.
        .text
        .globl dmtcp_ctx_save
        .type dmtcp_ctx_save, @function
dmtcp_ctx_save:
        mov     %rbx, 0(%rdi)
        mov     %rbp, 8(%rdi)
        mov     %r12, 16(%rdi)
        mov     %r13, 24(%rdi)
        mov     %r14, 32(%rdi)
        mov     %r15, 40(%rdi)
        lea     8(%rsp), %rdx
        mov     %rdx, 48(%rdi)
        mov     (%rsp), %rdx
        mov     %rdx, 56(%rdi)
        stmxcsr 64(%rdi)
        fnstcw  68(%rdi)
        xor     %eax, %eax
        ret
        .size dmtcp_ctx_save, .-dmtcp_ctx_save

        .globl dmtcp_ctx_restore
        .type dmtcp_ctx_restore, @function
dmtcp_ctx_restore:
        ldmxcsr 64(%rdi)
        fldcw   68(%rdi)
        mov     0(%rdi), %rbx
        mov     8(%rdi), %rbp
        mov     16(%rdi), %r12
        mov     24(%rdi), %r13
        mov     32(%rdi), %r14
        mov     40(%rdi), %r15
        mov     48(%rdi), %rsp
        mov     %esi, %eax
        jmp     *56(%rdi)
        .size dmtcp_ctx_restore, .-dmtcp_ctx_restore

# long dmtcp_raw_clone(flags, child_stack, ptid, ctid, tls, fn, arg)
        .globl dmtcp_raw_clone
        .type dmtcp_raw_clone, @function
dmtcp_raw_clone:
        mov     8(%rsp), %rax
        sub     $16, %rsi
        mov     %r9, 0(%rsi)
        mov     %rax, 8(%rsi)
        mov     %rcx, %r10
        mov     $56, %eax
        syscall
        test    %rax, %rax
        jnz     1f
        pop     %rax
        pop     %rdi
        and     $-16, %rsp
        xor     %ebp, %ebp
        call    *%rax
        mov     $60, %eax
        xor     %edi, %edi
        syscall
        hlt
1:      ret
        .size dmtcp_raw_clone, .-dmtcp_raw_clone
        .section .note.GNU-stack,"",@progbits
