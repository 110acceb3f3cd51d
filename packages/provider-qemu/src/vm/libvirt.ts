import { writeFileSync } from 'node:fs';
import { run, tryRun } from '../exec.js';
import { render } from '../templates.js';
import type { VmSpec } from './spec.js';
import { domainXmlContext } from './spec.js';

export async function renderDomainXml(vm: VmSpec, emulator = '/usr/bin/qemu-system-x86_64'): Promise<string> {
  return render('domain.xml.njk', domainXmlContext(vm, emulator));
}

/** True when libvirtd answers on `uri` within the timeout (it can take ~12 s on its first QEMU probe). */
export async function libvirtReachable(uri: string, timeoutMs = 20_000): Promise<boolean> {
  const res = await tryRun('virsh', ['-c', uri, 'uri'], { timeoutMs });
  return res.exitCode === 0;
}

/** Validates domain XML against libvirt's RelaxNG schema (virt-xml-validate, no daemon needed). */
export async function validateDomainXml(file: string): Promise<{ ok: boolean; output: string }> {
  const res = await tryRun('virt-xml-validate', [file, 'domain']);
  return { ok: res.exitCode === 0, output: `${res.stdout}${res.stderr}`.trim() };
}

export async function defineAndStart(uri: string, vm: VmSpec, xmlFile: string): Promise<void> {
  writeFileSync(xmlFile, await renderDomainXml(vm));
  await run('virsh', ['-c', uri, 'define', xmlFile], { timeoutMs: 120_000 });
  await run('virsh', ['-c', uri, 'start', vm.domain], { timeoutMs: 60_000 });
}

/** destroy + undefine; both tolerate a domain that is already gone. */
export async function destroyAndUndefine(uri: string, domain: string): Promise<void> {
  await tryRun('virsh', ['-c', uri, 'destroy', domain], { timeoutMs: 60_000 });
  await tryRun('virsh', ['-c', uri, 'undefine', domain], { timeoutMs: 60_000 });
}
