// Open file descriptions that several descriptors hold: a file opened once
// and inherited through fork (a job's output file on the stdout of every
// process), or duplicated (2>&1). They share one file offset, so a restart
// must open each once and give it to every descriptor that held it, or the
// processes write over each other's output. This finds them at checkpoint.
#pragma once

#include <sys/types.h>

namespace dmtcp::rt {

// During DRAIN, before kBarrierPipesElected: claims every file description
// this process holds (the last claim of each stands).
void ClaimFileDescriptions();
// After kBarrierPipesElected, then kBarrierFilesMarked: tells the winner of
// each description this process holds but did not win that others hold it.
void MarkSharedFileDescriptions();
// After every image is written: takes the claims back.
void ReleaseFileDescriptions();

// Whether fd is a file whose description is tracked (regular or directory).
bool TrackedFile(int fd, mode_t mode);
// After the marks: the real pid of the process that won fd's description
// (0 if none did), and whether another process holds it too (known to the
// winner only).
pid_t DescriptionWinner(int fd, bool* held_by_others);
// A descriptor of process pid with the same open file description as our
// fd, -1 if there is none; one of the same number is tried first.
int SameDescriptionIn(pid_t pid, int fd);
// Whether two descriptors of this process hold the same open file description.
bool SameDescriptionHere(int fd_a, int fd_b);

}  // namespace dmtcp::rt
