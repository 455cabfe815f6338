// libFuzzer target: ImageReader::Load on arbitrary bytes, then every data
// record decoded. Bad input must be refused with an error; nothing may
// crash, hang or allocate as much as a length field asks.
//
// Every header and payload carries a CRC32 that random mutations almost
// never keep right, so each input is also tried "resealed": with its
// checksums recomputed, which lets the fuzzer reach the checks behind them.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "image_format.h"
#include "image_reader.h"

namespace {

using namespace dmtcp::image;

[[noreturn]] void Fatal(const char* what, const std::string& detail) {
  fprintf(stderr, "fuzz_image_reader: %s: %s\n", what, detail.c_str());
  abort();
}

// One memory file for every input: Load wants a path, and /proc/self/fd/N
// names it without touching a disk.
int ImageFd() {
  static int fd = memfd_create("fuzz-image", MFD_CLOEXEC);
  if (fd < 0) Fatal("memfd_create", strerror(errno));
  return fd;
}

void Store(const uint8_t* data, size_t size) {
  const int fd = ImageFd();
  if (ftruncate(fd, 0) != 0) Fatal("ftruncate", strerror(errno));
  size_t done = 0;
  while (done < size) {
    ssize_t w = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (w <= 0) Fatal("pwrite", strerror(errno));
    done += static_cast<size_t>(w);
  }
}

// Recomputes the file header's and every record's checksums, walking the
// records the way the reader does. Returns false if nothing changed.
bool Reseal(std::vector<uint8_t>& img) {
  const std::vector<uint8_t> before = img;
  if (img.size() >= sizeof(FileHeader)) {
    FileHeader fh;
    memcpy(&fh, img.data(), sizeof fh);
    SealHeader(&fh);
    memcpy(img.data(), &fh, sizeof fh);
  }
  uint64_t off = kPageSize;
  while (off <= img.size() && img.size() - off >= sizeof(RecordHeader)) {
    RecordHeader h;
    memcpy(&h, img.data() + off, sizeof h);
    const uint64_t payload_off = PayloadOffset(h, off + sizeof h);
    if (payload_off > img.size() || h.length > img.size() - payload_off) break;
    h.payload_crc = Crc32(0, img.data() + payload_off, h.length);
    SealRecordHeader(&h);
    memcpy(img.data() + off, &h, sizeof h);
    if (h.type == static_cast<uint32_t>(RecordType::kEnd)) break;
    off = payload_off + h.length;
  }
  return img != before;
}

void LoadAndDecode(const uint8_t* data, size_t size) {
  Store(data, size);
  ImageReader r;
  const bool loaded = r.Load("/proc/self/fd/" + std::to_string(ImageFd()));
  // DMTCP_FUZZ_LOG=1 says what Load made of each input, to follow a regression.
  static const bool log = getenv("DMTCP_FUZZ_LOG") != nullptr;
  if (log)
    fprintf(stderr, "fuzz_image_reader: %zu bytes: %s\n", size,
            loaded ? ("loaded, " + std::to_string(r.areas().size()) + " areas").c_str()
                   : r.error().c_str());
  if (!loaded) {
    if (r.error().empty()) Fatal("Load failed without an error", "");
    return;
  }
  // What the restart relies on once Load has accepted an image.
  uint64_t data_bytes = 0;
  for (const Area& a : r.areas()) {
    if (a.info.end <= a.info.start) Fatal("empty area accepted", a.name);
    for (const DataRef& d : a.data) {
      if (d.addr < a.info.start || d.addr >= a.info.end || d.raw_len > a.info.end - d.addr)
        Fatal("data record outside its area accepted", a.name);
      if (d.file_offset > size || d.stored_len > size - d.file_offset)
        Fatal("data record past the end of the file accepted", a.name);
      data_bytes += d.raw_len;
      // Load bounds raw_len; skip anything absurd rather than allocate it.
      if (d.raw_len == 0 || d.raw_len > kMaxBlock) continue;
      // Exactly raw_len bytes, so that ASan sees any write past them.
      std::vector<uint8_t> out(d.raw_len);
      if (!r.ReadData(d, out.data()) && r.error().empty())
        Fatal("ReadData failed without an error", a.name);
    }
  }
  if (data_bytes != r.data_bytes()) Fatal("data byte count", std::to_string(data_bytes));
  for (const CpuInfo& c : r.cpus())
    if (c.os_index < 0 || c.os_index >= kMaxCpus) Fatal("processor out of range accepted", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LoadAndDecode(data, size);
  std::vector<uint8_t> sealed(data, data + size);
  if (Reseal(sealed)) LoadAndDecode(sealed.data(), sealed.size());
  return 0;
}
