// PMIx for tasks that srun starts under checkpoint control (srun --mpi=pmix).
//
// Slurm's PMIx server lives in slurmstepd, outside the computation, and is
// gone after a restart. So dmtcp_srun runs the step with --mpi=none and
// brings its own: one dmtcp_pmix_server per node (started by the node's
// first task, a process of the computation) serves that node's ranks, and
// the servers meet at a hub, a child of dmtcp_srun, to exchange the data of
// fences. All of it is checkpointed with the ranks and comes back with them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dmtcp::pmix {

// Set by dmtcp_srun for the tasks: where the hub listens ("host:port") and
// the token that proves a server belongs to this step.
constexpr const char* kHubEnv = "DMTCP_PMIX_HUB";
constexpr const char* kTokenEnv = "DMTCP_PMIX_TOKEN";

// A node of the step: its Slurm node id, name, and the ranks it runs.
struct Node {
  int id = -1;
  std::string name;
  std::vector<int> ranks;
};

// Wire forms (text, one field per line) of what the servers and the hub say.
std::string EncodeHello(const std::string& token, int num_nodes, const Node& node);
bool DecodeHello(const std::string& payload, std::string* token, int* num_nodes, Node* node);
std::string EncodeMap(const std::map<int, Node>& nodes);
bool DecodeMap(const std::string& payload, std::map<int, Node>* nodes);
// A fence: its name (the same on every server), the nodes taking part, and
// this node's data; the hub answers with every node's data, in node order.
std::string EncodeFence(const std::string& name, const std::vector<int>& nodes,
                        const std::string& data);
bool DecodeFence(const std::string& payload, std::string* name, std::vector<int>* nodes,
                 std::string* data);
std::string EncodeFenceDone(const std::string& name, const std::string& data);
bool DecodeFenceDone(const std::string& payload, std::string* name, std::string* data);

// "1,2,5" <-> {1, 2, 5}; false on anything else.
bool ParseRanks(const std::string& csv, std::vector<int>* ranks);
std::string JoinRanks(const std::vector<int>& ranks);

// The folder of this step's PMIx files on a node (private to the user).
std::string StepDir(const std::string& token, const std::string& node_name);

// Runs the hub until every server has come and gone, or until `parent_fd`
// (a pipe from dmtcp_srun) closes while no server is connected.
[[noreturn]] void RunHub(int listener, int parent_fd, const std::string& token);

}  // namespace dmtcp::pmix
