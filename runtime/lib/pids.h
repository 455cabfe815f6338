// Virtual pids: a process keeps the pid it had when it started, across any
// number of restarts, and so do the pids it knows of its parent, children
// and the other processes of the computation. dmtcp_restart hands every
// restored process a shared table of virtual -> real pids.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "restart_info.h"

namespace dmtcp::rt {

void InitPids();           // at launch: our virtual pid is our pid
bool MapPidTable(int fd);  // at restart: the table dmtcp_restart made
pid_t RealPid(pid_t vpid);
pid_t VirtualPid(pid_t real);
pid_t MyVirtualPid();
// Thread ids: a thread keeps the id it first had; the main thread's is the
// virtual pid. RecordThreadId notes a recreated thread's new real id.
pid_t MyVirtualTid();
void RecordThreadId(pid_t vtid, pid_t real);
void ClearThreadIds();
void ThreadIdsAfterFork();
// The address range of the mapped table (not part of images).
void PidTableRange(uint64_t* start, uint64_t* end);

}  // namespace dmtcp::rt
