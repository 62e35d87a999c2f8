#!/usr/bin/env bash
# Builds the storepos .deb with cargo-deb, installs it on this machine with apt, checks
# what it installed (binary, user and groups, directories, conffile, systemd units, udev
# rules, the credentials wrapper), runs the installed binary, then removes the package
# (data kept) and purges it (nothing kept), checking what is left after each step.
#
#   bash packaging/ci/check-deb.sh [--no-build]
#
# --no-build checks the .deb already in $CARGO_TARGET_DIR/debian (or target/debian);
# STOREPOS_DEB_PROFILE=dev packages the debug build the tests made (CI) instead of release.
# Needs root (it installs and purges a system package) and the network to Debian's
# packages (the dependencies: cage, fonts-noto-cjk, ...). Uses $CARGO_TARGET_DIR when set.
# Idempotent: a storepos package already installed is purged first, so this machine must
# not hold a till's or HQ's real data in /var/lib/storepos*.
# Any deviation stops the script with "FAIL: ..." and a non-zero exit status.
set -euo pipefail

started=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
export DEBIAN_FRONTEND=noninteractive
build=yes
case ${1:-} in
--no-build) build=no ;;
'') ;;
*) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf '  ok  %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND...: fails with DESCRIPTION unless COMMAND succeeds
    local what=$1
    shift
    "$@" || fail "$what"
    ok "$what"
}
mode_of() { stat -c '%a %U:%G' "$1"; }

[ "$(id -u)" = 0 ] || fail "run as root: this installs and purges the storepos package"

step "tools"
if ! command -v systemd-analyze >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq systemd >/dev/null
fi
if ! cargo deb --version >/dev/null 2>&1; then
    # Pinned: the CI packages the dev build, which later cargo-deb versions may refuse.
    cargo install cargo-deb --locked --version 3.8.0
fi
ok "$(cargo deb --version 2>&1 | head -n 1), $(systemd-analyze --version | head -n 1)"

step "a previous install is purged"
if dpkg-query -W -f='${db:Status-Status}\n' storepos 2>/dev/null | grep -qv '^not-installed$'; then
    apt-get purge -y -qq storepos
fi
check "no storepos package" sh -c "! dpkg-query -W -f='\${db:Status-Status}' storepos 2>/dev/null | grep -qv '^not-installed\$'"

step "the packaged configuration is the documented defaults with the installed paths"
packaging/deb/make-conffile.sh < packaging/storepos.toml | cmp -s - packaging/deb/storepos.toml ||
    fail "packaging/deb/storepos.toml is not what packaging/deb/make-conffile.sh makes of packaging/storepos.toml: run it again"
ok "packaging/deb/storepos.toml is up to date"

step "cargo deb (target dir $target)"
build_started=$(date +%s)
if [ "$build" = yes ]; then
    rm -f "$target"/debian/storepos_*.deb
    # STOREPOS_DEB_PROFILE=dev packages the binary the tests just built (CI), instead of
    # building the release profile again.
    cargo deb --locked --profile "${STOREPOS_DEB_PROFILE:-release}"
fi
debs=("$target"/debian/storepos_*.deb)
[ "${#debs[@]}" = 1 ] && [ -f "${debs[0]}" ] || fail "expected one storepos_*.deb in $target/debian, found: ${debs[*]}"
deb=${debs[0]}
if [ "$build" = yes ]; then
    ok "built $deb in $(($(date +%s) - build_started)) s"
else
    ok "using $deb"
fi

step "the package's metadata and contents"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in cage xwayland fontconfig fonts-noto-cjk libfontconfig1 libwayland-client0 libxkbcommon0; do
    printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$dep" ||
        fail "Depends lacks $dep: $depends"
done
ok "Depends: $depends"
# (systemd units and udev rules may be under /lib or /usr/lib, the same place on merged-/usr)
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|; s|^/lib/|/usr/lib/|')
for file in /usr/bin/storepos /etc/storepos/storepos.toml \
    /usr/lib/systemd/system/storepos-hq.service /usr/lib/systemd/system/storepos-till.service \
    /usr/lib/udev/rules.d/60-storepos.rules /usr/libexec/storepos/storepos-credentials; do
    printf '%s\n' "$contents" | grep -qx "$file" || fail "the package lacks $file"
done
ok "binary, conffile, units, udev rules and credentials wrapper are in the package"
control=$(mktemp -d)
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control"
check "/etc/storepos/storepos.toml is a conffile" grep -qx /etc/storepos/storepos.toml "$control/conffiles"
for script in postinst prerm postrm; do
    [ -x "$control/$script" ] || fail "the package has no $script"
    grep -q '#DEBHELPER#' "$control/$script" && fail "$script still holds #DEBHELPER#"
    sh -n "$control/$script" || fail "$script is not valid sh"
done
ok "postinst, prerm and postrm are there, with the systemd snippets in place"

step "apt-get install $deb"
apt-get install -y -q "$deb" || {
    # The dependencies come from Debian's archive: fetch its lists once and try again.
    apt-get update -qq
    apt-get install -y -q "$deb"
}
check "storepos is installed" sh -c "dpkg-query -W -f='\${db:Status-Status}' storepos | grep -qx installed"

step "the installed binary"
version=$(storepos --version)
check "storepos --version: $version" test "$version" = "storepos $(dpkg-query -W -f='${Version}' storepos | sed 's/-[^-]*$//')"
check "storepos is /usr/bin/storepos" test "$(command -v storepos)" = /usr/bin/storepos

step "user, groups, directories, configuration"
check "user storepos exists" getent passwd storepos
uid=$(id -u storepos)
check "storepos is a system user (uid $uid)" test "$uid" -lt 1000
check "storepos cannot log in ($(getent passwd storepos | cut -d: -f7))" \
    sh -c "getent passwd storepos | cut -d: -f7 | grep -Eq '/(nologin|false)$'"
groups=" $(id -nG storepos) "
for group in storepos dialout lp input plugdev; do
    case $groups in *" $group "*) ;; *) fail "storepos is not in group $group (groups:$groups)" ;; esac
done
ok "storepos is in groups:$groups"
for dir in /var/lib/storepos /var/lib/storepos-hq; do
    check "$dir is 750 storepos:storepos ($(mode_of "$dir" 2>/dev/null || echo missing))" \
        test "$(mode_of "$dir")" = "750 storepos:storepos"
done
check "/etc/storepos/credentials is 700 root:root" test "$(mode_of /etc/storepos/credentials)" = "700 root:root"
check "/etc/storepos/storepos.toml is 644 root:root" test "$(mode_of /etc/storepos/storepos.toml)" = "644 root:root"
check "/etc/storepos/storepos.toml is the packaged one" cmp -s /etc/storepos/storepos.toml packaging/deb/storepos.toml
check "/etc/storepos/storepos.toml is valid" storepos --config /etc/storepos/storepos.toml config check
shown=$(storepos --config /etc/storepos/storepos.toml config show)
check "data_dir is /var/lib/storepos" grep -qx 'data_dir = "/var/lib/storepos"' <<<"$shown"
check "hq.database is in /var/lib/storepos-hq" \
    grep -qx 'database = "sqlite:///var/lib/storepos-hq/storepos-hq.db"' <<<"$shown"

step "systemd units"
hq_unit=$(dpkg -L storepos | grep '/systemd/system/storepos-hq\.service$')
till_unit=$(dpkg -L storepos | grep '/systemd/system/storepos-till\.service$')
rules=$(dpkg -L storepos | grep '/udev/rules\.d/60-storepos\.rules$')
units=("$hq_unit" "$till_unit")
for file in "${units[@]}" "$rules"; do
    [ -f "$file" ] || fail "$file is not installed"
done
if ! analysis=$(systemd-analyze verify "${units[@]}" 2>&1); then
    printf '%s\n' "$analysis" >&2
    fail "systemd-analyze verify failed"
fi
# Warnings do not fail verify: any line about our units does fail this check.
if grep -i 'storepos' <<<"$analysis"; then
    fail "systemd-analyze verify has something to say about the units (above)"
fi
ok "systemd-analyze verify ${units[*]}"
[ -n "$analysis" ] && printf '  (about other units: %s)\n' "$(tr '\n' ' ' <<<"$analysis")"
check "storepos-hq.service runs hq serve as storepos" grep -q '^ExecStart=.*/usr/bin/storepos --config /etc/storepos/storepos.toml hq serve$' "${units[0]}"
check "storepos-till.service runs the full-screen till in cage" grep -q '^ExecStart=/usr/bin/cage -- .*/usr/bin/storepos --config /etc/storepos/storepos.toml terminal --fullscreen$' "${units[1]}"

step "udev rules ($rules)"
while IFS= read -r line; do
    case $line in '' | '#'* | 'ACTION=="remove", GOTO='* | 'LABEL='*) continue ;; esac
    case $line in *'GROUP="storepos", MODE="0660"') ;; *) fail "rule without GROUP=\"storepos\", MODE=\"0660\": $line" ;; esac
    case $line in *'ATTR{idVendor}=="'????'"'* | *'ATTRS{idVendor}=="'????'"'*) ;; *) fail "rule not keyed on a vendor id: $line" ;; esac
done <"$rules"
ok "every rule is keyed on a vendor id and gives group storepos, mode 0660"
for name in storepos-scanner0 storepos-scanner-hidpos0 storepos-scanner-kbd0 storepos-printer0 storepos-card0 storepos-card-kbd0; do
    grep -q "SYMLINK+=\"$name\"" "$rules" || fail "no rule names /dev/$name"
done
ok "the rules name /dev/storepos-scanner0, -printer0, -card0 and the others"
if command -v udevadm >/dev/null && [ -d /sys/class/tty ]; then
    tty=$(ls /sys/class/tty | head -n 1)
    if out=$(udevadm test "/sys/class/tty/$tty" 2>&1); then
        if grep -i '60-storepos.rules' <<<"$out" | grep -Ei 'invalid|error|unknown'; then
            fail "udevadm test reports errors in $rules (above)"
        fi
        ok "udevadm test parses $rules"
    fi
fi

step "storepos doctor (simulated devices), as user storepos"
work=$(mktemp -d)
chmod 755 "$work"
printf 'data_dir = "%s/data"\n' "$work" >"$work/simulated.toml"
chown storepos:storepos "$work"
runuser -u storepos -- storepos --config "$work/simulated.toml" doctor --json >"$work/doctor.json" ||
    { cat "$work/doctor.json"; fail "storepos doctor failed with simulated devices"; }
python3 - "$work/doctor.json" <<'PY' || fail "storepos doctor --json is not the checks it should be"
import json, sys
checks = json.load(open(sys.argv[1]))
names = {c["name"] for c in checks}
assert {"config", "data directory", "hq", "journal", "outbox"} <= names, names
assert all(c["status"] in ("ok", "warn") for c in checks), checks
assert all(c["remedy"] for c in checks if c["status"] != "ok"), checks
PY
ok "storepos doctor --json: $(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(len(c), "checks,", sum(x["status"]=="ok" for x in c), "ok")' "$work/doctor.json")"

step "the till's data directory, as user storepos"
check "storepos init makes the till's databases in /var/lib/storepos" \
    runuser -u storepos -- storepos --config /etc/storepos/storepos.toml init
check "/var/lib/storepos/terminal.db exists" test -s /var/lib/storepos/terminal.db
check "storepos journal verify" runuser -u storepos -- storepos --config /etc/storepos/storepos.toml journal verify

step "the till full screen in cage (headless), as storepos-till.service runs it, stopped with SIGTERM"
# cage refuses to run as root; the unit runs it as storepos in a logind session on tty1.
# Here: wlroots' headless backend, a runtime directory of storepos's own, and the till's
# token as a credential.
# cage starts Xwayland, which needs /tmp/.X11-unix as systemd-tmpfiles makes it at boot.
install -d -o root -g root -m 1777 /tmp/.X11-unix
chown root:root /tmp/.X11-unix
chmod 1777 /tmp/.X11-unix
xdg=$(mktemp -d)
creds=$(mktemp -d)
printf 'S001.T01.ci-token\n' >"$creds/hq-token"
chown storepos:storepos "$xdg" "$creds" "$creds/hq-token"
chmod 700 "$xdg" "$creds"
(cd /var/lib/storepos && exec runuser -u storepos -- env XDG_RUNTIME_DIR="$xdg" RUNTIME_DIRECTORY="$xdg" \
    CREDENTIALS_DIRECTORY="$creds" WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
    /usr/bin/cage -- /usr/libexec/storepos/storepos-credentials /usr/bin/storepos \
    --config /etc/storepos/storepos.toml terminal --fullscreen) >"$work/till.log" 2>&1 &
cage=$!
till=''
for _ in $(seq 1 100); do
    till=$(pgrep -u storepos -x storepos || true)
    [ -n "$till" ] && break
    kill -0 "$cage" 2>/dev/null || break
    sleep 0.2
done
[ -n "$till" ] || {
    grep -v 'Basic output test failed' "$work/till.log" >&2 || true
    fail "the till did not start in cage"
}
sleep 5
kill -0 "$till" 2>/dev/null || {
    grep -v 'Basic output test failed' "$work/till.log" >&2 || true
    fail "the till ended by itself in cage"
}
ok "the till runs in cage as storepos (pid $till)"
check "the till runs with the token from its credential, not from /etc" \
    grep -q "token = 'S001.T01.ci-token'" "$xdg/storepos.toml"
stop_started=$(date +%s)
kill -TERM "$cage"
for _ in $(seq 1 100); do
    kill -0 "$till" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$till" 2>/dev/null; then
    kill -KILL "$till" "$cage" 2>/dev/null || true
    fail "the till was still running 20 s after cage got SIGTERM"
fi
wait "$cage" 2>/dev/null || true
ok "the till ended $(($(date +%s) - stop_started)) s after cage got SIGTERM"
check "storepos journal verify after the stop" \
    runuser -u storepos -- storepos --config /etc/storepos/storepos.toml journal verify
rm -rf "$xdg" "$creds"

step "HQ with its secrets as systemd credentials, as storepos-hq.service runs it"
creds=$(mktemp -d)
run=$(mktemp -d)
token=ci-admin-$RANDOM$RANDOM
printf '%s\n' "$token" >"$creds/admin-token"
: >"$creds/tls-cert" # empty, as SetCredential= leaves a credential whose file is missing
: >"$creds/tls-key"
chown -R storepos:storepos "$creds" "$run"
chmod 700 "$creds" "$run"
port=$((20000 + RANDOM % 20000))
# setpriv execs HQ as storepos (runuser would stay in between and die of the signal itself).
(cd /var/lib/storepos-hq && exec setpriv --reuid=storepos --regid=storepos --init-groups \
    env CREDENTIALS_DIRECTORY="$creds" RUNTIME_DIRECTORY="$run" \
    /usr/libexec/storepos/storepos-credentials /usr/bin/storepos --config /etc/storepos/storepos.toml \
    hq serve --listen "127.0.0.1:$port") >"$work/hq.log" 2>&1 &
hq=$!
up=''
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
        up=yes
        break
    fi
    kill -0 "$hq" 2>/dev/null || break
    sleep 0.2
done
[ -n "$up" ] || {
    cat "$work/hq.log" >&2
    fail "HQ did not start"
}
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
admin=$(status -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/admin/report")
wrong=$(status -H "Authorization: Bearer not-$token" "http://127.0.0.1:$port/v1/admin/report")
kill -TERM "$hq"
wait "$hq" || fail "HQ did not stop cleanly on SIGTERM (status $?)"
check "the admin API takes the token from the credential (200, got $admin)" test "$admin" = 200
check "the admin API refuses another token (401, got $wrong)" test "$wrong" = 401
check "the merged configuration is private to storepos ($(mode_of "$run/storepos.toml"))" \
    test "$(mode_of "$run/storepos.toml")" = "600 storepos:storepos"
check "the world-readable configuration holds no admin token" sh -c "! grep -q '$token' /etc/storepos/storepos.toml"
check "HQ's database is in /var/lib/storepos-hq" test -s /var/lib/storepos-hq/storepos-hq.db
check "HQ's coupon-signing key is in /var/lib/storepos-hq" test -s /var/lib/storepos-hq/storepos-hq.key
rm -rf "$creds" "$run" "$work"

step "reinstalling the package (an upgrade's path): the data and an edited configuration are kept"
printf '# edited by check-deb.sh\n' >>/etc/storepos/storepos.toml
dpkg -i "$deb"
check "storepos is installed" sh -c "dpkg-query -W -f='\${db:Status-Status}' storepos | grep -qx installed"
check "the edit of /etc/storepos/storepos.toml is kept" grep -qx '# edited by check-deb.sh' /etc/storepos/storepos.toml
check "/var/lib/storepos/terminal.db is kept" test -s /var/lib/storepos/terminal.db
check "/var/lib/storepos-hq/storepos-hq.key is kept" test -s /var/lib/storepos-hq/storepos-hq.key
check "/var/lib/storepos is still 750 storepos:storepos" test "$(mode_of /var/lib/storepos)" = "750 storepos:storepos"
check "storepos journal verify" runuser -u storepos -- storepos --config /etc/storepos/storepos.toml journal verify

step "apt-get remove storepos: the data, the user and the configuration are kept"
apt-get remove -y -q storepos
check "the package is removed, its configuration kept (rc)" \
    sh -c "dpkg-query -W -f='\${db:Status-Abbrev}' storepos | grep -q '^rc'"
check "/usr/bin/storepos is gone" test ! -e /usr/bin/storepos
check "the units are gone" test ! -e "$hq_unit" -a ! -e "$till_unit"
check "the udev rules are gone" test ! -e "$rules"
check "/var/lib/storepos and its terminal.db are kept" test -s /var/lib/storepos/terminal.db
check "/var/lib/storepos-hq and its database are kept" test -s /var/lib/storepos-hq/storepos-hq.db
check "/etc/storepos/storepos.toml is kept" test -f /etc/storepos/storepos.toml
check "user storepos is kept" getent passwd storepos

step "apt-get purge storepos: nothing is kept"
apt-get purge -y -q storepos
check "the package is gone" sh -c "! dpkg-query -W -f='\${db:Status-Status}' storepos 2>/dev/null | grep -qv '^not-installed\$'"
check "/var/lib/storepos is gone" test ! -e /var/lib/storepos
check "/var/lib/storepos-hq is gone" test ! -e /var/lib/storepos-hq
check "/etc/storepos is gone" test ! -e /etc/storepos
check "user storepos is gone" sh -c "! getent passwd storepos"
check "group storepos is gone" sh -c "! getent group storepos"
for group in dialout lp input plugdev; do
    check "shared group $group is still there" getent group "$group"
done

printf '\ncheck-deb: passed in %s s\n' "$(($(date +%s) - started))"
