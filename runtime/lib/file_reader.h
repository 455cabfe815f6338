// Reading a file whose contents a checkpoint saves without costing the
// process its POSIX record locks. Those locks belong to the descriptor
// table: closing any descriptor of the file drops every one the process
// holds on it, so a checkpoint must not open such a file and close it again.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

namespace dmtcp::rt {

struct FileReader {
  long fd = -1;        // read through this descriptor
  bool owned = false;  // opened here, closed by Close()
  // fd < 0: read by a process of our own (ReadOutsideTable), the file at
  // path relative to dirfd, which must still be dev/inode.
  int dirfd = -100;  // AT_FDCWD
  const char* path = nullptr;
  int flags = 0;
  uint64_t dev = 0, inode = 0;
  // Open failed with -EWOULDBLOCK: this process (-1: one unknown) holds a write lease on the
  // file, which an open would wait for and break (file_locks.h).
  pid_t lease_holder = 0;
  // This process's own write lease on the file, given up for the read: taken again by Close.
  int lease_fd = -1;

  // The file at path (relative to dirfd), opened with flags: read through
  // program_fd where that is a descriptor of the program's that can read
  // it, else opened here where the process holds no POSIX lock on it
  // (locked), else by a process of our own. Its stat in *st. 0 or -errno;
  // never opened where another holds a write lease on it (-EWOULDBLOCK).
  long Open(int dir, const char* file, int open_flags, long program_fd, bool locked,
            struct stat* st);
  bool Usable() const { return fd >= 0 || path; }
  // Up to len bytes at off: the bytes read, or -errno.
  long Pread(char* buf, size_t len, uint64_t off) const;
  void Close();
};

// Up to len bytes at off of the file at path (relative to dirfd, opened
// with flags) into buf, read by a short-lived process that shares this
// one's memory but has a copy of its descriptor table, so that its close
// drops none of this process's locks. The bytes read, or -errno (-ESTALE:
// the file there is no longer dev/inode).
long ReadOutsideTable(int dirfd, const char* path, int flags, uint64_t dev, uint64_t inode,
                      char* buf, size_t len, uint64_t off);

}  // namespace dmtcp::rt
