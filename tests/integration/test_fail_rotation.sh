#!/usr/bin/env bash
# Failure test of the collection issue: rotation (see lib/delivery.bash).
exec bash "$(dirname "$0")/lib/delivery.bash" rotation
