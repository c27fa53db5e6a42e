#include "tests/support/fake_model_server.hpp"

#include "tests/support/wait.hpp"

#include <stdexcept>

#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "security/crypto.hpp"

namespace hishamos::test {

namespace {

std::string answer(bool anthropic, const std::string& text) {
  using nlohmann::json;
  if (anthropic)
    return json{{"id", "msg_1"},
                {"type", "message"},
                {"role", "assistant"},
                {"content", {{{"type", "text"}, {"text", text}}}},
                {"usage",
                 {{"input_tokens", 12},
                  {"output_tokens", 7},
                  {"cache_read_input_tokens", 2}}}}
        .dump();
  return json{{"id", "chatcmpl-1"},
              {"object", "chat.completion"},
              {"choices",
               {{{"index", 0},
                 {"message", {{"role", "assistant"}, {"content", text}}},
                 {"finish_reason", "stop"}}}},
              {"usage",
               {{"prompt_tokens", 12},
                {"completion_tokens", 7},
                {"prompt_tokens_details", {{"cached_tokens", 2}}}}}}
      .dump();
}

} // namespace

fake_model_server::fake_model_server(std::size_t threads) {
  server_.Post("/chat/completions",
               [this](const httplib::Request& q, httplib::Response& r) {
                 handle(q, r, false);
               });
  server_.Post("/v1/messages",
               [this](const httplib::Request& q, httplib::Response& r) {
                 handle(q, r, true);
               });
  server_.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  // httplib listens with a backlog of 5: hundreds of clients connecting
  // at once would see their SYNs dropped and retried seconds later, which
  // is the fake's limit, not the client's. A second listen() on the bound
  // socket raises the backlog to what a real API front accepts.
  int listening = -1;
  server_.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (listening >= 0)
    ::listen(listening, 4096);
  thread_ = std::thread{[this] { server_.listen_after_bind(); }};
  // Until it runs, stop() does nothing and a quick test's destructor would
  // wait forever for a thread that then blocks in accept().
  if (!wait_until([this] { return server_.is_running(); }))
    throw std::runtime_error("the fake model server did not start");
}

fake_model_server::~fake_model_server() {
  server_.stop();
  thread_.join();
}

std::string fake_model_server::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void fake_model_server::script(std::vector<scripted_reply> replies) {
  std::lock_guard<std::mutex> guard{mx_};
  script_.assign(replies.begin(), replies.end());
}

std::vector<recorded_request> fake_model_server::requests() {
  std::lock_guard<std::mutex> guard{mx_};
  return seen_;
}

std::size_t fake_model_server::request_count() {
  std::lock_guard<std::mutex> guard{mx_};
  return seen_.size();
}

void fake_model_server::handle(const httplib::Request& req,
                               httplib::Response& res, bool anthropic) {
  scripted_reply r;
  {
    std::lock_guard<std::mutex> guard{mx_};
    seen_.push_back(
        {req.path, req.headers, req.body, std::chrono::steady_clock::now()});
    if (!script_.empty()) {
      r = script_.front();
      if (script_.size() > 1)
        script_.pop_front();
    }
  }
  using k = scripted_reply::kind;
  switch (r.what) {
  case k::answer:
    res.set_content(answer(anthropic, r.text), "application/json");
    return;
  case k::status:
    res.status = r.status;
    if (!r.retry_after.empty())
      res.set_header("Retry-After", r.retry_after);
    res.set_content(r.body, "application/json");
    return;
  case k::slow:
    // The fake upstream's own latency, not test synchronisation.
    std::this_thread::sleep_for(r.delay);
    res.set_content(answer(anthropic, r.text), "application/json");
    return;
  case k::drop:
    res.set_content_provider(1000, "application/json",
                             [](size_t, size_t, httplib::DataSink& sink) {
                               sink.write("{\"choi", 6);
                               return false; // closes the connection mid-body
                             });
    return;
  case k::malformed:
    res.set_content("<html>not json</html>", "text/html");
    return;
  case k::huge:
    res.set_content(std::string(r.size, 'x'), "application/json");
    return;
  case k::echo_auth: {
    auto key = req.has_header("Authorization")
                   ? req.get_header_value("Authorization")
                   : req.get_header_value("x-api-key");
    if (key.rfind("Bearer ", 0) == 0)
      key = key.substr(7);
    if (r.body == "base64")
      key = security::base64_encode(key);
    res.status = 401;
    // `size` spaces first: the key then sits where a cut message ends.
    res.set_content("{\"error\": {\"message\": \"" + std::string(r.size, ' ') +
                        "Incorrect API key provided: " + key + "\"}}",
                    "application/json");
    return;
  }
  }
}

} // namespace hishamos::test
