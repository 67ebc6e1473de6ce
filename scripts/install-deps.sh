#!/usr/bin/env bash
# Installs the system packages Tributary needs when missing: librocksdb-dev (RocksDB
# state), libmimalloc-dev (the executables' allocator) and python3-matplotlib (the checkpoint sweep's plot, Benchmarks/plot_checkpoint_sweep.py).
# PostgreSQL: libpq-dev (the TributaryPostgres client) and postgresql (the server the tests start).
set -euo pipefail
packages=()
if ! pkg-config --exists rocksdb 2>/dev/null || [ ! -f /usr/include/rocksdb/c.h ]; then
  packages+=(librocksdb-dev pkg-config)
fi
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  packages+=(python3-matplotlib)
fi
if ! pkg-config --exists libpq 2>/dev/null || [ ! -f /usr/include/postgresql/libpq-fe.h ]; then
  packages+=(libpq-dev pkg-config)
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  packages+=(postgresql)
fi
# NATS: nats-server (the TributaryNATS tests' JetStream server) and libnats-dev (nats.c).
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  packages+=(nats-server)
fi
if ! pkg-config --exists libnats 2>/dev/null || [ ! -f /usr/include/nats/nats.h ]; then
  packages+=(libnats-dev pkg-config)
fi
# mimalloc: the allocator the pipelines and the benchmark link (see Package.swift).
if ! compgen -G '/usr/lib/*/libmimalloc.so' >/dev/null && [ ! -f /usr/lib/libmimalloc.so ]; then
  packages+=(libmimalloc-dev)
fi
# Chromium: the headless browser the dashboard test loads the page in.
if [ ! -x /usr/bin/chromium ]; then
  packages+=(chromium)
fi
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
echo "installing ${packages[*]}..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
