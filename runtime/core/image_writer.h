// Writes a checkpoint image without allocating: the caller hands in scratch
// memory (mmap'd outside the areas being saved) because this runs inside the
// checkpointed process while its other threads are frozen.
//
// Memory is cut into blocks that are encoded (copied or compressed, and
// checksummed) independently, so helper threads can encode them in parallel:
// the caller starts `workers` threads that each run WorkerLoop(i) for
// i = 1..workers, and the writer (index 0) encodes too while it waits. Blocks
// are written in the order they were given, so the image is the same for any
// number of workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "image_format.h"

namespace dmtcp::image {

class ImageWriter {
 public:
  static constexpr int kMaxWorkers = 15;

  static size_t ScratchSize(int workers = 0);

  bool Begin(int fd, bool compress, void* scratch, int workers = 0);
  // Runs on helper thread `index` (1..workers) until End() or a failure.
  void WorkerLoop(int index);
  // A metadata record whose payload is a (alen bytes) followed by b and c.
  bool WriteRecord(RecordType type, const void* a, size_t alen, const void* b = nullptr,
                   size_t blen = 0, const void* c = nullptr, size_t clen = 0);
  // Memory at [addr, addr+len) read from src, split into blocks; each block
  // is compressed when that makes it smaller, else stored raw.
  bool WriteData(uint64_t addr, const void* src, size_t len);
  // Writes every block given so far (their memory may change after this).
  bool Drain() { return Flush(0); }
  // Writes what is pending and the end record, then stops the workers.
  bool End();
  // Makes every WorkerLoop return (End does it; call it after a failure).
  // The caller joins its threads before it frees the scratch memory.
  void StopWorkers();

  // Called with the bytes written so far after each write (the caller
  // rate-limits what it does with it).
  void SetProgress(void (*fn)(uint64_t bytes)) { progress_ = fn; }

  int error() const { return errno_; }
  uint64_t bytes_written() const { return offset_; }
  uint64_t data_bytes() const { return data_bytes_; }

 private:
  struct Slot;
  struct Encoder;

  bool Write(const void* p, size_t n);
  void Wrote(size_t n);       // counts n bytes written; starts their writeback now and then
  bool Flush(uint64_t keep);  // writes blocks until at most `keep` are pending
  bool WriteSlot(Slot& s);
  void Encode(Slot& s, Encoder& e);
  bool EncodeOne(Encoder& e);  // encodes one queued block, if there is one

  int fd_ = -1;
  void (*progress_)(uint64_t) = nullptr;
  bool compress_ = false;
  int errno_ = 0;
  int workers_ = 0;
  int num_slots_ = 0;
  uint64_t offset_ = 0;
  uint64_t writeback_from_ = 0;  // where writeback has not been started yet
  uint64_t records_ = 0;
  uint64_t data_bytes_ = 0;
  uint64_t submitted_ = 0;  // blocks given
  uint64_t written_ = 0;    // blocks written
  uint8_t* zero_page_ = nullptr;
  Slot* slots_ = nullptr;
  Encoder* encoders_ = nullptr;
  // Futex words: bumped when a block is queued (workers wait on it), when
  // one is encoded (the writer waits on it), and to stop the workers.
  std::atomic<uint32_t> queued_seq_{0};
  std::atomic<uint32_t> encoded_seq_{0};
  std::atomic<uint32_t> stop_{0};
};

}  // namespace dmtcp::image
