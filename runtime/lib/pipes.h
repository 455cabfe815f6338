// Pipe and FIFO buffers across checkpoint and restart.
#pragma once

namespace dmtcp::rt {

void RegisterPipesPlugin();

}  // namespace dmtcp::rt
