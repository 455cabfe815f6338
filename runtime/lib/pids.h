// Virtual pids: a process keeps the pid it had when it started, across any
// number of restarts, and so do the pids it knows of its parent, children
// and the other processes of the computation. dmtcp_restart hands every
// restored process a shared table of virtual -> real pids.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "restart_info.h"

namespace dmtcp::rt {

// At launch (and after fork, and after exec): our virtual pid is our pid,
// unless the pid table (kept across exec) says otherwise.
void InitPids();
// At restart: the table dmtcp_restart made. Its descriptor stays open
// (close-on-exec) so that an exec can hand it on (PidTableFd).
bool MapPidTable(int fd);
int PidTableFd();  // -1 if none
// An exec or spawn hands the table's descriptor on (environment entry in
// entry); TakeBackPidTable when it returned. Threads that spawn at once
// are counted: the descriptor stays inheritable until the last is done
// (one thread closing it on exec left another's child without a table,
// and that child saw its parent's kernel pid for its virtual ppid).
void HandOnPidTable(char* entry, size_t cap);
void TakeBackPidTable();
// The program took the table's number (dup2): it is now on fd.
void PidTableFdMoved(int fd);
pid_t RealPid(pid_t vpid);
pid_t VirtualPid(pid_t real);
// A session or process group id: its old leader's pid if that one had ended.
pid_t VirtualGroupId(pid_t real);
pid_t MyVirtualPid();
// A child of vfork (or posix_spawn) before its exec: it runs in its
// parent's memory, so the parent's state must not be touched.
bool InVforkChild();
// Thread ids: a thread keeps the id it first had; the main thread's is the
// virtual pid. RecordThreadId notes a recreated thread's new real id.
pid_t MyVirtualTid();
void RecordThreadId(pid_t vtid, pid_t real);
pid_t RealTid(pid_t vtid);  // a thread of this process
pid_t VirtualTid(pid_t real);
// A /proc/<pid>/... path with the pid as the kernel knows it now, or as the
// program knows it (virtual); path itself when nothing changes, else buf.
const char* KernelProcPath(const char* path, char* buf, size_t cap);
const char* VirtualProcPath(const char* path, char* buf, size_t cap);
void ClearThreadIds();
void ThreadIdsAfterFork();
// The address range of the mapped table (not part of images).
void PidTableRange(uint64_t* start, uint64_t* end);

}  // namespace dmtcp::rt
