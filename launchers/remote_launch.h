// What dmtcp_ssh and dmtcp_srun share. Both take the place of a launcher
// (ssh, srun) in a computation: they run the real launcher outside
// checkpoint control to start dmtcp_sshd on the other side, which runs the
// command under the coordinator and connects back; the command's stdio and
// exit status then travel over those connections, which are part of the
// computation and come back at restart, when the real launcher is gone.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dmtcp::ssh {

std::string Env(const char* name);

// The real launcher: $<env_var> if set, else `name`.
std::string RealLauncher(const char* env_var, const char* name);
// True when we run under checkpoint control (else we are the plain launcher).
bool UnderCheckpointControl();
// Runs the real launcher with our arguments, as if we were not here.
[[noreturn]] void ExecDirect(const char* program, const std::string& launcher, char** argv);

// A listener on every address (port chosen by the kernel); -1 on failure.
int ListenAnywhere(int* port);
std::string RandomToken();  // 32 hex digits
// A TCP connection to host:port (any of its addresses); -1 if none answers.
int ConnectTo(const std::string& host, const std::string& port);

// Runs words[0] (found in PATH) outside checkpoint control: without our
// runtime (LD_PRELOAD), and without DMTCP_* unless keep_dmtcp_env. Its
// stdin is *in_fd (ours to write), its stdout *out_fd (ours to read).
// Returns its pid, or -1 with errno.
pid_t SpawnOutside(const std::vector<std::string>& words, bool keep_dmtcp_env, int* in_fd,
                   int* out_fd);

struct RelayOptions {
  size_t expected_peers = 0;  // 0: as many as connect while the launcher runs
  bool label = false;         // prefix output lines with "<task>: " (srun --label)
};

// Accepts the connections of dmtcp_sshd (with our token), sends our stdin
// to the lowest task, writes their output, and exits when the launcher has
// ended and every command has: with the highest exit code, or with the
// launcher's when no command ever connected (it failed: its message is on
// our stderr).
[[noreturn]] void RelayAll(const char* program, int listener, int launcher_out, pid_t launcher,
                           const std::string& token, const RelayOptions& opts);

}  // namespace dmtcp::ssh
