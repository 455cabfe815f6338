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

// How many entries CurrentEnvironment may add to envp.
constexpr size_t kEnvironmentExtra = 6;
// envp for a new program, in out (room for the entries of envp plus
// kEnvironmentExtra plus the terminator): the coordinator entries replaced
// by the current ones (added where missing), stale hand-on entries
// dropped, and extra[0..1] (each may be null) added. Returns out.
char** CurrentEnvironment(char* const* envp, char** out, const char* const extra[2]);

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
