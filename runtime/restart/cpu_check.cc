#include "cpu_check.h"

#include <fstream>
#include <iterator>

#include "cpu_features.h"

namespace dmtcp::restart {

NodeCpu ReadNodeCpu() {
  std::ifstream f("/proc/cpuinfo");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  NodeCpu cpu;
  std::string model(256, '\0'), flags(image::kMaxCpuFeaturesText, '\0');
  if (image::ParseCpuinfo(text.data(), text.size(), model.data(), model.size(), flags.data(),
                          flags.size())) {
    cpu.model = model.c_str();
    cpu.flags = flags.c_str();
  }
  return cpu;
}

std::string CpuFeaturesRefusal(const image::ImageReader& img, const NodeCpu& node) {
  if (img.cpu_flags().empty() || node.flags.empty()) return "";
  std::string missing(1024, '\0');
  const int n = image::MissingCpuFlags(img.cpu_flags().c_str(), node.flags.c_str(), missing.data(),
                                       missing.size());
  if (n == 0) return "";
  const auto& p = img.process();
  return img.path() + ": " + p.program + " was checkpointed on a processor with " +
         missing.c_str() + ", which this node's processor lacks" +
         " (before: " + (img.cpu_model().empty() ? "unknown" : img.cpu_model()) + " on " +
         p.hostname + "; here: " + (node.model.empty() ? "unknown" : node.model) +
         "); the program may use those instructions and would stop with SIGILL. Restart it on a "
         "node whose processors have them, or pass --ignore-cpu-features to restart anyway";
}

}  // namespace dmtcp::restart
