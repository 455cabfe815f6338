#include "process_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace dmtcp::ident {
namespace {

// Reads a small /proc file into buf, terminated; false if it cannot.
bool ReadSmallFile(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  return true;
}

// "/proc/<pid>/<leaf>", or "/proc/self/<leaf>" for pid 0.
void ProcPath(pid_t pid, const char* leaf, char* out, size_t cap) {
  if (pid)
    snprintf(out, cap, "/proc/%d/%s", static_cast<int>(pid), leaf);
  else
    snprintf(out, cap, "/proc/self/%s", leaf);
}

}  // namespace

int ParseProcStat(const char* text, uint64_t* fields, int cap) {
  // The command name may hold spaces and parentheses: it ends at the last ')'.
  const char* name_end = strrchr(text, ')');
  if (!name_end || cap < 2) return 0;
  memset(fields, 0, sizeof *fields * static_cast<size_t>(cap));
  for (const char* p = text; *p >= '0' && *p <= '9'; ++p) fields[1] = fields[1] * 10 + (*p - '0');
  int idx = 2;
  for (const char* p = name_end + 1; *p && idx + 1 < cap;) {
    while (*p == ' ' || *p == '\n') ++p;
    if (!*p) break;
    ++idx;
    // Negative fields (priority, nice) are kept as their two's complement.
    const bool neg = *p == '-';
    if (neg) ++p;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
    if (*p && *p != ' ' && *p != '\n') {
      // Field 3, the state, is a letter: keep its character code.
      v = static_cast<uint8_t>(*p);
      while (*p && *p != ' ') ++p;
    }
    fields[idx] = neg ? ~v + 1 : v;
  }
  return idx;
}

bool Read(pid_t pid, proto::ProcessIdentity* out) {
  memset(out, 0, sizeof *out);
  char path[64];
  char stat_text[1024];
  ProcPath(pid, "stat", path, sizeof path);
  if (!ReadSmallFile(path, stat_text, sizeof stat_text)) return false;
  uint64_t fields[23];
  if (ParseProcStat(stat_text, fields, 23) < 22) return false;
  out->real_pid = static_cast<int32_t>(fields[1]);
  out->start_time = fields[22];
  ProcPath(pid, "ns/pid", path, sizeof path);
  struct stat st;
  if (stat(path, &st) == 0) out->pid_ns = st.st_ino;
  char boot[64];
  if (ReadSmallFile("/proc/sys/kernel/random/boot_id", boot, sizeof boot)) {
    size_t n = strcspn(boot, "\n");
    if (n >= sizeof out->boot_id) n = sizeof out->boot_id - 1;
    memcpy(out->boot_id, boot, n);
  }
  return out->real_pid > 0;
}

bool Addressable(const proto::ProcessIdentity& who) {
  if (who.real_pid <= 0 || who.pid_ns == 0 || who.boot_id[0] == 0) return false;
  proto::ProcessIdentity here;
  if (!Read(0, &here) || here.pid_ns != who.pid_ns ||
      strncmp(here.boot_id, who.boot_id, sizeof here.boot_id) != 0)
    return false;
  proto::ProcessIdentity now;
  return Read(who.real_pid, &now) && now.start_time == who.start_time;
}

}  // namespace dmtcp::ident
