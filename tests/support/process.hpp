#pragma once

#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hishamos::test {

/// What a finished process printed and how it exited.
struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs a program to completion (stdin from /dev/null) and captures output.
process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env = {});

/// A program running in the background; SIGKILLed when the object goes away.
class background_process {
public:
  background_process(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     const std::string& log_file);
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  pid_t pid() const { return pid_; }
  /// Sends a signal and reaps the process; returns its wait status.
  int kill_and_wait(int sig);
  /// True while the process has not exited.
  bool running();

private:
  pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 that was free a moment ago, never one this
/// process was given before.
int free_port();

/// Whole file contents ("" if missing).
std::string read_text(const std::string& path);

} // namespace hishamos::test
