#!/bin/sh
set -e
echo "script one: $GREETING"
mkdir -p /opt/parity
echo "one:$GREETING:$QUOTED" > /opt/parity/one.txt
