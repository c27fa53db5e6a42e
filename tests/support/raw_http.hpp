#pragma once

// A raw TCP client for what an HTTP library will not send: headers a byte
// at a time, bodies that lie about their length, connections that stall.
// Well-formed requests go through httplib instead; this reads no more of an
// answer than its status line and headers.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

namespace hishamos::test {

class raw_connection {
public:
  explicit raw_connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~raw_connection() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  /// Sends all of `bytes`; false once the server has closed or reset.
  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      auto n =
          ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      sent += static_cast<size_t>(n);
    }
    return fd_ >= 0;
  }

  /// What the server sent until the end of a response head (a blank line),
  /// the connection's close, or `timeout`.
  std::string read_head(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find("\r\n\r\n") == std::string::npos) {
      if (!read_some(deadline))
        break;
    }
    auto end = received_.find("\r\n\r\n");
    auto head = received_.substr(0, end == std::string::npos ? end : end + 4);
    received_.erase(0, head.size());
    return head;
  }

  /// The status code of the next response (0: none within `timeout`);
  /// its body (by Content-Length) is read and dropped.
  int status(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto head = read_head(timeout);
    if (head.compare(0, 9, "HTTP/1.1 ") != 0 || head.size() < 12)
      return 0;
    size_t body = content_length(head);
    while (received_.size() < body && read_some(deadline)) {
    }
    received_.erase(0, std::min(body, received_.size()));
    return std::stoi(head.substr(9, 3));
  }

  /// Whether the server closes the connection within `timeout` (reads and
  /// drops what it still sends).
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_some(deadline))
      received_.clear();
    return eof_;
  }

private:
  static size_t content_length(std::string head) {
    for (auto& c : head)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = head.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 17));
  }

  // One read before `deadline`; false on timeout, close or error.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[8192];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string received_;
};

} // namespace hishamos::test
