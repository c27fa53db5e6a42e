#pragma once

// The store a node saw: its identity and how many executions and
// checkpoints it held, kept in a file of the node's own (store.seen_file,
// by default beside an SQLite store's file). At start the node compares
// the store with it and refuses a store that is another one, an empty
// one, or one holding less than it saw (a truncated file, a lost -wal, a
// restored older backup, a wrong URL), unless told to start afresh. While
// the node runs, a thread of its own brings the file up to date every
// `interval` and at stop, writing it atomically (a temporary file,
// fsync, rename), so a crash leaves the old mark or the new one.
//
// What it cannot see: what the store lost of the last `interval` before
// the file was brought up to date.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "model/result.hpp"
#include "persistence/store_pool.hpp"

namespace hishamos::runtime {

class store_watermark {
public:
  /// The seen file of a store URL and the configured path ("" = beside
  /// an SQLite file, none for PostgreSQL; "off" = none).
  static std::string seen_file_of(const std::string& store_url,
                                  const std::string& configured);

  /// Checks the store against `path` (none yet: this is the first start
  /// on it) and starts keeping the file. A problem saying what differs
  /// and how to go on when the store is not the one seen; with
  /// `start_afresh`, a warning instead, and the file is replaced.
  static model::result<std::unique_ptr<store_watermark>>
  check(persistence::store_pool& pool, const std::string& path,
        bool start_afresh,
        std::chrono::milliseconds interval = std::chrono::seconds{1});

  ~store_watermark(); ///< Writes the mark once more, then stops.
  store_watermark(const store_watermark&) = delete;
  store_watermark& operator=(const store_watermark&) = delete;

private:
  store_watermark(persistence::store_pool& pool, std::string path,
                  std::chrono::milliseconds interval,
                  persistence::store_mark written);
  void run();
  void update();

  persistence::store_pool& pool_;
  const std::string path_;
  const std::chrono::milliseconds interval_;
  /// What the file holds now (only the thread, then the destructor after
  /// it, touch it).
  persistence::store_mark written_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace hishamos::runtime
