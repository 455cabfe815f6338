// A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once over
// every file in the folders given (saved crashes and the seeds), so the
// ordinary and sanitizer builds keep passing what once failed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(argv[i], ec)) {
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    }
    if (ec) {
      fprintf(stderr, "%s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      const std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        fprintf(stderr, "%s: cannot read\n", f.c_str());
        return 1;
      }
      // Named first, so that a crash says which input it was.
      fprintf(stderr, "running %s (%zu bytes)\n", f.c_str(), data.size());
      LLVMFuzzerTestOneInput(data.data(), data.size());
      ++ran;
    }
  }
  printf("%zu inputs passed\n", ran);
  return ran ? 0 : 1;  // none at all: the folders are wrong
}
