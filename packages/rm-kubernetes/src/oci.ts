import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  linkSync,
  copyFileSync,
} from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Wraps a rootfs tarball into an OCI image-layout archive (one uncompressed layer) that
 * `ctr -n k8s.io images import` loads into containerd: kubelet then runs it with
 * imagePullPolicy Never, so no registry and no internet are involved.
 */
export async function ociArchiveFromRootfs(options: {
  rootfsTar: string;
  reference: string;
  env: string[];
  workingDir: string;
  outFile: string;
}): Promise<string> {
  if (existsSync(options.outFile)) return options.outFile;
  const dir = `${options.outFile}.layout`;
  rmSync(dir, { recursive: true, force: true });
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (text: string): { digest: string; size: number } => {
    const digest = createHash('sha256').update(text).digest('hex');
    writeFileSync(join(blobs, digest), text);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(text) };
  };
  const layerDigest = await sha256File(options.rootfsTar);
  const layerPath = join(blobs, layerDigest);
  try {
    linkSync(options.rootfsTar, layerPath);
  } catch {
    copyFileSync(options.rootfsTar, layerPath);
  }
  const config = blob(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: options.env, WorkingDir: options.workingDir },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created_by: 'continuum: host node binary + shared libraries' }],
    }),
  );
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: `sha256:${layerDigest}`,
          size: statSync(options.rootfsTar).size,
        },
      ],
    }),
  );
  const fullRef =
    options.reference.includes('/') && options.reference.split('/')[0]?.includes('.')
      ? options.reference
      : `docker.io/${options.reference}`;
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: {
            'io.containerd.image.name': fullRef,
            'org.opencontainers.image.ref.name': options.reference.split(':').at(-1) ?? 'latest',
          },
        },
      ],
    }),
  );
  const partial = `${options.outFile}.partial`;
  await run('tar', ['-C', dir, '-cf', partial, 'oci-layout', 'index.json', 'blobs']);
  renameSync(partial, options.outFile);
  rmSync(dir, { recursive: true, force: true });
  return options.outFile;
}
