#!/bin/bash
# Builds a software layer (e.g. a resource manager's packages) on top of a cached image, without
# booting a VM: the parent disk is expanded to raw, loop-mounted, changed in a chroot (apt from the
# distribution mirror through the host), and stored as a qcow2 that keeps only the differences
# (backing file = parent). Usage: build-layer.sh PARENT_QCOW2 OUT_QCOW2 WORK PACKAGES(comma|"") SCRIPT_FILE
set -euo pipefail
PARENT=$1 OUT=$2 WORK=$3 PKGS=$4 SCRIPT=$5
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mkdir -p "$WORK/mnt"
RAW="$WORK/layer.raw"; MNT="$WORK/mnt"
cleanup() {
  for m in "$MNT/proc" "$MNT/sys" "$MNT/dev" "$MNT"; do mountpoint -q "$m" && umount "$m" || true; done
  rm -f "$RAW"
}
trap cleanup EXIT
qemu-img convert -O raw "$PARENT" "$RAW"
mount -o loop "$RAW" "$MNT"
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
for m in "$MNT/proc" "$MNT/sys" "$MNT/dev" "$MNT"; do umount "$m"; done
# Only blocks that differ from the parent are written: the layer stays small.
qemu-img convert -O qcow2 -B "$PARENT" -F qcow2 "$RAW" "$OUT"
