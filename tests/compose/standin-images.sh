#!/usr/bin/env bash
# The base images docker-compose.yml and the Dockerfile name (python:3.11-slim, postgres:16,
# redis:7): kept when present, pulled when a registry answers, and only when neither works built
# as stand-ins from Debian packages with mmdebstrap and tagged with `docker import`, so the
# unchanged `FROM` and `image:` lines resolve. Stand-ins carry the label queue-lab.stand-in=1.
#
# The stand-ins' own tweaks live here, not in the Dockerfile: the python one is a venv on
# Debian's python3 (Debian's pip refuses system installs) and trusts the host's CA bundle
# (PIP_CERT) for builds on networks that inspect TLS; the postgres one has an entrypoint honouring
# POSTGRES_USER/PASSWORD/DB; the redis one runs with protected mode off, like the real image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SUITE=${STANDIN_SUITE:-bookworm}
MIRROR=${STANDIN_MIRROR:-}

log() { printf '[standin] %s\n' "$*"; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

# mmdebstrap SUITE - | docker import: a minimal Debian root with the given packages.
build() {
  local tag=$1 include=$2
  shift 2
  command -v mmdebstrap >/dev/null || {
    log "mmdebstrap is missing: apt-get install mmdebstrap"
    exit 1
  }
  log "building stand-in $tag from Debian $SUITE ($include)"
  local started=$SECONDS
  # shellcheck disable=SC2086 # MIRROR is empty or one URL
  mmdebstrap --quiet --variant=minbase --include="$include" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="$CUSTOMIZE" "$SUITE" - $MIRROR |
    docker import --change 'LABEL queue-lab.stand-in=1' "$@" - "$tag" >/dev/null
  log "$tag built in $((SECONDS - started)) s"
}

ensure() {
  local tag=$1
  if have "$tag"; then
    log "$tag present"
    return 0
  fi
  if timeout 120 docker pull -q "$tag" >/dev/null 2>&1; then
    log "$tag pulled"
    return 0
  fi
  case "$tag" in
  python:*)
    CUSTOMIZE='chroot "$1" python3 -m venv /usr/local/python &&
      cp /etc/ssl/certs/ca-certificates.crt "$1/usr/local/share/host-ca-bundle.crt"'
    build "$tag" python3,python3-venv,ca-certificates \
      --change 'ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV PIP_CERT=/usr/local/share/host-ca-bundle.crt' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["python3"]'
    ;;
  postgres:*)
    # The package's own cluster goes: it was made while the host's PostgreSQL held 5432, so it
    # says 5433, and pg_isready (Debian's wrapper) would ask there.
    CUSTOMIZE="cp '$here/postgres-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\" &&
      chmod 755 \"\$1/usr/local/bin/docker-entrypoint.sh\" &&
      rm -rf \"\$1/etc/postgresql\" \"\$1/var/lib/postgresql\"/*"
    build "$tag" postgresql,postgresql-client,locales \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PGDATA=/var/lib/postgresql/data' \
      --change 'ENV PGPORT=5432' \
      --change 'EXPOSE 5432' \
      --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
      --change 'CMD []'
    ;;
  redis:*)
    CUSTOMIZE='true'
    build "$tag" redis-server \
      --change 'EXPOSE 6379' \
      --change 'CMD ["redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"]'
    ;;
  *)
    log "no stand-in recipe for $tag"
    exit 1
    ;;
  esac
}

# The three at once: each is mostly waiting on the package mirror.
pids=()
for tag in "${@:-python:3.11-slim postgres:16 redis:7}"; do
  for one in $tag; do
    ensure "$one" &
    pids+=($!)
  done
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
