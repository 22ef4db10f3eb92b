#!/bin/sh
# ForceCommand of the lab master target's sshd: /bin/sh master_target_shell.sh SCENARIO_DIR
#
# The client's command ($SSH_ORIGINAL_COMMAND) runs for real (cat, df, dpkg-query, rpm...), but in a private mount
# namespace where the scenario is laid over the real system: its files over /etc, /var/lib/dpkg, /usr/local and /root
# (read-only overlays: a scenario file shadows the real one, a whiteout hides it), its kernel release over
# /proc/sys/kernel/osrelease, and a /mnt holding only the tmpfs volumes and folders the scenario lists.
# Nothing outside the namespace changes. Needs root (CAP_SYS_ADMIN) and util-linux's unshare.
set -eu
scenario=$1
if [ "${2:-}" != --inside ]; then
    exec unshare --mount --propagation private /bin/sh "$0" "$scenario" --inside
fi

for point in /etc /var/lib/dpkg /usr/local /root; do
    if [ -d "$scenario/root$point" ]; then
        mount -t overlay lab-scenario -o "lowerdir=$scenario/root$point:$point" "$point"
    fi
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
exec /bin/sh -c "${SSH_ORIGINAL_COMMAND:-exit 0}"
