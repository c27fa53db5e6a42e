#pragma once

// A Redis server of the test's own on a free port, so that it can be
// killed and shares nothing with other tests.

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace hishamos::test {

struct private_redis {
  int port = free_port();
  temp_dir dir;
  std::unique_ptr<background_process> process;

  private_redis() {
    process = std::make_unique<background_process>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(port),
                                 "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", dir.path()},
        std::map<std::string, std::string>{}, dir / "redis.log");
    REQUIRE(wait_until([&] {
      return run_process({"redis-cli", "-p", std::to_string(port), "ping"})
                 .out.find("PONG") != std::string::npos;
    }));
  }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port) + "/0";
  }
};

} // namespace hishamos::test
