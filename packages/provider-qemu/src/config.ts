import { z } from 'zod';

/** An extra physical machine (upstream `external_physical_machines`), reached through libvirt's remote URI. */
const externalHost = z.strictObject({
  /** libvirt URI, e.g. `qemu+ssh://user@host/system`. Its user@host is also used for ssh commands (qemu-img, ip). */
  uri: z.string().regex(/^qemu\+ssh:\/\/[^/]+\/system$/, 'must look like qemu+ssh://user@host/system'),
  /** The host's address this machine reaches it on: the VXLAN tunnel endpoint. */
  address: z.string().min(1),
  /** Directory on that host holding the same base image files (upstream also required identical paths). */
  imageDir: z.string().min(1).optional(),
  /** Join an existing bridge there instead of creating one with a VXLAN back to this machine. */
  existingBridge: z.string().max(15).optional(),
});

export const qemuOptionsSchema = z
  .strictObject({
    /** `built`: the image made by `continuum images build`; or a cloud image file (qcow2/raw with a bootloader). */
    image: z
      .union([
        z.literal('built'),
        z.strictObject({
          file: z.string().min(1),
          /** Optional direct-boot kernel/initrd for the file (faster on TCG); otherwise it boots its own bootloader. */
          kernel: z.string().min(1).optional(),
          initrd: z.string().min(1).optional(),
          /** Kernel root device when kernel is given, e.g. /dev/vda1 for a partitioned cloud image. */
          root: z.string().default('/dev/vda1'),
        }),
      ])
      .default('built'),
    /** `qemu`: plain qemu-system with pidfiles (default). `libvirt`: domains through virsh. `auto`: libvirt if reachable. */
    backend: z.enum(['auto', 'qemu', 'libvirt']).default('qemu'),
    libvirtUri: z.string().default('qemu:///system'),
    /** `auto` runs a short KVM boot probe and falls back to TCG when the guest does not really run. */
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    /** TCG translation cache in MiB: 128 halves RSS and boots faster than QEMU's 1 GiB default (machine probes P2). */
    tbSizeMiB: z.number().int().min(16).max(2048).default(128),
    /** How a VM learns its hostname, IP and ssh key: kernel command line (~30 s faster) or a cloud-init NoCloud seed. */
    identity: z.enum(['cmdline', 'cloud-init']).default('cmdline'),
    /** First two octets of the VM addresses (upstream `prefixIP`). */
    prefixIP: z
      .string()
      .regex(/^(\d{1,3})\.(\d{1,3})$/, 'must be two octets like 192.168')
      .default('192.168'),
    /** Third octet (upstream `middleIP`). */
    middleIP: z.number().int().min(1).max(254).default(100),
    /** Name of the bridge to create (default `cbr-<runtag>`). Must not exist yet. */
    bridge: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,15}$/, 'an interface name of at most 15 characters')
      .optional(),
    /** Attach the taps to this existing bridge instead of creating one (never modified or deleted). */
    existingBridge: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,15}$/)
      .optional(),
    /** Masquerade the VM subnet to the outside. Off: VMs reach only each other and this host. */
    nat: z.boolean().default(false),
    /** Pin vCPUs to host cores 1:1 (upstream `cpu_pin`). */
    cpuPin: z.boolean().default(false),
    /** Seconds a VM may take from start to accepting ssh before the run fails. */
    bootTimeoutS: z.number().positive().default(300),
    /** Extra RAM per VM the host must have free on top of the guest memory (QEMU's own use with tb-size 128). */
    overheadMiB: z.number().int().min(0).default(160),
    /** Check the configured links with a ping matrix after shaping. */
    validateLinks: z.boolean().default(true),
    /** Copy this host's Node.js binary to /usr/local/bin/node in every guest (Debian 12's nodejs is v18; apps need >= 20). */
    hostNode: z.boolean().default(false),
    externalHosts: z.array(externalHost).default([]),
    /** This machine's address the external hosts reach (VXLAN endpoint); required with externalHosts. */
    localAddress: z.string().min(1).optional(),
  })
  .refine(
    (o) =>
      o.externalHosts.length === 0 ||
      o.localAddress !== undefined ||
      o.externalHosts.every((h) => h.existingBridge !== undefined),
    {
      message: 'localAddress is required when externalHosts create a VXLAN back to this machine',
      path: ['localAddress'],
    },
  );

export type QemuOptions = z.infer<typeof qemuOptionsSchema>;
export type ExternalHost = z.infer<typeof externalHost>;
