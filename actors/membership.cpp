#include "actors/membership.hpp"
#include "actors/internal/exceptions.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/lock_authority.hpp"
#include "actors/wire_checks.hpp"

namespace hishamos::actors {

namespace {

struct peer {
  caf::actor membership;
  std::string http_address;
  size_t agents = 0;
  int joined_at = 0; ///< Heartbeats seen when it was accepted.
  caf::actor lock_authority;
  std::int64_t started_at_ms = 0;
};

struct membership_state {
  static inline const char* name = "hishamos.membership";
  membership_settings cfg;
  std::map<std::string, peer> peers;
  /// Connections under way, by key: "node <id>" (from the nodes table) or
  /// "seed <host:port>" (from node.seeds).
  std::set<std::string> connecting;
  /// Which node each seed turned out to be.
  std::map<std::string, std::string> seed_nodes;
  int heartbeats = 0;   ///< Tables of live nodes seen (peers_atom).
  int greeting = 0;     ///< Hellos sent and not answered yet.
  caf::actor authority; ///< The lock authority named to the dispatcher.
};

using membership_self = caf::stateful_actor<membership_state>;

// cfg.agents follows the dispatcher (refreshed every heartbeat), so that a
// node greeting this one learns agents registered after start too.
hello own_hello(const membership_state& st) {
  return {protocol_version, st.cfg.node_id,        st.cfg.http_address,
          st.cfg.agents,    st.cfg.lock_authority, st.cfg.started_at_ms};
}

// The oldest member's lock authority grants the locks of the whole
// cluster: a node that joins later never displaces it, so it moves only
// when its node goes. Named once this node has tried every peer of its
// first nodes table (or a heartbeat later), so that a node does not grant
// locks alone before it sees the cluster; then again whenever the members
// change.
void name_authority(membership_self* self) {
  auto& st = self->state;
  bool settled = st.connecting.empty() && st.greeting == 0;
  if (st.heartbeats == 0 || (!settled && st.heartbeats < 2))
    return;
  std::pair oldest{st.cfg.started_at_ms, st.cfg.node_id};
  auto chosen = st.cfg.lock_authority;
  for (const auto& [id, p] : st.peers)
    if (std::pair{p.started_at_ms, id} < oldest) {
      oldest = {p.started_at_ms, id};
      chosen = p.lock_authority;
    }
  if (chosen == st.authority)
    return;
  st.authority = chosen;
  spdlog::info("the lock authority of the cluster is node {}'s", oldest.second);
  if (chosen == st.cfg.lock_authority) {
    std::vector<std::string> members{st.cfg.node_id};
    for (const auto& [id, p] : st.peers)
      members.push_back(id);
    self->send(chosen, authority_atom::value, std::move(members));
  }
  self->send(st.cfg.dispatcher, authority_atom::value, chosen);
}

// A peer is gone: its agents leave the directory, its locks are freed.
void forget_peer(membership_self* self, const std::string& node) {
  self->send(self->state.cfg.dispatcher, leave_atom::value, node);
  self->send(self->state.cfg.lock_authority, leave_atom::value, node);
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
  int joined_at = known != st.peers.end() && known->second.membership == remote
                      ? known->second.joined_at
                      : st.heartbeats;
  st.peers[h.node_id] = {remote,    h.http_address,   h.agents.size(),
                         joined_at, h.lock_authority, h.started_at_ms};
  self->send(
      st.cfg.dispatcher,
      directory_update{protocol_version, h.node_id, std::move(h.agents), {}});
  name_authority(self);
}

// What this release adds to the protocol (messages.hpp), told to a peer
// that accepted this node: one of an earlier release drops it with a
// warning and gets none of it.
void announce_features(membership_self* self, const caf::actor& peer) {
  self->send(peer, features_atom::value, self->state.cfg.node_id,
             std::string{node_features});
}

void connect(membership_self* self, const std::string& key,
             const std::string& host, std::uint16_t port) {
  auto parent = caf::actor_cast<caf::actor>(self);
  // remote_actor blocks until the connection is up or refused.
  bool tls = self->state.cfg.tls;
  self->spawn<caf::detached>([parent, key, host, port,
                              tls](caf::blocking_actor* c) {
    auto remote = tls ? caf::openssl::remote_actor(c->system(), host, port)
                      : c->system().middleman().remote_actor(host, port);
    c->send(parent, connected_atom::value, key, remote ? *remote : caf::actor{},
            remote ? std::string{} : c->system().render(remote.error()));
  });
}

void greet(membership_self* self, const std::string& key,
           const caf::actor& remote) {
  ++self->state.greeting;
  self->request(remote, std::chrono::seconds{5}, own_hello(self->state))
      .then(
          [self, key, remote](hello& h) {
            --self->state.greeting;
            if (auto why = check_hello(h, self->state.cfg.node_id);
                !why.empty()) {
              spdlog::error("refusing {}: {}", key, why);
              return name_authority(self);
            }
            if (key.rfind("seed ", 0) == 0)
              self->state.seed_nodes[key] = h.node_id;
            accept(self, h, remote);
            announce_features(self, remote);
          },
          [self, key](caf::error& e) {
            --self->state.greeting;
            spdlog::error("{} refused this node: {}", key,
                          self->system().render(e));
            name_authority(self);
          });
}

// Connects to the live peers of the nodes table and to the seeds that are
// not a connected peer yet.
void reach(membership_self* self, const std::vector<peer_address>& table) {
  auto& st = self->state;
  for (const auto& p : table)
    if (p.node_id != st.cfg.node_id && !st.peers.count(p.node_id) &&
        st.connecting.insert("node " + p.node_id).second)
      connect(self, "node " + p.node_id, p.host, p.port);
  for (const auto& s : st.cfg.seeds) {
    auto key = "seed " + s.host + ":" + std::to_string(s.port);
    auto known = st.seed_nodes.find(key);
    if (known != st.seed_nodes.end() &&
        (known->second == st.cfg.node_id || st.peers.count(known->second)))
      continue;
    if (st.connecting.insert(key).second)
      connect(self, key, s.host, s.port);
  }
}

// A peer missing from the live nodes of the table lost its lease: it is
// treated as down (its agents leave, their tasks run elsewhere) until it
// renews the lease and greets again. A peer accepted since the previous
// table may be newer than this table, which was read before it was sent:
// it is judged by the next one.
void drop_expired(membership_self* self,
                  const std::vector<peer_address>& table) {
  auto& st = self->state;
  ++st.heartbeats;
  std::set<std::string> live;
  for (const auto& p : table)
    live.insert(p.node_id);
  auto& peers = st.peers;
  for (auto it = peers.begin(); it != peers.end();) {
    if (live.count(it->first) || it->second.joined_at >= st.heartbeats - 1) {
      ++it;
      continue;
    }
    spdlog::warn("node {} lost its lease: its agents leave the directory "
                 "until it renews it",
                 it->first);
    self->demonitor(it->second.membership);
    forget_peer(self, it->first);
    it = peers.erase(it);
  }
}

// Tells every peer which agents this node hosts now and the load its
// dispatcher places on each agent of the cluster.
void share_directory(membership_self* self) {
  self->request(self->state.cfg.dispatcher, std::chrono::seconds{5},
                sync_atom::value)
      .then([self](directory_update& u) {
        auto& st = self->state;
        u.node_id = st.cfg.node_id;
        for (auto& l : u.loads)
          if (l.node.empty())
            l.node = st.cfg.node_id;
        st.cfg.agents = u.agents;
        for (const auto& [id, p] : st.peers)
          self->send(p.membership, u);
      });
}

// A peer's periodic update: only from the membership actor of a peer that
// this node accepted, in this protocol version, with valid agents.
void take_update(membership_self* self, directory_update& u) {
  auto& st = self->state;
  auto from = st.peers.find(u.node_id);
  std::string why;
  if (u.protocol != protocol_version)
    why = "protocol version " + std::to_string(u.protocol);
  else if (from == st.peers.end() ||
           from->second.membership.address() != self->current_sender())
    why = "not from a member";
  else if (why = check_agents(u.agents); why.empty())
    why = check_learned(u.learned);
  if (!why.empty())
    return spdlog::warn("dropped a directory update claiming to be from node "
                        "{}: {}",
                        u.node_id, why);
  from->second.agents = u.agents.size();
  for (auto& l : u.loads)
    if (l.node == st.cfg.node_id)
      l.node.clear(); // the dispatcher calls its own agents' node ""
  self->send(st.cfg.dispatcher, std::move(u));
}

caf::behavior membership(membership_self* self, membership_settings cfg) {
  log_exceptions(self, "membership");
  ignore_stray_errors(self, "membership");
  if (!cfg.lock_authority) { // a node's has one; a test's may not
    cfg.lock_authority = spawn_lock_authority(self->system());
    self->link_to(cfg.lock_authority);
  }
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
        forget_peer(self, it->first);
        peers.erase(it);
        return name_authority(self);
      }
  });
  return {
      // Every heartbeat, with the nodes table.
      [self](peers_atom, const std::vector<peer_address>& table) {
        drop_expired(self, table);
        reach(self, table);
        share_directory(self);
        name_authority(self);
      },
      [self](connected_atom, const std::string& key, const caf::actor& remote,
             const std::string& error) {
        self->state.connecting.erase(key);
        if (!remote) {
          spdlog::warn("cannot reach {}: {}", key, error);
          return name_authority(self);
        }
        greet(self, key, remote);
      },
      [self](directory_update& u) { take_update(self, u); },
      [self](features_atom, const std::string& node,
             const std::string& features) {
        auto& st = self->state;
        auto from = st.peers.find(node);
        if (from == st.peers.end() ||
            from->second.membership.address() != self->current_sender())
          return spdlog::warn("dropped the features of node {}: not from a "
                              "member",
                              node.substr(0, 64));
        self->send(st.cfg.dispatcher, features_atom::value, node,
                   features.substr(0, 1024));
      },
      [self](hello& h) -> caf::result<hello> {
        if (auto why = check_hello(h, self->state.cfg.node_id); !why.empty()) {
          spdlog::error("refusing node {}: {}", h.node_id, why);
          return caf::make_error(caf::sec::runtime_error,
                                 "refused by node " + self->state.cfg.node_id +
                                     ": " + why);
        }
        auto peer = caf::actor_cast<caf::actor>(self->current_sender());
        accept(self, h, peer);
        // The answer first: the peer accepts this node when it reads it,
        // and only then can it take the features.
        auto rp = self->make_response_promise<hello>();
        rp.deliver(own_hello(self->state));
        announce_features(self, peer);
        return rp;
      },
      [self](directory_atom) {
        std::vector<model::peer_entry> out;
        for (const auto& [id, p] : self->state.peers)
          out.push_back({id, p.http_address, static_cast<int>(p.agents)});
        return out;
      },
  };
}

} // namespace

caf::actor spawn_membership(caf::actor_system& sys,
                            membership_settings settings) {
  return sys.spawn(membership, std::move(settings));
}

} // namespace hishamos::actors
