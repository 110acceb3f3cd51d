/**
 * Approximate on-demand prices in USD per hour, region us-central1, Linux, no sustained-use or
 * committed-use discounts, as listed on cloud.google.com/compute/vm-instance-pricing in 2025-11.
 * Other regions cost up to ~30 % more. Used only for the estimate in `continuum plan`.
 */
export const PRICE_TABLE_DATE = '2025-11';

export const MACHINE_PRICE_USD_PER_HOUR: Readonly<Record<string, number>> = {
  'e2-micro': 0.00838,
  'e2-small': 0.01675,
  'e2-medium': 0.03351,
  'e2-standard-2': 0.06701,
  'e2-standard-4': 0.13402,
  'e2-standard-8': 0.26805,
  'e2-standard-16': 0.53609,
  'e2-standard-32': 1.07219,
  'e2-highcpu-2': 0.04947,
  'e2-highcpu-4': 0.09894,
  'e2-highcpu-8': 0.19788,
  'e2-highmem-2': 0.0904,
  'e2-highmem-4': 0.1808,
  'e2-highmem-8': 0.3616,
  'n1-standard-1': 0.0475,
  'n1-standard-2': 0.095,
  'n1-standard-4': 0.19,
  'n1-standard-8': 0.38,
  'n2-standard-2': 0.0971,
  'n2-standard-4': 0.1942,
  'n2-standard-8': 0.3885,
  'n2d-standard-2': 0.0845,
  'n2d-standard-4': 0.169,
  'n2d-standard-8': 0.338,
  'c2-standard-4': 0.2088,
  'c2-standard-8': 0.4176,
  't2d-standard-1': 0.0422,
  't2d-standard-2': 0.0845,
  't2d-standard-4': 0.169,
  'f1-micro': 0.0076,
  'g1-small': 0.0257,
};

/** Persistent disk, USD per GB-month (730 h). */
export const DISK_PRICE_USD_PER_GB_MONTH: Readonly<Record<string, number>> = {
  'pd-standard': 0.04,
  'pd-balanced': 0.1,
  'pd-ssd': 0.17,
};

/** An in-use external IPv4 address on a standard VM. */
export const EXTERNAL_IP_USD_PER_HOUR = 0.005;

/** N1 custom machine types: per vCPU-hour and per GB-hour. */
const CUSTOM_VCPU_USD = 0.033174;
const CUSTOM_GB_USD = 0.004446;

/** Hourly price of a machine type, or undefined when the table does not know it. */
export function machinePricePerHour(machineType: string): number | undefined {
  const known = MACHINE_PRICE_USD_PER_HOUR[machineType];
  if (known !== undefined) return known;
  // custom-<vcpus>-<memMiB> and e2-custom-<vcpus>-<memMiB>
  const custom = /^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)$/.exec(machineType);
  if (custom !== null)
    return Number(custom[1]) * CUSTOM_VCPU_USD + (Number(custom[2]) / 1024) * CUSTOM_GB_USD;
  return undefined;
}

export function diskPricePerHour(diskType: string, sizeGb: number): number {
  return (
    ((DISK_PRICE_USD_PER_GB_MONTH[diskType] ?? DISK_PRICE_USD_PER_GB_MONTH['pd-balanced'] ?? 0.1) * sizeGb) /
    730
  );
}
