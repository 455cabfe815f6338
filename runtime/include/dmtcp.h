/* dmtcp.h: the program and plugin interface of the checkpoint runtime,
 * source-compatible with DMTCP 2.x and 3.x.
 *
 * Programs: every call is a weak symbol behind a macro of the same name, so a
 * program built with this header (as PIE or -fPIC) needs no library and runs
 * with or without the runtime: without it, dmtcp_is_enabled() is 0 and the
 * other calls return DMTCP_NOT_PRESENT.
 *
 * Plugins: shared objects given to `dmtcp_launch --with-plugin`. Either style
 * works: a `dmtcp_event_hook` that ends with DMTCP_NEXT_EVENT_HOOK (DMTCP 2),
 * or a DmtcpPluginDescriptor_t declared with DMTCP_DECL_PLUGIN (DMTCP 3).
 * Wrappers call the next definition with NEXT_FNC(name). */
#ifndef DMTCP_DMTCP_H
#define DMTCP_DMTCP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#define DMTCP_DEFINED_GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifndef RTLD_NEXT /* <dlfcn.h> came earlier, without _GNU_SOURCE */
#define RTLD_NEXT ((void *)-1l)
#define RTLD_DEFAULT ((void *)0)
#endif

#ifdef __cplusplus
#define EXTERNC extern "C"
extern "C" {
#else
#define EXTERNC
#endif

#define DMTCP_PACKAGE_VERSION "3.0.0"
#define DMTCP_PLUGIN_API_VERSION "3"
#define LIB_PRIVATE __attribute__((visibility("hidden")))

#ifndef DMTCP_AFTER_CHECKPOINT
#define DMTCP_AFTER_CHECKPOINT 1 /* return value of dmtcp_checkpoint */
#define DMTCP_AFTER_RESTART 2
#endif
#ifndef DMTCP_NOT_PRESENT
#define DMTCP_NOT_PRESENT 3
#endif
#ifndef DMTCP_IS_PRESENT
#define DMTCP_IS_PRESENT 4
#endif

typedef void (*dmtcp_fnptr_t)(void);

/* ---- Program interface -------------------------------------------------- */

int dmtcp_is_enabled(void) __attribute__((weak));
#define dmtcp_is_enabled() (dmtcp_is_enabled ? dmtcp_is_enabled() : 0)

/* Checkpoints the whole computation; returns after the checkpoint
 * (DMTCP_AFTER_CHECKPOINT) or, in a restarted process, DMTCP_AFTER_RESTART;
 * -1 if the checkpoint failed or was abandoned (a process did not stop within
 * the coordinator's --checkpoint-timeout), the previous one staying the newest. */
int dmtcp_checkpoint(void) __attribute__((weak));
#define dmtcp_checkpoint() (dmtcp_checkpoint ? dmtcp_checkpoint() : DMTCP_NOT_PRESENT)

/* Delay checkpoints of this process (recursive); a checkpoint requested
 * meanwhile happens after the matching dmtcp_enable_ckpt(). */
int dmtcp_disable_ckpt(void) __attribute__((weak));
#define dmtcp_disable_ckpt() (dmtcp_disable_ckpt ? dmtcp_disable_ckpt() : DMTCP_NOT_PRESENT)
int dmtcp_enable_ckpt(void) __attribute__((weak));
#define dmtcp_enable_ckpt() (dmtcp_enable_ckpt ? dmtcp_enable_ckpt() : DMTCP_NOT_PRESENT)

int dmtcp_get_coordinator_status(int *numPeers, int *isRunning) __attribute__((weak));
#define dmtcp_get_coordinator_status(p, r) \
  (dmtcp_get_coordinator_status ? dmtcp_get_coordinator_status(p, r) : DMTCP_NOT_PRESENT)
int dmtcp_get_local_status(int *numCheckpoints, int *numRestarts) __attribute__((weak));
#define dmtcp_get_local_status(c, r) \
  (dmtcp_get_local_status ? dmtcp_get_local_status(c, r) : DMTCP_NOT_PRESENT)

const char *dmtcp_get_ckpt_dir(void) __attribute__((weak));
#define dmtcp_get_ckpt_dir() (dmtcp_get_ckpt_dir ? dmtcp_get_ckpt_dir() : "")
int dmtcp_set_ckpt_dir(const char *dir) __attribute__((weak));
#define dmtcp_set_ckpt_dir(d) (dmtcp_set_ckpt_dir ? dmtcp_set_ckpt_dir(d) : DMTCP_NOT_PRESENT)
const char *dmtcp_get_ckpt_filename(void) __attribute__((weak));
#define dmtcp_get_ckpt_filename() (dmtcp_get_ckpt_filename ? dmtcp_get_ckpt_filename() : NULL)
const char *dmtcp_get_uniquepid_str(void) __attribute__((weak));
#define dmtcp_get_uniquepid_str() (dmtcp_get_uniquepid_str ? dmtcp_get_uniquepid_str() : NULL)
/* 0 before the first checkpoint, then the number of the latest one. */
uint32_t dmtcp_get_generation(void) __attribute__((weak));
#define dmtcp_get_generation() (dmtcp_get_generation ? dmtcp_get_generation() : 0)
int dmtcp_install_hooks(dmtcp_fnptr_t preCheckpoint, dmtcp_fnptr_t postCheckpoint,
                        dmtcp_fnptr_t postRestart) __attribute__((weak));
#define dmtcp_install_hooks(a, b, c) \
  (dmtcp_install_hooks ? dmtcp_install_hooks(a, b, c) : DMTCP_NOT_PRESENT)
int checkpoint_is_pending(void) __attribute__((weak));

/* ---- Plugin interface: events ------------------------------------------- */

/* Every event name of DMTCP 2 and DMTCP 3. The first 27 keep DMTCP 3's
 * values. Each plugin handles the names it knows and ignores the rest. */
typedef enum eDmtcpEvent {
  DMTCP_EVENT_INIT,
  DMTCP_EVENT_EXIT,
  DMTCP_EVENT_PRE_EXEC,
  DMTCP_EVENT_POST_EXEC,
  DMTCP_EVENT_ATFORK_PREPARE,
  DMTCP_EVENT_ATFORK_PARENT,
  DMTCP_EVENT_ATFORK_CHILD,
  DMTCP_EVENT_ATFORK_FAILED,
  DMTCP_EVENT_VFORK_PREPARE,
  DMTCP_EVENT_VFORK_PARENT,
  DMTCP_EVENT_VFORK_CHILD,
  DMTCP_EVENT_VFORK_FAILED,
  DMTCP_EVENT_PTHREAD_START,
  DMTCP_EVENT_PTHREAD_EXIT,
  DMTCP_EVENT_PTHREAD_RETURN,
  DMTCP_EVENT_PRESUSPEND,
  DMTCP_EVENT_PRECHECKPOINT,
  DMTCP_EVENT_RESUME,
  DMTCP_EVENT_RESTART,
  DMTCP_EVENT_RUNNING,
  DMTCP_EVENT_THREAD_RESUME,
  DMTCP_EVENT_OPEN_FD,
  DMTCP_EVENT_REOPEN_FD,
  DMTCP_EVENT_CLOSE_FD,
  DMTCP_EVENT_DUP_FD,
  DMTCP_EVENT_VIRTUAL_TO_REAL_PATH,
  DMTCP_EVENT_REAL_TO_VIRTUAL_PATH,
  /* DMTCP 2 names */
  DMTCP_EVENT_WAIT_FOR_SUSPEND_MSG,
  DMTCP_EVENT_THREADS_SUSPEND,
  DMTCP_EVENT_LEADER_ELECTION,
  DMTCP_EVENT_PRE_CKPT_NAME_SERVICE_DATA_REGISTER,
  DMTCP_EVENT_PRE_CKPT_NAME_SERVICE_DATA_QUERY,
  DMTCP_EVENT_DRAIN,
  DMTCP_EVENT_WRITE_CKPT,
  DMTCP_EVENT_REGISTER_NAME_SERVICE_DATA,
  DMTCP_EVENT_SEND_QUERIES,
  DMTCP_EVENT_REFILL,
  DMTCP_EVENT_THREADS_RESUME,
  DMTCP_EVENT_PRE_SUSPEND_USER_THREAD,
  DMTCP_EVENT_RESUME_USER_THREAD,
  DMTCP_EVENT_THREAD_START,
  DMTCP_EVENT_THREAD_CREATED,
  nDmtcpEvents
} DmtcpEvent_t;

typedef union _DmtcpEventData_t {
  struct {
    int fd;
  } serializerInfo;
  struct {
    int isRestart;
  } resumeUserThreadInfo, refillInfo, resumeInfo, nameserviceInfo;
  /* PRE_SUSPEND_USER_THREAD, THREAD_RESUME, RESUME_USER_THREAD (this
   * runtime's addition; isRestart as in resumeUserThreadInfo): the hooks run
   * on the checkpoint thread, once for each of the program's threads, and
   * tid names it (its thread id as the program knows it: the one it had
   * at launch, after a restart too). */
  struct {
    int isRestart;
    pid_t tid;
  } threadInfo;
  struct {
    int serializationFd;
    char *filename;
    size_t maxArgs;
    const char **argv;
    size_t maxEnv;
    const char **envp;
  } preExec;
  struct {
    int serializationFd;
  } postExec;
  struct {
    int fd;
    const char *path;
    int flags;
    mode_t mode;
  } openFd;
  struct {
    int fd;
    const char *path;
    int flags;
  } reopenFd;
  struct {
    int fd;
  } closeFd;
  struct {
    int oldFd;
    int newFd;
  } dupFd;
  struct {
    char *path;
  } realToVirtualPath, virtualToRealPath;
  struct {
    const char *barrierId;
  } barrierInfo;
} DmtcpEventData_t;

/* DMTCP 2 style: the first plugin's hook is called; each passes the event on. */
EXTERNC void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) __attribute__((weak));

/* DMTCP 3 style. Pre-checkpoint events reach plugins in load order, resume
 * and restart events in reverse load order (like pthread_atfork). */
typedef void (*HookFunctionPtr_t)(DmtcpEvent_t, DmtcpEventData_t *);
typedef struct {
  const char *pluginApiVersion; /* DMTCP_PLUGIN_API_VERSION */
  const char *dmtcpVersion;
  const char *pluginName;
  const char *authorName;
  const char *authorEmail;
  const char *description;
  void (*event_hook)(const DmtcpEvent_t event, DmtcpEventData_t *data);
} DmtcpPluginDescriptor_t;

void dmtcp_register_plugin(DmtcpPluginDescriptor_t descr) __attribute__((weak));
/* Internal: defined by DMTCP_DECL_PLUGIN in each plugin. */
EXTERNC void dmtcp_initialize_plugin(void) __attribute__((weak));
void dmtcp_initialize(void) __attribute__((weak));
void *dmtcp_dlsym(void *handle, const char *symbol) __attribute__((weak));
void *dmtcp_get_libc_dlsym_addr(void) __attribute__((weak));

/* The next definition of func after the calling library (the next plugin's
 * wrapper, finally libc's). */
#define NEXT_FNC(func)                                                 \
  ({                                                                   \
    static __typeof__(&func) _real_##func = (__typeof__(&func))-1;     \
    if (_real_##func == (__typeof__(&func))-1) {                       \
      if (dmtcp_initialize) dmtcp_initialize();                        \
      _real_##func = (__typeof__(&func))dmtcp_dlsym(RTLD_NEXT, #func); \
    }                                                                  \
    _real_##func;                                                      \
  })
#define NEXT_FNC_DEFAULT(func) NEXT_FNC(func)

#define DMTCP_DECL_PLUGIN(descr)                          \
  EXTERNC void dmtcp_initialize_plugin(void) {            \
    dmtcp_register_plugin(descr);                         \
    void (*fn)(void) = NEXT_FNC(dmtcp_initialize_plugin); \
    if (fn != NULL) (*fn)();                              \
  }

#define DMTCP_NEXT_EVENT_HOOK(event, data)                                       \
  do {                                                                           \
    static __typeof__(&dmtcp_event_hook) fn = (__typeof__(&dmtcp_event_hook))-1; \
    if ((void *)fn == (void *)-1) fn = NEXT_FNC(dmtcp_event_hook);               \
    if (fn != NULL) (*fn)(event, data);                                          \
  } while (0)

/* ---- Plugin interface: coordinator services ---------------------------- */

/* Publishes key -> value under the database `id` (first 8 bytes count).
 * Returns 1. The _sync form returns once the coordinator stored it. */
EXTERNC int dmtcp_send_key_val_pair_to_coordinator(const char *id, const void *key,
                                                   uint32_t key_len, const void *val,
                                                   uint32_t val_len) __attribute__((weak));
EXTERNC int dmtcp_send_key_val_pair_to_coordinator_sync(const char *id, const void *key,
                                                        uint32_t key_len, const void *val,
                                                        uint32_t val_len) __attribute__((weak));
/* Looks key up. *val_len: size of val in, length of the value out. Returns
 * the value's length, 0 if the key is not found (val untouched). */
EXTERNC int dmtcp_send_query_to_coordinator(const char *id, const void *key, uint32_t key_len,
                                            void *val, uint32_t *val_len) __attribute__((weak));

/* Every process of the computation waits here until all have arrived.
 * From event hooks (the checkpoint thread): a barrier of that checkpoint or
 * restart; put one between publishing and querying key-value pairs. From
 * a program's thread: the n-th call with a name in each process meets the
 * n-th in every other (every process must make it); checkpoints, restarts
 * and a coordinator started again may come while it waits. */
void dmtcp_global_barrier(const char *barrier) __attribute__((weak));
void dmtcp_local_barrier(const char *barrier) __attribute__((weak));

EXTERNC int dmtcp_plugin_disable_ckpt(void) __attribute__((weak));
EXTERNC void dmtcp_plugin_enable_ckpt(void) __attribute__((weak));
#define DMTCP_PLUGIN_DISABLE_CKPT() int __dmtcp_plugin_ckpt_disabled = dmtcp_plugin_disable_ckpt()
#define DMTCP_PLUGIN_ENABLE_CKPT() \
  if (__dmtcp_plugin_ckpt_disabled) dmtcp_plugin_enable_ckpt()

const char *dmtcp_get_tmpdir(void) __attribute__((weak));
const char *dmtcp_get_computation_id_str(void) __attribute__((weak));
int dmtcp_get_ckpt_signal(void) __attribute__((weak));
int dmtcp_is_running_state(void) __attribute__((weak));
int dmtcp_no_coordinator(void) __attribute__((weak));
const char *dmtcp_get_executable_path(void) __attribute__((weak));
int dmtcp_is_protected_fd(int fd) __attribute__((weak));
/* Processes keep their pids across restarts (virtual pids); these give the
 * kernel's pid for one the program sees, and back. */
pid_t dmtcp_virtual_to_real_pid(pid_t virtual_pid) __attribute__((weak));
pid_t dmtcp_real_to_virtual_pid(pid_t real_pid) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#ifdef DMTCP_DEFINED_GNU_SOURCE
#undef DMTCP_DEFINED_GNU_SOURCE
#endif

#endif /* DMTCP_DMTCP_H */
