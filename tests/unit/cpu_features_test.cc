#include "cpu_features.h"

#include <gtest/gtest.h>

#include <string>

using namespace dmtcp::image;

namespace {

std::string Missing(const char* before, const char* now, int* count = nullptr) {
  char out[256];
  const int n = MissingCpuFlags(before, now, out, sizeof out);
  if (count) *count = n;
  return out;
}

}  // namespace

// The first processor's model and flags; the second processor's lines are not read.
TEST(CpuFeatures, ParsesTheFirstProcessorOfCpuinfo) {
  const std::string text =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold\n"
      "flags\t\t: fpu sse2 avx2 avx512f\n\nprocessor\t: 1\nmodel name\t: Other\n"
      "flags\t\t: fpu\n";
  char model[64], flags[64];
  ASSERT_TRUE(ParseCpuinfo(text.data(), text.size(), model, sizeof model, flags, sizeof flags));
  EXPECT_STREQ(model, "Intel(R) Xeon(R) Gold");
  EXPECT_STREQ(flags, "fpu sse2 avx2 avx512f");
  // ARM: "Features", and no model name.
  const std::string arm = "processor\t: 0\nFeatures\t: fp asimd sve\nCPU part\t: 0xd0c\n";
  ASSERT_TRUE(ParseCpuinfo(arm.data(), arm.size(), model, sizeof model, flags, sizeof flags));
  EXPECT_STREQ(flags, "fp asimd sve");
  EXPECT_STREQ(model, "0xd0c");
  // Cut to the buffer, never past it.
  char small[8];
  ASSERT_TRUE(ParseCpuinfo(text.data(), text.size(), model, sizeof model, small, sizeof small));
  EXPECT_STREQ(small, "fpu sse");
  EXPECT_FALSE(ParseCpuinfo("processor : 0\n", 14, model, sizeof model, flags, sizeof flags));
}

// Only instructions count on x86: a hypervisor's or the kernel's notes may differ.
TEST(CpuFeatures, MissingInstructionFlagsAreNamed) {
  int n = 0;
  EXPECT_EQ(Missing("fpu sse2 avx2 avx512f avx512bw hypervisor ibrs", "fpu sse2 avx2 ibpb", &n),
            "avx512f avx512bw");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(Missing("fpu sse2 avx2 hypervisor constant_tsc", "fpu sse2 avx2", &n), "");
  EXPECT_EQ(n, 0);
  // A word is matched whole: avx512f is not found in avx512fp16.
  EXPECT_EQ(Missing("fpu sse2 avx512f", "fpu sse2 avx512_fp16"), "avx512f");
  // ARM: every feature counts.
  EXPECT_EQ(Missing("fp asimd sve sve2", "fp asimd sve"), "sve2");
  // More than the buffer holds: counted all the same.
  char out[8];
  EXPECT_EQ(MissingCpuFlags("fpu avx512f avx512bw avx512dq", "fpu", out, sizeof out), 3);
  EXPECT_STREQ(out, "avx512f");
}
