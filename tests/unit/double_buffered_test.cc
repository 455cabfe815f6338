// DoubleBuffered: what the runtime's environment entries rely on while a
// fork child's checkpoint thread joins and its main thread execs.
#include "double_buffered.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace dmtcp {
namespace {

struct Entry {
  char text[32];
};

void Write(Entry& e, const char* value) { snprintf(e.text, sizeof e.text, "%s", value); }

TEST(DoubleBuffered, PublishesANewValue) {
  static DoubleBuffered<Entry> entry;
  EXPECT_STREQ(entry.Current().text, "");
  entry.Publish([](Entry& e) { Write(e, "DMTCP_COORD_PORT=35501"); });
  EXPECT_STREQ(entry.Current().text, "DMTCP_COORD_PORT=35501");
  Entry* first = &entry.Current();
  entry.Publish([](Entry& e) { Write(e, "DMTCP_COORD_PORT=40073"); });
  EXPECT_STREQ(entry.Current().text, "DMTCP_COORD_PORT=40073");
  EXPECT_NE(&entry.Current(), first) << "a new value is written beside the one in use";
  EXPECT_STREQ(first->text, "DMTCP_COORD_PORT=35501") << "the copy in use was rewritten";
}

TEST(DoubleBuffered, TheSameValueAgainIsNotWritten) {
  static DoubleBuffered<Entry> entry;
  entry.Publish([](Entry& e) { Write(e, "DMTCP_COORD_PORT=35501"); });
  Entry* in_use = &entry.Current();
  entry.Publish([](Entry& e) { Write(e, "DMTCP_COORD_PORT=35501"); });
  EXPECT_EQ(&entry.Current(), in_use);
}

// The failure it prevents, as execve meets it: a reader measures the string
// in use, then copies that many bytes, while a writer publishes the same
// address again and again (every fork child's join). A string rewritten in
// place is seen cut short ("DMTCP_COORD_PORT") or without its end.
TEST(DoubleBuffered, ReadersNeverSeeAStringBeingRewritten) {
  static DoubleBuffered<Entry> entry;
  const char* const kValue = "DMTCP_COORD_PORT=35501";
  entry.Publish([&](Entry& e) { Write(e, kValue); });
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load(std::memory_order_relaxed))
      entry.Publish([&](Entry& e) { Write(e, kValue); });
  });
  long torn = 0;
  std::string seen;
  for (long i = 0; i < 2000000; ++i) {
    const char* s = entry.Current().text;
    const size_t n = strnlen(s, sizeof entry.Current().text);
    char copy[sizeof(Entry::text) + 1];
    memcpy(copy, s, n);
    copy[n] = 0;
    if (strcmp(copy, kValue) != 0 && torn++ == 0) seen = copy;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(torn, 0) << "a reader saw \"" << seen << "\"";
}

}  // namespace
}  // namespace dmtcp
