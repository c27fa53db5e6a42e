#pragma once

#include <string>
#include <vector>

namespace hishamos::cli {

/// Exit codes of the hishamos command.
enum exit_code { ok = 0, workflow_failed = 1, bad_input = 2 };

/// Options shared by the commands that run a node.
struct common_options {
  std::vector<std::string> catalog_paths; ///< Empty: the built-in catalog.
  std::string store_url;                  ///< Empty: config or default.
  bool start_afresh = false; ///< --start-afresh (node_options::start_afresh)
};

/// What `hishamos user ...`, `apikey create` and `auth rotate-key` do.
struct user_options {
  std::string
      action; ///< add | passwd | disable | enable | list | apikey | rotate-key
  std::string username;
  std::string role;
  std::string key_name;
  std::string config_file;
};

int user_command(const user_options& u, const common_options& opts);

/// What `hishamos secret ...` does.
struct secret_options {
  std::string action; ///< set | list | rotate-kek | new-kek
  std::string name;
  std::string value_file; ///< "" = the value from standard input.
  std::string config_file;
};

int secret_command(const secret_options& s, const common_options& opts);
int validate_command(const std::string& file, const common_options& opts);
int run_command(const std::string& file, const std::vector<std::string>& inputs,
                const common_options& opts);
int node_command(const std::string& config_file, bool dev,
                 const common_options& opts);
int migrate_command(const std::string& config_file, const common_options& opts);
/// Walks the audit log's hash chain: 0 intact, 1 broken (naming the row),
/// 2 bad input.
int audit_verify_command(const std::string& config_file,
                         const common_options& opts);
/// ANALYZE and a missing-index report: 0 when every expected index is
/// there, 1 when one is missing or invalid, 2 for bad input.
int optimize_command(const std::string& config_file,
                     const common_options& opts);
/// Turns on what releases before this one cannot read (definitions kept
/// by hash, compact routing decisions), once every node sharing the store
/// runs this release: 0 done, 1 failed, 2 bad input.
int finalize_command(const std::string& config_file,
                     const common_options& opts);
/// A logical copy of the store into `file` (never overwritten): 0 done,
/// 1 failed, 2 bad input.
int backup_command(const std::string& config_file, const std::string& file,
                   const common_options& opts);
/// The copy in `file` into the config's store, which must be empty.
int restore_command(const std::string& config_file, const std::string& file,
                    const common_options& opts);

} // namespace hishamos::cli
