// Writes the seed corpora of the fuzz targets (checked in under seeds/):
// small valid images and client conversations that reach deep into the
// reader and the coordinator, for the fuzzer to mutate. Run it again after
// a change of the image format or of the wire protocol:
//   fuzz_make_seeds tests/fuzz
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "image_format.h"
#include "image_writer.h"
#include "protocol.h"

namespace {

using namespace dmtcp;

bool Fail(const std::string& what) {
  fprintf(stderr, "fuzz_make_seeds: %s: %s\n", what.c_str(), strerror(errno));
  return false;
}

bool WriteFile(const std::string& path, const std::string& data) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return Fail(path);
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size();
  return fclose(f) == 0 && ok ? true : Fail(path);
}

// ---- images ----

bool WriteImage(const std::string& path, bool compress) {
  using namespace image;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(path);
  void* scratch = mmap(nullptr, ImageWriter::ScratchSize(0), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED) return Fail("mmap");
  ImageWriter w;
  bool ok = w.Begin(fd, compress, scratch, 0);

  struct {
    CpusInfo head;
    CpuInfo cpu[2];
  } cpus{};
  cpus.head.num_cpus = 2;
  cpus.cpu[0] = {0, 0, 0, 0};
  cpus.cpu[1] = {1, 1, 0, -1};
  ok = ok && w.WriteRecord(RecordType::kCpus, &cpus, sizeof cpus);

  FdInfo f{};
  f.fd = 3;
  f.kind = static_cast<uint32_t>(FdKind::kRegular);
  f.offset = 10;
  f.pty_index = -1;
  const char fpath[] = "/tmp/data.txt";
  f.path_len = sizeof fpath - 1;
  ok = ok && w.WriteRecord(RecordType::kFd, &f, sizeof f, fpath, f.path_len);
  // An unlinked file: its contents follow the path.
  f.fd = 4;
  f.kind = static_cast<uint32_t>(FdKind::kDeletedFile);
  const char dpath[] = "/tmp/gone (deleted)";
  const char contents[] = "what the file held";
  f.path_len = sizeof dpath - 1;
  f.data_len = sizeof contents - 1;
  ok = ok && w.WriteRecord(RecordType::kFd, &f, sizeof f, dpath, f.path_len, contents, f.data_len);

  // Two areas: one page of patterned memory, two of mostly zeros.
  static uint8_t mem[3 * kPageSize];
  for (size_t i = 0; i < sizeof mem; ++i) mem[i] = i < kPageSize ? static_cast<uint8_t>(i * 7) : 0;
  mem[2 * kPageSize + 5] = 1;
  AreaInfo a{};
  a.start = 0x400000;
  a.end = a.start + kPageSize;
  a.prot = 3;
  a.kind = static_cast<uint32_t>(AreaKind::kHeap);
  const char heap[] = "[heap]";
  a.name_len = sizeof heap - 1;
  ok = ok && w.WriteRecord(RecordType::kArea, &a, sizeof a, heap, a.name_len);
  ok = ok && w.WriteData(a.start, mem, kPageSize);
  a.start = 0x7f0000000000;
  a.end = a.start + 2 * kPageSize;
  a.kind = static_cast<uint32_t>(AreaKind::kAnonPrivate);
  a.name_len = 0;
  ok = ok && w.WriteRecord(RecordType::kArea, &a, sizeof a);
  ok = ok && w.WriteData(a.start, mem + kPageSize, 2 * kPageSize);

  ThreadBinding b{};
  b.vtid = 101;
  b.mask[0] = 1;
  ok = ok && w.WriteRecord(RecordType::kBinding, &b, sizeof b);

  ProcessInfo p{};
  p.pid = 100;
  p.ppid = 1;
  p.generation = 1;
  p.num_peers = 1;
  p.computation_id = 0x1234;
  strcpy(p.hostname, "node-a");
  strcpy(p.program, "counter");
  strcpy(p.unique_id, "uid-100");
  strcpy(p.cwd, "/tmp");
  p.num_threads = 1;
  p.num_areas = 2;
  p.num_fds = 2;
  p.ctty_pty = -1;
  ok = ok && w.WriteRecord(RecordType::kProcess, &p, sizeof p);
  ok = ok && w.End();
  w.StopWorkers();
  munmap(scratch, ImageWriter::ScratchSize(0));
  if (close(fd) != 0) ok = false;
  return ok ? true : Fail(path);
}

// ---- coordinator conversations (the input format of fuzz_coordinator.cc) ----

class Script {
 public:
  explicit Script(uint8_t flags) { s_ += static_cast<char>(flags); }
  template <typename T>
  Script& Send(int slot, proto::MsgType type, const T& msg, uint32_t len = sizeof(T)) {
    std::string frame(sizeof(proto::FrameHeader) + len, '\0');
    proto::EncodeFrame(type, &msg, len, frame.data());
    return Raw(slot, frame);
  }
  Script& Raw(int slot, const std::string& bytes) {
    s_ += static_cast<char>(slot);
    s_ += static_cast<char>(bytes.size() & 0xff);
    s_ += static_cast<char>(bytes.size() >> 8);
    s_ += bytes;
    return *this;
  }
  Script& HangUp(int slot) {
    s_ += static_cast<char>(4 | slot);
    return *this;
  }
  Script& Timer() {
    s_ += static_cast<char>(8);
    return *this;
  }
  Script& Stdin(char letter, int32_t arg = 0) {
    s_ += static_cast<char>(12);
    s_ += letter;
    s_.append(reinterpret_cast<const char*>(&arg), sizeof arg);
    return *this;
  }
  Script& Hello(int slot, proto::Role role, int pid, uint32_t restarting = 0, uint64_t comp = 0,
                uint32_t gen = 0, uint32_t peers = 0) {
    proto::Hello h{};
    h.role = static_cast<uint32_t>(role);
    h.restarting = restarting;
    proto::CopyField(h.hostname, sizeof h.hostname, pid % 2 ? "node-a" : "node-b");
    proto::CopyField(h.program, sizeof h.program, "counter");
    proto::CopyField(h.unique_id, sizeof h.unique_id, ("uid-" + std::to_string(pid)).c_str());
    h.pid = pid;
    h.ppid = 1;
    h.generation = gen;
    h.restart_peers = peers;
    h.computation_id = comp;
    return Send(slot, proto::MsgType::kHello, h);
  }
  Script& Barrier(int slot, const char* name) {
    proto::Barrier b{};
    proto::CopyField(b.name, sizeof b.name, name);
    return Send(slot, proto::MsgType::kBarrier, b, static_cast<uint32_t>(strlen(name) + 1));
  }
  Script& Done(int slot, int32_t ok, const char* path) {
    proto::CheckpointDone d{};
    d.ok = ok;
    d.bytes = 4096;
    proto::CopyField(d.hostname, sizeof d.hostname, "node-a");
    proto::CopyField(d.image_path, sizeof d.image_path, path);
    return Send(
        slot, proto::MsgType::kCheckpointDone, d,
        static_cast<uint32_t>(offsetof(proto::CheckpointDone, image_path) + strlen(path) + 1));
  }
  Script& Command(int slot, char c, int32_t arg = 0, const char* path = "") {
    proto::Command cmd{};
    cmd.command = c;
    cmd.arg = arg;
    proto::CopyField(cmd.path, sizeof cmd.path, path);
    return Send(slot, proto::MsgType::kCommand, cmd,
                static_cast<uint32_t>(offsetof(proto::Command, path) + strlen(path) + 1));
  }
  Script& Kv(int slot, proto::MsgType type, const char* key, const char* value) {
    proto::KeyValue kv{};
    kv.key_len = static_cast<uint32_t>(strlen(key));
    kv.value_len = static_cast<uint32_t>(strlen(value));
    memcpy(kv.key, key, kv.key_len);
    memcpy(kv.value, value, kv.value_len);
    return Send(slot, type, kv,
                static_cast<uint32_t>(offsetof(proto::KeyValue, value) + kv.value_len));
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// Flags of fuzz_coordinator.cc.
constexpr uint8_t kSign = 1, kExitOnLast = 2, kExitAfterCkpt = 4, kInterval = 8, kWorkerDir = 16,
                  kScriptFails = 32;

std::string Checkpoint() {
  using proto::MsgType;
  using proto::Role;
  Script s(kSign | kInterval | kWorkerDir);
  s.Hello(0, Role::kWorker, 100).Hello(1, Role::kWorker, 101).Hello(2, Role::kCommand, 200);
  s.Command(2, 'b');
  for (int w : {0, 1}) s.Barrier(w, proto::kBarrierSuspended);
  for (int w : {0, 1}) s.Barrier(w, proto::kBarrierPipesElected);
  s.Kv(0, MsgType::kKvPut, "dmtcp.ckpt.tcp.1", "10.0.0.1:5000");
  s.Kv(1, MsgType::kKvGet, "dmtcp.ckpt.tcp.1", "");
  s.Done(0, 1, "/ckpt/ckpt_counter_100.dmtcp").Done(1, 1, "/ckpt/ckpt_counter_101.dmtcp");
  for (int w : {0, 1}) s.Barrier(w, proto::kBarrierCheckpointed);
  for (int w : {0, 1}) s.Barrier(w, proto::kBarrierCommitted);
  for (int w : {0, 1}) s.Barrier(w, proto::kBarrierNameService);
  s.Command(2, 'l').Command(2, 's').Command(2, 'i', 10).Command(2, 'd', 0, "/tmp/ckpt");
  s.Timer().Barrier(0, proto::kBarrierSuspended).Done(0, 0, "no space left").HangUp(1);
  s.Kv(2, MsgType::kKvPut, "app.key", "value").Kv(2, MsgType::kKvGet, "app.key", "");
  s.Stdin('k').Stdin('q');
  return s.str();
}

std::string Restart() {
  using proto::Role;
  Script s(kSign | kExitOnLast);
  s.Hello(0, Role::kWorker, 100, 1, 0x1234, 3, 3).Hello(1, Role::kWorker, 101, 1, 0x1234, 3, 3);
  s.Barrier(0, proto::kBarrierRestarted).Hello(3, Role::kWorker, 300, 0, 0x9999);
  s.Hello(2, Role::kCommand, 200).Command(2, 'c').Command(2, 'f');
  s.Barrier(1, proto::kBarrierRestarted).Barrier(0, "plugin:ready").Barrier(1, "plugin:ready");
  s.HangUp(0).HangUp(1);
  return s.str();
}

std::string ExitAfterCheckpoint() {
  using proto::Role;
  Script s(kSign | kExitAfterCkpt | kScriptFails);
  s.Hello(0, Role::kWorker, 100).Timer().Stdin('c').Stdin('i', 3).Timer();
  s.Barrier(0, proto::kBarrierSuspended).Done(0, 1, "/ckpt/a.dmtcp");
  s.Barrier(0, proto::kBarrierCheckpointed)
      .Barrier(0, proto::kBarrierCommitted)
      .Stdin('f')
      .Stdin('l');
  return s.str();
}

std::string BadFrames() {
  using proto::MsgType;
  using proto::Role;
  Script s(0);  // unsigned Hellos: the wrong-secret path
  s.Hello(0, Role::kWorker, 100);
  s.Raw(1, "GET / HTTP/1.0\r\n\r\n");
  proto::FrameHeader h{proto::kMagic, 1, static_cast<uint16_t>(MsgType::kHello), 0, 0};
  s.Raw(2, std::string(reinterpret_cast<const char*>(&h), sizeof h));
  h.version = proto::kVersion;
  h.length = 1 << 20;
  s.Raw(3, std::string(reinterpret_cast<const char*>(&h), sizeof h));
  s.HangUp(1).Barrier(1, "early");
  s.HangUp(2).Hello(2, Role::kWorker, 100, 0, 0, 0, 0).Hello(2, Role::kWorker, 100);
  return s.str();
}

std::string Unknowns() {
  using proto::MsgType;
  using proto::Role;
  Script s(kSign);
  s.Hello(0, Role::kCommand, 200).Command(0, 'x').Command(0, 'd', 0, "relative");
  s.Command(0, 'd', 0, "/refused").Barrier(0, "command-barrier");
  s.Hello(1, Role::kWorker, 101).Hello(1, Role::kWorker, 101);
  proto::Hello h{};
  h.role = 9;
  s.Send(2, MsgType::kHello, h).Hello(3, Role::kWorker, 103).Send(3, MsgType::kKill, h, 0);
  return s.str();
}

// Not a seed: the boundaries of ParseFrame that Server::ParseFrames relies on (a frame cut
// anywhere, frames back to back, each size limit exactly and one past it, fields longer than
// their arrays), kept in regressions/ so that every build runs it.
std::string FrameLimits() {
  using proto::MsgType;
  using proto::Role;
  auto header = [](MsgType type, uint32_t len) {
    proto::FrameHeader h{proto::kMagic, proto::kVersion, static_cast<uint16_t>(type), len, 0};
    return std::string(reinterpret_cast<const char*>(&h), sizeof h);
  };
  Script s(kSign);
  // A Hello of the largest size believed before Hello, cut inside its header and its payload.
  proto::Hello h{};
  h.role = static_cast<uint32_t>(Role::kWorker);
  h.pid = 100;
  const std::string hello =
      header(MsgType::kHello, sizeof h) + std::string(reinterpret_cast<const char*>(&h), sizeof h);
  s.Raw(0, hello.substr(0, 10)).Raw(0, hello.substr(10, 40)).Raw(0, hello.substr(50));
  // Back to back in one read: an empty barrier and a named one.
  s.Raw(0, header(MsgType::kBarrier, 0) + header(MsgType::kBarrier, 3) + std::string("ab\0", 3));
  // Lengths beyond their arrays.
  proto::KeyValue kv{};
  kv.key_len = kv.value_len = 0xffffffff;
  memset(kv.key, 'k', sizeof kv.key);
  memset(kv.value, 'v', sizeof kv.value);
  s.Send(0, MsgType::kKvPut, kv).Send(0, MsgType::kKvGet, kv);
  proto::Command cmd{};
  memset(&cmd, 'd', sizeof cmd);
  s.Hello(1, Role::kCommand, 200).Send(1, MsgType::kCommand, cmd).Send(1, MsgType::kKvGet, kv);
  // One byte more than a Barrier: refused once complete.
  s.Raw(0, header(MsgType::kBarrier, sizeof(proto::Barrier) + 1) +
               std::string(sizeof(proto::Barrier) + 1, 'x'));
  // Before Hello: one byte more than a Hello is refused from the header alone.
  s.Raw(2, header(MsgType::kHello, sizeof h + 1));
  // After Hello: the largest frame, of a type no client sends (in two reads), and one past it.
  s.Hello(3, Role::kWorker, 103).Raw(3, header(static_cast<MsgType>(999), proto::kMaxPayload));
  s.Raw(3, std::string(proto::kMaxPayload / 2, 'y'))
      .Raw(3, std::string(proto::kMaxPayload / 2, 'y'));
  s.HangUp(3)
      .Hello(3, Role::kWorker, 104)
      .Raw(3, header(MsgType::kBarrier, proto::kMaxPayload + 1));
  s.Timer().Stdin('l');
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s tests/fuzz\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string img = dir + "/seeds/image_reader/", coord = dir + "/seeds/coordinator/";
  bool ok =
      WriteImage(img + "raw.dmtcp", false) && WriteImage(img + "compressed.dmtcp", true) &&
      WriteFile(coord + "checkpoint", Checkpoint()) && WriteFile(coord + "restart", Restart()) &&
      WriteFile(coord + "exit_after_ckpt", ExitAfterCheckpoint()) &&
      WriteFile(coord + "bad_frames", BadFrames()) && WriteFile(coord + "unknowns", Unknowns()) &&
      WriteFile(dir + "/regressions/coordinator/frame_limits", FrameLimits());
  return ok ? 0 : 1;
}
