#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

namespace dmtcp::coord {
namespace {

int g_fd = 2;
bool g_quiet = false;

void Write(const char* level, const char* fmt, va_list ap) {
  char line[2048];
  time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  int n = static_cast<int>(strftime(line, sizeof line, "[%Y-%m-%d %H:%M:%S] ", &tm));
  n += snprintf(line + n, sizeof line - n, "dmtcp_coordinator[%d] %s", getpid(), level);
  int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
  size_t len = m < 0 ? n : n + m;
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  // One write per line so concurrent writers to a shared log do not interleave.
  ssize_t w = write(g_fd, line, len);
  (void)w;
}

}  // namespace

void SetLogFd(int fd) { g_fd = fd; }
void SetLogQuiet(bool quiet) { g_quiet = quiet; }
int LogFd() { return g_fd; }

void LogInfo(const char* fmt, ...) {
  if (g_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  Write("", fmt, ap);
  va_end(ap);
}

void LogError(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Write("error: ", fmt, ap);
  va_end(ap);
}

}  // namespace dmtcp::coord
