#pragma once

// A disk that fills up: a small tmpfs mounted for a test's life, and a
// file that takes all its room (tests run as root in CI and here).

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace hishamos::test {

/// A filesystem of `size` ("6m") mounted on `at` until the object goes.
struct small_disk {
  std::string dir;
  small_disk(std::string at, const char* size) : dir(std::move(at)) {
    auto options = std::string{"size="} + size;
    INFO("mounting a tmpfs needs root: " << std::strerror(errno));
    REQUIRE(::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0);
  }
  ~small_disk() { ::umount2(dir.c_str(), MNT_DETACH); }
  small_disk(const small_disk&) = delete;
  small_disk& operator=(const small_disk&) = delete;
};

/// Fills the disk of `file` with that one file; false if it never filled.
inline bool fill_disk(const std::string& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return false;
  std::string chunk(64 << 10, 'z');
  bool full = false;
  for (int i = 0; i < 100000 && !full; ++i)
    full = ::write(fd, chunk.data(), chunk.size()) < 0 && errno == ENOSPC;
  // Whatever is left in part of a block goes too.
  for (int i = 0; i < 4096 && full; ++i)
    if (::write(fd, chunk.data(), 512) < 0)
      break;
  ::close(fd);
  return full;
}

} // namespace hishamos::test
