// One HTTP connection: read a request within its limits and deadlines,
// run its route on a worker, write the answer, and read the next one while
// the client keeps the connection alive. A response that streams (SSE) is
// written as chunks for as long as its producers send events.

#include <deque>
#include <mutex>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "admin/errors.hpp"
#include "admin/event_stream.hpp"
#include "admin/internal/asio.hpp"
#include "admin/internal/sse_stream.hpp"
#include "admin/url.hpp"

namespace hishamos::admin {

namespace {

using std::chrono::milliseconds;

/// How much of an oversized body is read (and thrown away) after the
/// error answer, so that the client sees the answer rather than a reset.
constexpr size_t max_drain_bytes = 8 << 20;

// Plain or TLS (ssl_stream over tcp_stream), with a handshake first.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<session<Stream>>::shared_from_this;
  using std::enable_shared_from_this<session<Stream>>::weak_from_this;

public:
  template <class... Tls>
  session(tcp::socket s, server_core& core, Tls&... tls_context)
      : stream_(std::move(s), tls_context...), core_(core),
        buffer_(static_cast<size_t>(core.limits.max_header_bytes) + 65536) {
    ++core_.connections;
  }
  ~session() { --core_.connections; }

  void start() {
    beast::error_code ec;
    auto ep = socket().remote_endpoint(ec);
    remote_ = ec ? "" : ep.address().to_string();
    socket().set_option(tcp::no_delay(true), ec);
    if constexpr (tls) {
      // Plain HTTP to a TLS port, or no handshake in time, ends here.
      lowest().expires_after(milliseconds{limits().header_timeout_ms});
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          [self = shared_from_this()](beast::error_code ec) {
            if (ec)
              return self->close();
            self->admit();
          });
    } else {
      admit();
    }
  }

  void admit() {
    if (core_.connections > server_core::max_connections) {
      closing_ = true;
      return answer(core_.overloaded("too many connections"),
                    request_id_from(""));
    }
    wait_for_request();
  }

  /// Writes what the stream has queued (on the strand).
  void flush_stream();

private:
  const config::http_limits& limits() const { return core_.limits; }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  tcp::socket& socket() { return lowest().socket(); }

  // A kept-alive connection may sit idle; the first byte of a request then
  // starts the header deadline.
  void wait_for_request() {
    if (buffer_.size() > 0)
      return read_header();
    lowest().expires_after(milliseconds{
        served_ == 0 ? limits().header_timeout_ms : limits().idle_timeout_ms});
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = shared_from_this()](beast::error_code ec, size_t n) {
          if (ec)
            return self->close();
          self->buffer_.commit(n);
          self->read_header();
        });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(limits().max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(limits().max_body_bytes));
    arm_read_deadline(limits().header_timeout_ms);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->on_header(ec);
        });
  }

  void on_header(beast::error_code ec) {
    ec = disarm(ec);
    if (ec == http::error::end_of_stream)
      return close();
    if (ec)
      return fail(unreadable_request(ec, "headers", limits().header_timeout_ms,
                                     limits()));
    const auto& h = parser_->get();
    if (static_cast<std::int64_t>(h.target().size()) > limits().max_url_bytes)
      return fail({414, "uri_too_long",
                   "the request target has " +
                       std::to_string(h.target().size()) + " bytes; at most " +
                       std::to_string(limits().max_url_bytes) + " are read"});
    if (std::distance(h.begin(), h.end()) > limits().max_headers)
      return fail({431, "too_many_headers",
                   "the request has more than " +
                       std::to_string(limits().max_headers) +
                       " header fields"});
    auto expect = h[http::field::expect];
    if (beast::iequals(expect, "100-continue"))
      return send_continue();
    read_body();
  }

  void send_continue() {
    static const std::string line = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(
        stream_, asio::buffer(line),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return self->close();
          self->read_body();
        });
  }

  void read_body() {
    if (parser_->is_done())
      return on_body({});
    arm_read_deadline(limits().body_timeout_ms);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_body(ec);
                     });
  }

  // A deadline for reading a request that, unlike the stream's own (which
  // closes the socket), only cancels the read: the client is told 408.
  void arm_read_deadline(std::int64_t ms) {
    lowest().expires_never();
    auto generation = ++read_generation_;
    deadline_.expires_after(milliseconds{ms});
    deadline_.async_wait(
        [self = shared_from_this(), generation](beast::error_code ec) {
          if (ec || generation != self->read_generation_)
            return; // disarmed: the read ended first
          self->timed_out_ = true;
          beast::error_code ignored;
          self->socket().cancel(ignored);
        });
  }

  // The read ended: stops its deadline; a read the deadline cancelled
  // ends as a timeout.
  beast::error_code disarm(beast::error_code ec) {
    ++read_generation_;
    deadline_.cancel();
    if (timed_out_) {
      timed_out_ = false;
      return beast::error::timeout;
    }
    return ec;
  }

  void on_body(beast::error_code ec) {
    ec = disarm(ec);
    if (ec)
      return fail(
          unreadable_request(ec, "body", limits().body_timeout_ms, limits()));
    auto& h = parser_->get();
    request req;
    req.method = std::string{h.method_string()};
    auto t = parse_target(std::string{h.target()});
    req.remote_addr = remote_;
    for (const auto& f : h) {
      std::string name{f.name_string()};
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace(std::move(name), std::string{f.value()});
    }
    req.request_id = request_id_from(req.headers["x-request-id"]);
    req.max_json_depth = limits().max_json_depth;
    keep_alive_ = parser_->keep_alive();
    if (!t)
      return answer(error_response({400, "invalid_target",
                                    "the request target is not a path with a "
                                    "valid query (a bad %-escape?)"}),
                    req.request_id);
    req.path = std::move(t->path);
    req.segments = std::move(t->segments);
    req.query = std::move(t->query);
    req.body = std::move(h.body());
    lowest().expires_never(); // the handler may take its time
    auto id = req.request_id;
    auto self = shared_from_this();
    bool queued = core_.run(std::move(req), [self, id](response res) {
      asio::post(self->stream_.get_executor(),
                 [self, id, res = std::move(res)]() mutable {
                   self->answer(std::move(res), id);
                 });
    });
    if (!queued)
      answer(core_.overloaded("too many requests at once"), id);
  }

  void answer(response res, const std::string& request_id) {
    ++served_;
    if (res.stream)
      return start_stream(std::move(res), request_id);
    auto out = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), 11);
    out->set(http::field::server, "hishamos");
    out->set(http::field::content_type, res.content_type);
    out->set("X-Request-Id", request_id);
    for (const auto& [k, v] : res.headers)
      out->set(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive_ && !closing_);
    out->prepare_payload();
    lowest().expires_after(milliseconds{limits().body_timeout_ms});
    http::async_write(
        stream_, *out,
        [self = shared_from_this(), out](beast::error_code ec, size_t) {
          if (ec || !out->keep_alive())
            return self->finish();
          self->wait_for_request();
        });
  }

  // An error while reading: answered, then the connection closes (what is
  // left of the request cannot be trusted).
  void fail(const api_error& e) {
    closing_ = true;
    answer(error_response(e), request_id_from(""));
  }

  // After a final answer: stop sending, read (and drop) a bounded rest of
  // what the client still sends, so that it sees the answer, then close.
  void finish() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(milliseconds{1000});
    drain();
  }

  void drain() {
    stream_.async_read_some(
        asio::buffer(scratch_),
        [self = shared_from_this()](beast::error_code ec, size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > max_drain_bytes)
            return self->close();
          self->drain();
        });
  }

  void close() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    if (stream_out_)
      stream_out_->ended();
  }

  void start_stream(response res, const std::string& request_id);
  void watch_client();

  Stream stream_;
  asio::steady_timer deadline_{stream_.get_executor()};
  std::uint64_t read_generation_ = 0;
  bool timed_out_ = false;
  server_core& core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool keep_alive_ = false;
  bool closing_ = false;
  int served_ = 0;
  size_t drained_ = 0;
  std::array<char, 8192> scratch_{};
  // A streaming response.
  std::shared_ptr<sse_stream> stream_out_;
  std::unique_ptr<http::response<http::empty_body>> stream_head_;
  std::unique_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::deque<std::string> writing_;
  bool stream_busy_ = false;
  bool stream_done_ = false;
};

template <class Stream>
void session<Stream>::start_stream(response res,
                                   const std::string& request_id) {
  stream_head_ =
      std::make_unique<http::response<http::empty_body>>(http::status::ok, 11);
  stream_head_->set(http::field::server, "hishamos");
  stream_head_->set(http::field::content_type, "text/event-stream");
  stream_head_->set(http::field::cache_control, "no-cache");
  stream_head_->set("X-Request-Id", request_id);
  for (const auto& [k, v] : res.headers)
    stream_head_->set(k, v);
  stream_head_->keep_alive(false);
  stream_head_->chunked(true);
  serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(
      *stream_head_);
  stream_out_ = std::make_shared<sse_stream>([weak = weak_from_this()] {
    if (auto self = weak.lock())
      asio::post(self->stream_.get_executor(),
                 [self] { self->flush_stream(); });
  });
  stream_busy_ = true;
  lowest().expires_after(milliseconds{limits().body_timeout_ms});
  http::async_write_header(
      stream_, *serializer_,
      [self = shared_from_this(),
       produce = std::move(res.stream)](beast::error_code ec, size_t) {
        self->stream_busy_ = false;
        if (ec)
          return self->close();
        self->watch_client();
        auto out = self->stream_out_;
        // The producer may read the store: it runs on a worker.
        if (!self->core_.workers.try_post([produce, out] { produce(out); }))
          out->close();
        self->flush_stream();
      });
}

// A streaming client sends nothing more: a read that ends means it left.
template <class Stream> void session<Stream>::watch_client() {
  lowest().expires_never();
  stream_.async_read_some(
      asio::buffer(scratch_),
      [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec)
          return self->close();
        self->watch_client();
      });
}

template <class Stream> void session<Stream>::flush_stream() {
  if (stream_busy_ || stream_done_ || !stream_out_)
    return;
  bool closing = false;
  auto more = stream_out_->take(closing);
  for (auto& x : more)
    writing_.push_back(std::move(x));
  if (writing_.empty()) {
    if (!closing)
      return;
    stream_done_ = true;
    return asio::async_write(stream_, http::make_chunk_last(),
                             [self = shared_from_this()](
                                 beast::error_code, size_t) { self->close(); });
  }
  stream_busy_ = true;
  auto text = std::make_shared<std::string>(std::move(writing_.front()));
  writing_.pop_front();
  asio::async_write(
      stream_, http::make_chunk(asio::buffer(*text)),
      [self = shared_from_this(), text](beast::error_code ec, size_t) {
        self->stream_busy_ = false;
        if (ec)
          return self->close();
        self->flush_stream();
      });
}

} // namespace

void serve_connection(tcp::socket socket, server_core& core,
                      asio::ssl::context* tls) {
  if (tls)
    std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(socket), core, *tls)
        ->start();
  else
    std::make_shared<session<beast::tcp_stream>>(std::move(socket), core)
        ->start();
}

} // namespace hishamos::admin
