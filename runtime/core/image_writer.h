// Writes a checkpoint image without allocating: the caller hands in scratch
// memory (mmap'd outside the areas being saved) because this runs inside the
// checkpointed process while its other threads are frozen.
#pragma once

#include <cstddef>
#include <cstdint>

#include "image_format.h"

namespace dmtcp::image {

class ImageWriter {
 public:
  static size_t ScratchSize();

  bool Begin(int fd, bool compress, void* scratch);
  // A metadata record whose payload is a (alen bytes) followed by b.
  bool WriteRecord(RecordType type, const void* a, size_t alen, const void* b = nullptr,
                   size_t blen = 0, const void* c = nullptr, size_t clen = 0);
  // Memory at [addr, addr+len) read from src, split into blocks; each block
  // is compressed when that makes it smaller, else stored raw.
  bool WriteData(uint64_t addr, const void* src, size_t len);
  bool End();

  int error() const { return errno_; }
  uint64_t bytes_written() const { return offset_; }
  uint64_t data_bytes() const { return data_bytes_; }

 private:
  bool Write(const void* p, size_t n);
  bool WriteBlock(uint64_t addr, const uint8_t* src, size_t len);
  bool Compressible(const uint8_t* src, size_t len);

  int fd_ = -1;
  bool compress_ = false;
  int errno_ = 0;
  uint64_t offset_ = 0;
  uint64_t records_ = 0;
  uint64_t data_bytes_ = 0;
  uint8_t* zero_page_ = nullptr;
  uint8_t* out_ = nullptr;
  size_t out_cap_ = 0;
  void* zstream_ = nullptr;
};

}  // namespace dmtcp::image
