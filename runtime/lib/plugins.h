// The plugin manager: loads and checks the plugins named in DMTCP_PLUGIN,
// registers them with the built-in subsystems, and delivers events to all
// of them in DMTCP's order.
#pragma once

#include "dmtcp.h"

namespace dmtcp::rt {

// Checks and registers every plugin; exits with DMTCP_FAIL_RC, before the
// program starts, if one is unusable.
void LoadPlugins();
// Built-in subsystems register through the same descriptor as plugins.
void RegisterBuiltin(const DmtcpPluginDescriptor_t& descr);
void PluginEvent(DmtcpEvent_t event, DmtcpEventData_t* data = nullptr);
bool HaveUserPlugins();

}  // namespace dmtcp::rt
