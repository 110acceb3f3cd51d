#!/bin/bash
# Builds the Continuum guest base image (Debian, no bootloader, PVH direct kernel boot).
# Called by `continuum images build` with an argument array; every input is an argument, the
# script reads no config file. Layout of OUT (created by the caller's atomic rename afterwards):
#   base.qcow2  whole-disk ext4 (root=/dev/vda), 4 GiB virtual
#   vmlinux     uncompressed kernel (PVH ELF: skips SeaBIOS + decompressor, ~12 s faster on TCG)
#   vmlinuz     the compressed kernel, for hosts/boot paths that want a bzImage
#   initrd.img  small initramfs (virtio + ext4 only)
# Usage: build-image.sh OUT WORK SUITE MIRROR PACKAGES(comma-separated) DISK_GIB
set -euo pipefail
OUT=$1 WORK=$2 SUITE=$3 MIRROR=$4 PKGS=$5 DISK_GIB=$6
ROOT="$WORK/rootfs"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mkdir -p "$OUT" "$WORK"
step() { printf 'STEP %s %s\n' "$(date +%s.%N)" "$*"; }

cleanup() { mountpoint -q "$ROOT/proc" && umount "$ROOT/proc" || true; }
trap cleanup EXIT

step debootstrap
rm -rf "$ROOT"
# debootstrap does not resolve virtual packages: python3-cffi-backend and dbus are listed by the caller.
debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/debootstrap.log" >&2; exit 1; }

step configure
echo "/dev/vda / ext4 defaults,noatime 0 1" > "$ROOT/etc/fstab"
echo "continuum-base" > "$ROOT/etc/hostname"
: > "$ROOT/etc/machine-id"                 # each clone gets its own machine id on first boot
rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT"/etc/ssh/ssh_host_*   # no shared host keys between clones
install -d -m 700 "$ROOT/root/.ssh"
# No password anywhere: root logs in with the framework key only (PermitRootLogin prohibit-password is the default).
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nHostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\n' \
  > "$ROOT/etc/ssh/sshd_config.d/continuum.conf"

# Identity from the kernel command line (~30 s cheaper than cloud-init under TCG):
#   continuum_ip=A.B.C.D/N continuum_gw=A.B.C.D continuum_hostname=NAME continuum_key=<base64 ed25519 blob>
cat > "$ROOT/usr/local/sbin/continuum-identity" <<'SH'
#!/bin/sh
# With continuum_ip the address is set here with ip(8) and systemd-networkd is masked by the
# generator below: networkd alone took ~10 s under TCG, on sshd's critical path.
IP=; GW=; HN=; KEY=
for w in $(cat /proc/cmdline); do
  case "$w" in
    continuum_ip=*) IP=${w#continuum_ip=} ;;
    continuum_gw=*) GW=${w#continuum_gw=} ;;
    continuum_hostname=*) HN=${w#continuum_hostname=} ;;
    continuum_key=*) KEY=${w#continuum_key=} ;;
  esac
done
ip link set lo up
if [ -n "$IP" ]; then
  DEV=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
  ip addr add "$IP" dev "$DEV"
  ip link set "$DEV" up
  [ -n "$GW" ] && ip route add default via "$GW" dev "$DEV"
else
  mkdir -p /run/systemd/network
  printf '[Match]\nName=en* eth*\n[Network]\nDHCP=ipv4\n' > /run/systemd/network/05-continuum.network
fi
[ -n "$HN" ] && { echo "$HN" > /etc/hostname; hostname "$HN"; printf '127.0.1.1 %s\n' "$HN" >> /etc/hosts; }
if [ -n "$KEY" ]; then
  install -d -m 700 /root/.ssh
  echo "ssh-ed25519 $KEY continuum" > /root/.ssh/authorized_keys; chmod 600 /root/.ssh/authorized_keys
fi
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
exit 0
SH
mkdir -p "$ROOT/etc/systemd/system-generators"
cat > "$ROOT/etc/systemd/system-generators/continuum-identity" <<'SH'
#!/bin/sh
# Runs before any unit is loaded: with a static address from the kernel command line, mask
# systemd-networkd (continuum-identity configures the interface itself).
case " $(cat /proc/cmdline) " in *" continuum_ip="*) ;; *) exit 0 ;; esac
for u in systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service; do ln -sf /dev/null "$2/$u"; done
SH
chmod +x "$ROOT/etc/systemd/system-generators/continuum-identity"
chmod +x "$ROOT/usr/local/sbin/continuum-identity"
cat > "$ROOT/etc/systemd/system/continuum-identity.service" <<'UNIT'
[Unit]
Description=Continuum: network, hostname and ssh key from the kernel command line
DefaultDependencies=no
Before=systemd-networkd.service network-pre.target network.target sysinit.target ssh.socket ssh.service
Wants=network-pre.target
After=local-fs.target
ConditionKernelCommandLine=!cloud-init=enabled

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/continuum-identity

[Install]
WantedBy=sysinit.target
UNIT
# When cloud-init does the identity, sshd still needs an ed25519 host key (cloud-init makes it).
# sshd by socket activation: port 22 listens from sockets.target and each connection starts
# `sshd -i`; the ssh.service start (config test + daemon) took ~8 s on the TCG critical path.
chroot "$ROOT" systemctl enable continuum-identity.service systemd-networkd.service ssh.socket >/dev/null 2>&1
chroot "$ROOT" systemctl disable ssh.service >/dev/null 2>&1 || true
chroot "$ROOT" systemctl enable serial-getty@ttyS0.service >/dev/null 2>&1 || true
# Units that cost many seconds under TCG and have no use in an emulated node.
chroot "$ROOT" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  e2scrub_reap.service systemd-journal-flush.service getty@tty1.service man-db.timer \
  systemd-update-utmp.service systemd-update-utmp-runlevel.service systemd-binfmt.service \
  sys-fs-fuse-connections.mount sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount >/dev/null 2>&1 || true
chroot "$ROOT" systemctl disable systemd-networkd-wait-online.service mosquitto.service >/dev/null 2>&1 || true
mkdir -p "$ROOT/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$ROOT/etc/systemd/journald.conf.d/volatile.conf"
# cloud-init (used for foreign cloud images and when asked): never let it touch the locale on minbase.
if [ -d "$ROOT/etc/cloud/cloud.cfg.d" ]; then
  printf 'locale: false\nssh_genkeytypes: [ed25519]\ndisable_root: false\ndatasource_list: [NoCloud, None]\n' \
    > "$ROOT/etc/cloud/cloud.cfg.d/90-continuum.cfg"
fi
# netem is a module in Debian's kernel: load it at boot so the first tc call is not slowed by modprobe.
echo sch_netem > "$ROOT/etc/modules-load.d/continuum.conf"

step initramfs
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 > "$ROOT/etc/initramfs-tools/modules"
mount -t proc proc "$ROOT/proc"
chroot "$ROOT" update-initramfs -u -k all >"$WORK/initramfs.log" 2>&1
umount "$ROOT/proc"
rm -f "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*_Packages

step kernel
cp "$ROOT"/boot/vmlinuz-* "$OUT/vmlinuz"
cp "$ROOT"/boot/initrd.img-* "$OUT/initrd.img"
python3 - "$OUT/vmlinuz" "$OUT/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], 'rb').read()
start = data.find(b'\xfd7zXZ\x00')
if start < 0:
    sys.exit('no xz payload in vmlinuz')
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor().decompress(data[start:]))
PY

step disk
mkfs.ext4 -q -F -L root -d "$ROOT" "$WORK/base.raw" "${DISK_GIB}G"
qemu-img convert -O qcow2 "$WORK/base.raw" "$OUT/base.qcow2"
rm -f "$WORK/base.raw"
chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' > "$OUT/packages.txt"
rm -rf "$ROOT"
step done
