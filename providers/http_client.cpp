#include "providers/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <curl/curl.h>

namespace hishamos::providers {

namespace {

struct transfer {
  http_request req;
  http_client::callback done;
  http_response res;
  curl_slist* headers = nullptr;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto n = size * count;
  if (t->res.body.size() + n > t->req.max_response_bytes) {
    t->overflow = true;
    return 0; // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->res.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  std::string line{data, size * count};
  if (auto colon = line.find(':'); colon != std::string::npos) {
    auto name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    auto first = value.find_first_not_of(" \t");
    auto last = value.find_last_not_of(" \t\r\n");
    t->res.headers[name] =
        first == std::string::npos ? "" : value.substr(first, last - first + 1);
  }
  return size * count;
}

} // namespace

struct http_client::impl {
  CURLM* multi = curl_multi_init();
  std::mutex mx;
  std::deque<std::unique_ptr<transfer>> submitted;              // under mx
  bool stopping = false;                                        // under mx
  std::unordered_map<CURL*, std::unique_ptr<transfer>> running; // loop only
  std::atomic<std::size_t> pending{0};
  std::thread loop;

  explicit impl(long max_host_connections) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      max_host_connections);
    loop = std::thread{[this] { run(); }};
  }

  ~impl() {
    {
      std::lock_guard<std::mutex> guard{mx};
      stopping = true;
    }
    curl_multi_wakeup(multi);
    loop.join();
    curl_multi_cleanup(multi);
  }

  void start(std::unique_ptr<transfer> t) {
    CURL* h = curl_easy_init();
    auto& r = t->req;
    curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(r.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout_ms));
    for (const auto& line : r.headers)
      t->headers = curl_slist_append(t->headers, line.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers);
    if (!r.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(r.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t.get());
    curl_multi_add_handle(multi, h);
    running.emplace(h, std::move(t));
  }

  void finish(CURL* h, CURLcode code) {
    auto node = running.extract(h);
    auto& t = *node.mapped();
    curl_multi_remove_handle(multi, h);
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      t.res.status = static_cast<int>(status);
    } else {
      t.res.status = 0;
      t.res.timed_out = code == CURLE_OPERATION_TIMEDOUT;
      t.res.too_large = t.overflow;
      t.res.error = t.overflow ? "the response is larger than " +
                                     std::to_string(t.req.max_response_bytes) +
                                     " bytes"
                               : curl_easy_strerror(code);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(t.headers);
    --pending;
    t.done(std::move(t.res));
  }

  void run() {
    for (;;) {
      std::deque<std::unique_ptr<transfer>> fresh;
      {
        std::lock_guard<std::mutex> guard{mx};
        if (stopping)
          break;
        fresh.swap(submitted);
      }
      for (auto& t : fresh)
        start(std::move(t));
      int still = 0;
      curl_multi_perform(multi, &still);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE)
          finish(m->easy_handle, m->data.result);
      long next = -1; // when curl's next timeout is due
      curl_multi_timeout(multi, &next);
      int wait = next < 0 || next > 1000 ? 1000 : static_cast<int>(next);
      curl_multi_poll(multi, nullptr, 0, wait, nullptr);
    }
    // Stopping: every call still open is answered, as cancelled.
    std::vector<CURL*> open;
    for (auto& [h, t] : running)
      open.push_back(h);
    for (auto* h : open) {
      running.at(h)->overflow = false;
      finish(h, CURLE_ABORTED_BY_CALLBACK);
    }
    std::lock_guard<std::mutex> guard{mx};
    for (auto& t : submitted) {
      http_response r;
      r.error = "the HTTP client stopped";
      --pending;
      t->done(std::move(r));
    }
  }
};

http_client::http_client(long max_host_connections)
    : impl_(std::make_unique<impl>(max_host_connections)) {}

http_client::~http_client() = default;

void http_client::submit(http_request req, callback done) {
  auto t = std::make_unique<transfer>();
  t->req = std::move(req);
  t->done = std::move(done);
  ++impl_->pending;
  {
    std::lock_guard<std::mutex> guard{impl_->mx};
    impl_->submitted.push_back(std::move(t));
  }
  curl_multi_wakeup(impl_->multi);
}

std::size_t http_client::in_flight() const { return impl_->pending; }

} // namespace hishamos::providers
