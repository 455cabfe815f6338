#include "pmix_hub.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "ssh_relay.h"

namespace dmtcp::pmix {

namespace {

// Splits off the first `count` lines; the rest (binary data) stays in *rest.
bool SplitLines(const std::string& s, size_t count, std::vector<std::string>* lines,
                std::string* rest) {
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    size_t nl = s.find('\n', at);
    if (nl == std::string::npos) return false;
    lines->push_back(s.substr(at, nl - at));
    at = nl + 1;
  }
  if (rest) *rest = s.substr(at);
  return true;
}

bool ParseInt(const std::string& s, int* v) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  *v = atoi(s.c_str());
  return true;
}

}  // namespace

bool ParseRanks(const std::string& csv, std::vector<int>* ranks) {
  ranks->clear();
  size_t at = 0;
  while (at <= csv.size()) {
    size_t comma = csv.find(',', at);
    if (comma == std::string::npos) comma = csv.size();
    int r;
    if (!ParseInt(csv.substr(at, comma - at), &r)) return false;
    ranks->push_back(r);
    at = comma + 1;
  }
  return !ranks->empty();
}

std::string JoinRanks(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += (s.empty() ? "" : ",") + std::to_string(r);
  return s;
}

std::string EncodeHello(const std::string& token, int num_nodes, const Node& node) {
  return token + "\n" + std::to_string(num_nodes) + "\n" + std::to_string(node.id) + "\n" +
         node.name + "\n" + JoinRanks(node.ranks) + "\n";
}

bool DecodeHello(const std::string& payload, std::string* token, int* num_nodes, Node* node) {
  std::vector<std::string> f;
  if (!SplitLines(payload, 5, &f, nullptr)) return false;
  *token = f[0];
  node->name = f[3];
  return ParseInt(f[1], num_nodes) && ParseInt(f[2], &node->id) && !node->name.empty() &&
         ParseRanks(f[4], &node->ranks);
}

std::string EncodeMap(const std::map<int, Node>& nodes) {
  std::string s = std::to_string(nodes.size()) + "\n";
  for (const auto& [id, n] : nodes)
    s += std::to_string(id) + "\n" + n.name + "\n" + JoinRanks(n.ranks) + "\n";
  return s;
}

bool DecodeMap(const std::string& payload, std::map<int, Node>* nodes) {
  std::vector<std::string> f;
  int count;
  if (!SplitLines(payload, 1, &f, nullptr) || !ParseInt(f[0], &count)) return false;
  f.clear();
  if (!SplitLines(payload, 1 + 3 * static_cast<size_t>(count), &f, nullptr)) return false;
  nodes->clear();
  for (int i = 0; i < count; ++i) {
    Node n;
    n.name = f[2 + 3 * i];
    if (!ParseInt(f[1 + 3 * i], &n.id) || !ParseRanks(f[3 + 3 * i], &n.ranks)) return false;
    (*nodes)[n.id] = n;
  }
  return true;
}

std::string EncodeFence(const std::string& name, const std::vector<int>& nodes,
                        const std::string& data) {
  return name + "\n" + JoinRanks(nodes) + "\n" + data;
}

bool DecodeFence(const std::string& payload, std::string* name, std::vector<int>* nodes,
                 std::string* data) {
  std::vector<std::string> f;
  if (!SplitLines(payload, 2, &f, data)) return false;
  *name = f[0];
  return !name->empty() && ParseRanks(f[1], nodes);
}

std::string EncodeFenceDone(const std::string& name, const std::string& data) {
  return name + "\n" + data;
}

bool DecodeFenceDone(const std::string& payload, std::string* name, std::string* data) {
  std::vector<std::string> f;
  if (!SplitLines(payload, 1, &f, data)) return false;
  *name = f[0];
  return true;
}

std::string StepDir(const std::string& token, const std::string& node_name) {
  const char* tmp = getenv("TMPDIR");
  std::string base = tmp && *tmp ? tmp : "/tmp";
  return base + "/dmtcp-pmix-" + std::to_string(getuid()) + "/" + token.substr(0, 16) + "." +
         node_name;
}

namespace {

struct Server {
  int fd = -1;
  ssh::FrameReader reader;
  int node = -1;  // after its hello
};

struct Fence {
  std::set<int> nodes;
  std::map<int, std::string> data;  // by node id
};

class Hub {
 public:
  explicit Hub(const std::string& token) : token_(token) {}

  [[noreturn]] void Run(int listener, int parent_fd) {
    for (;;) {
      std::vector<pollfd> p = {{listener, POLLIN, 0}, {parent_fd, POLLIN, 0}};
      for (auto& s : servers_) p.push_back({s.fd, POLLIN, 0});
      if (poll(p.data(), p.size(), -1) < 0) {
        if (errno == EINTR) continue;
        Die(std::string("poll: ") + strerror(errno));
      }
      // Only the servers polled this round: one accepted below is polled next.
      const size_t polled = servers_.size();
      if (p[0].revents) {
        int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) servers_.push_back(Server{fd, {}, -1});
      }
      if (p[1].revents) {
        char c;
        if (read(parent_fd, &c, 1) <= 0) {
          close(parent_fd);
          parent_fd = -1;
        }
      }
      for (size_t i = 0; i < polled; ++i) {
        if (!p[i + 2].revents) continue;
        if (!servers_[i].reader.Fill(servers_[i].fd) || !Handle(servers_[i])) {
          close(servers_[i].fd);
          servers_[i].fd = -1;
        }
      }
      std::erase_if(servers_, [](const Server& s) { return s.fd < 0; });
      const bool all_came = num_nodes_ > 0 && static_cast<int>(nodes_.size()) == num_nodes_;
      if (servers_.empty() && (all_came || parent_fd < 0)) exit(0);
    }
  }

 private:
  [[noreturn]] static void Die(const std::string& msg) {
    fprintf(stderr, "dmtcp_srun (PMIx hub): %s\n", msg.c_str());
    exit(1);
  }

  bool Handle(Server& s) {
    ssh::Frame type;
    std::string payload;
    while (s.reader.Next(&type, &payload)) {
      if (type == ssh::Frame::kPmixHello) {
        std::string token;
        int num_nodes;
        Node node;
        if (!DecodeHello(payload, &token, &num_nodes, &node) || token != token_) return false;
        if (num_nodes_ > 0 && num_nodes != num_nodes_) return false;
        num_nodes_ = num_nodes;
        s.node = node.id;
        nodes_[node.id] = node;
        if (static_cast<int>(nodes_.size()) == num_nodes_) {
          const std::string map = EncodeMap(nodes_);
          for (auto& o : servers_)
            if (o.node >= 0) ssh::SendFrame(o.fd, ssh::Frame::kPmixMap, map.data(), map.size());
        }
      } else if (s.node < 0) {
        return false;  // nothing before a hello
      } else if (type == ssh::Frame::kPmixFence) {
        std::string name, data;
        std::vector<int> nodes;
        if (!DecodeFence(payload, &name, &nodes, &data)) return false;
        Fence& f = fences_[name];
        f.nodes.insert(nodes.begin(), nodes.end());
        f.data[s.node] = std::move(data);
        if (f.data.size() >= f.nodes.size()) Release(name, f);
      } else if (type == ssh::Frame::kPmixAbort) {
        fprintf(stderr, "dmtcp_srun: %s\n", payload.c_str());
        for (auto& o : servers_)
          if (o.node >= 0) ssh::SendFrame(o.fd, ssh::Frame::kPmixAbort, nullptr, 0);
      }
    }
    return true;
  }

  void Release(const std::string& name, const Fence& f) {
    std::string all;
    for (const auto& [node, d] : f.data) all += d;
    const std::string done = EncodeFenceDone(name, all);
    for (auto& o : servers_)
      if (f.nodes.count(o.node))
        ssh::SendFrame(o.fd, ssh::Frame::kPmixFenceDone, done.data(), done.size());
    fences_.erase(name);
  }

  std::string token_;
  std::vector<Server> servers_;
  int num_nodes_ = 0;
  std::map<int, Node> nodes_;
  std::map<std::string, Fence> fences_;
};

}  // namespace

void RunHub(int listener, int parent_fd, const std::string& token) {
  Hub(token).Run(listener, parent_fd);
}

}  // namespace dmtcp::pmix
