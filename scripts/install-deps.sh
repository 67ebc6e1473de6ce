#!/usr/bin/env bash
# Installs the system packages Tributary needs (librocksdb-dev) when missing.
set -euo pipefail
if pkg-config --exists rocksdb 2>/dev/null && [ -f /usr/include/rocksdb/c.h ]; then
  exit 0
fi
echo "installing librocksdb-dev (needed for RocksDB state)..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq librocksdb-dev pkg-config >/dev/null
