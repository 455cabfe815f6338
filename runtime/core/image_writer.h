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

// A block of memory a generation's image holds, and a hash of its bytes: the
// next generation refers to it if the block is the same (incremental
// checkpoints). Kept in address order.
struct SavedBlock {
  uint64_t addr;
  uint64_t len;
  uint64_t hash[2];  // XXH3, 128 bits
  uint32_t gen;      // the generation whose image holds it
  uint32_t peer;     // 0: this process's image; else that generation's peer image
  uint64_t offset;   // of its record header in that image
  RecordHeader header;
};
static_assert(sizeof(SavedBlock) == 88);

// Memory that other processes of the computation saved in this generation,
// in images beside this one (MPI ranks' identical tables): a block found
// there is referred to, not written again. Run by the runtime.
struct PeerBlocks {
  void* ctx;
  // Encoders, in parallel: whether another process published a block with
  // these bytes (a candidate, `token`, that claim confirms).
  bool (*find)(void* ctx, const uint64_t hash[2], uint64_t len, uint64_t* token);
  // The writer, in order: the candidate checked in the file itself, and the
  // peer number (1..kMaxPeerImages) this image names that file by.
  bool (*claim)(void* ctx, uint64_t token, const uint64_t hash[2], uint64_t len, uint32_t* peer,
                uint64_t* offset, RecordHeader* header);
  // A block this image holds (its bytes' hash, its record at `offset`).
  void (*publish)(void* ctx, const uint64_t hash[2], uint64_t offset, const RecordHeader& header);
};

// An image of another process that this one refers to (gen, peer number).
struct PeerUse {
  uint32_t gen;
  uint32_t peer;
};

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
  // is compressed when that makes it smaller, else stored raw. Blocks of
  // `tracked` memory (the program's areas, by address) are listed in the
  // table given to Track, and refer to the previous generation's block
  // instead when their bytes are the same; `unchanged`: the caller knows
  // they are (not written since), so they are not even hashed.
  bool WriteData(uint64_t addr, const void* src, size_t len, bool tracked = false,
                 bool unchanged = false);
  // Incremental checkpoint of generation `gen`: prev (sorted by address) is
  // the last complete generation's table, next (room for next_cap blocks)
  // receives this one's. Without a call, nothing is tracked.
  void Track(const SavedBlock* prev, uint64_t prev_count, SavedBlock* next, uint64_t next_cap,
             uint32_t gen);
  // Tracked blocks are also looked up among, and offered to, the other
  // processes' (nullptr: not). After Track.
  void SharePeers(const PeerBlocks* peers) { peers_ = peers; }
  // After End(): the blocks in next, whether they all fit, and whether this
  // image refers to generation g's.
  uint64_t tracked_count() const { return next_count_; }
  uint64_t tracked_wanted() const { return next_wanted_; }  // the room it would have taken
  bool tracked_complete() const { return !next_overflow_; }
  bool RefersTo(uint32_t g) const;
  // Whether it refers to an image of an earlier generation (its own or a peer's).
  bool RefersToEarlier() const;
  uint64_t referred_bytes() const { return referred_bytes_; }
  uint64_t peer_bytes() const { return peer_bytes_; }  // of those, in peers' images
  const PeerUse* peers_used() const { return peers_used_; }
  uint32_t num_peers_used() const { return num_peers_used_; }
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
  // Incremental: the previous table, the one being made, and which earlier
  // generations (bit i: gen_ - 1 - i) this image refers to.
  const SavedBlock* prev_ = nullptr;
  uint64_t prev_count_ = 0;
  SavedBlock* next_ = nullptr;
  uint64_t next_cap_ = 0;
  uint64_t next_count_ = 0;
  uint64_t next_wanted_ = 0;
  bool next_overflow_ = false;
  uint32_t gen_ = 0;
  uint64_t referred_gens_ = 0;
  uint64_t referred_bytes_ = 0;
  uint64_t peer_bytes_ = 0;
  const PeerBlocks* peers_ = nullptr;
  PeerUse peers_used_[kMaxPeerImages];
  uint32_t num_peers_used_ = 0;
  const SavedBlock* FindPrevious(uint64_t addr, uint64_t len) const;
  void AddBlock(const SavedBlock& b);
  bool UsePeer(uint32_t gen, uint32_t peer);  // false: no room to name another
  void EncodeRaw(Slot& s);
  bool WriteRef(Slot& s, const DataRefInfo& ref);
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
