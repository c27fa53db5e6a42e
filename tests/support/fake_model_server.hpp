#pragma once

// A fake model API on loopback that speaks the real protocols: OpenAI
// chat completions (POST /chat/completions) and Anthropic messages (POST
// /v1/messages). Each request takes the next scripted reply (the last one
// repeats); every request is recorded with its headers, body and arrival
// time, so tests check the request's shape and what reached "upstream".

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace hishamos::test {

struct scripted_reply {
  enum class kind {
    answer,    ///< 200 with a well-formed answer of the server's protocol
    status,    ///< `status` with `body` (and Retry-After when set)
    slow,      ///< an answer after `delay`
    drop,      ///< headers, then the connection closes mid-body
    malformed, ///< 200 with a body that is not JSON
    huge,      ///< 200 with `size` bytes
    echo_auth, ///< 401 whose error quotes the key it was sent (after `size`
               ///< spaces; base64-encoded when `body` is "base64")
  };
  kind what = kind::answer;
  int status = 200;
  std::string body;
  std::string retry_after;
  std::chrono::milliseconds delay{0};
  std::size_t size = 0;
  std::string text = "## Answer\nfrom the fake model";
};

struct recorded_request {
  std::string path;
  httplib::Headers headers;
  std::string body;
  std::chrono::steady_clock::time_point at;
};

class fake_model_server {
public:
  /// `threads`: requests it serves at once (a pool made up front).
  explicit fake_model_server(std::size_t threads = 16);
  ~fake_model_server();

  /// http://127.0.0.1:<port>
  [[nodiscard]] std::string base_url() const;
  void script(std::vector<scripted_reply> replies);
  [[nodiscard]] std::vector<recorded_request> requests();
  [[nodiscard]] std::size_t request_count();

private:
  void handle(const httplib::Request& req, httplib::Response& res,
              bool anthropic);
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mx_;
  std::deque<scripted_reply> script_;
  std::vector<recorded_request> seen_;
};

} // namespace hishamos::test
