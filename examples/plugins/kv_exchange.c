// kv_exchange.c: processes find each other's pid through the coordinator's key-value store.
//
// Build:  cc -shared -fPIC -I<prefix>/include -o kv_exchange.so kv_exchange.c
// Use (two processes of one computation):
//   KV_KEY=alpha KV_PEER=beta  DMTCP_EVENT_LOG=/tmp/a.log dmtcp_launch --with-plugin ... prog &
//   KV_KEY=beta  KV_PEER=alpha DMTCP_EVENT_LOG=/tmp/b.log dmtcp_launch --with-plugin ... prog &
//
// Some facts about a process change when it is restarted: its network addresses, the devices it
// talks to, its pid as the kernel knows it. (The program itself may go on seeing its original
// pid from getpid(): the runtime keeps the pids the program knows. A tool outside the
// computation, though, needs the kernel's.) Processes that depend on such facts about each other
// must exchange them again after every restart, and the key-value store is there for that. At
// RESUME (after a checkpoint) and at RESTART each process
//   1. publishes its kernel pid (dmtcp_virtual_to_real_pid(getpid()), new in every restarted
//      process: getpid() itself stays the same across restarts) under its
//      own key $KV_KEY,
//   2. waits at a global barrier until every process of the computation has published,
//   3. looks up $KV_PEER (and $KV_MISSING, a key nobody publishes, if set),
// and appends to $DMTCP_EVENT_LOG (<pid>: getpid(), the pid the program sees):
//
//   <pid> <resume|restart> published <key> = <kernel pid>
//   <pid> <resume|restart> peer <key> is pid <kernel pid>
//   <pid> <resume|restart> peer <key> not found
//
// Every process of the computation must load this plugin: the barrier waits for all of them.
// The hooks run on the checkpoint thread, so they log with snprintf/open/write, never stdio.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "dmtcp.h"

// The database name; only its first 8 bytes count.
#define KV_DB "kv_exch"

static void log_line(const char *line, int len) {
  const char *path = getenv("DMTCP_EVENT_LOG");
  if (path == NULL || *path == '\0' || len <= 0) return;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t n = write(fd, line, (size_t)len);
  (void)n;
  close(fd);
}

// Looks up KEY and logs what it found.
static void lookup(const char *phase, const char *key) {
  char line[200];
  int len;
  pid_t peer = -1;
  uint32_t peer_len = sizeof peer;
  int found = dmtcp_send_query_to_coordinator(KV_DB, key, (uint32_t)strlen(key), &peer, &peer_len);
  if (found == 0) {
    len = snprintf(line, sizeof line, "%d %s peer %s not found\n", (int)getpid(), phase, key);
  } else if (found != (int)sizeof peer || peer_len != sizeof peer) {
    len = snprintf(line, sizeof line, "%d %s peer %s has a bad value (%d bytes)\n", (int)getpid(),
                   phase, key, found);
  } else {
    len = snprintf(line, sizeof line, "%d %s peer %s is pid %d\n", (int)getpid(), phase, key,
                   (int)peer);
  }
  log_line(line, len);
}

static void exchange(const char *phase) {
  const char *key = getenv("KV_KEY");
  const char *peer = getenv("KV_PEER");
  const char *missing = getenv("KV_MISSING");
  int saved_errno = errno;
  if (key != NULL && *key != '\0') {
    pid_t kernel_pid = dmtcp_virtual_to_real_pid(getpid());  // after a restart, the new one
    dmtcp_send_key_val_pair_to_coordinator(KV_DB, key, (uint32_t)strlen(key), &kernel_pid,
                                           sizeof kernel_pid);
    char line[200];
    int len = snprintf(line, sizeof line, "%d %s published %s = %d\n", (int)getpid(), phase, key,
                       (int)kernel_pid);
    log_line(line, len);
  }
  // Every process takes part in the barrier, even one with nothing to publish.
  dmtcp_global_barrier("kv_exchange:published");
  if (peer != NULL && *peer != '\0') lookup(phase, peer);
  if (missing != NULL && *missing != '\0') lookup(phase, missing);
  errno = saved_errno;
}

static void kv_exchange_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  (void)data;
  if (event == DMTCP_EVENT_RESUME) exchange("resume");
  if (event == DMTCP_EVENT_RESTART) exchange("restart");
}

static DmtcpPluginDescriptor_t kv_exchange_plugin = {
    DMTCP_PLUGIN_API_VERSION,
    DMTCP_PACKAGE_VERSION,
    "kv_exchange",
    "dmtcp-ng examples",
    "",
    "Publishes this process's kernel pid and looks up its peer's at restart",
    kv_exchange_hook};

DMTCP_DECL_PLUGIN(kv_exchange_plugin);
