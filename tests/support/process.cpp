#include "tests/support/process.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <stdexcept>

namespace hishamos::test {

namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env)
    setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data()); // a bare name is looked up in PATH
  _exit(127);
}

pid_t spawn(const std::vector<std::string>& argv,
            const std::map<std::string, std::string>& env,
            const std::string& out, const std::string& err) {
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    exec_child(argv, env);
  }
  return pid;
}

} // namespace

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env) {
  char out_name[] = "/tmp/hishamos-out-XXXXXX";
  char err_name[] = "/tmp/hishamos-err-XXXXXX";
  close(mkstemp(out_name));
  close(mkstemp(err_name));
  pid_t pid = spawn(argv, env, out_name, err_name);
  int status = 0;
  waitpid(pid, &status, 0);
  process_result r;
  r.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_name);
  r.err = read_text(err_name);
  unlink(out_name);
  unlink(err_name);
  return r;
}

background_process::background_process(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, const std::string& log_file)
    : pid_(spawn(argv, env, log_file, log_file)) {}

background_process::~background_process() {
  if (pid_ > 0 && running())
    kill_and_wait(SIGKILL);
}

int background_process::kill_and_wait(int sig) {
  ::kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool background_process::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

namespace {

// A port the kernel has free now (bound to 0, then closed).
int unbound_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

} // namespace

int free_port() {
  // The kernel may hand a closed port out again at once: two members of
  // one test cluster once got the same HTTP port, and the second never
  // started. A port is handed out once per process.
  static std::mutex mx;
  static std::set<int> given;
  std::lock_guard<std::mutex> guard{mx};
  for (int tries = 0;; ++tries) {
    int port = unbound_port();
    if (given.insert(port).second || tries == 1000)
      return port;
  }
}

} // namespace hishamos::test
