// The coordinator's log: one timestamped line per event, to stderr or to
// --coord-logfile.
#pragma once

namespace dmtcp::coord {

// Where log lines go (default 2). quiet drops informational lines.
void SetLogFd(int fd);
void SetLogQuiet(bool quiet);
int LogFd();

void LogInfo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogError(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace dmtcp::coord
