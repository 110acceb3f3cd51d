#!/bin/bash
# Builds a software layer (e.g. a resource manager's packages) on top of a cached image without
# booting a VM: a qcow2 overlay backed by the parent is exported as a raw file through
# qemu-storage-daemon's FUSE export, loop-mounted, and changed in a chroot (apt from the
# distribution mirror through the host). Only changed clusters land in the overlay.
# Usage: build-layer.sh PARENT_QCOW2 OUT_QCOW2 WORK PACKAGES(comma|"") SCRIPT_FILE
set -euo pipefail
PARENT=$1 OUT=$2 WORK=$3 PKGS=$4 SCRIPT=$5
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mkdir -p "$WORK/mnt"
EXPORT="$WORK/export.raw"; MNT="$WORK/mnt"; PIDFILE="$WORK/storage-daemon.pid"; LOOP=
cleanup() {
  for m in "$MNT/proc" "$MNT/sys" "$MNT/dev" "$MNT"; do mountpoint -q "$m" && umount "$m" || true; done
  # The loop device writes into the FUSE file through the page cache: flush it all to the storage
  # daemon before stopping it, or the layer ends up with a dirty (even incomplete) filesystem.
  sync
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null || true
  sync
  if [ -s "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done; fi
}
trap cleanup EXIT
qemu-img create -q -f qcow2 -F qcow2 -b "$PARENT" "$OUT"
touch "$EXPORT"
qemu-storage-daemon --daemonize --pidfile "$PIDFILE" \
  --blockdev "driver=file,node-name=layerfile,filename=$OUT" \
  --blockdev driver=qcow2,node-name=layer,file=layerfile \
  --export "type=fuse,id=layerexport,node-name=layer,mountpoint=$EXPORT,writable=on"
LOOP=$(losetup --find --show "$EXPORT")
mount "$LOOP" "$MNT"
mount -t proc proc "$MNT/proc"; mount -t sysfs sys "$MNT/sys"; mount --bind /dev "$MNT/dev"
cp /etc/resolv.conf "$MNT/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' > "$MNT/usr/sbin/policy-rc.d"; chmod +x "$MNT/usr/sbin/policy-rc.d"
if [ -n "$PKGS" ]; then
  chroot "$MNT" apt-get update -q
  chroot "$MNT" apt-get install -y -q --no-install-recommends $(echo "$PKGS" | tr ',' ' ')
  chroot "$MNT" apt-get clean
  rm -rf "$MNT"/var/lib/apt/lists/*_Packages
fi
if [ -s "$SCRIPT" ]; then
  cp "$SCRIPT" "$MNT/tmp/continuum-layer.sh"
  chroot "$MNT" /bin/sh /tmp/continuum-layer.sh
  rm -f "$MNT/tmp/continuum-layer.sh"
fi
rm -f "$MNT/usr/sbin/policy-rc.d"
chroot "$MNT" dpkg-query -W -f '${Package} ${Version}\n' > "$(dirname "$OUT")/packages.txt"
