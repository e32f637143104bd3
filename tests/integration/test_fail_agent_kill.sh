#!/usr/bin/env bash
# Failure test of the collection issue: agent-kill (see lib/delivery.bash).
exec bash "$(dirname "$0")/lib/delivery.bash" agent-kill
