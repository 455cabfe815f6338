// dmtcp_restart img...: brings checkpointed processes back. Every image is
// read and checked completely before anything is replaced; then each image
// gets a process that execs the restart loader with a prepared plan.
// --verify stops after those checks.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

#include "coordinator_client.h"
#include "cpu_check.h"
#include "cpu_remap.h"
#include "image_reader.h"
#include "process_tree.h"
#include "restart_info.h"
#include "restore_planner.h"

namespace {

using namespace dmtcp;

constexpr const char* kCmd = "dmtcp_restart";

void ResolveForRuntime(const client::CoordAddress& addr, RestartInfo* info) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(addr.port);
  if (getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    client::Fail(kCmd, "cannot resolve coordinator host " + addr.host);
  memcpy(&info->coord_addr, res->ai_addr, res->ai_addrlen);
  info->coord_addr_len = res->ai_addrlen;
  freeaddrinfo(res);
}

int MoveAbove(int fd, int base) {
  if (fd >= base) return fd;
  int moved = fcntl(fd, F_DUPFD, base);  // without close-on-exec
  if (moved < 0) throw std::runtime_error(std::string("fcntl: ") + strerror(errno));
  close(fd);
  return moved;
}

// Builds the plan and execs the loader, which becomes the program.
[[noreturn]] void Restore(image::ImageReader& img, const RestartInfo& info,
                          const restart::SharedObjects& shared, const std::string& loader,
                          int first_free_fd) {
  restart::PreparedRestore p;
  try {
    p = restart::PrepareRestore(img, info, client::FailRc(), &shared);
    // Above every descriptor the program uses.
    p.plan_fd = MoveAbove(p.plan_fd, first_free_fd);
    const bool same = p.data_fd == p.image_fd;
    p.image_fd = MoveAbove(p.image_fd, first_free_fd);
    p.data_fd = same ? p.image_fd : MoveAbove(p.data_fd, first_free_fd);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());  // the process tree stops the others
  }
  std::string plan = std::to_string(p.plan_fd), data = std::to_string(p.data_fd),
              image = std::to_string(p.image_fd);
  const char* argv[] = {"dmtcp_restart_loader", plan.c_str(), data.c_str(), image.c_str(), nullptr};
  execv(loader.c_str(), const_cast<char* const*>(argv));
  throw std::runtime_error("cannot run the restart loader " + loader + ": " + strerror(errno));
}

// How the restored threads are bound again: threads bound to some of the
// checkpointed node's processors go to the corresponding ones here (a line
// on stderr for each whose CPUs change), or with --no-remap to the same CPU
// numbers. Threads that were not bound stay unbound. With report, only
// says what moves: before the processes exist, while stderr is still ours
// (a restored process's stderr may be a pipe to its parent).
void PlanBindings(const image::ImageReader& img, bool no_remap,
                  const std::vector<image::CpuInfo>& now, RestartInfo* info, bool report) {
  if (no_remap) {
    info->cpu_mode = kCpuExact;
    return;
  }
  info->cpu_mode = kCpuKeep;
  if (img.cpus().empty() || now.empty()) return;
  const std::vector<int> map = restart::MapCpus(img.cpus(), now);
  for (int c = 0; c < kRestartMaxCpus; ++c) info->cpu_map[c] = static_cast<int16_t>(map[c]);
  for (const auto& c : img.cpus()) info->cpu_before[c.os_index / 64] |= 1ULL << (c.os_index % 64);
  info->cpu_mode = kCpuRemap;
  if (!report) return;
  for (const auto& b : img.bindings()) {
    uint64_t to[kRestartMaxCpus / 64];
    restart::MapMask(map, b.mask, to);
    if (memcmp(to, b.mask, sizeof to) == 0) continue;
    fprintf(stderr,
            "%s: %s: thread %d of %s (pid %d) was bound to CPUs %s of %zu on %s; remapped to "
            "CPUs %s of the %zu here\n",
            kCmd, img.path().c_str(), b.vtid, img.process().program, img.process().pid,
            restart::CpuListText(b.mask).c_str(), img.cpus().size(), img.process().hostname,
            restart::CpuListText(to).c_str(), now.size());
  }
}

// How long to wait for the processes of other restarters (other hosts):
// DMTCP_RESTART_TIMEOUT seconds, 300 by default.
int RemoteTimeout() {
  const char* v = getenv("DMTCP_RESTART_TIMEOUT");
  int t = v ? atoi(v) : 0;
  return t > 0 ? t : 300;
}

// The coordinator's key-value store, over our own command connection.
class CoordinatorNameService : public restart::NameService {
 public:
  explicit CoordinatorNameService(client::Connection conn) : conn_(std::move(conn)) {}
  void Put(const std::string& key, const std::string& value) override { conn_.KvPut(key, value); }
  std::optional<std::string> Get(const std::string& key) override { return conn_.KvGet(key); }
  sockaddr_storage LocalAddress() override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    getsockname(conn_.fd(), reinterpret_cast<sockaddr*>(&a), &len);
    return a;
  }

 private:
  client::Connection conn_;
};

std::string LoaderPath() { return client::RestartLoader(); }

// Reads one image and checks it completely, and that this node has what it
// needs (mapped and open files, the kernel's mappings): the checks a restart
// makes before it changes anything. Null with *error naming the image.
std::unique_ptr<image::ImageReader> LoadChecked(const std::string& path, std::string* error,
                                                bool lazy = false) {
  auto r = std::make_unique<image::ImageReader>();
  if (!r->Load(path, lazy)) {
    *error = r->error();
    return nullptr;
  }
  try {
    restart::CheckRestorable(*r);
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
  return r;
}

// Images of one restart must come from one checkpoint: a generation whose
// commit was cut short could otherwise mix old and new processes. Empty if
// they agree, else what differs.
std::string MixedCheckpoints(const std::vector<std::unique_ptr<image::ImageReader>>& readers) {
  if (readers.empty()) return "";
  const auto& first = readers.front()->process();
  for (const auto& r : readers) {
    const auto& p = r->process();
    if (p.computation_id == first.computation_id && p.generation == first.generation) continue;
    char text[512];
    snprintf(text, sizeof text,
             "the images are from different checkpoints: %s is generation %u of computation "
             "%016llx, %s is generation %u of computation %016llx; restart the images of one "
             "checkpoint (the restart script names them)",
             readers.front()->path().c_str(), first.generation,
             static_cast<unsigned long long>(first.computation_id), r->path().c_str(), p.generation,
             static_cast<unsigned long long>(p.computation_id));
    return text;
  }
  return "";
}

// A restart that keeps failing would be tried again and again by a scheduler
// that requeues the job. Restarts from one checkpoint are counted next to its
// images; past `max` of them without a newer checkpoint, we give up.
void CountAttempt(const image::ImageReader& first, int max) {
  const std::string image = client::Absolute(first.path());
  const std::string file = image.substr(0, image.rfind('/') + 1) + ".dmtcp_restart_attempts";
  const auto& p = first.process();
  unsigned long long comp = 0;
  unsigned gen = 0, count = 0;
  if (FILE* f = fopen(file.c_str(), "r")) {
    if (fscanf(f, "%llx %u %u", &comp, &gen, &count) != 3) count = 0;
    fclose(f);
  }
  if (comp != p.computation_id || gen != p.generation) count = 0;
  ++count;
  if (count > static_cast<unsigned>(max)) {
    char text[1024];
    snprintf(text, sizeof text,
             "%u restarts from generation %u of computation %016llx have not produced a newer "
             "checkpoint; giving up (the limit is DMTCP_RESTART_MAX_ATTEMPTS=%d; remove %s to "
             "try again)",
             count - 1, p.generation, static_cast<unsigned long long>(p.computation_id), max,
             file.c_str());
    client::Fail(kCmd, text);
  }
  const std::string tmp = file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  bool ok = f && fprintf(f, "%016llx %u %u\n", static_cast<unsigned long long>(p.computation_id),
                         p.generation, count) > 0;
  ok = f && fclose(f) == 0 && ok && rename(tmp.c_str(), file.c_str()) == 0;
  if (!ok) {
    fprintf(stderr, "%s: cannot count this restart in %s: %s\n", kCmd, file.c_str(),
            strerror(errno));
    unlink(tmp.c_str());
  }
}

// --verify: the restart's checks on every image, then nothing else (no
// coordinator, no process). A line per image; 0 if every one is good.
// Why an image cannot run on this node's processor ("" if it can, or with
// --ignore-cpu-features or DMTCP_IGNORE_CPU_FEATURES=1).
std::string CpuRefusal(const image::ImageReader& img, bool ignore) {
  const char* e = getenv("DMTCP_IGNORE_CPU_FEATURES");
  if (ignore || (e && strcmp(e, "1") == 0)) return "";
  static const restart::NodeCpu node = restart::ReadNodeCpu();
  return restart::CpuFeaturesRefusal(img, node);
}

int Verify(const std::vector<std::string>& images, bool ignore_cpu) {
  int status = 0;
  std::vector<std::unique_ptr<image::ImageReader>> good;
  for (const auto& path : images) {
    std::string error;
    auto r = LoadChecked(path, &error);
    if (!r) {
      fprintf(stderr, "%s\n", error.c_str());
      status = 1;
      continue;
    }
    if (std::string why = CpuRefusal(*r, ignore_cpu); !why.empty()) {
      fprintf(stderr, "%s\n", why.c_str());
      status = 1;
      continue;
    }
    const auto& p = r->process();
    printf("%s: ok (program %s, pid %d, generation %u, %zu areas, %.1f MiB)\n", path.c_str(),
           p.program, p.pid, p.generation, r->areas().size(),
           static_cast<double>(r->data_bytes()) / (1 << 20));
    good.push_back(std::move(r));
  }
  if (std::string mixed = MixedCheckpoints(good); !mixed.empty()) {
    fprintf(stderr, "%s: %s\n", kCmd, mixed.c_str());
    status = 1;
  }
  // A restart would stop here too, whatever the images.
  const std::string loader = LoaderPath();
  if (!client::IsRegularFile(loader)) {
    fprintf(stderr, "%s: restart loader not found at %s\n", kCmd, loader.c_str());
    status = 1;
  }
  if (fflush(stdout) != 0) status = 1;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // Room for the program's descriptors and ours above them (each restored
  // process sets the program's own limits again before it runs).
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  CLI::App app{"Restart processes from checkpoint images", kCmd};
  app.set_help_flag("--help", "Print this help and exit");
  std::vector<std::string> images;
  std::optional<std::string> host;
  std::optional<int> port;
  std::string port_file, ckptdir;
  std::optional<int> interval;
  bool join = false, new_coord = false, no_remap = false, verify = false, lazy = false;
  bool ignore_cpu = false;
  app.add_option("images", images, "Checkpoint images (ckpt_*.dmtcp)")->required();
  app.add_option("-h,--coord-host,--host", host,
                 "Coordinator host (default: $DMTCP_COORD_HOST, $DMTCP_HOST, localhost)");
  app.add_option("-p,--coord-port,--port", port,
                 "Coordinator port (default: $DMTCP_COORD_PORT, $DMTCP_PORT, 7779; 0 = start a new "
                 "coordinator on a free port)");
  app.add_option("--port-file", port_file, "Write the coordinator's port to this file");
  app.add_flag("-j,--join,--join-coordinator", join,
               "Join a running coordinator; fail if there is none");
  app.add_flag("--new-coordinator", new_coord,
               "Start a new coordinator (with -p 0: on a free port)");
  app.add_option("-i,--interval", interval,
                 "Checkpoint interval in seconds, 0 = none (default: the coordinator's)");
  app.add_option(
      "--ckptdir", ckptdir,
      "Directory for the next checkpoint images (default: where the processes wrote them before)");
  app.add_flag("--no-remap", no_remap,
               "Bind threads to the same CPU numbers as before, not to the corresponding "
               "processors of this node");
  std::optional<int> max_attempts;
  app.add_option("--max-attempts", max_attempts,
                 "Give up after N restarts from the same checkpoint without a newer one "
                 "(DMTCP_RESTART_MAX_ATTEMPTS; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--lazy", lazy,
               "Map the images' uncompressed memory instead of reading it: running again at "
               "once, pages read on first touch (their checksums are not checked; the images "
               "must stay until the next checkpoint)");
  app.add_flag("--ignore-cpu-features", ignore_cpu,
               "Restart even where this node's processor lacks an instruction-set extension "
               "the checkpointed one had (DMTCP_IGNORE_CPU_FEATURES=1); the program may stop "
               "with SIGILL");
  app.add_flag("--verify", verify,
               "Only read and check the images as a restart would (no coordinator, no "
               "process); a line per image, exit 0 if all are good");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return client::FailRc();
  }
  if (verify) return Verify(images, ignore_cpu);
  if (join && new_coord) client::Fail(kCmd, "--join and --new-coordinator exclude each other");

  // Read and verify every image before anything else happens.
  std::vector<std::unique_ptr<image::ImageReader>> readers;
  for (const auto& path : images) {
    std::string error;
    auto r = LoadChecked(path, &error, lazy);
    if (!r) client::Fail(kCmd, error);
    if (std::string why = CpuRefusal(*r, ignore_cpu); !why.empty()) client::Fail(kCmd, why);
    readers.push_back(std::move(r));
  }
  if (std::string mixed = MixedCheckpoints(readers); !mixed.empty()) client::Fail(kCmd, mixed);
  std::string loader = LoaderPath();
  if (!client::IsRegularFile(loader)) client::Fail(kCmd, "restart loader not found at " + loader);
  if (!max_attempts) {
    if (const char* e = getenv("DMTCP_RESTART_MAX_ATTEMPTS"); e && *e) {
      char* end = nullptr;
      long v = strtol(e, &end, 10);
      if (*end || v < 0 || v > 1000000)
        client::Fail(kCmd, std::string("DMTCP_RESTART_MAX_ATTEMPTS=") + e + " is not a count");
      max_attempts = static_cast<int>(v);
    }
  }
  // Neither the option nor the variable: no limit.
  if (max_attempts.value_or(0) > 0) CountAttempt(*readers.front(), *max_attempts);

  RestartInfo info{};
  info.magic = kRestartInfoMagic;
  info.size = sizeof info;
  info.fail_rc = client::FailRc();
  if (!ckptdir.empty()) {
    std::string abs = client::Absolute(ckptdir);
    if (abs.size() >= sizeof info.ckpt_dir) client::Fail(kCmd, "--ckptdir path too long");
    strcpy(info.ckpt_dir, abs.c_str());
  }
  try {
    client::EnsureOptions opts;
    opts.mode = join        ? client::CoordMode::kJoin
                : new_coord ? client::CoordMode::kNew
                            : client::CoordMode::kDefault;
    opts.addr = client::ResolveAddress(host, port);
    opts.interval = interval;
    opts.port_file = port_file;
    opts.program = kCmd;
    auto coord = client::EnsureCoordinator(opts);
    ResolveForRuntime(coord.addr, &info);
    info.coord_port = coord.addr.port;
    snprintf(info.coord_host, sizeof info.coord_host, "%s", coord.addr.host.c_str());
    snprintf(info.secret, sizeof info.secret, "%s", coord.secret.c_str());
  } catch (const client::ClientError& e) {
    client::Fail(kCmd, e.what());
  }

  info.pid_table_fd = -1;
  info.sysv_table_fd = -1;
  info.shared_fds_table_fd = -1;
  try {
    restart::ProcessTree tree(readers);
    std::unique_ptr<CoordinatorNameService> ns;
    bool remote_tcp = false;
    for (const auto& r : readers)
      for (const auto& f : r->fds()) remote_tcp |= f.info.peer_in_computation != 0;
    if (remote_tcp) {
      client::CoordAddress addr{info.coord_host, static_cast<int>(info.coord_port)};
      client::ConnectOptions copts;
      copts.program = kCmd;
      ns = std::make_unique<CoordinatorNameService>(client::Connection(addr, info.secret, copts));
      tree.SetNameService(ns.get(), std::chrono::seconds(RemoteTimeout()));
    }
    // This node's processors, for threads that were bound to some.
    std::vector<image::CpuInfo> now;
    bool bound = false;
    for (const auto& r : readers) bound |= !r->bindings().empty();
    if (bound && !no_remap) {
      try {
        now = restart::CurrentCpus();
      } catch (const std::exception& e) {
        fprintf(stderr, "%s: threads stay unbound: %s\n", kCmd, e.what());
      }
      for (const auto& r : readers) {
        auto plan = std::make_unique<RestartInfo>();
        PlanBindings(*r, no_remap, now, plan.get(), true);
      }
    }
    tree.Run(info, [&](image::ImageReader& img, const RestartInfo& ri,
                       const restart::SharedObjects& shared, int first_free_fd) {
      RestartInfo bound_info = ri;
      PlanBindings(img, no_remap, now, &bound_info, false);
      Restore(img, bound_info, shared, loader, first_free_fd);
    });
  } catch (const std::exception& e) {
    client::Fail(kCmd, e.what());
  }
}
