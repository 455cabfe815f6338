// dmtcp_job: the process a batch script execs, which the scheduler signals.
//
// The job's lifecycle is a bash script (dmtcp_job.sh). Its signals are taken here instead of by
// bash's trap: bash 5.2 runs a trap that fires while it parses a command substitution inside that
// parse ("trap: unexpected EOF while looking for matching `)'", then "reader_loop: bad jump" and
// an abort), so a warning signal could kill the job at the moment it must checkpoint. This
// process blocks the job's signals, runs the script as its child, and writes the number of each
// signal it receives to a pipe the script reads where it waits (DMTCP_JOB_SIGNAL_FD). It exits
// as the script does.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifndef DMTCP_JOB_SCRIPT_FROM_BIN
#define DMTCP_JOB_SCRIPT_FROM_BIN "../libexec/dmtcp/dmtcp_job.sh"
#endif

namespace {

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},     {"CONT", SIGCONT},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"PWR", SIGPWR},       {"SYS", SIGSYS},
    {"PIPE", SIGPIPE},   {"STKFLT", SIGSTKFLT},
};

// A signal's name as bash's kill -l takes it (any case, SIG prefix optional, RTMIN+n, RTMAX-n);
// 0 if it is none the script accepts either (it says so itself).
int SignalNumber(std::string_view given) {
  std::string upper(given);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  std::string_view name = upper;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  for (const SignalName& s : kSignals)
    if (name == s.name) return s.number;
  auto offset = [](std::string_view rest) {
    int n = 0;
    if (rest.empty() || rest.size() > 2) return -1;
    for (char c : rest) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  int n = -1;
  if (name == "RTMIN") return SIGRTMIN;
  if (name == "RTMAX") return SIGRTMAX;
  if (name.starts_with("RTMIN+") && (n = offset(name.substr(6))) >= 0 && SIGRTMIN + n <= SIGRTMAX)
    return SIGRTMIN + n;
  if (name.starts_with("RTMAX-") && (n = offset(name.substr(6))) >= 0 && SIGRTMAX - n >= SIGRTMIN)
    return SIGRTMAX - n;
  return 0;
}

// The warning signal the script is told to wait for (--signal, before "--"); USR1 by default.
int WarningSignal(int argc, char** argv) {
  int sig = SIGUSR1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--signal" && i + 1 < argc) sig = SignalNumber(argv[++i]);
  }
  return sig;
}

// The folder of this program: the script finds the other commands there.
std::string BinDir(const char* argv0) {
  std::vector<char> exe(4096);
  ssize_t n = readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  std::string dir = n > 0 ? std::string(exe.data(), static_cast<size_t>(n)) : std::string(argv0);
  size_t slash = dir.find_last_of('/');
  dir.erase(slash == std::string::npos ? 0 : slash);
  return dir.empty() ? "." : dir;
}

// The commands a user or another node runs beside a job take no signals of the job's: the
// script runs in this process.
bool IsSubcommand(const char* arg) {
  static constexpr std::string_view kSubcommands[] = {
      "status",      "checkpoint", "clean",      "help",        "stage-prepare",
      "stage-clean", "stage-keep", "stage-copy", "stage-drain",
  };
  for (std::string_view s : kSubcommands)
    if (s == arg) return true;
  return false;
}

[[noreturn]] void RunScript(const std::string& script, int argc, char** argv) {
  std::vector<char*> args;
  args.push_back(const_cast<char*>(script.c_str()));
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(script.c_str(), args.data());
  std::fprintf(stderr, "dmtcp_job: cannot run %s: %s\n", script.c_str(), std::strerror(errno));
  std::exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string bin_dir = BinDir(argv[0]);
  const std::string script = bin_dir + "/" DMTCP_JOB_SCRIPT_FROM_BIN;
  setenv("DMTCP_JOB_BIN_DIR", bin_dir.c_str(), 1);
  if (argc > 1 && IsSubcommand(argv[1])) RunScript(script, argc, argv);

  // Taken here: the warning, the scheduler's stop, dmtcp_job checkpoint's ask (relayed by
  // name); the ones a terminal sends (passed on to the script, which they end).
  const int warning = WarningSignal(argc, argv);
  const int relayed[] = {SIGTERM, SIGUSR2, warning};
  const int passed_on[] = {SIGHUP, SIGINT, SIGQUIT};
  sigset_t taken, before;
  sigemptyset(&taken);
  for (int s : relayed)
    if (s > 0) sigaddset(&taken, s);
  for (int s : passed_on) sigaddset(&taken, s);
  sigaddset(&taken, SIGCHLD);
  sigprocmask(SIG_BLOCK, &taken, &before);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "dmtcp_job: cannot make a pipe: %s\n", std::strerror(errno));
    return 1;
  }
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "dmtcp_job: cannot fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &before, nullptr);
    int fd = dup(fds[0]);  // without O_CLOEXEC: the script reads it
    char text[32];
    std::snprintf(text, sizeof text, "%d", fd);
    setenv("DMTCP_JOB_SIGNAL_FD", text, 1);
    std::snprintf(text, sizeof text, "%d", static_cast<int>(getppid()));
    setenv("DMTCP_JOB_PID", text, 1);
    RunScript(script, argc, argv);
  }
  close(fds[0]);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  // The script may be gone (the pipe's reader with it) while a signal comes.
  signal(SIGPIPE, SIG_IGN);

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&taken, &info);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      int status;
      pid_t done = waitpid(child, &status, WNOHANG);
      if (done != child) continue;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      // Ended by a signal: so is this process, for whoever waits for it.
      int by = WTERMSIG(status);
      signal(by, SIG_DFL);
      sigset_t just;
      sigemptyset(&just);
      sigaddset(&just, by);
      sigprocmask(SIG_UNBLOCK, &just, nullptr);
      raise(by);
      return 128 + by;
    }
    bool relay = false;
    for (int s : relayed) relay = relay || s == sig;
    if (!relay) {
      kill(child, sig);
      continue;
    }
    char line[16];
    int n = std::snprintf(line, sizeof line, "%d\n", sig);
    // A line is under PIPE_BUF: written whole or not at all (a full pipe means the script has
    // not read thousands of them, and holds the flag they set anyway).
    ssize_t w;
    do w = write(fds[1], line, static_cast<size_t>(n));
    while (w < 0 && errno == EINTR);
  }
}
