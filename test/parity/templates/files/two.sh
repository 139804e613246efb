#!/bin/sh
set -e
echo "script two: $1"
echo "two:$PACKER_BUILD_NAME:$PACKER_BUILDER_TYPE" > /opt/parity/two.txt
