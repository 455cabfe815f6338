// Files the program has open for writing, saved with each checkpoint when
// it asks for it (DMTCP_CKPT_OPEN_FILES=1, dmtcp_launch
// --checkpoint-open-files): a database the program goes on updating after
// a checkpoint would otherwise disagree, at restart, with the program
// taken back to that checkpoint.
#pragma once

#include <stddef.h>

#include "file_reader.h"
#include "image_writer.h"

namespace dmtcp::rt {

// Checkpoint thread, after the descriptors are recorded. Whether there is
// a file to save: a forked writer would read it as the program changes it,
// so the process writes its image itself.
bool OpenFilesToSave();
// One record per file (its contents, the names of its folder made after it)
// False with a message in err when one cannot be read.
bool WriteOpenFiles(image::ImageWriter& w, char* err, size_t errcap);
// Unlinked files, and files in the node's temporary folders, too large for
// their descriptor's record: their contents as pages of a record of their
// own, any size (not those the memory holds: maps is /proc/self/maps).
// Whether there is one (a forked writer would read them as the program
// changes them), and write them, false with a message in err when one
// cannot be read.
bool FileContentsToWrite(const char* maps);
// Whether the image holds the contents of descriptor f's file (path): an
// unlinked file; one of the node's temporary folders that fits its record,
// or that the process has open for writing (a restart on another node
// makes it again; one open only for reading, an input, must be there).
bool ContentsKept(const image::FdInfo* f, const char* path, const char* maps);
bool WriteFileContents(image::ImageWriter& w, const char* maps, char* err, size_t errcap);

// "<program>: <what><path> (errno e)" into err; no errno when e is 0.
void FileError(char* err, size_t cap, const char* what, const char* path, size_t path_len, long e);

// The pages of the file r reads (size bytes) as data records at their
// offsets, pages of zeros left out. 0, or -1 if the image could not be
// written, or an errno if there is no memory to read in.
long WritePages(image::ImageWriter& w, const FileReader& r, uint64_t size);

}  // namespace dmtcp::rt
