// bench_tool: the machine's own limits and the timing helpers the benchmark harness (run.sh)
// needs, each printing one number on stdout.
//
//   bench_tool write DIR MiB          seconds to write MiB (non-zero bytes) to a new file in DIR
//                                     and fsync it, as a checkpoint does
//   bench_tool read FILE...           seconds to read the files into new memory
//   bench_tool read-huge FILE...      the same into transparent huge pages (MADV_HUGEPAGE): the
//                                     fastest a restart can place what it reads
//   bench_tool evict FILE...          drops the files from the page cache (the next read is
//                                     from the disk)
//   bench_tool memcpy MiB             seconds to copy MiB within memory
//   bench_tool zlib MiB PATTERN LEVEL seconds for one thread to deflate MiB of PATTERN
//                                     (bench_memory's bytes) in 1 MiB blocks
//   bench_tool inflate MiB PATTERN LEVEL
//                                     seconds for one thread to inflate those blocks again,
//                                     into new memory
//   bench_tool spawn N CMD ARGS...    median seconds to run CMD to its end, of N runs
//   bench_tool plot CSV SVG           draws the ratios of CSV as a bar chart
#include <fcntl.h>
#include <libdeflate.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "patterns.h"

extern char** environ;

namespace {

constexpr size_t kMiB = 1 << 20;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_tool: %s\n", what.c_str());
  std::exit(1);
}

// Memory that is already faulted in, so that only the measured work is timed.
uint8_t* Buffer(size_t n, const char* pattern) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Die("cannot map memory");
  bench_fill(static_cast<uint8_t*>(p), n, pattern);
  return static_cast<uint8_t*>(p);
}

int Write(const std::string& dir, size_t mib) {
  uint8_t* buf = Buffer(kMiB, "random");
  std::string path = dir + "/bench_write.tmp";
  double t0 = Now();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Die("cannot create " + path);
  for (size_t i = 0; i < mib; ++i) {
    buf[0] = static_cast<uint8_t>(i);  // not the same block over and over
    if (write(fd, buf, kMiB) != static_cast<ssize_t>(kMiB)) Die("cannot write " + path);
  }
  if (fsync(fd) != 0) Die("cannot fsync " + path);
  close(fd);
  double t = Now() - t0;
  unlink(path.c_str());
  std::printf("%.4f\n", t);
  return 0;
}

// Into new memory, as a restart must place what it reads; with huge, into memory aligned to 2
// MiB and advised MADV_HUGEPAGE (one fault per 2 MiB).
int Read(int n, char** files, bool huge) {
  constexpr size_t kHuge = 2 * kMiB;
  double t0 = Now();
  for (int i = 0; i < n; ++i) {
    int fd = open(files[i], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) Die(std::string("cannot open ") + files[i]);
    const size_t size = (static_cast<size_t>(st.st_size) + kHuge) & ~(kHuge - 1);
    void* map =
        mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) Die("cannot map memory");
    void* buf =
        reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(map) + kHuge - 1) & ~(kHuge - 1));
    if (huge && madvise(buf, size, MADV_HUGEPAGE) != 0) Die("MADV_HUGEPAGE refused");
    for (size_t at = 0; at < size;) {
      ssize_t r = read(fd, static_cast<char*>(buf) + at, std::min(size - at, 64 * kMiB));
      if (r <= 0) break;
      at += static_cast<size_t>(r);
    }
    munmap(map, size + kHuge);
    close(fd);
  }
  std::printf("%.6f\n", Now() - t0);
  return 0;
}

int Evict(int n, char** files) {
  for (int i = 0; i < n; ++i) {
    int fd = open(files[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) Die(std::string("cannot open ") + files[i]);
    fdatasync(fd);  // only clean pages can be dropped
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
  return 0;
}

int Memcpy(size_t mib) {
  uint8_t* a = Buffer(mib * kMiB, "random");
  uint8_t* b = Buffer(mib * kMiB, "zero");
  b[0] = 1;
  double t0 = Now();
  std::memcpy(b, a, mib * kMiB);
  double t = Now() - t0;
  volatile uint8_t last = b[mib * kMiB - 1];  // the copy is used
  (void)last;
  std::printf("%.6f\n", t);
  return 0;
}

int Zlib(size_t mib, const char* pattern, int level) {
  uint8_t* a = Buffer(mib * kMiB, pattern);
  std::vector<uint8_t> out(compressBound(kMiB));
  z_stream zs{};
  if (deflateInit(&zs, level) != Z_OK) Die("deflateInit failed");
  double t0 = Now();
  for (size_t i = 0; i < mib; ++i) {
    deflateReset(&zs);
    zs.next_in = a + i * kMiB;
    zs.avail_in = kMiB;
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) Die("deflate failed");
  }
  std::printf("%.4f\n", Now() - t0);
  deflateEnd(&zs);
  return 0;
}

// The encoder the checkpoint uses (libdeflate, zlib format), on one thread.
int Deflate(size_t mib, const char* pattern, int level) {
  uint8_t* a = Buffer(mib * kMiB, pattern);
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  if (!c) Die("libdeflate_alloc_compressor failed");
  std::vector<uint8_t> out(libdeflate_zlib_compress_bound(c, kMiB));
  double t0 = Now();
  for (size_t i = 0; i < mib; ++i) {
    if (libdeflate_zlib_compress(c, a + i * kMiB, kMiB, out.data(), out.size()) == 0)
      Die("libdeflate_zlib_compress failed");
  }
  std::printf("%.4f\n", Now() - t0);
  libdeflate_free_compressor(c);
  return 0;
}

int Inflate(size_t mib, const char* pattern, int level) {
  uint8_t* a = Buffer(mib * kMiB, pattern);
  std::vector<std::vector<uint8_t>> blocks(mib);
  for (size_t i = 0; i < mib; ++i) {
    uLongf len = compressBound(kMiB);
    blocks[i].resize(len);
    if (compress2(blocks[i].data(), &len, a + i * kMiB, kMiB, level) != Z_OK)
      Die("compress failed");
    blocks[i].resize(len);
  }
  munmap(a, mib * kMiB);
  double t0 = Now();
  void* out = mmap(nullptr, mib * kMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (out == MAP_FAILED) Die("cannot map memory");
  for (size_t i = 0; i < mib; ++i) {
    uLongf len = kMiB;
    if (uncompress(static_cast<uint8_t*>(out) + i * kMiB, &len, blocks[i].data(),
                   blocks[i].size()) != Z_OK)
      Die("uncompress failed");
  }
  std::printf("%.4f\n", Now() - t0);
  return 0;
}

int Spawn(int runs, char** argv) {
  std::vector<double> t;
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, devnull, 1);
  for (int i = 0; i < runs; ++i) {
    double t0 = Now();
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv, environ) != 0)
      Die(std::string("cannot run ") + argv[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) Die(std::string(argv[0]) + " failed");
    t.push_back(Now() - t0);
  }
  std::sort(t.begin(), t.end());
  std::printf("%.6f\n", t[t.size() / 2]);
  return 0;
}

// The CSV's rows (header: name,value,unit,limit,limit_value,ratio) as horizontal bars of their
// ratio, with the line at 1 (the limit itself).
int Plot(const char* csv, const char* svg) {
  std::ifstream in(csv);
  if (!in) Die(std::string("cannot read ") + csv);
  struct Row {
    std::string name;
    double ratio;
  };
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() < 6 || f[5].empty()) continue;
    rows.push_back({f[0] + " (vs " + f[3] + ")", std::atof(f[5].c_str())});
  }
  const double top = 3;  // larger ratios run off the scale (their value is printed)
  const int left = 430, width = 420, bar = 18, gap = 6, head = 40;
  const int height = head + static_cast<int>(rows.size()) * (bar + gap) + 30;
  std::ofstream out(svg);
  if (!out) Die(std::string("cannot write ") + svg);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + width + 80 << "' height='"
      << height << "' font-family='sans-serif' font-size='12'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='10' y='20' font-size='14'>Time (or size) as a multiple of the machine's own "
         "limit, measured in the same run</text>\n";
  auto x_of = [&](double v) { return left + static_cast<int>(width * std::min(v, top) / top); };
  for (size_t i = 0; i < rows.size(); ++i) {
    int y = head + static_cast<int>(i) * (bar + gap);
    char value[32];
    std::snprintf(value, sizeof value, "%.2f", rows[i].ratio);
    out << "<text x='" << left - 6 << "' y='" << y + 13 << "' text-anchor='end'>" << rows[i].name
        << "</text>\n<rect x='" << left << "' y='" << y << "' width='"
        << std::max(1, x_of(rows[i].ratio) - left) << "' height='" << bar << "' fill='"
        << (rows[i].ratio <= 1.5 ? "#4a90d9" : "#d9824a") << "'/>\n<text x='"
        << x_of(rows[i].ratio) + 4 << "' y='" << y + 13 << "'>" << value << "</text>\n";
  }
  for (double mark : {1.0, 1.5}) {
    out << "<line x1='" << x_of(mark) << "' y1='" << head - 6 << "' x2='" << x_of(mark) << "' y2='"
        << height - 24 << "' stroke='black' stroke-dasharray='" << (mark == 1.0 ? "none" : "4,3")
        << "'/>\n<text x='" << x_of(mark) << "' y='" << height - 10 << "' text-anchor='middle'>"
        << mark << "x</text>\n";
  }
  out << "</svg>\n";
  return out.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write" && argc == 4) return Write(argv[2], std::strtoul(argv[3], nullptr, 10));
  if (cmd == "read" && argc >= 3) return Read(argc - 2, argv + 2, false);
  if (cmd == "read-huge" && argc >= 3) return Read(argc - 2, argv + 2, true);
  if (cmd == "evict" && argc >= 3) return Evict(argc - 2, argv + 2);
  if (cmd == "memcpy" && argc == 3) return Memcpy(std::strtoul(argv[2], nullptr, 10));
  if (cmd == "zlib" && argc == 5)
    return Zlib(std::strtoul(argv[2], nullptr, 10), argv[3], std::atoi(argv[4]));
  if (cmd == "deflate" && argc == 5)
    return Deflate(std::strtoul(argv[2], nullptr, 10), argv[3], std::atoi(argv[4]));
  if (cmd == "inflate" && argc == 5)
    return Inflate(std::strtoul(argv[2], nullptr, 10), argv[3], std::atoi(argv[4]));
  if (cmd == "spawn" && argc >= 4) return Spawn(std::atoi(argv[2]), argv + 3);
  if (cmd == "plot" && argc == 4) return Plot(argv[2], argv[3]);
  std::fprintf(
      stderr,
      "usage: bench_tool write DIR MiB | read[-huge] FILE... | evict FILE... | memcpy MiB | zlib "
      "MiB PATTERN "
      "LEVEL | deflate MiB PATTERN LEVEL | inflate MiB PATTERN LEVEL | spawn N CMD... | "
      "plot CSV SVG\n");
  return 2;
}
