#!/bin/sh
# autogen.sh --- regenerate configure from configure.ac (needs autoconf, automake for aclocal, pkg-config).
set -e
cd "$(dirname "$0")"
aclocal
autoconf
rm -rf autom4te.cache
