// Which processors each thread may run on: saved at checkpoint with the
// node's processors in hwloc's logical terms, and at restart bound again,
// remapped by dmtcp_restart onto the corresponding processors of the new
// node (RestartInfo::cpu_map). No allocation: sysfs is read with raw calls.
#pragma once

#include "image_writer.h"
#include "runtime.h"

namespace dmtcp::rt {

// The calling thread's affinity into rec (at checkpoint).
void SaveThreadAffinity(ThreadRec* rec);
// Binds the calling thread as rec was, through the restart's CPU map.
void RestoreThreadAffinity(const ThreadRec* rec);

// Reads the processors this process may use (online, in its cgroup's
// cpuset), numbered as hwloc numbers them. Returns how many, or -1.
int ReadNodeCpus(image::CpuInfo* out, int cap);

// The kCpus record, and a kBinding record for every thread bound to fewer
// than all of those processors.
bool WriteCpuRecords(image::ImageWriter& w);

}  // namespace dmtcp::rt
