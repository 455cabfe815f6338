// A DMTCP 3 style plugin that declares an unknown plugin API version ("99"): the runtime must
// refuse it before the program starts.
#include "dmtcp.h"

static void bad_api_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  (void)event;
  (void)data;
}

static DmtcpPluginDescriptor_t bad_api_plugin = {
    "99", DMTCP_PACKAGE_VERSION,    "bad_api",   "dmtcp-ng tests",
    "",   "Declares plugin API 99", bad_api_hook};

DMTCP_DECL_PLUGIN(bad_api_plugin);
