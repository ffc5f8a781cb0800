#!/usr/bin/env bash
# `make test-compose`: the course's Docker path, for real. Provisions what is missing (Docker
# engine, Compose, base images), builds the image, starts the compose stack on free host ports
# with `labkit up --mode compose`, checks `labkit status`, runs lessons 01, 05 and 06 with
# MODE=compose through `labkit run`, opens the `lab` container with its token, then `labkit down`
# must leave no container, network or volume of the run behind. Writes its timings and the
# image size to build/compose/report.md.
#
# Traffic goes only to 127.0.0.1 and to the containers and network this run creates (plus
# Debian's and PyPI's package servers while provisioning and building).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/build/compose
mkdir -p "$OUT"
REPORT=$OUT/report.md
LABKIT=$ROOT/.venv/bin/labkit
PYTHON=$ROOT/.venv/bin/python
PROJECT=queuelab-test-$$
export COMPOSE_PROJECT_NAME=$PROJECT
export LABKIT_HOME=$OUT/home
rm -rf "$LABKIT_HOME" "$OUT/notebooks"
mkdir -p "$LABKIT_HOME"
unset LABKIT_REDIS_URL LABKIT_DATABASE_URL LABKIT_MODE LABKIT_API_URL AWS_ENDPOINT_URL_SQS

STARTED=$SECONDS
declare -a TIMES=()
log() { printf '[compose-test] %s\n' "$*"; }
fail() {
  log "FAILED: $*"
  exit 1
}
timed() { # timed LABEL COMMAND...: run it, remember how long it took
  local label=$1 t0=$SECONDS
  shift
  "$@"
  TIMES+=("$label|$((SECONDS - t0))")
  log "$label: $((SECONDS - t0)) s"
}

cleanup() {
  local code=$?
  if [ $code -ne 0 ] && [ -n "${COMPOSE:-}" ]; then
    log "collecting logs into $OUT/compose-logs.txt"
    "${COMPOSE[@]}" logs --no-color --tail 80 >"$OUT/compose-logs.txt" 2>&1 || true
    "$LABKIT" down >/dev/null 2>&1 || true
    "${COMPOSE[@]}" down --remove-orphans --volumes >/dev/null 2>&1 || true
  fi
  if [ -n "${DOCKERD_PID:-}" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  exit $code
}
trap cleanup EXIT

# --- 1. Engine and Compose ------------------------------------------------------------------

apt_install() {
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] ||
    fail "missing $*; install it (Debian: apt-get install $*) or run as root to let this script do it"
  log "installing $* (apt-get)"
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >"$OUT/apt.log" 2>&1 || fail "apt-get update failed; see $OUT/apt.log"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$OUT/apt.log" 2>&1 ||
    fail "apt-get install $* failed; see $OUT/apt.log"
}

provision() {
  local wanted=()
  command -v dockerd >/dev/null || command -v docker >/dev/null || wanted+=(docker.io)
  if ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null; then
    wanted+=(docker.io)
  fi
  if ! { command -v docker >/dev/null && docker compose version >/dev/null 2>&1; } &&
    ! command -v docker-compose >/dev/null; then
    wanted+=(docker-compose)
  fi
  if ! docker image inspect python:3.11-slim >/dev/null 2>&1 && ! command -v mmdebstrap >/dev/null; then
    wanted+=(mmdebstrap) # only used when no registry serves the base images
  fi
  if [ ${#wanted[@]} -gt 0 ]; then
    mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)
    apt_install "${wanted[@]}"
  fi
  if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || fail "no Docker engine answers; start Docker (or run as root to start dockerd)"
    log "starting dockerd (log: $OUT/dockerd.log)"
    nohup dockerd --storage-driver=overlay2 >"$OUT/dockerd.log" 2>&1 &
    DOCKERD_PID=$! # stopped again when this script ends: it started it
    for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || fail "dockerd did not start; see $OUT/dockerd.log"
  fi
}
timed provision provision

if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
else
  COMPOSE=(docker-compose)
fi
COMPOSE_VERSION="${COMPOSE[*]} $("${COMPOSE[@]}" version --short 2>/dev/null || true)"
COMPOSE+=(-f "$ROOT/docker-compose.yml" -p "$PROJECT")
log "engine $(docker version -f '{{.Server.Version}}'), compose: $COMPOSE_VERSION"

# --- 2. Base images, the image ----------------------------------------------------------------

timed "base images" bash "$ROOT/tests/compose/standin-images.sh"
standins=$(for i in python:3.11-slim postgres:16 redis:7; do
  [ "$(docker image inspect -f '{{index .Config.Labels "queue-lab.stand-in"}}' "$i" 2>/dev/null)" = 1 ] && printf '%s ' "$i"
done || true)

build() { "${COMPOSE[@]}" build sqs >"$OUT/build.log" 2>&1 || {
  tail -20 "$OUT/build.log"
  fail "image build failed; see $OUT/build.log"
}; }
timed build build
image_mb=$(($(docker image inspect -f '{{.Size}}' queue-lab:latest) / 1000000))
base_mb=$(($(docker image inspect -f '{{.Size}}' python:3.11-slim) / 1000000))
log "image queue-lab:latest: $image_mb MB ($((image_mb - base_mb)) MB over python:3.11-slim, $base_mb MB)"
[ "$image_mb" -lt 500 ] || fail "image queue-lab:latest is $image_mb MB: the budget is 500 MB"

# --- 3. The stack -----------------------------------------------------------------------------


read -r API SQS REDIS DB LAB < <("$PYTHON" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
export LABKIT_LAB_PORT=$LAB
timed start "$LABKIT" up --mode compose --api-port "$API" --sqs-port "$SQS" \
  --redis-port "$REDIS" --database-port "$DB"
for port in "$API" "$SQS" "$REDIS" "$DB"; do
  docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Ports}}' |
    grep -q "127.0.0.1:$port->" || fail "no container publishes 127.0.0.1:$port"
done

timed status "$LABKIT" status

# Issue 23: generated passwords, no root. Redis refuses a client without the password; no
# container's main process runs as root (PostgreSQL's entrypoint drops to postgres itself).
[ "$(stat -c %a "$LABKIT_HOME/compose.env")" = 600 ] || fail "compose.env is readable by others"
"$PYTHON" -c "import redis, sys; r = redis.Redis(port=int(sys.argv[1]))
try:
    r.ping()
except redis.AuthenticationError:
    sys.exit(0)
sys.exit('Redis answers without its password')" "$REDIS" || fail "Redis answers without its password"
for id in $(docker ps -q --filter "label=com.docker.compose.project=$PROJECT"); do
  pid=$(docker inspect -f '{{.State.Pid}}' "$id")
  [ "$(stat -c %u "/proc/$pid")" != 0 ] || fail "container $(docker inspect -f '{{.Name}}' "$id") runs as root"
done

# --- 4. Lessons 01, 05, 06 with MODE=compose ---------------------------------------------------

lessons() {
  "$LABKIT" run notebooks/01_*.ipynb notebooks/05_*.ipynb notebooks/06_*.ipynb \
    -r MODE compose --output-dir "$OUT/notebooks" | tee "$OUT/lessons.txt"
}
timed lessons lessons

# --- 5. JupyterLab in the lab container, with its token ----------------------------------------

lab() {
  local url token
  url=$("$LABKIT" lab --mode compose --no-browser | grep -o 'http://127.0.0.1:[0-9]*/lab?token=[0-9a-f]*')
  [ -n "$url" ] || fail "labkit lab printed no tokened address"
  token=${url##*token=}
  [ ${#token} -ge 32 ] || fail "the JupyterLab token is too short: ${#token} characters"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LAB/api/status")" = 403 ] ||
    fail "JupyterLab answers without its token"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $token" \
    "http://127.0.0.1:$LAB/api/status")" = 200 ] || fail "JupyterLab refuses its own token"
  "$LABKIT" status | grep -q "token=$token" || fail "labkit status does not print the lab's address"
}
timed lab lab

# --- 6. Down: nothing of this run is left ------------------------------------------------------

timed down "$LABKIT" down
left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
[ -z "$left" ] || fail "containers left behind: $left"
left=$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")
[ -z "$left" ] || fail "networks left behind: $left"
left=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
[ -z "$left" ] || fail "volumes left behind: $left"
[ ! -e "$LABKIT_HOME/stack.json" ] || fail "labkit down left its state file"

# --- Report -------------------------------------------------------------------------------------

{
  echo "# make test-compose, $(date -u +'%Y-%m-%d %H:%M UTC')"
  echo
  echo "- engine: Docker $(docker version -f '{{.Server.Version}}'); compose: $COMPOSE_VERSION"
  echo "- stand-in base images: ${standins:-none (the real ones)}"
  echo "- image queue-lab:latest: $image_mb MB ($((image_mb - base_mb)) MB over python:3.11-slim, $base_mb MB here)"
  echo
  echo "| step | seconds |"
  echo "|---|---|"
  for entry in "${TIMES[@]}"; do echo "| ${entry%%|*} | ${entry##*|} |"; done
  echo "| total | $((SECONDS - STARTED)) |"
  echo
  echo '```'
  cat "$OUT/lessons.txt"
  echo '```'
} >"$REPORT"
cat "$REPORT"
log "passed: $REPORT"
