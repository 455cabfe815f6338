/* dmtcpaware.h: the original DMTCP program interface. Link with
 * -ldmtcpaware. Under dmtcp_launch the calls reach the runtime; without it
 * dmtcpIsEnabled() is 0, dmtcpCheckpoint() and the lock calls return
 * DMTCP_NOT_PRESENT and the status calls return NULL. */
#ifndef DMTCP_DMTCPAWARE_H
#define DMTCP_DMTCPAWARE_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef DMTCP_AFTER_CHECKPOINT
#define DMTCP_AFTER_CHECKPOINT 1 /* return values of dmtcpCheckpoint */
#define DMTCP_AFTER_RESTART 2
#endif
#ifndef DMTCP_NOT_PRESENT
#define DMTCP_NOT_PRESENT 3
#endif
#define DMTCP_ERROR_DISABLED -128

typedef void (*DmtcpFunctionPointer)(void);

typedef struct _DmtcpCoordinatorStatus {
  int numProcesses; /* processes connected to the coordinator */
  int isRunning;    /* 1 if they all run (no checkpoint in progress) */
} DmtcpCoordinatorStatus;

typedef struct _DmtcpLocalStatus {
  int numCheckpoints;             /* checkpoints of this process, restarts excluded */
  int numRestarts;                /* restarts of this process */
  const char *checkpointFilename; /* this process's image file */
  const char *uniquePidStr;       /* "hosthash-pid-time" */
} DmtcpLocalStatus;

/* 1 when running under the checkpoint runtime, else 0. */
int dmtcpIsEnabled(void);
/* Checkpoints the computation; returns DMTCP_AFTER_CHECKPOINT, or
 * DMTCP_AFTER_RESTART in a restarted process. */
int dmtcpCheckpoint(void);
/* Runs a coordinator command (as typed at its console, e.g. 'c', 'l');
 * returns 1 if it was accepted. */
int dmtcpRunCommand(char command);
/* Recursive: checkpoints of this process wait until the last unlock. */
int dmtcpDelayCheckpointsLock(void);
int dmtcpDelayCheckpointsUnlock(void);
/* Called on the checkpoint thread with the program's threads stopped:
 * preCheckpoint, then postCheckpoint or (in a restarted process)
 * postRestart. NULL disables one. Returns 1. */
int dmtcpInstallHooks(DmtcpFunctionPointer preCheckpoint, DmtcpFunctionPointer postCheckpoint,
                      DmtcpFunctionPointer postRestart);
/* NULL on error; each call invalidates the previous result. */
const DmtcpCoordinatorStatus *dmtcpGetCoordinatorStatus(void);
const DmtcpLocalStatus *dmtcpGetLocalStatus(void);

#ifdef __cplusplus
}
#endif

#endif /* DMTCP_DMTCPAWARE_H */
