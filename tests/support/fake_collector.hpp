#pragma once

// An OpenTelemetry collector on loopback that speaks OTLP/HTTP with the
// JSON encoding (POST /v1/traces): it keeps every span it is sent, with
// its resource's service.instance.id as "node", and counts bodies that are
// not OTLP JSON.

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace hishamos::test {

class fake_collector {
public:
  fake_collector();
  ~fake_collector();

  /// http://127.0.0.1:<port>/v1/traces
  [[nodiscard]] std::string url() const;
  /// The spans of trace `id` received so far ("" = all).
  [[nodiscard]] std::vector<nlohmann::json> spans_of(const std::string& id);
  /// Requests received (each one batch).
  [[nodiscard]] int requests();
  /// Bodies that were not JSON, or not sent as application/json.
  [[nodiscard]] int malformed();
  /// The resource attributes of the last batch, by key.
  [[nodiscard]] nlohmann::json last_resource();

private:
  void take(const httplib::Request& req, httplib::Response& res);
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mx_;
  std::vector<nlohmann::json> spans_;
  nlohmann::json resource_ = nlohmann::json::object();
  int requests_ = 0;
  int malformed_ = 0;
};

} // namespace hishamos::test
