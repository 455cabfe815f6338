// Folders saved whole with each checkpoint (dmtcp_launch --checkpoint-folder,
// DMTCP_CHECKPOINT_FOLDERS): a git repository or a build folder the
// computation went on changing after a checkpoint goes back with it at
// restart. One process per folder and node saves it, chosen through the
// coordinator.
#pragma once

#include <stddef.h>

#include "image_writer.h"

namespace dmtcp::rt {

// DMTCP_EVENT_DRAIN, before the election barrier: this process offers to
// save the folders it was told of.
void ClaimSavedFolders();
// After the barrier: whether the last offer of each folder is this one's.
void ElectSavedFolders();
// Whether this process saves a folder in this checkpoint (a forked writer
// would read the files as the program changes them).
bool FoldersToSave();
// Their entries and files, skipping checkpoint images and the folders that
// hold them. False with a message in err (naming the file) on failure.
bool WriteSavedFolders(image::ImageWriter& w, char* err, size_t errcap);

}  // namespace dmtcp::rt
