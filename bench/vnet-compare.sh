#!/usr/bin/env bash
# Kept for the commands quoted in bench/README.md: the same as `bench/compare.sh vnet [options]`.
exec "$(dirname "$0")/compare.sh" vnet "$@"
