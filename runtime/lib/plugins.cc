#include "plugins.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <iterator>

#include "environment.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxPlugins = 64;

DmtcpPluginDescriptor_t g_user[kMaxPlugins];
int g_num_user;
DmtcpPluginDescriptor_t g_builtin[16];
int g_num_builtin;
HookFunctionPtr_t g_hook_chain;  // DMTCP 2 style: the first dmtcp_event_hook
bool g_registering;

// DMTCP 3 order: events before the image is written go to plugins in load
// order; resume, restart and teardown events in reverse (like atfork).
bool ReverseOrder(DmtcpEvent_t e) {
  switch (e) {
    case DMTCP_EVENT_EXIT:
    case DMTCP_EVENT_PTHREAD_EXIT:
    case DMTCP_EVENT_PTHREAD_RETURN:
    case DMTCP_EVENT_ATFORK_PARENT:
    case DMTCP_EVENT_ATFORK_CHILD:
    case DMTCP_EVENT_ATFORK_FAILED:
    case DMTCP_EVENT_VFORK_PARENT:
    case DMTCP_EVENT_VFORK_CHILD:
    case DMTCP_EVENT_VFORK_FAILED:
    case DMTCP_EVENT_REAL_TO_VIRTUAL_PATH:
    case DMTCP_EVENT_RESUME:
    case DMTCP_EVENT_RESTART:
    case DMTCP_EVENT_THREAD_RESUME:
    case DMTCP_EVENT_REGISTER_NAME_SERVICE_DATA:
    case DMTCP_EVENT_SEND_QUERIES:
    case DMTCP_EVENT_REFILL:
    case DMTCP_EVENT_THREADS_RESUME:
    case DMTCP_EVENT_RESUME_USER_THREAD:
      return true;
    default:
      return false;
  }
}

// The library that defines `sym`, if it is the one loaded from `path`.
bool DefinedIn(void* handle, const char* sym, const char* path) {
  void* p = dlsym(handle, sym);
  Dl_info info;
  if (!p || !dladdr(p, &info) || !info.dli_fname) return false;
  char a[4096], b[4096];
  if (!realpath(info.dli_fname, a) || !realpath(path, b)) return false;
  return strcmp(a, b) == 0;
}

[[noreturn]] void BadPlugin(const char* path, const char* why) { Fatal("plugin ", path, why); }

void CheckPlugin(const char* path) {
  if (path[0] != '/') BadPlugin(path, ": not an absolute path");
  struct stat st;
  if (stat(path, &st) != 0) BadPlugin(path, ": no such file");
  void* h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (!h) h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char* err = dlerror();
    Fatal("plugin ", path, err ? (strstr(err, ": ") ? strstr(err, ": ") : err) : ": cannot load");
  }
  if (!DefinedIn(h, "dmtcp_initialize_plugin", path) && !DefinedIn(h, "dmtcp_event_hook", path))
    BadPlugin(path,
              ": defines neither a dmtcp_event_hook nor a plugin descriptor "
              "(DMTCP_DECL_PLUGIN)");
}

}  // namespace

void LoadPlugins() {
  const char* list = EnvironmentValue("DMTCP_PLUGIN");
  if (list && *list) {
    char path[4096];
    for (const char* p = list; *p;) {
      const char* end = strchr(p, ':');
      size_t n = end ? static_cast<size_t>(end - p) : strlen(p);
      if (n > 0 && n < sizeof path) {
        memcpy(path, p, n);
        path[n] = 0;
        CheckPlugin(path);
      }
      p += n;
      if (*p == ':') ++p;
    }
  }
  // DMTCP 3 plugins register themselves through the dmtcp_initialize_plugin
  // chain, which ends at ours.
  g_registering = true;
  auto init = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "dmtcp_initialize_plugin"));
  if (init) init();
  g_registering = false;
  g_hook_chain = reinterpret_cast<HookFunctionPtr_t>(dlsym(RTLD_DEFAULT, "dmtcp_event_hook"));
}

void RegisterBuiltin(const DmtcpPluginDescriptor_t& descr) {
  // Ours, fixed at build time: a new one past the table is a build error at
  // its first run, never a plugin silently left out.
  if (g_num_builtin >= static_cast<int>(std::size(g_builtin)))
    Fatal("internal: more built-in plugins than the runtime's table holds");
  g_builtin[g_num_builtin++] = descr;
}

bool HaveUserPlugins() { return g_num_user > 0 || g_hook_chain; }

void PluginEvent(DmtcpEvent_t event, DmtcpEventData_t* data) {
  DmtcpEventData_t empty;
  if (!data) {
    memset(&empty, 0, sizeof empty);
    data = &empty;
  }
  if (!ReverseOrder(event)) {
    for (int i = 0; i < g_num_user; ++i)
      if (g_user[i].event_hook) g_user[i].event_hook(event, data);
    if (g_hook_chain) g_hook_chain(event, data);
    for (int i = 0; i < g_num_builtin; ++i)
      if (g_builtin[i].event_hook) g_builtin[i].event_hook(event, data);
  } else {
    for (int i = g_num_builtin - 1; i >= 0; --i)
      if (g_builtin[i].event_hook) g_builtin[i].event_hook(event, data);
    if (g_hook_chain) g_hook_chain(event, data);
    for (int i = g_num_user - 1; i >= 0; --i)
      if (g_user[i].event_hook) g_user[i].event_hook(event, data);
  }
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

extern "C" void dmtcp_register_plugin(DmtcpPluginDescriptor_t descr) {
  const char* name = descr.pluginName ? descr.pluginName : "(unnamed)";
  // Name the file too: that is what the user gave --with-plugin.
  Dl_info info;
  const char* file =
      descr.event_hook && dladdr(reinterpret_cast<void*>(descr.event_hook), &info) && info.dli_fname
          ? info.dli_fname
          : name;
  if (!descr.pluginApiVersion || strcmp(descr.pluginApiVersion, DMTCP_PLUGIN_API_VERSION) != 0) {
    char msg[256] = " (";
    StrCat(msg, sizeof msg, name);
    StrCat(msg, sizeof msg, "): plugin API version '");
    StrCat(msg, sizeof msg, descr.pluginApiVersion ? descr.pluginApiVersion : "(none)");
    StrCat(msg, sizeof msg,
           "' is not supported (this runtime implements " DMTCP_PLUGIN_API_VERSION ")");
    Fatal("plugin ", file, msg);
  }
  if (g_num_user >= kMaxPlugins) Fatal("too many plugins; the limit is 64");
  g_user[g_num_user++] = descr;
}

// End of the DMTCP_DECL_PLUGIN chain.
extern "C" void dmtcp_initialize_plugin(void) {}
extern "C" void dmtcp_initialize(void) {}
extern "C" void* dmtcp_get_libc_dlsym_addr(void) { return reinterpret_cast<void*>(&dlsym); }
