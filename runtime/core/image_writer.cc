#include "image_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "io.h"

// Header-only: the injected library must not depend on a program's copy.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dmtcp::image {

namespace {

constexpr size_t kArenaSize = 1 << 20;  // a level-1 compressor takes about 200 KiB
constexpr size_t kOutCap = kMaxBlock + kMaxBlock / 8 + 4096;
constexpr int kSlotsPerEncoder = 2;
constexpr int kLevel = 1;

struct Arena {
  uint8_t* base;
  size_t used;
};

// Compressors come from the caller's scratch memory, never malloc: the
// allocator is pointed at an arena only while one is made (libdeflate's
// allocator is global), and the compressors are never freed.
Arena* g_arena;
void* ArenaAlloc(size_t size) {
  Arena* a = g_arena;
  size_t n = (size + 63) & ~size_t{63};
  if (!a || a->used + n > kArenaSize) return nullptr;
  void* p = a->base + a->used;
  a->used += n;
  return p;
}
void ArenaFree(void*) {}
libdeflate_compressor* NewCompressor(Arena* arena) {
  g_arena = arena;
  libdeflate_set_memory_allocator(ArenaAlloc, ArenaFree);
  libdeflate_compressor* c = libdeflate_alloc_compressor(kLevel);
  libdeflate_set_memory_allocator(malloc, free);
  g_arena = nullptr;
  return c;
}

// The futex calls without libc: helper threads share the checkpoint
// thread's TLS, so they must not touch errno.
long Futex(std::atomic<uint32_t>* word, int op, uint32_t val) {
  long ret;
  register long r10 __asm__("r10") = 0;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(SYS_futex), "D"(word), "S"(op), "d"(val), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
void Wait(std::atomic<uint32_t>* word, uint32_t seen) { Futex(word, FUTEX_WAIT_PRIVATE, seen); }
void WakeAll(std::atomic<uint32_t>* word) { Futex(word, FUTEX_WAKE_PRIVATE, 0x7fffffff); }

size_t Align64(size_t n) { return (n + 63) & ~size_t{63}; }

}  // namespace

struct ImageWriter::Encoder {
  Arena arena;
  libdeflate_compressor* deflate;
};

enum SlotState : uint32_t { kFree, kQueued, kBusy, kEncoded, kRecord };

struct ImageWriter::Slot {
  std::atomic<uint32_t> state;
  uint64_t addr;
  const uint8_t* src;
  size_t len;
  RecordHeader header;
  uint8_t* in;             // a private copy of the block, compressed from there
  uint8_t* out;            // the compressed block (or a whole record, for kRecord)
  const uint8_t* payload;  // what is written after the header: out or in
  size_t out_len;
  bool tracked;
  bool unchanged;       // not written since prev was saved (the kernel says so)
  bool is_ref;          // a kDataRef to ref_block, in out
  bool peer_candidate;  // another process may hold the same bytes: peer_token
  uint64_t peer_token;
  const SavedBlock* prev;  // the previous generation's block at addr, if any
  SavedBlock ref_block;    // what a kDataRef names
  uint64_t hash[2];        // of the bytes stored (tracked blocks)
};

size_t ImageWriter::ScratchSize(int workers) {
  if (workers < 0) workers = 0;
  if (workers > kMaxWorkers) workers = kMaxWorkers;
  const size_t encoders = static_cast<size_t>(workers) + 1;
  const size_t slots = encoders * kSlotsPerEncoder;
  return Align64(encoders * sizeof(Encoder)) + encoders * kArenaSize + kPageSize +
         Align64(slots * sizeof(Slot)) + slots * (kOutCap + kMaxBlock) + 64;
}

bool ImageWriter::Begin(int fd, bool compress, void* scratch, int workers) {
  if (workers < 0) workers = 0;
  if (workers > kMaxWorkers) workers = kMaxWorkers;
  fd_ = fd;
  compress_ = compress;
  errno_ = 0;
  offset_ = writeback_from_ = records_ = data_bytes_ = submitted_ = written_ = 0;
  prev_ = nullptr;
  next_ = nullptr;
  prev_count_ = next_cap_ = next_count_ = next_wanted_ = referred_gens_ = referred_bytes_ = 0;
  peer_bytes_ = 0;
  peers_ = nullptr;
  num_peers_used_ = 0;
  next_overflow_ = false;
  workers_ = workers;
  num_slots_ = (workers + 1) * kSlotsPerEncoder;
  queued_seq_.store(0);
  encoded_seq_.store(0);
  stop_.store(0);
  // Layout: encoders, their compressor arenas, a zero page, the slots, their buffers.
  auto* p = reinterpret_cast<uint8_t*>(Align64(reinterpret_cast<uintptr_t>(scratch)));
  encoders_ = reinterpret_cast<Encoder*>(p);
  p += Align64((workers + 1) * sizeof(Encoder));
  uint8_t* arenas = p;
  p += (workers + 1) * kArenaSize;
  zero_page_ = p;
  memset(zero_page_, 0, kPageSize);
  p += kPageSize;
  slots_ = reinterpret_cast<Slot*>(p);
  p += Align64(num_slots_ * sizeof(Slot));
  for (int i = 0; i < num_slots_; ++i) {
    auto* s = new (&slots_[i]) Slot{};
    s->state.store(kFree);
    s->out = p;
    p += kOutCap;
    s->in = p;
    p += kMaxBlock;
  }
  for (int i = 0; i <= workers; ++i) {
    auto* e = new (&encoders_[i]) Encoder{};
    e->arena = Arena{arenas + i * kArenaSize, 0};
    if (compress_) {
      e->deflate = NewCompressor(&e->arena);
      if (!e->deflate) {
        errno_ = ENOMEM;
        return false;
      }
    }
  }
  FileHeader h{};
  memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.header_size = sizeof h;
  h.flags = compress_ ? static_cast<uint32_t>(kFileCompressed) : 0u;
  h.page_size = kPageSize;
  SealHeader(&h);
  if (!Write(&h, sizeof h)) return false;
  return Write(zero_page_, kPageSize - sizeof h);
}

bool ImageWriter::Write(const void* p, size_t n) {
  if (!io::WriteAll(fd_, p, n)) {
    errno_ = errno ? errno : EIO;
    return false;
  }
  Wrote(n);
  return true;
}

// Writeback of what is written starts every few MiB, while the next blocks
// are encoded, instead of all of it in the fsync at the end.
void ImageWriter::Wrote(size_t n) {
  constexpr uint64_t kWritebackStep = 16 << 20;
  offset_ += n;
  if (progress_) progress_(offset_);
  if (offset_ - writeback_from_ >= kWritebackStep) {
    sync_file_range(fd_, static_cast<off64_t>(writeback_from_),
                    static_cast<off64_t>(offset_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = offset_;
  }
}

bool ImageWriter::WriteRecord(RecordType type, const void* a, size_t alen, const void* b,
                              size_t blen, const void* c, size_t clen) {
  RecordHeader h{};
  h.type = static_cast<uint32_t>(type);
  h.length = h.raw_len = alen + blen + clen;
  h.payload_crc = Crc32(Crc32(Crc32(0, a, alen), b, blen), c, clen);
  SealRecordHeader(&h);
  ++records_;
  const size_t total = sizeof h + alen + blen + clen;
  if (submitted_ > written_ && total <= kOutCap) {
    // Blocks are pending: the record takes its turn behind them.
    if (!Flush(static_cast<uint64_t>(num_slots_) - 1)) return false;
    Slot& s = slots_[submitted_++ % num_slots_];
    uint8_t* o = s.out;
    memcpy(o, &h, sizeof h);
    memcpy(o + sizeof h, a, alen);
    if (blen) memcpy(o + sizeof h + alen, b, blen);
    if (clen) memcpy(o + sizeof h + alen + blen, c, clen);
    s.out_len = total;
    s.state.store(kRecord, std::memory_order_release);
    return true;
  }
  if (!Flush(0)) return false;
  return Write(&h, sizeof h) && Write(a, alen) && (blen == 0 || Write(b, blen)) &&
         (clen == 0 || Write(c, clen));
}

namespace {
void Hash(const void* p, size_t n, uint64_t out[2]) {
  const XXH128_hash_t h = XXH3_128bits(p, n);
  out[0] = h.low64;
  out[1] = h.high64;
}
}  // namespace

void ImageWriter::Track(const SavedBlock* prev, uint64_t prev_count, SavedBlock* next,
                        uint64_t next_cap, uint32_t gen) {
  prev_ = prev;
  prev_count_ = prev ? prev_count : 0;
  next_ = next;
  next_cap_ = next ? next_cap : 0;
  next_count_ = next_wanted_ = referred_gens_ = referred_bytes_ = peer_bytes_ = 0;
  num_peers_used_ = 0;
  next_overflow_ = false;
  gen_ = gen;
}

bool ImageWriter::RefersTo(uint32_t g) const {
  return g < gen_ && gen_ - g <= 64 && (referred_gens_ >> (gen_ - 1 - g)) & 1;
}

bool ImageWriter::RefersToEarlier() const {
  if (referred_gens_) return true;
  for (uint32_t i = 0; i < num_peers_used_; ++i)
    if (peers_used_[i].gen < gen_) return true;
  return false;
}

bool ImageWriter::UsePeer(uint32_t gen, uint32_t peer) {
  for (uint32_t i = 0; i < num_peers_used_; ++i)
    if (peers_used_[i].gen == gen && peers_used_[i].peer == peer) return true;
  if (num_peers_used_ == kMaxPeerImages) return false;
  peers_used_[num_peers_used_++] = PeerUse{gen, peer};
  return true;
}

const SavedBlock* ImageWriter::FindPrevious(uint64_t addr, uint64_t len) const {
  uint64_t lo = 0, hi = prev_count_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (prev_[mid].addr < addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == prev_count_ || prev_[lo].addr != addr || prev_[lo].len != len) return nullptr;
  // Only the 64 generations before this one can be named (RefersTo, the
  // runtime's pruning): a block last written earlier is written again.
  const uint32_t g = prev_[lo].gen;
  return g < gen_ && gen_ - g <= 64 ? &prev_[lo] : nullptr;
}

void ImageWriter::AddBlock(const SavedBlock& b) {
  ++next_wanted_;
  // Blocks come in address order; one that does not (a caller's mistake)
  // or does not fit makes the table unusable for the next generation.
  if (next_count_ == next_cap_ || (next_count_ && next_[next_count_ - 1].addr >= b.addr)) {
    next_overflow_ = true;
    return;
  }
  next_[next_count_++] = b;
}

// Compressibility is decided cheaply: a sample from the start of the block
// is compressed; a block whose sample does not shrink by an eighth is stored
// raw, so that compressed checkpoints of incompressible memory cost about
// what uncompressed ones do.
namespace {
// The kDataRef record naming b, for the block of s at its own address.
template <typename SlotT>
void MakeRef(SlotT& s, const SavedBlock& b) {
  DataRefInfo ref{};
  ref.gen = b.gen;
  ref.peer = b.peer;
  ref.offset = b.offset;
  ref.header = b.header;
  memcpy(s.out, &ref, sizeof ref);
  RecordHeader& h = s.header;
  h = RecordHeader{};
  h.type = static_cast<uint32_t>(RecordType::kDataRef);
  h.length = h.raw_len = sizeof ref;
  h.aux = s.addr;
  h.payload_crc = Crc32(0, &ref, sizeof ref);
  SealRecordHeader(&h);
  s.payload = s.out;
  s.out_len = sizeof ref;
  s.ref_block = b;
  s.ref_block.addr = s.addr;
  s.is_ref = true;
}
}  // namespace

// Stored raw, from a copy (the writer's fallback when a reference fails).
void ImageWriter::EncodeRaw(Slot& s) {
  memcpy(s.out, s.src, s.len);
  s.payload = s.out;
  s.is_ref = false;
  if (s.tracked) Hash(s.payload, s.len, s.hash);
  RecordHeader& h = s.header;
  h = RecordHeader{};
  h.type = static_cast<uint32_t>(RecordType::kData);
  h.raw_len = s.len;
  h.aux = s.addr;
  h.codec = static_cast<uint32_t>(Codec::kRaw);
  h.length = s.len;
  h.payload_crc = Crc32(0, s.payload, s.len);
  SealRecordHeader(&h);
  s.out_len = s.len;
}

void ImageWriter::Encode(Slot& s, Encoder& e) {
  RecordHeader& h = s.header;
  h = RecordHeader{};
  s.is_ref = false;
  s.peer_candidate = false;
  bool hashed = false;
  if (s.tracked && s.prev) {
    // Hashed where it is: a block that did not change is neither copied nor
    // written, only named. One the kernel says was not written is not read.
    if (s.unchanged) {
      s.hash[0] = s.prev->hash[0];
      s.hash[1] = s.prev->hash[1];
    } else {
      Hash(s.src, s.len, s.hash);
    }
    hashed = true;
    if (s.hash[0] == s.prev->hash[0] && s.hash[1] == s.prev->hash[1]) {
      MakeRef(s, *s.prev);
      return;
    }
  }
  // The copy the image would hold (see below), when made before the lookup:
  // s.hash is then of it, and neither is made twice.
  bool copied = false;
  if (s.tracked && peers_) {
    // Saved by another process already: the writer confirms it in order.
    if (!hashed) {
      uint8_t* copy = compress_ && e.deflate ? s.in : s.out;
      memcpy(copy, s.src, s.len);
      Hash(copy, s.len, s.hash);
      copied = true;
    }
    if (peers_->find(peers_->ctx, s.hash, s.len, &s.peer_token)) {
      s.peer_candidate = true;
      return;
    }
  }
  h = RecordHeader{};
  h.type = static_cast<uint32_t>(RecordType::kData);
  h.raw_len = s.len;
  h.aux = s.addr;
  if (compress_ && e.deflate) {
    // Compressed from a copy: the memory being saved includes the checkpoint
    // thread's own stack and state, which change while it writes, and
    // libdeflate reads its input more than once (a byte that changed between
    // its passes would make an undecodable stream).
    if (!copied) memcpy(s.in, s.src, s.len);
    constexpr size_t kSample = 16 * 1024;
    // Output that does not fit in the room given is not worth it (0).
    bool worth = s.len <= 4 * kSample || libdeflate_zlib_compress(e.deflate, s.in, kSample, s.out,
                                                                  kSample - kSample / 8) != 0;
    if (worth) {
      size_t clen = libdeflate_zlib_compress(e.deflate, s.in, s.len, s.out, s.len - s.len / 16);
      // Incompressible blocks are stored raw: they cost no more than that.
      if (clen != 0) {
        if (s.tracked && !copied) Hash(s.in, s.len, s.hash);  // the bytes the image holds
        h.codec = static_cast<uint32_t>(Codec::kZlib);
        h.length = clen;
        h.payload_crc = Crc32(0, s.out, clen);
        SealRecordHeader(&h);
        s.payload = s.out;
        s.out_len = clen;
        return;
      }
    }
    s.payload = s.in;  // stored raw from the copy
  } else {
    // Raw data is copied first, for the same reason: the checksum must match
    // exactly the bytes written.
    if (!copied) memcpy(s.out, s.src, s.len);
    s.payload = s.out;
  }
  if (s.tracked && !copied) Hash(s.payload, s.len, s.hash);  // the bytes the image holds
  h.codec = static_cast<uint32_t>(Codec::kRaw);
  h.length = s.len;
  h.payload_crc = Crc32(0, s.payload, s.len);
  SealRecordHeader(&h);
  s.out_len = s.len;
}

bool ImageWriter::EncodeOne(Encoder& e) {
  for (int i = 0; i < num_slots_; ++i) {
    Slot& s = slots_[i];
    uint32_t expected = kQueued;
    if (!s.state.compare_exchange_strong(expected, kBusy, std::memory_order_acquire)) continue;
    Encode(s, e);
    s.state.store(kEncoded, std::memory_order_release);
    encoded_seq_.fetch_add(1, std::memory_order_release);
    WakeAll(&encoded_seq_);
    return true;
  }
  return false;
}

void ImageWriter::WorkerLoop(int index) {
  if (index < 1 || index > workers_) return;
  Encoder& e = encoders_[index];
  for (;;) {
    const uint32_t seen = queued_seq_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    if (EncodeOne(e)) continue;
    Wait(&queued_seq_, seen);
  }
}

bool ImageWriter::WriteSlot(Slot& s) {
  const uint64_t at = offset_;
  const bool record = s.state.load(std::memory_order_acquire) == kRecord;
  if (!record && s.peer_candidate) {
    s.peer_candidate = false;
    SavedBlock b{};
    b.len = s.len;
    b.hash[0] = s.hash[0];
    b.hash[1] = s.hash[1];
    b.gen = gen_;
    if (peers_->claim(peers_->ctx, s.peer_token, s.hash, s.len, &b.peer, &b.offset, &b.header) &&
        UsePeer(gen_, b.peer))
      MakeRef(s, b);
    else
      EncodeRaw(s);
  } else if (!record && s.is_ref && s.ref_block.peer != 0 &&
             !UsePeer(s.ref_block.gen, s.ref_block.peer)) {
    EncodeRaw(s);  // no room to name one more image: saved here
  }
  if (record) {
    if (!Write(s.out, s.out_len)) return false;
  } else if (s.is_ref) {
    iovec iov[2] = {{&s.header, sizeof s.header}, {const_cast<uint8_t*>(s.payload), s.out_len}};
    if (!io::WritevAll(fd_, iov, 2)) {
      errno_ = errno ? errno : EIO;
      return false;
    }
    Wrote(sizeof s.header + s.out_len);
    const uint32_t g = s.ref_block.gen;
    if (s.ref_block.peer != 0)
      peer_bytes_ += s.len;
    else if (g < gen_ && gen_ - g <= 64)
      referred_gens_ |= uint64_t{1} << (gen_ - 1 - g);
    referred_bytes_ += s.len;
    AddBlock(s.ref_block);
  } else if (s.header.codec == static_cast<uint32_t>(Codec::kRaw)) {
    // Raw payloads start on a page boundary (a restart could map them).
    const size_t pad = (kPageSize - (offset_ + sizeof s.header) % kPageSize) % kPageSize;
    iovec iov[3] = {{&s.header, sizeof s.header},
                    {zero_page_, pad},
                    {const_cast<uint8_t*>(s.payload), s.out_len}};
    if (!io::WritevAll(fd_, iov, 3)) {
      errno_ = errno ? errno : EIO;
      return false;
    }
    Wrote(sizeof s.header + pad + s.out_len);
  } else {
    iovec iov[2] = {{&s.header, sizeof s.header}, {const_cast<uint8_t*>(s.payload), s.out_len}};
    if (!io::WritevAll(fd_, iov, 2)) {
      errno_ = errno ? errno : EIO;
      return false;
    }
    Wrote(sizeof s.header + s.out_len);
  }
  if (!record && !s.is_ref && s.tracked && next_) {
    SavedBlock b{};
    b.addr = s.addr;
    b.len = s.len;
    b.hash[0] = s.hash[0];
    b.hash[1] = s.hash[1];
    b.gen = gen_;
    b.offset = at;
    b.header = s.header;
    AddBlock(b);
    if (peers_) peers_->publish(peers_->ctx, b.hash, at, s.header);
  }
  s.state.store(kFree, std::memory_order_release);
  return true;
}

bool ImageWriter::Flush(uint64_t keep) {
  while (submitted_ - written_ > keep) {
    Slot& s = slots_[written_ % num_slots_];
    for (;;) {
      const uint32_t seen = encoded_seq_.load(std::memory_order_acquire);
      const uint32_t st = s.state.load(std::memory_order_acquire);
      if (st == kEncoded || st == kRecord) break;
      // While the oldest block is being encoded, encode another one.
      if (!EncodeOne(encoders_[0])) Wait(&encoded_seq_, seen);
    }
    if (!WriteSlot(s)) return false;
    ++written_;
  }
  return true;
}

bool ImageWriter::WriteData(uint64_t addr, const void* src, size_t len, bool tracked,
                            bool unchanged) {
  const auto* p = static_cast<const uint8_t*>(src);
  tracked = tracked && next_;
  while (len > 0) {
    size_t n = len > kMaxBlock ? kMaxBlock : len;
    // Tracked blocks end on kMaxBlock boundaries: a page that appears or
    // goes changes one block, not every one after it.
    if (tracked && n > kMaxBlock - addr % kMaxBlock) n = kMaxBlock - addr % kMaxBlock;
    if (!Flush(static_cast<uint64_t>(num_slots_) - 1)) return false;
    Slot& s = slots_[submitted_++ % num_slots_];
    s.addr = addr;
    s.src = p;
    s.len = n;
    s.tracked = tracked;
    s.prev = tracked ? FindPrevious(addr, n) : nullptr;
    s.unchanged = unchanged && s.prev;
    s.is_ref = false;
    s.peer_candidate = false;
    ++records_;
    data_bytes_ += n;
    s.state.store(kQueued, std::memory_order_release);
    if (workers_ > 0) {
      queued_seq_.fetch_add(1, std::memory_order_release);
      WakeAll(&queued_seq_);
    } else {
      EncodeOne(encoders_[0]);
    }
    addr += n;
    p += n;
    len -= n;
  }
  return true;
}

void ImageWriter::StopWorkers() {
  // Queued blocks that no one will write must not be picked up. The
  // compressors' memory is the caller's scratch: nothing to free.
  for (int i = 0; i < num_slots_; ++i) {
    uint32_t expected = kQueued;
    slots_[i].state.compare_exchange_strong(expected, kFree);
  }
  stop_.store(1, std::memory_order_release);
  queued_seq_.fetch_add(1, std::memory_order_release);
  WakeAll(&queued_seq_);
}

bool ImageWriter::End() {
  bool ok = Flush(0);
  if (ok) {
    EndInfo e{records_, data_bytes_ - referred_bytes_};  // the bytes this file holds
    ok = WriteRecord(RecordType::kEnd, &e, sizeof e);
  }
  StopWorkers();
  return ok;
}

}  // namespace dmtcp::image
