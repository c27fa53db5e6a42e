// The hishamos command's exit codes and messages, run as a real process.

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "tests/support/earlier_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_query.hpp"
#include "tests/support/temp_dir.hpp"

namespace test = hishamos::test;
using test::run_process;

namespace {

const std::string binary = HISHAMOS_BINARY;

// A catalog with quick agents so that runs take milliseconds.
std::string write_catalog(const test::temp_dir& dir) {
  dir.write("catalog/agents/fast.yaml",
            "id: fast\ndepartment: eng\ncapabilities: [write]\n");
  dir.write("catalog/agents/broken.yaml", "id: broken\nfail_rate: 1.0\n");
  dir.write("catalog/templates/echo.yaml",
            "id: cmd_echo\nparams:\n  text: {type: string, required: "
            "true}\nprompt: 'Echo {{text}}'\n");
  return dir / "catalog";
}

test::process_result run_hishamos(const std::vector<std::string>& args) {
  std::vector<std::string> argv{binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

struct bad_case {
  const char* name;
  const char* steps; // YAML under "steps:"
  const char* expected;
};

const bad_case bad_cases[] = {
    {"empty steps", " []\n", "has no steps"},
    {"duplicate ids",
     "\n  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: x}}\n"
     "  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: x}}\n",
     "step 'a': duplicate step id"},
    {"unknown dependency",
     "\n  - {id: a, depends_on: [zz], agent_id: fast, command_template_id: "
     "cmd_echo, params: {text: x}}\n",
     "step 'a': depends_on names unknown step 'zz'"},
    {"cycle",
     "\n  - {id: a, depends_on: [b], agent_id: fast, command_template_id: "
     "cmd_echo, params: {text: x}}\n"
     "  - {id: b, depends_on: [a], agent_id: fast, command_template_id: "
     "cmd_echo, params: {text: x}}\n",
     "steps form a cycle: a -> b -> a"},
    {"unknown agent",
     "\n  - {id: a, agent_id: ghost, command_template_id: cmd_echo, params: "
     "{text: x}}\n",
     "step 'a': unknown agent 'ghost'"},
    {"unknown template",
     "\n  - {id: a, agent_id: fast, command_template_id: cmd_ghost, params: "
     "{text: x}}\n",
     "step 'a': unknown command template 'cmd_ghost'"},
    {"missing input reference",
     "\n  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: '{{inputs.nope}}'}}\n",
     "names an undeclared input 'nope'"},
    {"step not upstream",
     "\n  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: x}}\n"
     "  - {id: b, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: '{{steps.a.output}}'}}\n",
     "step 'b': {{steps.a.output}} uses step 'a' which is not upstream"},
    {"wrong type",
     "\n  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
     "{text: x}, timeout_ms: soon}\n",
     "'timeout_ms' must be an integer >= 0"},
    {"syntax error", "\n  - {id: a, agent_id: [fast\n", "syntax error"},
};

} // namespace

TEST_CASE("validate accepts the demo workflow with exit 0", "[cli]") {
  auto r = run_hishamos({"validate", HISHAMOS_SOURCE_DIR
                         "/config/catalog/workflows/build_new_feature.yaml"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains(
                        "workflow 'Build New Feature' is valid (5 steps)"));
}

TEST_CASE("every kind of bad workflow file exits 2 with a line naming file, "
          "step and fix",
          "[cli]") {
  test::temp_dir dir;
  auto catalog = write_catalog(dir);
  for (const auto& c : bad_cases) {
    DYNAMIC_SECTION(c.name) {
      auto file = dir.write(std::string{"bad-"} + c.name + ".yaml",
                            std::string{"name: Bad\nsteps:"} + c.steps);
      for (const char* cmd : {"validate", "run"}) {
        auto r = run_hishamos({cmd, file, "--catalog", catalog, "--store",
                               "sqlite:" + (dir / "s.db")});
        INFO(cmd << " stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(file));
        CHECK_THAT(r.err, Catch::Contains(c.expected));
        CHECK_THAT(r.err, Catch::Contains("fix:"));
      }
    }
  }
}

TEST_CASE("validate of a missing file exits 2 and names the file", "[cli]") {
  auto r = run_hishamos({"validate", "/nonexistent/wf.yaml"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent/wf.yaml: cannot read file"));
}

TEST_CASE("run of the demo prints each step and the final outputs and exits 0",
          "[cli]") {
  test::temp_dir dir;
  auto r = run_hishamos(
      {"run",
       HISHAMOS_SOURCE_DIR "/config/catalog/workflows/build_new_feature.yaml",
       "--input", "feature=dark mode", "--store", "sqlite:" + (dir / "s.db")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  for (const char* step :
       {"design", "backend", "frontend", "review", "deploy_plan"})
    CHECK_THAT(r.out,
               Catch::Contains(std::string{"step "} + step + ": completed by"));
  CHECK_THAT(r.out, Catch::Contains("=== output of step 'deploy_plan' ==="));
  CHECK_THAT(r.out, Catch::Contains("Write a deployment plan for dark mode"));
  CHECK_THAT(r.out, Catch::Contains("completed"));
}

TEST_CASE("run with bad inputs exits 2 with what is wrong", "[cli]") {
  test::temp_dir dir;
  auto catalog = write_catalog(dir);
  auto file = dir.write(
      "wf.yaml",
      "name: In\ninputs:\n  n: {type: integer, required: true}\nsteps:\n"
      "  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
      "{text: '{{inputs.n}}'}}\n");
  auto store = "sqlite:" + (dir / "s.db");
  auto missing =
      run_hishamos({"run", file, "--catalog", catalog, "--store", store});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("missing required input 'n'"));
  auto typed = run_hishamos({"run", file, "--catalog", catalog, "--store",
                             store, "--input", "n=many"});
  CHECK(typed.exit_code == 2);
  CHECK_THAT(typed.err,
             Catch::Contains("input 'n' must be a integer, got 'many'"));
  auto malformed = run_hishamos(
      {"run", file, "--catalog", catalog, "--store", store, "--input", "n"});
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.err, Catch::Contains("--input 'n' is not key=value"));
  auto unknown = run_hishamos({"run", file, "--catalog", catalog, "--store",
                               store, "--input", "n=1", "--input", "m=2"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown input 'm'"));
  auto good = run_hishamos(
      {"run", file, "--catalog", catalog, "--store", store, "--input", "n=3"});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("Echo 3"));
}

TEST_CASE("run of a workflow whose step fails exits 1", "[cli]") {
  test::temp_dir dir;
  auto catalog = write_catalog(dir);
  auto file = dir.write(
      "wf.yaml",
      "name: Fails\nsteps:\n"
      "  - {id: a, agent_id: broken, command_template_id: cmd_echo, "
      "params: {text: x}, retry: {max_attempts: 2, backoff_ms: 1}}\n");
  auto r = run_hishamos({"run", file, "--catalog", catalog, "--store",
                         "sqlite:" + (dir / "s.db")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("step a: retrying"));
  CHECK_THAT(r.out,
             Catch::Contains("failed: step 'a' failed after 2 attempt(s)"));
}

TEST_CASE(
    "node refuses a config with an unknown key, naming file, line and key",
    "[cli]") {
  test::temp_dir dir;
  auto cfg = dir.write(
      "node.yaml", "node:\n  id: n1\nstore:\n  url: sqlite:x.db\n  pool: 3\n");
  auto r = run_hishamos({"node", "--config", cfg});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(cfg + ":5: unknown key 'pool' in store"));
}

TEST_CASE("an unknown command exits 2 with usage help", "[cli]") {
  auto r = run_hishamos({"frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK_FALSE((r.err + r.out).empty());
}

TEST_CASE("a second node on the same embedded store is refused", "[cli]") {
  test::temp_dir dir;
  auto catalog = write_catalog(dir);
  auto file =
      dir.write("wf.yaml", "name: One\nsteps:\n"
                           "  - {id: a, agent_id: fast, command_template_id: "
                           "cmd_echo, params: {text: x}}\n");
  auto store = dir / "s.db";
  // flock(1) holds the same advisory lock a running node holds.
  auto held = test::run_process({"/usr/bin/flock", "-n", store + ".lock", "-c",
                                 binary + " run " + file + " --catalog " +
                                     catalog + " --store sqlite:" + store});
  CHECK(held.exit_code == 1);
  CHECK_THAT(
      held.err,
      Catch::Contains("the embedded store is in use by another hishamos node"));
  auto free = run_hishamos(
      {"run", file, "--catalog", catalog, "--store", "sqlite:" + store});
  CHECK(free.exit_code == 0);
}

TEST_CASE("db optimize analyzes the store and reports a missing index with "
          "exit 1 until migrate rebuilds it",
          "[cli][persistence]") {
  test::temp_dir dir;
  auto store = "sqlite:" + (dir / "h.db");
  auto clean = run_hishamos({"db", "optimize", "--store", store});
  INFO(clean.out << clean.err);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.out, Catch::Contains("analyzed task_results"));
  CHECK_THAT(clean.out, Catch::Contains("all expected indexes are present"));

  test::sqlite_query(dir / "h.db",
                     "DROP INDEX idx_task_results_created_agent_quality");
  auto missing = run_hishamos({"db", "optimize", "--store", store});
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code == 1);
  CHECK_THAT(
      missing.out,
      Catch::Contains("missing index idx_task_results_created_agent_quality"));
  CHECK_THAT(missing.out, Catch::Contains("fix: run `hishamos migrate`"));
}

TEST_CASE("db finalize makes a store an earlier release made keep "
          "definitions by hash, decisions compact and ledger lines with "
          "their checkpoints, and says so once",
          "[cli][persistence]") {
  test::temp_dir dir;
  auto store = "sqlite:" + (dir / "h.db");
  REQUIRE(run_hishamos({"migrate", "--store", store}).exit_code == 0);
  test::sqlite_query(dir / "h.db", test::undo_migrations_from_18);
  auto says = [&] {
    return test::sqlite_query(dir / "h.db",
                              "SELECT definitions_by_hash || compact_decisions "
                              "|| ledger_with_checkpoints FROM store_identity");
  };
  REQUIRE(run_hishamos({"migrate", "--store", store}).exit_code == 0);
  CHECK(says() == "000"); // migrated, not made, by this release

  auto done = run_hishamos({"db", "finalize", "--store", store});
  INFO(done.out << done.err);
  CHECK(done.exit_code == 0);
  CHECK_THAT(done.out, Catch::Contains("keep each execution definition once, "
                                       "by hash") &&
                           Catch::Contains("routing decision in its compact") &&
                           Catch::Contains("ledger line in its checkpoint") &&
                           Catch::Contains("restart them"));
  CHECK(says() == "111");
  auto again = run_hishamos({"db", "finalize", "--store", store});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("nothing to do"));
}

TEST_CASE("db without a subcommand exits 2 with usage help", "[cli]") {
  auto r = run_hishamos({"db"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out + r.err,
             Catch::Contains("optimize") && Catch::Contains("finalize"));
}

TEST_CASE("a password in a store or Redis URL is masked in start-up errors, "
          "in every form the URL carries it",
          "[cli][secrets]") {
  test::temp_dir dir;
  for (const std::string url :
       {"postgresql://ada:s3cretpw1@127.0.0.1:1/h",
        "postgresql://ada@127.0.0.1:1/h?password=s3cretpw1"}) {
    auto r = run_hishamos({"migrate", "--store", url});
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("s3cretpw1") == std::string::npos);
    CHECK(r.out.find("s3cretpw1") == std::string::npos);
    CHECK(r.err.find("***") != std::string::npos);
  }
  auto config = dir.write("node.yaml", "cache: {redis_url: 'redis://:s3cretpw1@"
                                       "127.0.0.1:6379/notadb'}\n");
  auto r = run_hishamos(
      {"node", "--config", config, "--store", "sqlite:" + (dir / "s.db")});
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("s3cretpw1") == std::string::npos);
}

TEST_CASE("secrets are stored encrypted with `hishamos secret set`, listed "
          "without values, and a tampered one stops a node naming it",
          "[cli][secrets]") {
  test::temp_dir dir;
  auto kek = run_hishamos({"secret", "new-kek"});
  REQUIRE(kek.exit_code == 0);
  auto ring = dir.write("kek", kek.out);
  auto value = dir.write("value", "sk-planted-secret-value\n");
  auto store = "sqlite:" + (dir / "s.db");
  auto config = dir.write(
      "node.yaml", "secrets: {kek_file: '" + ring +
                       "'}\nproviders: {openai: {type: openai, base_url: "
                       "'http://127.0.0.1:1', api_key: 'secret://openai'}}\n");
  auto set = run_hishamos({"secret", "set", "openai", "--from-file", value,
                           "--config", config, "--store", store});
  INFO(set.out << set.err);
  REQUIRE(set.exit_code == 0);
  // Recorded (without its value) in an intact audit chain.
  auto verify = run_hishamos({"audit", "verify", "--store", store});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("intact: 1 rows"));
  auto list =
      run_hishamos({"secret", "list", "--config", config, "--store", store});
  CHECK_THAT(list.out, Catch::Contains("openai"));
  CHECK(list.out.find("sk-planted") == std::string::npos);
  std::ifstream db_file{dir / "s.db", std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>(db_file), {}};
  CHECK(bytes.find("sk-planted-secret-value") == std::string::npos);
  // Without its key ring, or with the row tampered with, no node starts.
  test::sqlite_query(
      dir / "s.db",
      "UPDATE secrets SET ciphertext = CASE WHEN substr(ciphertext, "
      "1, 1) = 'A' THEN 'B' ELSE 'A' END || substr(ciphertext, 2)");
  auto node = run_hishamos({"node", "--config", config, "--store", store});
  INFO(node.err);
  CHECK(node.exit_code != 0);
  CHECK_THAT(node.err, Catch::Contains("secret openai"));
  CHECK(node.err.find("sk-planted") == std::string::npos);
}
