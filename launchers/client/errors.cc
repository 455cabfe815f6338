#include "errors.h"

#include <cstdio>
#include <cstdlib>

namespace dmtcp::client {

int FailRc() {
  const char* s = getenv("DMTCP_FAIL_RC");
  if (!s || !*s) return 99;
  char* end = nullptr;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || v < 1 || v > 255) return 99;
  return static_cast<int>(v);
}

void Fail(const std::string& command, const std::string& message) {
  fprintf(stderr, "%s: %s\n", command.c_str(), message.c_str());
  fflush(stderr);
  exit(FailRc());
}

}  // namespace dmtcp::client
