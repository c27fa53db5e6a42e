#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace hishamos::test {

/// A fresh directory under /tmp, removed when the object goes away (kept
/// when HISHAMOS_KEEP_TEST_DIRS is set, to read what a failed test left).
class temp_dir {
public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hishamos-test-XXXXXX")
            .string();
    path_ = mkdtemp(pattern.data());
  }
  ~temp_dir() {
    if (std::getenv("HISHAMOS_KEEP_TEST_DIRS"))
      return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

  /// Writes `text` to `name` (creating parent directories); returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream{p} << text;
    return p.string();
  }

private:
  std::filesystem::path path_;
};

} // namespace hishamos::test
