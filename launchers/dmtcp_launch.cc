// dmtcp_launch [options] program args...: finds or starts the coordinator,
// puts the runtime into LD_PRELOAD with the coordinator's address and
// secret, and execs the program.
#include <signal.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "coordinator_client.h"

namespace {

namespace client = dmtcp::client;
using client::Fail;

constexpr const char kCmd[] = "dmtcp_launch";

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsExecutableFile(const std::string& path) {
  return client::IsRegularFile(path) && access(path.c_str(), X_OK) == 0;
}

// Whether execvp would find the program: checked before a coordinator is
// started for nothing.
bool ProgramExists(const std::string& name) {
  if (name.find('/') != std::string::npos) return IsExecutableFile(name);
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  for (;;) {
    size_t end = dirs.find(':', start);
    std::string dir = dirs.substr(start, end == std::string::npos ? end : end - start);
    if (IsExecutableFile((dir.empty() ? "." : dir) + "/" + name)) return true;
    if (end == std::string::npos) return false;
    start = end + 1;
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    std::string part = s.substr(start, end == std::string::npos ? end : end - start);
    if (!part.empty()) out.push_back(part);
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

void SetEnv(const char* name, const std::string& value) {
  if (setenv(name, value.c_str(), 1) != 0) Fail(kCmd, std::string("setenv ") + name);
}

// Plugins first (their wrappers come before the runtime's and libc's, in
// the order given), then the runtime, then what was preloaded before
// (without second copies when launching from inside a launched program).
std::string Preload(const std::string& runtime, const std::vector<std::string>& plugins) {
  std::string out;
  for (const std::string& p : plugins) out += p + ":";
  out += runtime;
  const char* old = getenv("LD_PRELOAD");
  if (!old) return out;
  // ld.so separates entries by colons or spaces.
  for (const std::string& entry : Split(std::string(old), ':')) {
    for (const std::string& e : Split(entry, ' ')) {
      if (e != runtime && std::find(plugins.begin(), plugins.end(), e) == plugins.end())
        out += ":" + e;
    }
  }
  return out;
}

// A plugin must be an ELF shared object: ld.so would otherwise only warn
// and run the program without it.
bool IsSharedObject(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char h[18] = {};
  if (!f.read(reinterpret_cast<char*>(h), sizeof h)) return false;
  const bool elf = h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F';
  const int type = h[16] | (h[17] << 8);  // e_type, little-endian
  return elf && type == 3;                // ET_DYN
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Runs a program under DMTCP checkpoint control.\nUsage: dmtcp_launch [options] program "
      "[args...]",
      kCmd};
  app.set_help_flag("--help", "Print this help");
  app.prefix_command();  // the program's own options pass through untouched

  std::string host, port_file, ckptdir;
  int port = -1, interval = -1, ckpt_signal = 0;
  bool join = false, new_coord = false, no_coord = false, gzip = false, no_gzip = false;
  std::string plugin_arg;
  app.add_option("-h,--coord-host,--host", host,
                 "Coordinator host (default: $DMTCP_COORD_HOST, $DMTCP_HOST, localhost)");
  app.add_option("-p,--coord-port,--port", port,
                 "Coordinator port (default: $DMTCP_COORD_PORT, $DMTCP_PORT, 7779; 0 = start a "
                 "new coordinator on a free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", port_file, "Write the coordinator's port to this file");
  auto* join_opt = app.add_flag("-j,--join,--join-coordinator", join,
                                "Join a running coordinator; fail if there is none");
  auto* new_opt = app.add_flag("--new-coordinator", new_coord,
                               "Start a new coordinator (with -p 0: on a free port)");
  auto* none_opt = app.add_flag(
      "--no-coordinator", no_coord,
      "Run without a coordinator: each process checkpoints on its own, every -i seconds, when it "
      "gets the checkpoint signal (kill -USR2, or $DMTCP_SIGCKPT) or when the program calls "
      "dmtcp_checkpoint(); no restart script (dmtcp_restart IMAGE)");
  join_opt->excludes(new_opt)->excludes(none_opt);
  new_opt->excludes(none_opt);
  app.add_option("-i,--interval", interval,
                 "Checkpoint interval in seconds, 0 = none (default: the coordinator's)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ckptdir", ckptdir,
                 "Directory for checkpoint images (must exist; default: $DMTCP_CHECKPOINT_DIR "
                 "or the current directory)");
  auto* gzip_opt =
      app.add_flag("--gzip", gzip, "Compress checkpoint images (default, unless $DMTCP_GZIP=0)");
  auto* no_gzip_opt = app.add_flag("--no-gzip", no_gzip, "Do not compress checkpoint images");
  gzip_opt->excludes(no_gzip_opt);
  bool forked = false;
  app.add_flag("--forked-checkpoint", forked,
               "Write images from a copy-on-write child: the program runs again at once "
               "(DMTCP_FORKED_CHECKPOINT=1)");
  bool no_aslr = false;
  app.add_flag("--no-aslr", no_aslr,
               "Run the program and its children without address-space randomization, so that "
               "processes of one program (MPI ranks) place the same allocations at the same "
               "addresses and their identical memory is saved once (DMTCP_NO_ASLR=1)");
  bool ckpt_open_files = false;
  app.add_flag("--checkpoint-open-files", ckpt_open_files,
               "Save the files the program has open for writing with each checkpoint and write "
               "them back at restart (a database the program updates) "
               "(DMTCP_CKPT_OPEN_FILES=1)");
  std::string folders_arg;
  app.add_option("--checkpoint-folder", folders_arg,
                 "Save this folder whole with each checkpoint and take it back to it at restart "
                 "(a git repository, a build folder); repeat for more "
                 "($DMTCP_CHECKPOINT_FOLDERS, ':'-separated)")
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);  // repeated: joined by '\n'
  // One string: a vector option would swallow the program's name too.
  app.add_option("--with-plugin", plugin_arg,
                 "Plugin libraries to load, absolute paths separated by ':' (default: "
                 "$DMTCP_PLUGIN)")
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);  // repeated: joined by '\n'
  app.add_option("--ckpt-signal", ckpt_signal,
                 "Signal used for checkpoints (default: $DMTCP_SIGCKPT or SIGUSR2)")
      ->check(CLI::Range(1, 64));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    Fail(kCmd, e.what());
  }
  std::vector<std::string> program = app.remaining();
  if (!program.empty() && program.front() == "--") program.erase(program.begin());
  if (program.empty()) Fail(kCmd, "no program given (usage: dmtcp_launch [options] program ...)");
  if (program.front().size() > 1 && program.front()[0] == '-' && !ProgramExists(program.front())) {
    Fail(kCmd, "unknown option '" + program.front() + "' (see --help)");
  }

  // Everything that can be checked is checked before a coordinator starts.
  if (ckpt_signal == SIGKILL || ckpt_signal == SIGSTOP) {
    Fail(kCmd, "--ckpt-signal " + std::to_string(ckpt_signal) + " cannot be caught");
  }
  std::string folders;
  {
    std::string all = folders_arg;
    if (const char* env = getenv("DMTCP_CHECKPOINT_FOLDERS")) {
      std::string e = env;
      std::replace(e.begin(), e.end(), ':', '\n');
      all += (all.empty() || e.empty() ? "" : "\n") + e;
    }
    std::istringstream in(all);
    int count = 0;
    for (std::string f; std::getline(in, f);) {
      if (f.empty()) continue;
      std::error_code ec;
      const std::string abs = std::filesystem::canonical(f, ec).string();
      if (ec || !IsDir(abs)) Fail(kCmd, "--checkpoint-folder " + f + ": not a folder");
      if (abs == "/") Fail(kCmd, "--checkpoint-folder /: the whole file system cannot be saved");
      if (abs.find(':') != std::string::npos)
        Fail(kCmd, "--checkpoint-folder " + abs + ": a path with ':' cannot be saved");
      if (++count > 32) Fail(kCmd, "--checkpoint-folder: more than 32 folders");
      folders += (folders.empty() ? "" : ":") + abs;
    }
    if (folders.size() >= 4096)
      Fail(kCmd, "--checkpoint-folder: the paths are longer than 4095 bytes together");
  }
  std::vector<std::string> plugins;
  if (plugin_arg.empty() && getenv("DMTCP_PLUGIN")) plugin_arg = getenv("DMTCP_PLUGIN");
  std::replace(plugin_arg.begin(), plugin_arg.end(), '\n', ':');
  {
    for (const std::string& p : Split(plugin_arg, ':')) {
      if (p.empty()) continue;
      if (p[0] != '/') Fail(kCmd, "plugin '" + p + "' is not an absolute path");
      if (!client::IsRegularFile(p)) Fail(kCmd, "plugin " + p + " does not exist");
      if (!IsSharedObject(p)) Fail(kCmd, "plugin " + p + " is not a shared library");
      plugins.push_back(p);
    }
  }
  std::string runtime;
  std::string where = "lib/libdmtcp.so";
  try {
    runtime = client::RuntimeLibrary(&where);
  } catch (const client::ClientError&) {
  }
  if (runtime.empty()) Fail(kCmd, "cannot find the DMTCP runtime library " + where);
  if (!ProgramExists(program.front())) {
    Fail(kCmd, "cannot find program '" + program.front() + "'");
  }
  std::string ckpt_dir_abs;
  client::CoordinatorInfo coord;
  try {
    if (!ckptdir.empty()) {
      ckpt_dir_abs = client::Absolute(ckptdir);
      if (!IsDir(ckpt_dir_abs)) {
        Fail(kCmd, "checkpoint directory " + ckpt_dir_abs + " does not exist");
      }
    } else if (const char* env = getenv("DMTCP_CHECKPOINT_DIR"); env && *env) {
      ckpt_dir_abs = client::Absolute(env);
    } else {
      ckpt_dir_abs = client::Absolute(".");
    }

    client::EnsureOptions eo;
    eo.mode = no_coord    ? client::CoordMode::kNone
              : join      ? client::CoordMode::kJoin
              : new_coord ? client::CoordMode::kNew
                          : client::CoordMode::kDefault;
    eo.addr = client::ResolveAddress(host.empty() ? std::nullopt : std::optional<std::string>(host),
                                     port >= 0 ? std::optional<int>(port) : std::nullopt);
    if (interval >= 0) eo.interval = interval;
    if (!ckptdir.empty()) eo.ckptdir = ckpt_dir_abs;
    eo.port_file = port_file;
    eo.program = kCmd;
    coord = client::EnsureCoordinator(eo);
  } catch (const client::ClientError& e) {
    Fail(kCmd, e.what());
  }

  SetEnv("LD_PRELOAD", Preload(runtime, plugins));
  if (no_coord) {
    SetEnv("DMTCP_NO_COORDINATOR", "1");
    // No coordinator to keep the interval: the processes keep it.
    if (interval >= 0) SetEnv("DMTCP_CHECKPOINT_INTERVAL", std::to_string(interval));
  } else {
    unsetenv("DMTCP_NO_COORDINATOR");
    SetEnv("DMTCP_COORD_HOST", coord.addr.host);
    SetEnv("DMTCP_COORD_PORT", std::to_string(coord.addr.port));
    SetEnv("DMTCP_COORD_SECRET", coord.secret);
  }
  SetEnv("DMTCP_CHECKPOINT_DIR", ckpt_dir_abs);
  // ssh and srun run by the program are replaced by these (see dmtcp_ssh.cc).
  SetEnv("DMTCP_SSH_WRAPPER", client::SelfExeDir() + "/dmtcp_ssh");
  SetEnv("DMTCP_SRUN_WRAPPER", client::SelfExeDir() + "/dmtcp_srun");
  if (gzip || no_gzip || !getenv("DMTCP_GZIP")) SetEnv("DMTCP_GZIP", no_gzip ? "0" : "1");
  if (ckpt_signal) SetEnv("DMTCP_SIGCKPT", std::to_string(ckpt_signal));
  if (forked) SetEnv("DMTCP_FORKED_CHECKPOINT", "1");
  if (ckpt_open_files) SetEnv("DMTCP_CKPT_OPEN_FILES", "1");
  // Inherited through fork and exec; the variable carries it to other hosts.
  const char* aslr_env = getenv("DMTCP_NO_ASLR");
  if (no_aslr || (aslr_env && strcmp(aslr_env, "1") == 0)) {
    SetEnv("DMTCP_NO_ASLR", "1");
    const int current = personality(0xffffffff);
    if (current == -1 || personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1)
      Fail(kCmd, std::string("cannot turn address-space randomization off: ") + strerror(errno));
  }
  if (!folders.empty()) SetEnv("DMTCP_CHECKPOINT_FOLDERS", folders);
  if (!plugins.empty()) {
    std::string list;
    for (const std::string& p : plugins) list += (list.empty() ? "" : ":") + p;
    SetEnv("DMTCP_PLUGIN", list);
  } else {
    unsetenv("DMTCP_PLUGIN");
  }

  // The same when the program itself is ssh or srun (the runtime cannot
  // step in before it runs).
  const std::string base = program.front().substr(program.front().rfind('/') + 1);
  const char* direct = getenv("DMTCP_EXEC_DIRECT");
  if ((base == "ssh" || base == "srun") && !(direct && strcmp(direct, "1") == 0))
    program.front() = client::SelfExeDir() + (base == "ssh" ? "/dmtcp_ssh" : "/dmtcp_srun");
  std::vector<char*> args;
  for (std::string& a : program) args.push_back(a.data());
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int err = errno;
  if (coord.started) {
    // Do not leave behind a coordinator that no process will ever join.
    try {
      client::ConnectOptions copts;
      copts.timeout = client::Millis(2000);
      copts.program = kCmd;
      client::Connection(coord.addr, coord.secret, copts).Send('q', 0, client::Millis(2000));
    } catch (const client::ClientError&) {
    }
  }
  Fail(kCmd, "cannot execute " + program.front() + ": " + strerror(err));
}
