// dmtcp_inspect [--json] img...: what a checkpoint image holds (process,
// processors, memory areas, descriptors, sizes). An image is only described
// once ImageReader::Load has checked all of it, so the output never shows a
// truncated or corrupt file as if it were good.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "image_reader.h"

namespace {

using namespace dmtcp;
using image::AreaKind;
using image::FdKind;

constexpr const char* kCmd = "dmtcp_inspect";

// Length of the valid UTF-8 sequence at s[i], 0 if the byte there does not
// start one (stray continuation, overlong form, surrogate, > U+10FFFF).
size_t Utf8Length(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

// Names and paths come from the image: any bytes. Valid UTF-8 is kept; a
// byte that is not part of it becomes \u00XX, so the document stays valid.
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8Length(s, i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || n == 0) {
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.append(s, i, n);
      i += n;
      continue;
    }
    ++i;
  }
  return out + "\"";
}

std::string JsonString(const char* s) { return JsonString(std::string(s)); }

// For the human-readable output: one line per item even if a name holds a
// newline or terminal escapes. Printable ASCII and valid UTF-8 stay.
std::string Printable(const std::string& s) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8Length(s, i);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7F || n == 0) {
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.append(s, i, n);
      i += n;
      continue;
    }
    ++i;
  }
  return out;
}

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string Mib(uint64_t bytes) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string Ratio(uint64_t stored, uint64_t raw) {
  if (raw == 0) return "";
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", static_cast<double>(stored) / static_cast<double>(raw));
  return buf;
}

std::string TimeText(uint64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  char buf[32];
  if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) return "?";
  return buf;
}

const char* AreaKindName(uint32_t kind) {
  switch (static_cast<AreaKind>(kind)) {
    case AreaKind::kAnonPrivate:
      return "anon-private";
    case AreaKind::kAnonShared:
      return "anon-shared";
    case AreaKind::kFilePrivate:
      return "file-private";
    case AreaKind::kFileShared:
      return "file-shared";
    case AreaKind::kStack:
      return "stack";
    case AreaKind::kHeap:
      return "heap";
    case AreaKind::kSpecial:
      return "special";
    case AreaKind::kSysvShm:  // restore plans only: not in an image
      break;
  }
  return "unknown";
}

const char* FdKindName(uint32_t kind) {
  switch (static_cast<FdKind>(kind)) {
    case FdKind::kRegular:
      return "regular";
    case FdKind::kDirectory:
      return "directory";
    case FdKind::kCharDevice:
      return "char-device";
    case FdKind::kTerminal:
      return "terminal";
    case FdKind::kPipe:
      return "pipe";
    case FdKind::kSocket:
      return "socket";
    case FdKind::kOther:
      return "other";
    case FdKind::kSignalfd:
      return "signalfd";
    case FdKind::kEventfd:
      return "eventfd";
    case FdKind::kTimerfd:
      return "timerfd";
    case FdKind::kEpoll:
      return "epoll";
    case FdKind::kDeletedFile:
      return "deleted-file";
    case FdKind::kPidfd:
      return "pidfd";
    case FdKind::kMqueue:
      return "mqueue";
  }
  return "unknown";
}

// As /proc/PID/maps writes them: rwx and p (private) or s (shared).
std::string Perms(const image::AreaInfo& a) {
  std::string p = "---p";
  if (a.prot & PROT_READ) p[0] = 'r';
  if (a.prot & PROT_WRITE) p[1] = 'w';
  if (a.prot & PROT_EXEC) p[2] = 'x';
  const auto kind = static_cast<AreaKind>(a.kind);
  if (kind == AreaKind::kAnonShared || kind == AreaKind::kFileShared) p[3] = 's';
  return p;
}

std::vector<std::string> FdFlags(const image::FdInfo& f) {
  std::vector<std::string> out;
  switch (f.status_flags & O_ACCMODE) {
    case O_RDONLY:
      out.push_back("r");
      break;
    case O_WRONLY:
      out.push_back("w");
      break;
    case O_RDWR:
      out.push_back("rw");
      break;
    default:
      break;
  }
  if (f.status_flags & O_APPEND) out.push_back("append");
  if (f.status_flags & O_NONBLOCK) out.push_back("nonblock");
  if (f.status_flags & O_SYNC) out.push_back("sync");
  if (f.fd_flags & FD_CLOEXEC) out.push_back("cloexec");
  return out;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// A socket address as recorded (sockaddr_in, sockaddr_in6 or sockaddr_un);
// empty if there is none.
std::string SockAddrText(const uint8_t* raw, size_t len) {
  sockaddr_storage ss{};
  memcpy(&ss, raw, std::min(len, sizeof ss));
  char host[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    if (!inet_ntop(AF_INET, &a->sin_addr, host, sizeof host)) return "";
    return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (!inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host)) return "";
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  if (ss.ss_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path)) {
    const auto* a = reinterpret_cast<const sockaddr_un*>(&ss);
    const size_t n = std::min(len - offsetof(sockaddr_un, sun_path), sizeof a->sun_path);
    if (n == 0) return "";
    if (a->sun_path[0] == 0) return "@" + std::string(a->sun_path + 1, n - 1);  // abstract
    return std::string(a->sun_path, strnlen(a->sun_path, n));
  }
  return "";
}

const char* SockDomainName(uint32_t d) {
  switch (d) {
    case AF_UNIX:
      return "unix";
    case AF_INET:
      return "ipv4";
    case AF_INET6:
      return "ipv6";
    default:
      return "other";
  }
}

const char* SockTypeName(uint32_t t) {
  switch (t) {
    case SOCK_STREAM:
      return "stream";
    case SOCK_DGRAM:
      return "dgram";
    case SOCK_SEQPACKET:
      return "seqpacket";
    default:
      return "other";
  }
}

// CPU numbers as ranges: "0-3,8".
std::string CpuList(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> MaskCpus(const uint64_t* mask) {
  std::vector<int> out;
  for (int c = 0; c < image::kMaxCpus; ++c)
    if (mask[c / 64] & (1ULL << (c % 64))) out.push_back(c);
  return out;
}

std::string ZombieText(const image::ProcessInfo::Zombie& z) {
  switch (z.code) {
    case 1:
      return "exited " + std::to_string(z.status);  // CLD_EXITED
    case 2:
      return "killed by signal " + std::to_string(z.status);
    case 3:
      return "dumped core, signal " + std::to_string(z.status);
    default:
      return "code " + std::to_string(z.code) + " status " + std::to_string(z.status);
  }
}

// What the reader knows, plus what only the file itself says.
struct Image {
  const image::ImageReader* r;
  image::FileHeader header;
  uint64_t file_size;
};

struct AreaTotals {
  uint64_t raw = 0, stored = 0;
};

// Stored: in this file; memory an incremental image refers to counts as raw only.
AreaTotals Totals(const image::Area& a) {
  AreaTotals t;
  for (const auto& d : a.data) {
    t.raw += d.raw_len;
    if (d.base < 0) t.stored += d.stored_len;
  }
  return t;
}

std::string Human(const Image& img) {
  const image::ImageReader& r = *img.r;
  const image::ProcessInfo& p = r.process();
  std::string o;
  // printf into o, whatever the length.
  auto line = [&](const char* fmt, auto... args) {
    const int n = snprintf(nullptr, 0, fmt, args...);
    if (n <= 0) return;
    const size_t at = o.size();
    o.resize(at + static_cast<size_t>(n) + 1);
    snprintf(&o[at], static_cast<size_t>(n) + 1, fmt, args...);
    o.resize(at + static_cast<size_t>(n));
  };
  o += Printable(r.path()) + "\n";
  line("  file: format version %u, %s, %" PRIu64 " bytes, page size %u\n", img.header.version,
       r.compressed() ? "compressed" : "uncompressed", img.file_size, img.header.page_size);
  o += "  process: " + Printable(p.program) + ", pid " + std::to_string(p.pid) + " (real pid " +
       std::to_string(p.real_pid) + "), ppid " + std::to_string(p.ppid) + ", pgid " +
       std::to_string(p.pgid) + ", sid " + std::to_string(p.sid) + "\n";
  o += "  host: " + Printable(p.hostname) + "\n";
  line("  computation: %016" PRIx64 ", generation %u, %u peers, checkpointed %s\n",
       p.computation_id, p.generation, p.num_peers, TimeText(p.ckpt_time).c_str());
  o += "  unique id: " + Printable(p.unique_id) + "\n";
  o += "  cwd: " + Printable(p.cwd) + "\n";
  line("  threads: %u, areas: %u, fds: %u, zombies: %u, controlling pty: %s\n", p.num_threads,
       p.num_areas, p.num_fds, p.num_zombies,
       p.ctty_pty < 0 ? "none" : ("/dev/pts/" + std::to_string(p.ctty_pty)).c_str());
  for (const auto& z : r.zombies())
    o += "    zombie: vpid " + std::to_string(z.vpid) + ", " + ZombieText(z) + "\n";
  line("  restore: entry %s, stack top %s, fs base %s\n", Hex(p.restore_entry).c_str(),
       Hex(p.restore_stack_top).c_str(), Hex(p.main_fs_base).c_str());
  line("  mm: code %s-%s, data %s-%s, brk %s-%s, stack %s\n", Hex(p.start_code).c_str(),
       Hex(p.end_code).c_str(), Hex(p.start_data).c_str(), Hex(p.end_data).c_str(),
       Hex(p.start_brk).c_str(), Hex(p.brk).c_str(), Hex(p.start_stack).c_str());
  line("      args %s-%s, env %s-%s\n", Hex(p.arg_start).c_str(), Hex(p.arg_end).c_str(),
       Hex(p.env_start).c_str(), Hex(p.env_end).c_str());

  if (r.cpus().empty()) {
    o += "  cpus: not recorded\n";
  } else {
    std::vector<int> os;
    std::set<std::pair<int, int>> cores;
    std::set<int> packages, numas;
    for (const auto& c : r.cpus()) {
      os.push_back(c.os_index);
      cores.insert({c.package, c.core});
      packages.insert(c.package);
      if (c.numa >= 0) numas.insert(c.numa);
    }
    line("  cpus: %zu (CPUs %s; cores: %zu, packages: %zu, NUMA nodes: %zu)\n", r.cpus().size(),
         CpuList(os).c_str(), cores.size(), packages.size(), numas.size());
  }
  if (r.cpu_flags().empty()) {
    o += "  processor: not recorded\n";
  } else {
    size_t flags = 0;
    for (size_t i = 0; i < r.cpu_flags().size(); ++i)
      flags += r.cpu_flags()[i] != ' ' && (i == 0 || r.cpu_flags()[i - 1] == ' ');
    line("  processor: %s (%zu feature flags)\n", r.cpu_model().c_str(), flags);
  }
  if (r.bindings().empty()) o += "  thread bindings: none\n";
  for (const auto& b : r.bindings())
    o += "  thread binding: thread " + std::to_string(b.vtid) + " on CPUs " +
         CpuList(MaskCpus(b.mask)) + "\n";

  line("  memory areas (%zu):\n", r.areas().size());
  line("    %-33s %-4s %-12s %12s %12s %12s %5s  %s\n", "start-end", "perm", "kind", "size", "raw",
       "stored", "recs", "name");
  uint64_t raw = 0, stored = 0;
  for (const auto& a : r.areas()) {
    const AreaTotals t = Totals(a);
    raw += t.raw;
    stored += t.stored;
    line("    %016" PRIx64 "-%016" PRIx64 " %-4s %-12s %12" PRIu64 " %12" PRIu64 " %12" PRIu64
         " %5zu",
         a.info.start, a.info.end, Perms(a.info).c_str(), AreaKindName(a.info.kind),
         a.info.end - a.info.start, t.raw, t.stored, a.data.size());
    o += (a.name.empty() ? "" : "  " + Printable(a.name)) + "\n";
  }

  line("  file descriptors (%zu):\n", r.fds().size());
  for (const auto& f : r.fds()) {
    const auto kind = static_cast<FdKind>(f.info.kind);
    line("    fd %d: %s", f.info.fd, FdKindName(f.info.kind));
    if (!f.path.empty()) o += " " + Printable(f.path);
    o += " [" + Join(FdFlags(f.info), ",") + "]";
    if (kind == FdKind::kRegular || kind == FdKind::kDeletedFile || kind == FdKind::kDirectory)
      line(" offset %" PRId64 ", size %" PRIu64, f.info.offset, f.info.size);
    if (f.info.share_pid)
      line(", one open file with fd %d of pid %d", f.info.share_fd, f.info.share_pid);
    if (kind == FdKind::kSocket) {
      line(" %s %s%s", SockDomainName(f.info.sock_domain), SockTypeName(f.info.sock_type),
           f.info.sock_listening ? " listening" : "");
      const std::string local = SockAddrText(f.info.local_addr, sizeof f.info.local_addr);
      const std::string peer = SockAddrText(f.info.peer_addr, sizeof f.info.peer_addr);
      const std::string name = SockAddrText(f.info.unix_name, f.info.unix_name_len);
      if (!name.empty()) o += " name " + Printable(name);
      if (!local.empty()) o += " local " + local;
      if (!peer.empty()) o += " peer " + peer;
      if (f.info.peer_in_computation) o += " (peer in the computation)";
    }
    if (f.info.pty_index >= 0)
      line(" pty %d%s", f.info.pty_index, f.info.pty_master ? " master" : "");
    // Sockets carry the data waiting to be read; files that stay on their
    // node (or were unlinked), their contents.
    if (const auto* large = kind == FdKind::kDeletedFile || kind == FdKind::kRegular
                                ? r.file_contents(f.info.dev, f.info.inode)
                                : nullptr)
      line(", %llu bytes of contents (%zu data records)",
           static_cast<unsigned long long>(large->info.size), large->data.size());
    else if (!f.data.empty())
      line(", %zu bytes %s", f.data.size(), kind == FdKind::kSocket ? "queued" : "of contents");
    o += "\n";
  }
  if (!r.made_files().empty()) {
    line("  files it made in temporary folders (%zu), made again at restart where missing:\n",
         r.made_files().size());
    for (const auto& f : r.made_files())
      line("    %s mode %04o, %" PRIu64 " bytes\n", Printable(f.path).c_str(), f.info.mode,
           f.info.size);
  }
  if (!r.saved_files().empty()) {
    line("  files open for writing, saved (%zu), written back at restart:\n",
         r.saved_files().size());
    for (const auto& f : r.saved_files()) {
      uint64_t saved = 0;
      for (const auto& d : f.data) saved += d.raw_len;
      line("    %s mode %04o, %" PRIu64 " bytes, %" PRIu64 " saved, %zu names after it\n",
           Printable(f.path).c_str(), f.info.mode, f.info.size, saved, f.names.size());
    }
  }
  if (!r.saved_folders().empty()) {
    line("  folders saved whole (%zu), taken back to the checkpoint at restart:\n",
         r.saved_folders().size());
    for (const auto& f : r.saved_folders()) {
      size_t files = 0, alone = 0;
      uint64_t bytes = 0;
      for (const auto& e : f.entries) {
        files += (e.info.mode & S_IFMT) == S_IFREG;
        alone += (e.info.flags & image::FolderEntryInfo::kLeftAlone) != 0;
        bytes += e.info.size;
      }
      line("    %s: %zu names, %zu files, %" PRIu64 " bytes, %zu folders of images left alone\n",
           Printable(f.path).c_str(), f.entries.size(), files, bytes, alone);
    }
  }
  if (!r.sysv_objects().empty()) {
    line("  System V IPC objects (%zu), made again at restart where missing:\n",
         r.sysv_objects().size());
    for (const auto& s : r.sysv_objects()) {
      const auto& i = s.info;
      const auto kind = static_cast<image::SysvKind>(i.kind);
      line("    %s id %d (kernel id %d then), key 0x%08x, mode %04o",
           kind == image::SysvKind::kShm   ? "shared memory"
           : kind == image::SysvKind::kSem ? "semaphore set"
                                           : "message queue",
           i.virt_id, i.real_id, static_cast<unsigned>(i.key), i.mode);
      if (kind == image::SysvKind::kShm) {
        uint64_t saved = 0;
        for (const auto& d : s.data) saved += d.raw_len;
        line(", %" PRIu64 " bytes, %" PRIu64 " saved%s\n", i.size, saved,
             (i.flags & image::kSysvRemoved) ? ", removed while attached" : "");
      } else if (kind == image::SysvKind::kSem) {
        line(", %" PRIu64 " semaphores\n", i.size);
      } else {
        line(", %" PRIu64 " messages (%zu bytes)\n", i.size, s.state.size());
      }
    }
  }
  line("  totals: %zu areas, %" PRIu64 " bytes of memory (%s), %" PRIu64 " stored (%s)",
       r.areas().size(), raw, Mib(raw).c_str(), stored, Mib(stored).c_str());
  o += raw ? ", ratio " + Ratio(stored, raw) + "\n" : "\n";
  if (!r.bases().empty()) {
    line("  incremental: %" PRIu64 " bytes (%s) held by %zu other images:\n", r.referred_bytes(),
         Mib(r.referred_bytes()).c_str(), r.bases().size());
    for (const auto& b : r.bases())
      line("    generation %u%s: %s (%" PRIu64 " blocks, %" PRIu64 " bytes)\n", b.gen,
           b.peer ? ", another process's" : "", b.path.c_str(), b.blocks, b.bytes);
  }
  return o;
}

// A small writer for one JSON object per image: keys in order, values
// already encoded.
class JsonObject {
 public:
  JsonObject& Add(const char* key, const std::string& encoded) {
    body_ += (body_.empty() ? "" : ",") + JsonString(key) + ":" + encoded;
    return *this;
  }
  JsonObject& Str(const char* key, const std::string& s) { return Add(key, JsonString(s)); }
  template <typename T>
  JsonObject& Num(const char* key, T v) {
    return Add(key, std::to_string(v));
  }
  JsonObject& Bool(const char* key, bool v) { return Add(key, v ? "true" : "false"); }
  std::string Done() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

std::string JsonArray(const std::vector<std::string>& items, const char* sep = ",") {
  return "[" + Join(items, sep) + "]";
}

// Addresses and ids are hex strings: JSON numbers above 2^53 lose precision
// in many parsers; byte counts stay numbers.
std::string Json(const Image& img) {
  const image::ImageReader& r = *img.r;
  const image::ProcessInfo& p = r.process();
  JsonObject file;
  file.Num("version", img.header.version)
      .Bool("compressed", r.compressed())
      .Num("size", img.file_size)
      .Num("page_size", img.header.page_size);

  std::vector<std::string> zombies;
  for (const auto& z : r.zombies())
    zombies.push_back(JsonObject()
                          .Num("vpid", z.vpid)
                          .Num("code", z.code)
                          .Num("status", z.status)
                          .Str("text", ZombieText(z))
                          .Done());
  JsonObject mm;
  mm.Str("start_code", Hex(p.start_code))
      .Str("end_code", Hex(p.end_code))
      .Str("start_data", Hex(p.start_data))
      .Str("end_data", Hex(p.end_data))
      .Str("start_brk", Hex(p.start_brk))
      .Str("brk", Hex(p.brk))
      .Str("start_stack", Hex(p.start_stack))
      .Str("arg_start", Hex(p.arg_start))
      .Str("arg_end", Hex(p.arg_end))
      .Str("env_start", Hex(p.env_start))
      .Str("env_end", Hex(p.env_end));
  char id[20];
  snprintf(id, sizeof id, "%016" PRIx64, p.computation_id);
  JsonObject proc;
  proc.Str("program", p.program)
      .Num("pid", p.pid)
      .Num("real_pid", p.real_pid)
      .Num("ppid", p.ppid)
      .Num("pgid", p.pgid)
      .Num("sid", p.sid)
      .Str("host", p.hostname)
      .Num("generation", p.generation)
      .Num("num_peers", p.num_peers)
      .Str("computation_id", id)
      .Str("unique_id", p.unique_id)
      .Num("ckpt_time", p.ckpt_time)
      .Str("ckpt_time_utc", TimeText(p.ckpt_time))
      .Str("cwd", p.cwd)
      .Num("num_threads", p.num_threads)
      .Num("num_areas", p.num_areas)
      .Num("num_fds", p.num_fds)
      .Num("ctty_pty", p.ctty_pty)
      .Add("zombies", JsonArray(zombies))
      .Str("restore_entry", Hex(p.restore_entry))
      .Str("restore_stack_top", Hex(p.restore_stack_top))
      .Str("main_fs_base", Hex(p.main_fs_base))
      .Add("mm", mm.Done());

  std::vector<std::string> cpus, bindings, areas, fds;
  for (const auto& c : r.cpus())
    cpus.push_back(JsonObject()
                       .Num("os_index", c.os_index)
                       .Num("core", c.core)
                       .Num("package", c.package)
                       .Num("numa", c.numa)
                       .Done());
  for (const auto& b : r.bindings()) {
    std::vector<std::string> list;
    for (int c : MaskCpus(b.mask)) list.push_back(std::to_string(c));
    bindings.push_back(JsonObject().Num("vtid", b.vtid).Add("cpus", JsonArray(list)).Done());
  }
  uint64_t raw = 0, stored = 0;
  for (const auto& a : r.areas()) {
    const AreaTotals t = Totals(a);
    raw += t.raw;
    stored += t.stored;
    std::vector<std::string> data;
    for (const auto& d : a.data)
      data.push_back(JsonObject()
                         .Str("addr", Hex(d.addr))
                         .Num("raw_bytes", d.raw_len)
                         .Num("stored_bytes", d.stored_len)
                         .Num("file_offset", d.file_offset)
                         .Str("codec", d.codec == image::Codec::kRaw ? "raw" : "zlib")
                         .Num("base_generation", d.base < 0 ? 0 : r.bases()[d.base].gen)
                         .Done());
    areas.push_back(JsonObject()
                        .Str("start", Hex(a.info.start))
                        .Str("end", Hex(a.info.end))
                        .Num("size", a.info.end - a.info.start)
                        .Str("perms", Perms(a.info))
                        .Num("prot", a.info.prot)
                        .Str("kind", AreaKindName(a.info.kind))
                        .Str("name", a.name)
                        .Num("file_offset", a.info.file_offset)
                        .Num("inode", a.info.inode)
                        .Num("raw_bytes", t.raw)
                        .Num("stored_bytes", t.stored)
                        .Num("data_records", a.data.size())
                        .Add("data", JsonArray(data))
                        .Done());
  }
  for (const auto& f : r.fds()) {
    std::vector<std::string> flags;
    for (const auto& s : FdFlags(f.info)) flags.push_back(JsonString(s));
    JsonObject o;
    o.Num("fd", f.info.fd)
        .Str("kind", FdKindName(f.info.kind))
        .Str("path", f.path)
        .Num("offset", f.info.offset)
        .Num("size", f.info.size)
        .Num("status_flags", f.info.status_flags)
        .Num("fd_flags", f.info.fd_flags)
        .Add("flags", JsonArray(flags))
        .Num("data_bytes", f.data.size())
        .Num("pty_index", f.info.pty_index);
    if (f.info.share_pid) o.Num("share_pid", f.info.share_pid).Num("share_fd", f.info.share_fd);
    if (static_cast<FdKind>(f.info.kind) == FdKind::kSocket)
      o.Str("domain", SockDomainName(f.info.sock_domain))
          .Str("type", SockTypeName(f.info.sock_type))
          .Bool("listening", f.info.sock_listening != 0)
          .Str("name", SockAddrText(f.info.unix_name, f.info.unix_name_len))
          .Str("local", SockAddrText(f.info.local_addr, sizeof f.info.local_addr))
          .Str("peer", SockAddrText(f.info.peer_addr, sizeof f.info.peer_addr))
          .Bool("peer_in_computation", f.info.peer_in_computation != 0);
    fds.push_back(o.Done());
  }
  JsonObject totals;
  totals.Num("areas", r.areas().size())
      .Num("raw_bytes", raw)
      .Num("stored_bytes", stored)
      .Num("referred_bytes", r.referred_bytes())
      .Add("ratio", raw ? Ratio(stored, raw) : "null");
  std::vector<std::string> bases;
  for (const auto& b : r.bases())
    bases.push_back(JsonObject()
                        .Num("generation", b.gen)
                        .Num("peer", b.peer)
                        .Str("path", b.path)
                        .Num("blocks", b.blocks)
                        .Num("bytes", b.bytes)
                        .Done());
  return JsonObject()
      .Str("path", r.path())
      .Add("file", file.Done())
      .Add("process", proc.Done())
      .Add("cpus", JsonArray(cpus))
      .Add("thread_bindings", JsonArray(bindings))
      .Add("areas", JsonArray(areas, ",\n"))
      .Add("bases", JsonArray(bases))
      .Add("fds", JsonArray(fds, ",\n"))
      .Add("totals", totals.Done())
      .Done();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Describe checkpoint images after checking them completely", kCmd};
  app.set_help_flag("--help", "Print this help and exit");
  std::vector<std::string> images;
  bool json = false;
  app.add_option("images", images, "Checkpoint images (ckpt_*.dmtcp)")->required();
  app.add_flag("--json", json, "Print one JSON array with an object per image");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  int status = 0;
  std::vector<std::string> objects;
  bool first = true;
  for (const auto& path : images) {
    image::ImageReader r;
    Image img{&r, {}, 0};
    struct stat st;
    // The reader checked the header; its page size and flags come from the file.
    bool ok = r.Load(path) &&
              pread(r.fd(), &img.header, sizeof img.header, 0) ==
                  static_cast<ssize_t>(sizeof img.header) &&
              fstat(r.fd(), &st) == 0;
    if (!ok) {
      const std::string err = r.error().empty() ? path + ": " + strerror(errno) : r.error();
      fprintf(stderr, "%s: %s\n", kCmd, err.c_str());
      status = 1;
      if (json) {
        // The reader's message starts with the path, which has its own key.
        const std::string prefix = path + ": ";
        const std::string why =
            err.compare(0, prefix.size(), prefix) == 0 ? err.substr(prefix.size()) : err;
        objects.push_back(JsonObject().Str("path", path).Str("error", why).Done());
      }
      continue;
    }
    img.file_size = static_cast<uint64_t>(st.st_size);
    if (json) {
      objects.push_back(Json(img));
    } else {
      if (!first) fputc('\n', stdout);
      fputs(Human(img).c_str(), stdout);
      first = false;
    }
  }
  if (json) printf("[\n%s\n]\n", Join(objects, ",\n").c_str());
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: cannot write the output: %s\n", kCmd, strerror(errno));
    return 1;
  }
  return status;
}
