// glibc functions that take one of glibc's own read-write locks as its
// writer (setlocale: the locale lock; textdomain, bindtextdomain: the
// message catalogs' lock). A writer's kernel thread id is kept in the lock
// (__cur_writer), and its unlock is told from a reader's by comparing it
// with the caller's id. A thread caught inside at a checkpoint comes back
// from a restart with a new id, so its unlock would count as a reader's and
// leave the lock held for ever (gcc's driver hung in its next setlocale).
// These locks are not the program's: the wrappers of pthread calls never
// see them. A checkpoint waits for the thread to come out instead.
#include <dlfcn.h>
#include <libintl.h>
#include <locale.h>

#include "runtime.h"

namespace {

struct OutsideCheckpoint {
  OutsideCheckpoint() { dmtcp::rt::WrapperEnter(); }
  ~OutsideCheckpoint() { dmtcp::rt::WrapperExit(); }
  OutsideCheckpoint(const OutsideCheckpoint&) = delete;
  OutsideCheckpoint& operator=(const OutsideCheckpoint&) = delete;
};

}  // namespace

extern "C" char* setlocale(int category, const char* locale) {
  static auto real = dmtcp::rt::Next<char* (*)(int, const char*)>("setlocale");
  OutsideCheckpoint outside;
  return real(category, locale);
}

extern "C" char* textdomain(const char* domain) {
  static auto real = dmtcp::rt::Next<char* (*)(const char*)>("textdomain");
  OutsideCheckpoint outside;
  return real(domain);
}

extern "C" char* bindtextdomain(const char* domain, const char* dir) {
  static auto real = dmtcp::rt::Next<char* (*)(const char*, const char*)>("bindtextdomain");
  OutsideCheckpoint outside;
  return real(domain, dir);
}

extern "C" char* bind_textdomain_codeset(const char* domain, const char* codeset) {
  static auto real =
      dmtcp::rt::Next<char* (*)(const char*, const char*)>("bind_textdomain_codeset");
  OutsideCheckpoint outside;
  return real(domain, codeset);
}
