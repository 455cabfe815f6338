/* libdmtcpaware: the dmtcpaware.h interface. Each call looks for the
 * runtime's function when it is made, so the same binary works with and
 * without dmtcp_launch. */
#define _GNU_SOURCE
#include "dmtcp/dmtcpaware.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

static void *Runtime(const char *name) { return dlsym(RTLD_DEFAULT, name); }

int dmtcpIsEnabled(void) {
  int (*fn)(void) = (int (*)(void))Runtime("dmtcp_is_enabled");
  return fn ? fn() : 0;
}

int dmtcpCheckpoint(void) {
  int (*fn)(void) = (int (*)(void))Runtime("dmtcp_checkpoint");
  return fn ? fn() : DMTCP_NOT_PRESENT;
}

int dmtcpRunCommand(char command) {
  int (*fn)(char, int) = (int (*)(char, int))Runtime("dmtcp_run_coordinator_command");
  return fn ? fn(command, 0) : 0;
}

int dmtcpDelayCheckpointsLock(void) {
  int (*fn)(void) = (int (*)(void))Runtime("dmtcp_disable_ckpt");
  return fn ? fn() : DMTCP_NOT_PRESENT;
}

int dmtcpDelayCheckpointsUnlock(void) {
  int (*fn)(void) = (int (*)(void))Runtime("dmtcp_enable_ckpt");
  return fn ? fn() : DMTCP_NOT_PRESENT;
}

int dmtcpInstallHooks(DmtcpFunctionPointer pre, DmtcpFunctionPointer post,
                      DmtcpFunctionPointer restart) {
  int (*fn)(DmtcpFunctionPointer, DmtcpFunctionPointer, DmtcpFunctionPointer) =
      (int (*)(DmtcpFunctionPointer, DmtcpFunctionPointer, DmtcpFunctionPointer))Runtime(
          "dmtcp_install_hooks");
  return fn ? (fn(pre, post, restart), 1) : DMTCP_NOT_PRESENT;
}

static __thread DmtcpCoordinatorStatus coordinator_status;
static __thread DmtcpLocalStatus local_status;

const DmtcpCoordinatorStatus *dmtcpGetCoordinatorStatus(void) {
  int (*fn)(int *, int *) = (int (*)(int *, int *))Runtime("dmtcp_get_coordinator_status");
  if (!fn || fn(&coordinator_status.numProcesses, &coordinator_status.isRunning) < 0) return NULL;
  return &coordinator_status;
}

const DmtcpLocalStatus *dmtcpGetLocalStatus(void) {
  int (*fn)(int *, int *) = (int (*)(int *, int *))Runtime("dmtcp_get_local_status");
  const char *(*file)(void) = (const char *(*)(void))Runtime("dmtcp_get_ckpt_filename");
  const char *(*id)(void) = (const char *(*)(void))Runtime("dmtcp_get_uniquepid_str");
  if (!fn || !file || !id || fn(&local_status.numCheckpoints, &local_status.numRestarts) < 0)
    return NULL;
  local_status.checkpointFilename = file();
  local_status.uniquePidStr = id();
  return &local_status;
}
