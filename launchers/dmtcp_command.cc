// dmtcp_command: sends one command to a running coordinator (status, list,
// checkpoint, blocking checkpoint, interval, kill, quit).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "coordinator_client.h"

namespace {

namespace client = dmtcp::client;
using client::Fail;
using dmtcp::proto::CommandReply;
using dmtcp::proto::CommandStatus;

constexpr const char kCmd[] = "dmtcp_command";

struct Request {
  char command = 0;  // protocol command letter
  int32_t arg = 0;
  std::string path;  // for 'd'
};

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Hex16(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// The reply text as one line for an error message.
std::string OneLine(const char* text) {
  std::string s = text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  for (size_t i = 0; (i = s.find('\n', i)) != std::string::npos;) s.replace(i, 1, "; ");
  return s;
}

std::vector<std::string> Lines(const char* text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = text; *p; ++p) {
    if (*p == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

int32_t ParseInterval(const std::string& s) {
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || v > INT32_MAX) {
    Fail(kCmd, "invalid interval '" + s + "' (seconds, 0 = none)");
  }
  return static_cast<int32_t>(v);
}

// DMTCP spells the blocking checkpoint "-bc": a single-dash long option
// that CLI11 would read as -b -c.
std::vector<std::string> Normalize(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    args.push_back(a == "-bc" ? "--bcheckpoint" : a);
  }
  return args;
}

void PrintStatus(const client::CoordAddress& addr, const CommandReply& r, bool json) {
  if (json) {
    printf(
        "{\"host\":%s,\"port\":%d,\"num_peers\":%u,\"running\":%s,\"ckpt_interval\":%u,"
        "\"generation\":%u,\"computation_id\":\"%s\",\"restarts\":%u}\n",
        JsonString(addr.host).c_str(), addr.port, r.num_peers, r.running ? "true" : "false",
        r.interval, r.generation, Hex16(r.computation_id).c_str(), r.restarts);
    return;
  }
  printf(
      "Coordinator:\n  Host: %s\n  Port: %d\nStatus...\n  NUM_PEERS=%u\n  RUNNING=%s\n"
      "  CKPT_INTERVAL=%u\n",
      addr.host.c_str(), addr.port, r.num_peers, r.running ? "yes" : "no", r.interval);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Sends a command to a running DMTCP coordinator.\n"
      "Commands may also be given as words: s l c bc k q, i N.",
      kCmd};
  app.set_help_flag("--help", "Print this help");
  std::string host;
  int port = -1;
  double timeout = -1;
  bool json = false;
  std::vector<std::string> words;
  std::vector<Request> requests;
  auto add = [&requests](char c) {
    return [&requests, c](bool) { requests.push_back({c, 0, {}}); };
  };
  app.add_option("-h,--coord-host,--host", host,
                 "Coordinator host (default: $DMTCP_COORD_HOST, $DMTCP_HOST, localhost)");
  app.add_option("-p,--coord-port,--port", port,
                 "Coordinator port (default: $DMTCP_COORD_PORT, $DMTCP_PORT, 7779)")
      ->check(CLI::Range(0, 65535));
  app.add_flag_function("-s,--status", add('s'), "Print the coordinator's status");
  app.add_flag_function("-l,--list", add('l'), "List the processes of the computation");
  app.add_flag_function("-c,--checkpoint", add('c'), "Request a checkpoint");
  app.add_flag_function("--bcheckpoint", add('b'),
                        "(also -bc) Checkpoint and return when the images are written");
  app.add_option_function<std::string>(
      "-i,--interval",
      [&requests](const std::string& v) {
        requests.push_back({'i', ParseInterval(v), {}});
      },
      "Set the checkpoint interval in seconds (0 = none)");
  app.add_option_function<std::string>(
      "--ckptdir",
      [&requests](const std::string& v) {
        try {
          requests.push_back({'d', 0, client::Absolute(v)});
        } catch (const client::ClientError& e) {
          Fail(kCmd, e.what());
        }
      },
      "Write the next checkpoints (images and restart script) into this directory");
  app.add_flag_function("-k,--kill", add('k'), "Kill all processes of the computation");
  app.add_flag_function("-q,--quit", add('q'), "Kill all processes and stop the coordinator");
  app.add_option("--timeout", timeout,
                 "Give up waiting for the coordinator's answer after this many seconds (default: "
                 "30). With -c or --bcheckpoint: the checkpoint's deadline, after which the "
                 "coordinator abandons it if its images are not all written (the processes run "
                 "on, the last complete checkpoint stays); without, --bcheckpoint waits as long "
                 "as the checkpoint takes")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "Print the answer of -s or --bcheckpoint as JSON");
  app.add_option("words", words, "Command words: s l c bc k q, i N");

  std::vector<std::string> args = Normalize(argc, argv);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    Fail(kCmd, e.what());
  }
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "s" || w == "l" || w == "c" || w == "k" || w == "q") {
      requests.push_back({w[0], 0, {}});
    } else if (w == "bc" || w == "b") {
      requests.push_back({'b', 0, {}});
    } else if (w == "i") {
      if (i + 1 >= words.size()) Fail(kCmd, "'i' needs the interval in seconds");
      requests.push_back({'i', ParseInterval(words[++i]), {}});
    } else {
      Fail(kCmd, "unknown command '" + w + "' (see --help)");
    }
  }
  if (requests.empty()) {
    fputs(app.help().c_str(), stderr);
    Fail(kCmd, "no command given");
  }
  if (requests.size() > 1) Fail(kCmd, "give one command at a time");
  const Request req = requests.front();

  std::optional<client::Millis> wait;
  const bool checkpoint = req.command == 'b' || req.command == 'c';
  if (timeout > 0 && checkpoint) {
    // The coordinator keeps the deadline, and says when it has abandoned the
    // checkpoint: its answer is waited for a little longer.
    wait = client::Millis(static_cast<int64_t>(timeout * 1000) + 15000);
  } else if (timeout > 0) {
    wait = client::Millis(static_cast<int64_t>(timeout * 1000));
  } else if (req.command != 'b') {
    wait = client::Millis(30000);  // a quick command that takes this long is lost
  }

  try {
    client::CoordAddress addr =
        client::ResolveAddress(host.empty() ? std::nullopt : std::optional<std::string>(host),
                               port >= 0 ? std::optional<int>(port) : std::nullopt);
    std::optional<std::string> secret = client::FindSecret(addr.port);
    if (!secret) {
      // Tell "nothing there" apart from "not ours".
      int fd = client::ConnectTcp(addr, client::Millis(10000));
      close(fd);
      Fail(kCmd, "the coordinator at " + addr.host + ":" + std::to_string(addr.port) +
                     " is not ours: no secret in $DMTCP_COORD_SECRET, $DMTCP_COORD_SECRET_FILE "
                     "or " +
                     client::DefaultSecretPath(addr.port));
    }
    client::ConnectOptions copts;
    copts.program = kCmd;
    if (wait && *wait < copts.timeout) copts.timeout = *wait;
    client::Connection conn(addr, *secret, copts);
    dmtcp::proto::Command cmd{};
    cmd.command = req.command;
    cmd.arg = req.arg;
    if (timeout > 0 && checkpoint) cmd.arg = static_cast<int32_t>(std::ceil(timeout));
    if (req.path.size() >= sizeof cmd.path) Fail(kCmd, "directory name too long: " + req.path);
    dmtcp::proto::CopyField(cmd.path, sizeof cmd.path, req.path.c_str());
    CommandReply reply = conn.Send(cmd, wait);
    if (reply.status == static_cast<int32_t>(CommandStatus::kNoProcesses)) {
      Fail(kCmd, "no processes to checkpoint");
    }
    if (reply.status != static_cast<int32_t>(CommandStatus::kOk)) {
      Fail(kCmd,
           std::string(req.command == 'b' ? "checkpoint failed: " : "") + OneLine(reply.text));
    }
    switch (req.command) {
      case 's':
        PrintStatus(addr, reply, json);
        break;
      case 'l':
        fputs(reply.text, stdout);
        break;
      case 'b':
        if (json) {
          std::string list;
          for (const std::string& img : Lines(reply.text)) {
            list += (list.empty() ? "" : ",") + JsonString(img);
          }
          printf("{\"generation\":%u,\"images\":[%s]}\n", reply.generation, list.c_str());
        }
        break;
      default:
        break;
    }
  } catch (const client::ClientError& e) {
    if (e.kind() == client::ClientError::Kind::kTimeout && req.command == 'b') {
      char secs[32];
      snprintf(secs, sizeof secs, "%g", timeout);
      Fail(kCmd, std::string("the checkpoint did not finish within ") + secs + " s");
    }
    Fail(kCmd, e.what());
  }
  fflush(stdout);
  return 0;
}
