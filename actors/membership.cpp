#include "actors/membership.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace hishamos::actors {

namespace {

struct peer {
  caf::actor membership;
  std::string http_address;
  size_t agents = 0;
};

struct membership_state {
  static inline const char* name = "hishamos.membership";
  membership_settings cfg;
  std::map<std::string, peer> peers;
  std::set<std::string> connecting;
};

using membership_self = caf::stateful_actor<membership_state>;

hello own_hello(const membership_state& st) {
  return {protocol_version, st.cfg.node_id, st.cfg.http_address, st.cfg.agents};
}

// Checks what a peer sent before anything acts on it; returns what is
// wrong ("" if nothing).
std::string validate(const hello& h, const std::string& self_id) {
  if (h.protocol != protocol_version)
    return "it speaks protocol version " + std::to_string(h.protocol) +
           ", this node " + std::to_string(protocol_version) +
           "; run the same HishamOS release on every node";
  if (h.node_id.empty())
    return "its hello has no node id";
  if (h.node_id == self_id)
    return "it uses this node's id '" + self_id +
           "'; give every node its own node.id";
  for (const auto& a : h.agents)
    if (a.def.id.empty() || a.def.capacity < 1 || !a.handle)
      return "its agent list holds an invalid entry ('" + a.def.id + "')";
  return {};
}

void accept(membership_self* self, hello& h, const caf::actor& remote) {
  auto& st = self->state;
  auto known = st.peers.find(h.node_id);
  if (known != st.peers.end() && known->second.membership != remote)
    self->demonitor(known->second.membership); // it restarted
  if (known == st.peers.end() || known->second.membership != remote) {
    self->monitor(remote);
    spdlog::info("node {} joined: {} agent(s), admin at {}", h.node_id,
                 h.agents.size(), h.http_address);
  }
  st.peers[h.node_id] = {remote, h.http_address, h.agents.size()};
  self->send(st.cfg.dispatcher, join_atom::value, h.node_id,
             std::move(h.agents));
}

void connect(membership_self* self, const peer_address& p) {
  auto parent = caf::actor_cast<caf::actor>(self);
  // remote_actor blocks until the connection is up or refused.
  bool tls = self->state.cfg.tls;
  self->spawn<caf::detached>([parent, p, tls](caf::blocking_actor* c) {
    auto remote = tls ? caf::openssl::remote_actor(c->system(), p.host, p.port)
                      : c->system().middleman().remote_actor(p.host, p.port);
    c->send(parent, connected_atom::value, p.node_id,
            remote ? *remote : caf::actor{},
            remote ? std::string{} : c->system().render(remote.error()));
  });
}

void greet(membership_self* self, const std::string& node,
           const caf::actor& remote) {
  self->request(remote, std::chrono::seconds{5}, own_hello(self->state))
      .then(
          [self, node, remote](hello& h) {
            if (auto why = validate(h, self->state.cfg.node_id); !why.empty())
              return spdlog::error("refusing node {}: {}", node, why);
            accept(self, h, remote);
          },
          [self, node](caf::error& e) {
            spdlog::error("node {} refused this node: {}", node,
                          self->system().render(e));
          });
}

caf::behavior membership(membership_self* self, membership_settings cfg) {
  self->state.cfg = std::move(cfg);
  self->set_default_handler(
      [](caf::scheduled_actor*,
         caf::message_view& x) -> caf::result<caf::message> {
        spdlog::warn("membership dropped a message it does not understand: {}",
                     caf::to_string(x.copy_content_to_message()));
        return caf::sec::unexpected_message;
      });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& peers = self->state.peers;
    for (auto it = peers.begin(); it != peers.end(); ++it)
      if (it->second.membership.address() == dm.source) {
        spdlog::warn("node {} is down: {}", it->first,
                     self->system().render(dm.reason));
        self->send(self->state.cfg.dispatcher, leave_atom::value, it->first);
        peers.erase(it);
        return;
      }
  });
  return {
      [self](peers_atom, const std::vector<peer_address>& xs) {
        auto& st = self->state;
        for (const auto& p : xs)
          if (p.node_id != st.cfg.node_id && !st.peers.count(p.node_id) &&
              st.connecting.insert(p.node_id).second)
            connect(self, p);
      },
      [self](connected_atom, const std::string& node, const caf::actor& remote,
             const std::string& error) {
        self->state.connecting.erase(node);
        if (!remote)
          return spdlog::warn("cannot reach node {}: {}", node, error);
        greet(self, node, remote);
      },
      [self](hello& h) -> caf::result<hello> {
        if (auto why = validate(h, self->state.cfg.node_id); !why.empty()) {
          spdlog::error("refusing node {}: {}", h.node_id, why);
          return caf::make_error(caf::sec::runtime_error,
                                 "refused by node " + self->state.cfg.node_id +
                                     ": " + why);
        }
        accept(self, h, caf::actor_cast<caf::actor>(self->current_sender()));
        return own_hello(self->state);
      },
      [self](directory_atom) {
        auto out = nlohmann::json::array();
        for (const auto& [id, p] : self->state.peers)
          out.push_back({{"id", id},
                         {"http_address", p.http_address},
                         {"agents", p.agents}});
        return out.dump();
      },
  };
}

} // namespace

caf::actor spawn_membership(caf::actor_system& sys,
                            membership_settings settings) {
  return sys.spawn(membership, std::move(settings));
}

} // namespace hishamos::actors
