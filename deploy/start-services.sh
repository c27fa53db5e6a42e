# Sourced by ./dev.sh test: starts the local PostgreSQL cluster and a Redis
# server if they are not running, waits for both with a bound, and exports
# HISHAMOS_TEST_PG_URL and HISHAMOS_TEST_REDIS_URL for the tests.
# Needs root (CI runs as root) or a user allowed to run `service`.

_hishamos_wait() { # seconds, command...
  local limit=$1; shift
  timeout "$limit" bash -c "until $*; do sleep 0.5; done"
}

_hishamos_start_postgres() {
  local cluster port
  cluster=$(pg_lsclusters --no-header 2>/dev/null | head -n 1)
  if [[ -z "$cluster" ]]; then
    echo "start-services: no PostgreSQL cluster found (pg_lsclusters is empty)" >&2
    return 1
  fi
  port=$(awk '{print $3}' <<<"$cluster")
  if ! pg_isready -q -h localhost -p "$port"; then
    pg_ctlcluster "$(awk '{print $1}' <<<"$cluster")" "$(awk '{print $2}' <<<"$cluster")" start \
      || service postgresql start
  fi
  _hishamos_wait 60 "pg_isready -q -h localhost -p $port" || {
    echo "start-services: PostgreSQL did not become ready on port $port within 60 s" >&2
    return 1
  }
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='hishamos'\" -p $port" | grep -q 1 \
    || su postgres -c "psql -q -p $port -c \"CREATE ROLE hishamos LOGIN SUPERUSER PASSWORD 'hishamos'\""
  export HISHAMOS_TEST_PG_URL="postgresql://hishamos:hishamos@localhost:$port/postgres"
}

_hishamos_start_redis() {
  if ! redis-cli ping >/dev/null 2>&1; then
    redis-server --daemonize yes --save "" --appendonly no >/dev/null
  fi
  _hishamos_wait 30 "redis-cli ping >/dev/null 2>&1" || {
    echo "start-services: Redis did not answer PING within 30 s" >&2
    return 1
  }
  export HISHAMOS_TEST_REDIS_URL="redis://127.0.0.1:6379/0"
}

_hishamos_start_postgres
_hishamos_start_redis
