// TCP connections at checkpoint time (see sockets.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmtcp::rt {

// A socket's address family and type (false if fd is not a socket).
bool SocketDomainAndType(int fd, int* domain, int* type);

// An attribute (UNIX_DIAG_*, asked for with UDIAG_SHOW_*) of the Unix socket
// `inode` of this network namespace, from the kernel's socket diagnostics:
// its first len bytes into out; false if there is none.
bool UnixDiagAttribute(uint64_t inode, uint32_t show, uint16_t attr, void* out, size_t len);
// The peer of a Unix socket, by inode (0 if none). Past a few lookups in a
// checkpoint, answered from one dump of the node's Unix sockets.
uint64_t UnixPeerInode(uint64_t inode);
// Once the descriptors are recorded: the dump is dropped (its memory given
// back, so that no image holds it), and the next checkpoint's lookups begin.
void ReleaseUnixPeers();

// A socket that several processes of this host share is recorded by one:
// each claims it (before a barrier that all processes pass), the last
// claim stands (read after it). Keys are per kind ("tcp", "unix").
void ClaimSharedSocket(const char* kind, uint64_t inode);
bool SharedSocketIsOurs(const char* kind, uint64_t inode);
// Whether any process claimed it.
bool SharedSocketClaimed(const char* kind, uint64_t inode);

// After every thread is suspended, before the image is written.
void PushPendingTcpData();
// Tells the coordinator about our connections (before a barrier that all
// processes pass), then asks which of them have their other end in the
// computation (after it).
void PublishTcpEndpoints();
void FindTcpPeers();
// Reads out everything in flight on connections to other processes of the
// computation (after FindTcpPeers, in every process at once).
void DrainTcp();
bool TcpPeerInComputation(uint64_t inode);
// The data drained from a socket by this process; or whether another
// process drains it (then this one records none).
bool TcpDrainedData(uint64_t inode, const char** data, uint64_t* len);
bool TcpDrainedElsewhere(uint64_t inode);
// The memory that holds the drained data: the image leaves it out (the
// data goes with the descriptors).
void TcpDrainRange(uint64_t* start, uint64_t* end);
// After the image is written (the two ends give each other their data
// back), or after a restart (dmtcp_restart did that).
void RefillTcp(bool restart);

}  // namespace dmtcp::rt
