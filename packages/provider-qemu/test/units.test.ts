import { describe, expect, it } from 'vitest';
import {
  htbQuantum,
  mbpsToBytesPerSec,
  mibToKib,
  processQuotaUs,
  tcRate,
  tcTime,
  vcpuQuotaUs,
} from '../src/units.js';

describe('unit conversions', () => {
  it('disk limits are MB/s → bytes/s (upstream passed the MB/s number as bytes/s)', () => {
    expect(mbpsToBytesPerSec(100)).toBe(100_000_000);
    expect(mbpsToBytesPerSec(0.5)).toBe(500_000);
    expect(mbpsToBytesPerSec(0)).toBe(0);
    expect(mbpsToBytesPerSec(undefined)).toBe(0);
    expect(mbpsToBytesPerSec(-3)).toBe(0);
  });
  it('memory MiB → KiB for libvirt', () => {
    expect(mibToKib(512)).toBe(524_288);
    expect(mibToKib(1024)).toBe(1_048_576); // upstream: 1 GB x 1048576 KiB
  });
  it('cpu quota: per vCPU for libvirt, per process for the plain-qemu cgroup', () => {
    expect(vcpuQuotaUs(0.5)).toBe(50_000);
    expect(vcpuQuotaUs(1)).toBe(100_000);
    expect(processQuotaUs(0.5, 2)).toBe(100_000);
    expect(processQuotaUs(0.25, 4)).toBe(100_000);
    expect(vcpuQuotaUs(7)).toBe(100_000);
  });
  it('tc values are integers in kbit / us', () => {
    expect(tcRate(7.21)).toBe('7210kbit');
    expect(tcRate(1000)).toBe('1000000kbit');
    expect(tcTime(7.5)).toBe('7500us');
    expect(tcTime(45)).toBe('45000us');
  });
  it('htb quantum stays within [MTU, 200000]', () => {
    expect(htbQuantum(1000)).toBe(200_000);
    expect(htbQuantum(0.1)).toBe(1514);
    expect(htbQuantum(7.21)).toBe(90_125);
  });
});
