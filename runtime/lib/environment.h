// The coordinator as the environment names it to programs this process
// starts. After a restart the coordinator may be another one (a new port,
// a new secret, another host), and a program keeps its own copies of the
// environment (Python's os.environ): every exec and posix_spawn gets the
// current coordinator, and the process's own environment is updated too.
#pragma once

#include <stddef.h>

namespace dmtcp::rt {

// After joining a coordinator: the entries to give new programs from now on.
void RememberCoordinatorForEnvironment();
// In the restored process, with its threads frozen: brings the entries of
// environ that name the coordinator up to date where the new value fits in
// place (no allocation).
void PointEnvironmentAtCoordinator();

// What a process hands on to the program it execs or spawns, by descriptor
// number: its old connection to the coordinator (exec only), and the table
// of virtual pids after a restart.
inline constexpr char kInheritedCoordFd[] = "DMTCP_INHERITED_COORD_FD";
inline constexpr char kPidTableFd[] = "DMTCP_PID_TABLE_FD";

// DMTCP_OUTSIDE=1 in the environment given to exec or spawn: the new
// program runs outside checkpoint control (dmtcp_srun and dmtcp_ssh start
// the real srun and ssh so); the entry is not passed on.
inline constexpr char kOutside[] = "DMTCP_OUTSIDE";
bool StartsOutside(char* const* envp);

// At start: the preload (runtime and plugins) every new program gets, and
// the runtime's settings (DMTCP_*) a program started without them gets.
void RememberPreload();

// Whether a dynamic program started with envp loads the runtime (what
// CurrentEnvironment makes of envp preloads it).
bool RuntimeFollows(char* const* envp);

// The runtime's own settings (DMTCP_*) kept for the programs it starts.
constexpr int kMaxSettings = 48;
// How many entries CurrentEnvironment may add to envp.
constexpr size_t kEnvironmentExtra = 7 + kMaxSettings;
// Room for the LD_PRELOAD entry CurrentEnvironment puts together for envp.
size_t PreloadEntryRoom(char* const* envp);
// Whether the new program will load the runtime (Preload::kAdd: a dynamic
// program) or not (kKeep: a static or privileged one, see program_file.h).
enum class Preload { kAdd, kKeep };
// envp for a new program, in out (room for the entries of envp plus
// kEnvironmentExtra plus the terminator): the runtime preloaded (with
// kAdd: added where missing, put first where the program set its own, in
// preload_buf), the coordinator entries replaced by the current ones
// (added where missing), stale hand-on entries dropped, and extra[0..1]
// (each may be null) added. Returns out.
char** CurrentEnvironment(char* const* envp, char** out, const char* const extra[2],
                          Preload runtime, char* preload_buf, size_t preload_cap);

// Clears close-on-exec on descriptor fd and formats "NAME=fd" into entry;
// false (entry empty) if fd < 0 or it cannot.
bool HandOn(const char* name, int fd, char* entry, size_t cap);
// Sets close-on-exec on fd again after a failed exec or a spawn.
void TakeBack(int fd);
// The value of NAME in environ, or null. Not getenv: a program may define
// its own (bash does, for its variables, and ignores environ until main).
const char* EnvironmentValue(const char* name);
// Removes NAME from environ, in place (not unsetenv, for the same reason).
void RemoveFromEnvironment(const char* name);

}  // namespace dmtcp::rt
