// Locks a process holds on its open files (flock, POSIX record locks, open
// file description locks) belong to its state: a restart that reopens the
// file without them lets another process write where the program believes it
// alone may. Read at checkpoint from /proc/self/fdinfo/<fd>, taken again at
// restart on the reopened descriptor.
#pragma once

#include <stdint.h>
#include <sys/types.h>

namespace dmtcp::rt {

struct HeldLock {
  uint8_t kind;   // FileLockKind
  uint8_t write;  // 1: exclusive (WRITE), 0: shared (READ)
  int64_t start;
  int64_t end;  // inclusive, -1: to the end of the file
};

enum FileLockKind : uint8_t { kFlock = 1, kPosix = 2, kOfd = 3 };

// Locks held through all of a process's descriptors that a checkpoint keeps.
constexpr uint32_t kMaxHeldLocks = 65536;

// The locks held through `fd` by this process (real pid `self`). Returns the
// count, or -1 if there are more than `cap` (the checkpoint is refused then).
int ReadHeldLocks(int fd, pid_t self, HeldLock* out, int cap);

// Takes `locks` again on `fd`, without waiting. False if another process
// holds a conflicting lock now.
bool RetakeLocks(int fd, const HeldLock* locks, int n);

}  // namespace dmtcp::rt
