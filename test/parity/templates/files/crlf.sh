#!/bin/sh
echo "crlf script ran"
echo crlf > /opt/scripts/crlf-ran.txt
