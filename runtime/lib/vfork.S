# pid_t vfork(void)
# A vfork child runs on its parent's stack until it execs: whatever vfork
# is, it must be reached by a jump, with the caller's return address where
# the caller put it. The check runs (and returns) before that.
        .text
        .globl vfork
        .type vfork, @function
vfork:
        sub     $8, %rsp                # the stack aligned for the call
        call    dmtcp_vfork_must_fork
        add     $8, %rsp
        test    %eax, %eax
        jnz     1f
        jmp     *dmtcp_real_vfork(%rip)
1:      jmp     dmtcp_fork_with_free_pid
        .size vfork, .-vfork
        .section .note.GNU-stack,"",@progbits
