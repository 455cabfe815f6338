// A value that one thread rewrites while others hand it, by address, to the
// kernel (execve copies "NAME=value" strings: it measures one, then copies
// that many bytes). Rewriting in place can give a reader a string cut short
// or running into the next one; here a new value is built in the copy not
// in use and then published, and a value equal to the current one is never
// written at all. One writer at a time; no allocation, constant-initialized.
#pragma once

#include <cstring>

namespace dmtcp {

template <typename T>
class DoubleBuffered {
 public:
  T& Current() { return sets_[__atomic_load_n(&in_use_, __ATOMIC_ACQUIRE)]; }

  // build fills a zeroed T (compared whole, so padding stays zero).
  template <typename Build>
  void Publish(Build build) {
    const int in_use = __atomic_load_n(&in_use_, __ATOMIC_ACQUIRE);
    T& next = sets_[1 - in_use];
    memset(&next, 0, sizeof next);
    build(next);
    if (memcmp(&next, &sets_[in_use], sizeof next) == 0) return;
    __atomic_store_n(&in_use_, 1 - in_use, __ATOMIC_RELEASE);
  }

 private:
  T sets_[2]{};
  int in_use_ = 0;
};

}  // namespace dmtcp
