#!/bin/sh
# Writes the package's /etc/storepos/storepos.toml to standard output: the documented
# defaults (packaging/storepos.toml, read on standard input) with the installed paths.
#
#   packaging/deb/make-conffile.sh < packaging/storepos.toml > packaging/deb/storepos.toml
#
# packaging/ci/check-deb.sh runs it again and fails if the committed file has drifted.
set -eu
out=$(sed \
    -e '1a\
#\
# Installed by the storepos package as /etc/storepos/storepos.toml (a conffile: your edits\
# are kept on upgrade). It is the documented defaults (`storepos config default`) with the\
# package'"'"'s paths: the till'"'"'s data in /var/lib/storepos, HQ'"'"'s database and coupon-signing\
# key in /var/lib/storepos-hq (storepos-hq.service runs there). This file is world-readable:\
# put secrets (hq.token, hq.admin_token, HQ'"'"'s TLS key, a PostgreSQL password) in\
# /etc/storepos/credentials/ instead (see /usr/share/doc/storepos/packaging.md).' \
    -e 's|^data_dir = "storepos-data"$|data_dir = "/var/lib/storepos"|' \
    -e 's|^database = "sqlite://storepos-hq.db"$|database = "sqlite:///var/lib/storepos-hq/storepos-hq.db"|')
for expected in 'data_dir = "/var/lib/storepos"' \
    'database = "sqlite:///var/lib/storepos-hq/storepos-hq.db"'; do
    printf '%s\n' "$out" | grep -qxF "$expected" || {
        echo "make-conffile.sh: the defaults no longer have the line this replaces ($expected)" >&2
        exit 1
    }
done
printf '%s\n' "$out"
