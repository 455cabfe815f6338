#include "environment.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include "double_buffered.h"
#include "runtime.h"

extern char** environ;

namespace dmtcp::rt {
namespace {

// The coordinator's entries, "NAME=value", in static storage (saved with
// the image). A fork child's checkpoint thread learns the address again
// while its main thread may be exec'ing with them: never rewritten in place.
struct CoordEntries {
  char host[300];
  char port[32];
  char secret[sizeof g.cfg.secret + 32];
  char ckpt_dir[sizeof g.cfg.ckpt_dir + 32];
};
DoubleBuffered<CoordEntries> g_entries;
// "LD_PRELOAD=..." as the process started: the runtime and its plugins
// (16 plugins at the longest path fit). Empty if it did not fit.
char g_preload[16 * 4096 + 64];
// The runtime's settings as the process started (DMTCP_GZIP,
// DMTCP_FORKED_CHECKPOINT, DMTCP_SIGCKPT, ...): a program started with an
// environment without them (env -i) runs under the same ones.
char g_settings[8192];
char* g_setting[kMaxSettings];
int g_num_settings;

void Entry(char* out, size_t cap, const char* name, const char* value) {
  StrCopy(out, cap, name);
  StrCat(out, cap, "=");
  StrCat(out, cap, value);
}

// The current entry that replaces e, or null if e names no coordinator.
char* Replacement(CoordEntries& entries, const char* e) {
  for (char* current : {entries.host, entries.port, entries.secret, entries.ckpt_dir}) {
    if (!current[0]) continue;
    size_t n = 0;
    while (current[n] && current[n] != '=') ++n;
    bool same = true;
    for (size_t i = 0; i <= n && same; ++i) same = e[i] == current[i];
    if (same) return current;
  }
  return nullptr;
}

bool Contains(const char* s, const char* needle) {
  const size_t n = StrLen(needle);
  for (; *s; ++s)
    if (__builtin_memcmp(s, needle, n) == 0) return true;
  return false;
}

// Whether e is "name=...".
bool Names(const char* e, const char* name) {
  size_t i = 0;
  while (name[i] && e[i] == name[i]) ++i;
  return name[i] == 0 && e[i] == '=';
}

// The LD_PRELOAD value in envp, or null.
const char* PreloadIn(char* const* envp) {
  for (size_t i = 0; envp && envp[i]; ++i)
    if (Names(envp[i], "LD_PRELOAD")) return envp[i] + sizeof "LD_PRELOAD=" - 1;
  return nullptr;
}

}  // namespace

const char* EnvironmentValue(const char* name) {
  for (size_t i = 0; environ && environ[i]; ++i)
    if (Names(environ[i], name)) return environ[i] + StrLen(name) + 1;
  return nullptr;
}

void RemoveFromEnvironment(const char* name) {
  if (!environ) return;
  size_t to = 0;
  for (size_t i = 0; environ[i]; ++i)
    if (!Names(environ[i], name)) environ[to++] = environ[i];
  environ[to] = nullptr;
}

void RememberCoordinatorForEnvironment() {
  if (g.cfg.no_coordinator) return;
  g_entries.Publish([](CoordEntries& next) {
    char port[16];
    FormatUint(port, sizeof port, static_cast<uint64_t>(g.cfg.coord_port));
    Entry(next.host, sizeof next.host, "DMTCP_COORD_HOST", g.cfg.coord_host);
    Entry(next.port, sizeof next.port, "DMTCP_COORD_PORT", port);
    if (g.cfg.secret[0]) Entry(next.secret, sizeof next.secret, "DMTCP_COORD_SECRET", g.cfg.secret);
    if (g.cfg.ckpt_dir[0])
      Entry(next.ckpt_dir, sizeof next.ckpt_dir, "DMTCP_CHECKPOINT_DIR", g.cfg.ckpt_dir);
  });
}

bool StartsOutside(char* const* envp) {
  for (size_t i = 0; envp && envp[i]; ++i)
    if (Names(envp[i], kOutside) && envp[i][sizeof kOutside] == '1') return true;
  return false;
}

namespace {

// Settings kept as they are: not the coordinator's address (current ones
// replace those) nor what one exec hands to the next.
bool KeptSetting(const char* e) {
  if (!StartsWith(e, "DMTCP_")) return false;
  for (const char* name :
       {"DMTCP_COORD_HOST", "DMTCP_COORD_PORT", "DMTCP_COORD_SECRET", "DMTCP_CHECKPOINT_DIR",
        "DMTCP_HOST", "DMTCP_PORT", kInheritedCoordFd, kPidTableFd, kOutside})
    if (Names(e, name)) return false;
  return true;
}

void RememberSettings() {
  size_t used = 0;
  for (size_t i = 0; environ && environ[i]; ++i) {
    if (!KeptSetting(environ[i])) continue;
    const size_t n = StrLen(environ[i]) + 1;
    if (g_num_settings == kMaxSettings || used + n > sizeof g_settings) {
      Log(g.program, ": more DMTCP_ settings than kept for the programs it starts: ", environ[i],
          " and those after it are not passed to one started with an environment without them");
      return;
    }
    StrCopy(g_settings + used, n, environ[i]);
    g_setting[g_num_settings++] = g_settings + used;
    used += n;
  }
}

// Whether e names the same variable as setting s ("NAME=...", len of NAME).
bool SameName(const char* e, const char* s, size_t len) {
  size_t i = 0;
  while (i <= len && e[i] == s[i]) ++i;
  return i > len;
}

}  // namespace

void RememberPreload() {
  RememberSettings();
  const char* v = EnvironmentValue("LD_PRELOAD");
  if (v && StrLen(v) + sizeof "LD_PRELOAD=" <= sizeof g_preload)
    Entry(g_preload, sizeof g_preload, "LD_PRELOAD", v);
  else if (v)
    Log(g.program,
        ": LD_PRELOAD is longer than the 64 KiB kept of it: a program this process starts with "
        "an environment without it runs unchecked");
}

bool RuntimeFollows(char* const* envp) {
  const char* theirs = PreloadIn(envp);
  return g_preload[0] || (theirs && Contains(theirs, "libdmtcp.so"));
}

size_t PreloadEntryRoom(char* const* envp) {
  const char* theirs = PreloadIn(envp);
  return StrLen(g_preload) + (theirs ? StrLen(theirs) : 0) + 2;
}

void PointEnvironmentAtCoordinator() {
  RememberCoordinatorForEnvironment();
  CoordEntries& entries = g_entries.Current();
  // In place, where the new value fits: the strings may be the program's
  // own (bash frees and replaces them), so they are neither swapped nor
  // grown. Exec and spawn correct the rest (CurrentEnvironment).
  for (size_t i = 0; environ && environ[i]; ++i) {
    const char* current = Replacement(entries, environ[i]);
    if (current && StrLen(current) <= StrLen(environ[i]))
      StrCopy(environ[i], StrLen(current) + 1, current);
  }
}

bool HandOn(const char* name, int fd, char* entry, size_t cap) {
  entry[0] = 0;
  if (fd < 0 || RawSyscall(SYS_fcntl, fd, F_SETFD, 0) != 0) return false;
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCopy(entry, cap, name);
  StrCat(entry, cap, "=");
  StrCat(entry, cap, num);
  return true;
}

void TakeBack(int fd) {
  if (fd >= 0) RawSyscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
}

char** CurrentEnvironment(char* const* envp, char** out, const char* const extra[2],
                          Preload runtime, char* preload_buf, size_t preload_cap) {
  bool have_host = false, have_port = false, have_secret = false, preload = false;
  const bool add = runtime == Preload::kAdd && g_preload[0];
  CoordEntries& entries = g_entries.Current();
  size_t n = 0;
  for (size_t i = 0; envp && envp[i]; ++i) {
    // Stale ones (a shell keeps them among its variables): ours come last.
    if (Names(envp[i], kInheritedCoordFd) || Names(envp[i], kPidTableFd) ||
        Names(envp[i], kOutside))
      continue;
    char* current = Replacement(entries, envp[i]);
    have_host |= current == entries.host;
    have_port |= current == entries.port;
    have_secret |= current == entries.secret;
    if (Names(envp[i], "LD_PRELOAD")) {
      preload = true;
      // The program set a preload of its own: the runtime comes first, as
      // dmtcp_launch put it (without the value, ld.so ignores an empty one).
      const char* theirs = envp[i] + sizeof "LD_PRELOAD=" - 1;
      if (add && !Contains(theirs, "libdmtcp.so") &&
          StrLen(g_preload) + StrLen(theirs) + 2 <= preload_cap) {
        StrCopy(preload_buf, preload_cap, g_preload);
        if (theirs[0]) {
          StrCat(preload_buf, preload_cap, ":");
          StrCat(preload_buf, preload_cap, theirs);
        }
        current = preload_buf;
      }
    }
    out[n++] = current ? current : envp[i];
  }
  // Everything the program starts belongs to the computation, whatever
  // environment it gives (env -i, a job script's clean environment).
  if (add && !preload) {
    out[n++] = g_preload;
    preload = true;
  }
  for (int s = 0; add && s < g_num_settings; ++s) {
    size_t len = 0;
    while (g_setting[s][len] != '=') ++len;
    bool have = false;
    for (size_t i = 0; envp && envp[i] && !have; ++i) have = SameName(envp[i], g_setting[s], len);
    if (!have) out[n++] = g_setting[s];
  }
  // Only where the runtime will be in the new program: one started without
  // it is not under checkpoint control, and needs no coordinator.
  if (preload) {
    if (entries.host[0] && !have_host) out[n++] = entries.host;
    if (entries.port[0] && !have_port) out[n++] = entries.port;
    if (entries.secret[0] && !have_secret) out[n++] = entries.secret;
  }
  for (int k = 0; k < 2; ++k)
    if (extra[k] && extra[k][0]) out[n++] = const_cast<char*>(extra[k]);
  out[n] = nullptr;
  return out;
}

}  // namespace dmtcp::rt
