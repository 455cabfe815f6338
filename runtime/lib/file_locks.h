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

// kLease: a lease (fcntl F_SETLEASE) the descriptor's open file holds, read or write.
enum FileLockKind : uint8_t { kFlock = 1, kPosix = 2, kOfd = 3, kLease = 4 };

// Locks held through all of a process's descriptors that a checkpoint keeps.
constexpr uint32_t kMaxHeldLocks = 65536;

// The locks held through `fd` by this process (real pid `self`). Returns the
// count, or -1 if there are more than `cap` (the checkpoint is refused then).
int ReadHeldLocks(int fd, pid_t self, HeldLock* out, int cap);

// Takes `locks` again on `fd`, without waiting. False if another process
// holds a conflicting lock now.
bool RetakeLocks(int fd, const HeldLock* locks, int n);

// The process holding a write lease (fcntl F_SETLEASE, or one being broken) on the file
// dev/inode: any open of the file waits until the holder lets go or the kernel's
// lease-break-time (45 s) passes, and starts the break. 0: none; -1: held, the holder unknown.
pid_t WriteLeaseHolder(uint64_t dev, uint64_t inode);

}  // namespace dmtcp::rt
