// Helper threads for the checkpoint thread (parallel image encoding): made
// with clone directly, without pthread or allocation, with every signal
// blocked. They share the checkpoint thread's TLS, so they may only run code
// that touches no TLS (no errno: raw system calls only).
#pragma once

#include <atomic>
#include <cstddef>

namespace dmtcp::rt {

constexpr size_t kHelperStackSize = 256 * 1024;

struct HelperThread {
  std::atomic<int> tid;  // 0 once the thread has exited
};

// Starts fn(arg) on the given stack; false if clone failed.
bool StartHelper(HelperThread* t, void* stack, size_t stack_size, void (*fn)(void*), void* arg);
// Waits until the thread has exited (its stack may then be reused).
void JoinHelper(HelperThread* t);
// How many helpers a checkpoint uses: DMTCP_CHECKPOINT_THREADS - 1 if set,
// else one fewer than the CPUs this process may run on.
int HelperCount();

}  // namespace dmtcp::rt
