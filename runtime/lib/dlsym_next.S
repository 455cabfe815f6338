# void* dmtcp_dlsym(void* handle, const char* symbol)
# A tail call into dlsym, so that dlsym sees the plugin that called us as
# its caller: RTLD_NEXT then means "after that plugin", as NEXT_FNC needs.
        .text
        .globl dmtcp_dlsym
        .type dmtcp_dlsym, @function
dmtcp_dlsym:
        jmp     *dlsym@GOTPCREL(%rip)
        .size dmtcp_dlsym, .-dmtcp_dlsym
        .section .note.GNU-stack,"",@progbits
