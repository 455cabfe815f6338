// The plan dmtcp_restart hands to the restart loader: everything the loader
// needs, already validated and decoded, so that the loader (which runs
// without libc while the old address space is being replaced) only maps and
// copies. Layout of the plan file: PlanHeader, restart-info bytes,
// PlanSpecial[num_specials], then num_areas times (PlanArea + name bytes),
// then PlanChunk[num_chunks].
#pragma once

#include <stdint.h>

#include "image_format.h"

namespace dmtcp::plan {

// The kinds and madvise bits of areas are the image's (image_format.h).
using image::AreaKind;
using image::kAdviseDontDump;
using image::kAdviseDontFork;
using image::kAdviseHugepage;
using image::kAdviseNoHugepage;
using image::kAdviseWipeOnFork;

constexpr uint64_t kMagic = 0x4e414c50504d5444ULL;  // "DTMPPLAN"
constexpr uint32_t kVersion = 4;
// The loader is linked here; images may not use [kLoaderBase, kLoaderEnd).
constexpr uint64_t kLoaderBase = 0x1f0000000000ULL;
constexpr uint64_t kLoaderEnd = kLoaderBase + (1ULL << 30);
constexpr uint32_t kMaxRestartInfo = 65536;
constexpr uint32_t kMaxSpecials = 8;

struct PlanHeader {
  uint64_t magic;
  uint32_t version;
  uint32_t num_specials;
  uint32_t num_areas;
  uint32_t num_chunks;
  uint32_t restart_info_len;
  int32_t fail_rc;
  uint32_t num_huge;  // PlanRanges filled in transparent huge pages
  uint32_t reserved;
  uint64_t restore_entry;
  uint64_t restore_stack_top;
  uint64_t main_fs_base;
  // prctl(PR_SET_MM_MAP) fields, in the kernel's order.
  uint64_t start_code, end_code, start_data, end_data;
  uint64_t start_brk, brk, start_stack;
  uint64_t arg_start, arg_end, env_start, env_end;
};

struct PlanSpecial {
  uint64_t start;
  uint64_t end;
  char name[32];
};

struct PlanArea {
  uint64_t start;
  uint64_t end;
  uint64_t file_offset;
  uint32_t prot;
  uint32_t kind;  // AreaKind: private anonymous (heap too), shared, file, stack, System V
  uint32_t name_len;
  uint32_t advice;       // kAdvise* (the image's bits)
  uint64_t object_id;    // kSysvShm: the segment's id now
  uint64_t object_size;  // kSysvShm: its size in bytes
  uint32_t attach;       // kSysvShm: kAttach* below
  uint32_t reserved;
};
// One attachment of a segment may be several areas (a page made read-only
// in it): attached whole at the first, the others are parts of it. A part
// of a segment whose rest was unmapped is attached alone and moved there.
constexpr uint32_t kAttachWhole = 0;
constexpr uint32_t kAttachCovered = 1;
constexpr uint32_t kAttachPart = 2;

// Whole 2 MiB blocks of an anonymous area that the image fills entirely:
// advised MADV_HUGEPAGE before they are filled, one fault per block instead
// of 512 (only where the node's THP setting is "madvise"; with "always"
// they are huge anyway). They stay advised: every page of them is there,
// so no later fault of the program behaves otherwise.
struct PlanRange {
  uint64_t start;
  uint64_t end;
};
constexpr uint64_t kHugePage = 2ULL << 20;

struct PlanChunk {
  uint64_t addr;
  uint64_t len;
  uint64_t data_offset;  // in the file named by source
  uint32_t source;       // kFromData (decoded data), kFromImage (raw in the image), kFromFd
  uint32_t fd;           // kFromFd: raw in an earlier generation's image open there
};
constexpr uint32_t kFromData = 0;
constexpr uint32_t kFromImage = 1;
constexpr uint32_t kFromFd = 2;
// dmtcp_restart --lazy: mapped MAP_PRIVATE from the image (kMapImage) or
// from an earlier generation's image open at fd (kMapFd), read on first touch.
constexpr uint32_t kMapImage = 3;
constexpr uint32_t kMapFd = 4;
// Earlier generations' images one restart reads from at most.
constexpr uint32_t kMaxBaseFds = 64;

// What the loader passes to the runtime's restore entry point.
struct LoaderHandoff {
  const void* restart_info;
  uint64_t restart_info_len;
  uint64_t loader_start;
  uint64_t loader_end;
};

}  // namespace dmtcp::plan
