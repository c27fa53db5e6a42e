#include "runtime/store_lock.hpp"

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

namespace hishamos::runtime {

store_lock::~store_lock() {
  if (fd_ >= 0)
    ::close(fd_);
}

store_lock& store_lock::operator=(store_lock&& other) noexcept {
  std::swap(fd_, other.fd_);
  return *this;
}

model::result<store_lock> store_lock::acquire(const std::string& url) {
  const std::string prefix = "sqlite:";
  store_lock out;
  if (url.rfind(prefix, 0) != 0)
    return out;
  auto path = url.substr(prefix.size()) + ".lock";
  std::error_code ec;
  if (auto parent = std::filesystem::path{path}.parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  out.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (out.fd_ < 0)
    return model::problem{path, 0, "",
                          std::string{"cannot open lock file: "} +
                              std::strerror(errno),
                          "check that the store directory is writable"};
  if (::flock(out.fd_, LOCK_EX | LOCK_NB) != 0)
    return model::problem{
        url.substr(prefix.size()), 0, "",
        "the embedded store is in use by another hishamos node",
        "stop that node, or give this one its own store with --store "
        "sqlite:OTHER.db (the embedded store is single-node; use "
        "PostgreSQL for several nodes)"};
  return out;
}

} // namespace hishamos::runtime
