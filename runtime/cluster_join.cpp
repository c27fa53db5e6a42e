// Joining the cluster: TLS between nodes, the middleman port for peers,
// the membership actor that greets them, and this node's row in the nodes
// table so that the others can connect to it.

#include <cstdio>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <spdlog/spdlog.h>

#include "actors/membership.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

// Mutual TLS between nodes: every peer must present a certificate signed by
// the CA, or the handshake fails before any actor message is read.
model::result<bool> use_tls(caf::actor_system_config& cfg,
                            const config::tls_settings& tls) {
  int given = !tls.certificate.empty() + !tls.key.empty() + !tls.ca.empty();
  if (given == 0)
    return true;
  if (given != 3)
    return model::problem{"", 0, "",
                          "node.tls needs certificate, key and ca together",
                          "set all three, or none for plain TCP"};
  for (const auto* path : {&tls.certificate, &tls.key, &tls.ca})
    if (std::FILE* f = std::fopen(path->c_str(), "r"))
      std::fclose(f);
    else
      return model::problem{"", 0, "", "node.tls: cannot read '" + *path + "'",
                            "make test files with deploy/make-test-certs.sh"};
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
  return true;
}

// Opens the middleman port, greets peers through the membership actor and
// records this node's address in the nodes table for the others.
model::result<bool> node::impl::join_cluster() {
  const auto& c = opts.config;
  if (c.listen.empty())
    return true;
  if (c.store_url.rfind("sqlite:", 0) == 0)
    return model::problem{"", 0, "",
                          "node.listen is set but the store is embedded "
                          "(SQLite): a cluster shares one PostgreSQL",
                          "set store.url to a postgresql:// URL, or remove "
                          "node.listen"};
  auto hp = config::split_host_port(c.listen, "node.listen");
  if (!hp)
    return hp.errors();
  actors::membership_settings ms;
  ms.node_id = c.node_id;
  ms.http_address = c.http_listen;
  ms.dispatcher = dispatcher;
  ms.tls = !c.tls.certificate.empty();
  ms.lock_authority = lock_authority;
  ms.started_at_ms = started_at_ms;
  for (const auto& seed : c.seeds) {
    auto shp = config::split_host_port(seed, "node.seeds");
    if (!shp)
      return shp.errors();
    ms.seeds.push_back(
        {"", shp->first, static_cast<std::uint16_t>(shp->second)});
  }
  bool tls = ms.tls;
  {
    std::lock_guard<std::mutex> guard{mx};
    for (const auto& [id, a] : hosted)
      if (const auto* def = catalog->find_agent(id))
        ms.agents.push_back({*def, a});
  }
  membership = actors::spawn_membership(*sys, std::move(ms));
  auto wanted = static_cast<std::uint16_t>(hp->second);
  auto port =
      tls ? caf::openssl::publish(membership, wanted, hp->first.c_str(), true)
          : sys->middleman().publish(membership, wanted, hp->first.c_str(),
                                     true);
  if (!port)
    return model::problem{"", 0, "",
                          "cannot listen for peers on " + c.listen + ": " +
                              sys->render(port.error()),
                          "free the port or change node.listen"};
  address = hp->first + ":" + std::to_string(*port);
  persistence::node_row me{c.node_id, address, c.http_listen};
  if (auto st = pool->with("register_node",
                           [&](persistence::store& db) -> persistence::status {
                             if (auto* leases = db.leases())
                               return leases->register_node(me, c.lease_ms);
                             return {};
                           });
      !st)
    return store_problem("cannot register this node", st);
  spdlog::info("node {} listens for peers on {}", c.node_id, address);
  return true;
}

} // namespace hishamos
