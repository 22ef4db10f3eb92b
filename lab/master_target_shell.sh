#!/bin/sh
# ForceCommand of the lab master target's sshd: /bin/sh master_target_shell.sh SCENARIO_DIR
#
# The client's command ($SSH_ORIGINAL_COMMAND) runs for real (cat, df, dpkg-query, rpm, apt-get...), but in a private
# mount namespace where the scenario is laid over the real system: its files over /etc, /usr/local and /root (read-only
# overlays: a scenario file shadows the real one, a whiteout hides it), its kernel release over
# /proc/sys/kernel/osrelease, and a /mnt holding only the tmpfs volumes and folders the scenario lists.
# /var/lib/dpkg, /var/lib/apt, /var/cache/apt and /var/log are writable overlays, so apt-get and dpkg can install
# packages: what they write lands in SCENARIO_DIR/changes and lasts until the scenario is reset.
# Nothing outside the namespace and the scenario folder changes. Needs root (CAP_SYS_ADMIN) and util-linux's unshare.
set -eu
scenario=$1
if [ "${2:-}" != --inside ]; then
    exec unshare --mount --propagation private /bin/sh "$0" "$scenario" --inside
fi

for point in /etc /usr/local /root; do
    if [ -d "$scenario/root$point" ]; then
        mount -t overlay lab-scenario -o "lowerdir=$scenario/root$point:$point" "$point"
    fi
done
# The commands of one SSH connection run concurrently, each mounting the same changes folders: every command gets
# overlay work folders of its own (overlayfs empties a work folder when it mounts it), and index=off lets a changes
# folder be mounted more than once (the lab writes from one command at a time).
work=$(mktemp -d "$scenario/overlay-work.XXXXXX")
for point in /var/lib/dpkg /var/lib/apt /var/cache/apt /var/log; do
    lower=$point
    if [ -d "$scenario/root$point" ]; then
        lower="$scenario/root$point:$point"
    fi
    mkdir -p "$scenario/changes$point" "$work$point"
    mount -t overlay lab-scenario -o "lowerdir=$lower,upperdir=$scenario/changes$point,workdir=$work$point,index=off" "$point"
done
if [ -f "$scenario/kernel" ]; then
    mount --bind "$scenario/kernel" /proc/sys/kernel/osrelease
fi
mount -t tmpfs -o size=1m,mode=0755 lab-mnt /mnt
if [ -f "$scenario/mounts" ]; then
    # Lines: "tmpfs SOURCE MOUNTPOINT SIZE" (SOURCE is what /proc/mounts shows as the device) or "dir PATH".
    while read -r kind source mountpoint size; do
        case $kind in
            tmpfs) mkdir -p "$mountpoint" && mount -t tmpfs -o "size=$size" "$source" "$mountpoint" ;;
            dir) mkdir -p "$source" ;;
        esac
    done < "$scenario/mounts"
fi
status=0
/bin/sh -c "${SSH_ORIGINAL_COMMAND:-exit 0}" || status=$?
# The namespace, and its mounts, end with this script; the work folders would stay behind.
rm -rf "$work"
exit "$status"
