// dmtcp_pmix_server: the PMIx server of one node's ranks in an srun step
// under checkpoint control (see pmix_hub.h). The node's first task starts it
// as a process of the computation, with its stdin a pipe from that task.
//
// It learns the step's layout from Slurm's variables and, through the hub,
// from the other nodes' servers; registers the job with the PMIx server
// library; writes each local rank's PMIx environment to <step dir>/env.<rank>
// (the tasks wait for it before they run their command); then forwards the
// fences of its ranks to the hub. It ends when its stdin closes (the first
// task's command has ended) and every rank that connected has finalized.
#include <errno.h>
#include <fcntl.h>
#include <pmix.h>
#include <pmix_server.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pmix_hub.h"
#include "remote_launch.h"
#include "ssh_relay.h"

namespace {

using namespace dmtcp;
using pmix::Node;

[[noreturn]] void Die(const std::string& msg) {
  fprintf(stderr, "dmtcp_pmix_server: %s\n", msg.c_str());
  exit(1);
}

std::string Need(const char* name) {
  std::string v = ssh::Env(name);
  if (v.empty()) Die(std::string(name) + " is not set (dmtcp_pmix_server runs in an srun task)");
  return v;
}

int NeedInt(const char* name) {
  std::string v = Need(name);
  char* end = nullptr;
  long n = strtol(v.c_str(), &end, 10);
  if (*end || n < 0 || n > 1 << 24) Die(std::string(name) + " is not a number: " + v);
  return static_cast<int>(n);
}

struct Pending {
  pmix_modex_cbfunc_t cbfunc;
  void* cbdata;
};

// What the PMIx library's thread and our main thread share.
struct State {
  std::mutex mu;
  int hub = -1;
  std::string nspace;
  std::map<int, Node> nodes;
  std::map<int, int> node_of_rank;
  std::map<std::string, int> fence_count;  // per set of participants
  std::map<std::string, Pending> fences;
  std::set<int> connected, finalized;
  std::string dir;
};
State g;

// Every server names the n-th fence over the same processes alike.
pmix_status_t FenceNb(const pmix_proc_t procs[], size_t nprocs, const pmix_info_t[], size_t,
                      char* data, size_t ndata, pmix_modex_cbfunc_t cbfunc, void* cbdata) {
  std::lock_guard<std::mutex> lock(g.mu);
  std::set<int> nodes;
  std::string who;
  bool all = nprocs == 0;
  for (size_t i = 0; i < nprocs; ++i) {
    if (procs[i].rank == PMIX_RANK_WILDCARD) all = true;
    auto n = g.node_of_rank.find(static_cast<int>(procs[i].rank));
    if (n != g.node_of_rank.end()) nodes.insert(n->second);
    who += std::to_string(procs[i].rank) + ",";
  }
  if (all) {
    who = "*";
    nodes.clear();
    for (const auto& [id, n] : g.nodes) nodes.insert(id);
  }
  const std::string name = who + "#" + std::to_string(g.fence_count[who]++);
  g.fences[name] = Pending{cbfunc, cbdata};
  const std::string msg = pmix::EncodeFence(name, std::vector<int>(nodes.begin(), nodes.end()),
                                            std::string(data, ndata));
  if (!ssh::SendFrame(g.hub, ssh::Frame::kPmixFence, msg.data(), msg.size())) {
    g.fences.erase(name);
    return PMIX_ERR_UNREACH;
  }
  return PMIX_SUCCESS;
}

pmix_status_t ClientConnected(const pmix_proc_t* proc, void*, pmix_op_cbfunc_t, void*) {
  std::lock_guard<std::mutex> lock(g.mu);
  g.connected.insert(static_cast<int>(proc->rank));
  return PMIX_OPERATION_SUCCEEDED;
}

pmix_status_t ClientFinalized(const pmix_proc_t* proc, void*, pmix_op_cbfunc_t, void*) {
  std::lock_guard<std::mutex> lock(g.mu);
  g.finalized.insert(static_cast<int>(proc->rank));
  return PMIX_OPERATION_SUCCEEDED;
}

// MPI_Abort: every rank of the step is killed (the hub tells every server).
pmix_status_t Abort(const pmix_proc_t* proc, void*, int status, const char msg[], pmix_proc_t[],
                    size_t, pmix_op_cbfunc_t, void*) {
  std::lock_guard<std::mutex> lock(g.mu);
  const std::string text = "rank " + std::to_string(proc->rank) + " aborted the job (status " +
                           std::to_string(status) + ")" +
                           (msg && *msg ? ": " + std::string(msg) : "");
  ssh::SendFrame(g.hub, ssh::Frame::kPmixAbort, text.data(), text.size());
  return PMIX_OPERATION_SUCCEEDED;
}

pmix_status_t DirectModex(const pmix_proc_t*, const pmix_info_t[], size_t, pmix_modex_cbfunc_t,
                          void*) {
  return PMIX_ERR_NOT_SUPPORTED;  // fences always collect the data
}

void ReleaseData(void* data) { free(data); }

void DeliverFence(const std::string& payload) {
  std::string name, data;
  if (!pmix::DecodeFenceDone(payload, &name, &data)) Die("a bad answer from the hub");
  Pending p;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    auto it = g.fences.find(name);
    if (it == g.fences.end()) return;
    p = it->second;
    g.fences.erase(it);
  }
  // The library keeps the data until it calls ReleaseData.
  char* copy = static_cast<char*>(malloc(data.size() + 1));
  if (!copy) Die("out of memory");
  memcpy(copy, data.data(), data.size());
  p.cbfunc(PMIX_SUCCESS, copy, data.size(), p.cbdata, ReleaseData, copy);
}

// Each local rank's process group (its task's command), written by the task.
void KillLocalRanks(const Node& self) {
  for (int r : self.ranks) {
    FILE* f = fopen((g.dir + "/pgid." + std::to_string(r)).c_str(), "r");
    int pgid = 0;
    if (f && fscanf(f, "%d", &pgid) == 1 && pgid > 1) kill(-pgid, SIGKILL);
    if (f) fclose(f);
  }
}

void Done(pmix_status_t, void* flag) { static_cast<std::atomic<bool>*>(flag)->store(true); }

void WaitFor(std::atomic<bool>& flag, const char* what) {
  for (int i = 0; i < 60000 && !flag.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!flag.load()) Die(std::string("the PMIx library did not finish ") + what);
}

struct InfoList {
  std::vector<pmix_info_t> items;
  void Str(const char* key, const std::string& v) {
    items.emplace_back();
    PMIX_INFO_LOAD(&items.back(), key, v.c_str(), PMIX_STRING);
  }
  void U32(const char* key, uint32_t v) {
    items.emplace_back();
    PMIX_INFO_LOAD(&items.back(), key, &v, PMIX_UINT32);
  }
  void U16(const char* key, uint16_t v) {
    items.emplace_back();
    PMIX_INFO_LOAD(&items.back(), key, &v, PMIX_UINT16);
  }
  void Rank(const char* key, pmix_rank_t v) {
    items.emplace_back();
    PMIX_INFO_LOAD(&items.back(), key, &v, PMIX_PROC_RANK);
  }
  void Flag(const char* key, bool v) {
    items.emplace_back();
    PMIX_INFO_LOAD(&items.back(), key, &v, PMIX_BOOL);
  }
  // Moves `inner`'s items into one array value under `key`.
  void Array(const char* key, InfoList& inner) {
    items.emplace_back();
    pmix_info_t& i = items.back();
    PMIX_LOAD_KEY(i.key, key);
    i.value.type = PMIX_DATA_ARRAY;
    PMIX_DATA_ARRAY_CREATE(i.value.data.darray, inner.items.size(), PMIX_INFO);
    memcpy(i.value.data.darray->array, inner.items.data(),
           inner.items.size() * sizeof(pmix_info_t));
    inner.items.clear();
  }
};

void RegisterJob(const Node& self, const std::string& jobid) {
  const int size = static_cast<int>(g.node_of_rank.size());
  InfoList job;
  job.Flag(PMIX_SPAWNED, false);
  job.Str(PMIX_JOBID, jobid);
  job.Str(PMIX_TMPDIR, g.dir);
  job.Str(PMIX_NSDIR, g.dir);
  job.U32(PMIX_UNIV_SIZE, size);
  job.U32(PMIX_JOB_SIZE, size);
  job.U32(PMIX_MAX_PROCS, size);
  job.U32(PMIX_NUM_NODES, static_cast<uint32_t>(g.nodes.size()));
  job.U32(PMIX_NODEID, static_cast<uint32_t>(self.id));
  job.U32(PMIX_LOCAL_SIZE, static_cast<uint32_t>(self.ranks.size()));
  job.U32(PMIX_NODE_SIZE, static_cast<uint32_t>(self.ranks.size()));
  job.Str(PMIX_LOCAL_PEERS, pmix::JoinRanks(self.ranks));
  job.Rank(PMIX_LOCALLDR, static_cast<pmix_rank_t>(self.ranks.front()));
  std::string names, ppn;
  for (const auto& [id, n] : g.nodes) {
    names += (names.empty() ? "" : ",") + n.name;
    ppn += (ppn.empty() ? "" : ";") + pmix::JoinRanks(n.ranks);
  }
  // The regexes are passed as PMIx generated them (they may hold NULs).
  char* node_map = nullptr;
  char* proc_map = nullptr;
  if (PMIx_generate_regex(names.c_str(), &node_map) != PMIX_SUCCESS ||
      PMIx_generate_ppn(ppn.c_str(), &proc_map) != PMIX_SUCCESS)
    Die("cannot encode the node and process maps");
  job.items.emplace_back();
  PMIX_INFO_LOAD(&job.items.back(), PMIX_NODE_MAP, node_map, PMIX_REGEX);
  job.items.emplace_back();
  PMIX_INFO_LOAD(&job.items.back(), PMIX_PROC_MAP, proc_map, PMIX_REGEX);
  free(node_map);
  free(proc_map);
  for (const auto& [rank, node_id] : g.node_of_rank) {
    const Node& n = g.nodes[node_id];
    InfoList proc;
    proc.Rank(PMIX_RANK, static_cast<pmix_rank_t>(rank));
    proc.U32(PMIX_APPNUM, 0);
    proc.Rank(PMIX_APPLDR, 0);
    proc.Rank(PMIX_GLOBAL_RANK, static_cast<pmix_rank_t>(rank));
    proc.Rank(PMIX_APP_RANK, static_cast<pmix_rank_t>(rank));
    proc.U32(PMIX_NODEID, static_cast<uint32_t>(node_id));
    proc.Str(PMIX_HOSTNAME, n.name);
    for (size_t l = 0; l < n.ranks.size(); ++l) {
      if (n.ranks[l] != rank) continue;
      proc.U16(PMIX_LOCAL_RANK, static_cast<uint16_t>(l));
      proc.U16(PMIX_NODE_RANK, static_cast<uint16_t>(l));
    }
    job.Array(PMIX_PROC_DATA, proc);
  }
  std::atomic<bool> done{false};
  pmix_status_t rc =
      PMIx_server_register_nspace(g.nspace.c_str(), static_cast<int>(self.ranks.size()),
                                  job.items.data(), job.items.size(), Done, &done);
  if (rc != PMIX_SUCCESS) Die(std::string("cannot register the job: ") + PMIx_Error_string(rc));
  WaitFor(done, "registering the job");
  for (auto& i : job.items) PMIX_INFO_DESTRUCT(&i);
}

// <dir>/env.<rank>: the rank's PMIx variables, NUL-separated, put in place whole.
void WriteClientEnv(int rank) {
  pmix_proc_t proc;
  PMIX_LOAD_PROCID(&proc, g.nspace.c_str(), static_cast<pmix_rank_t>(rank));
  std::atomic<bool> done{false};
  if (PMIx_server_register_client(&proc, getuid(), getgid(), nullptr, Done, &done) != PMIX_SUCCESS)
    Die("cannot register rank " + std::to_string(rank));
  WaitFor(done, "registering a rank");
  char** env = nullptr;
  if (PMIx_server_setup_fork(&proc, &env) != PMIX_SUCCESS)
    Die("cannot make the environment of rank " + std::to_string(rank));
  std::string text;
  for (char** e = env; e && *e; ++e) {
    text += *e;
    text += '\0';
    free(*e);
  }
  free(env);
  const std::string path = g.dir + "/env." + std::to_string(rank);
  const std::string temp = path + ".temp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !ssh::WriteAll(fd, text.data(), text.size()) || close(fd) != 0 ||
      rename(temp.c_str(), path.c_str()) != 0)
    Die("cannot write " + path + ": " + strerror(errno));
}

int ConnectHub(const std::string& where) {
  const size_t colon = where.rfind(':');
  if (colon == std::string::npos) Die("bad " + std::string(pmix::kHubEnv) + ": " + where);
  std::string host = where.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int fd = ssh::ConnectTo(host, where.substr(colon + 1));
  if (fd < 0) Die("cannot reach the PMIx hub of dmtcp_srun at " + where);
  return fd;
}

}  // namespace

int main() {
  signal(SIGPIPE, SIG_IGN);
  const std::string token = Need(pmix::kTokenEnv);
  Node self;
  self.id = NeedInt("SLURM_NODEID");
  self.name = ssh::Env("SLURMD_NODENAME");
  if (self.name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    self.name = host;
  }
  if (!pmix::ParseRanks(Need("SLURM_GTIDS"), &self.ranks)) Die("SLURM_GTIDS is not a rank list");
  const int num_nodes = NeedInt("SLURM_STEP_NUM_NODES");
  const std::string jobid = Need("SLURM_JOB_ID") + "." + Need("SLURM_STEP_ID");
  g.nspace = "dmtcp." + jobid;
  g.dir = pmix::StepDir(token, self.name);
  mkdir(g.dir.substr(0, g.dir.rfind('/')).c_str(), 0700);
  if (mkdir(g.dir.c_str(), 0700) != 0 && errno != EEXIST)
    Die("cannot create " + g.dir + ": " + strerror(errno));

  g.hub = ConnectHub(Need(pmix::kHubEnv));
  const std::string hello = pmix::EncodeHello(token, num_nodes, self);
  if (!ssh::SendFrame(g.hub, ssh::Frame::kPmixHello, hello.data(), hello.size()))
    Die("the PMIx hub closed the connection");
  ssh::FrameReader reader;
  ssh::Frame type;
  std::string payload;
  while (!reader.Next(&type, &payload)) {
    pollfd p{g.hub, POLLIN, 0};
    if (poll(&p, 1, 300000) <= 0 || !reader.Fill(g.hub))
      Die("the other nodes' PMIx servers did not come");
  }
  if (type != ssh::Frame::kPmixMap || !pmix::DecodeMap(payload, &g.nodes))
    Die("a bad answer from the PMIx hub");
  for (const auto& [id, n] : g.nodes)
    for (int r : n.ranks) g.node_of_rank[r] = id;

  // Only what survives a restart: data in the server's memory (no shared
  // memory store), and no credentials from a daemon (munge).
  setenv("PMIX_MCA_gds", "hash", 1);
  setenv("PMIX_MCA_psec", "native", 1);
  static pmix_server_module_t module{};
  module.client_connected = ClientConnected;
  module.client_finalized = ClientFinalized;
  module.abort = Abort;
  module.fence_nb = FenceNb;
  module.direct_modex = DirectModex;
  InfoList init;
  init.Str(PMIX_SERVER_TMPDIR, g.dir);
  init.Str(PMIX_SYSTEM_TMPDIR, g.dir);
  init.Str(PMIX_HOSTNAME, self.name);
  init.Rank(PMIX_SERVER_RANK, static_cast<pmix_rank_t>(self.id));
  pmix_status_t rc = PMIx_server_init(&module, init.items.data(), init.items.size());
  if (rc != PMIX_SUCCESS) Die(std::string("PMIx_server_init: ") + PMIx_Error_string(rc));
  RegisterJob(self, jobid);
  for (int r : self.ranks) WriteClientEnv(r);

  bool input_open = true, aborted = false;
  auto stop_at = std::chrono::steady_clock::time_point::max();
  for (;;) {
    pollfd p[2] = {{g.hub, POLLIN, 0}, {input_open ? 0 : -1, POLLIN, 0}};
    int n = poll(p, 2, input_open ? -1 : 200);
    if (n < 0 && errno != EINTR) Die(std::string("poll: ") + strerror(errno));
    if (p[1].revents) {
      char buf[256];
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        input_open = false;
        // The other local ranks finalize within moments of the first (killed ones never do).
        stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(aborted ? 0 : 30);
      }
    }
    if (p[0].revents) {
      if (!reader.Fill(g.hub)) break;  // the hub is gone: the step is over
      while (reader.Next(&type, &payload)) {
        if (type == ssh::Frame::kPmixFenceDone) DeliverFence(payload);
        if (type == ssh::Frame::kPmixAbort) {
          KillLocalRanks(g.nodes[self.id]);
          aborted = true;
          if (!input_open) stop_at = std::chrono::steady_clock::now();
        }
      }
    }
    if (!input_open) {
      std::lock_guard<std::mutex> lock(g.mu);
      bool all_done = true;
      for (int r : g.connected) all_done = all_done && g.finalized.count(r);
      if (all_done || std::chrono::steady_clock::now() > stop_at) break;
    }
  }
  PMIx_server_finalize();
  return 0;
}
