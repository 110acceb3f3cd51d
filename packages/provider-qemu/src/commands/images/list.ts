import { Command, Flags } from '@oclif/core';

export default class ImagesList extends Command {
  static override description = 'List cached QEMU guest images (base images and resource-manager layers)';
  static override flags = { json: Flags.boolean({ description: 'print JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesList);
    const { listImages, imagesDir } = await import('../../images/cache.js');
    const images = listImages();
    if (flags.json) {
      this.log(
        JSON.stringify(
          images.map((i) => ({
            key: i.key,
            kind: i.manifest.kind,
            parent: i.manifest.parent ?? null,
            builtAt: i.manifest.builtAt,
            sizeBytes: i.sizeBytes,
            dir: i.dir,
          })),
        ),
      );
      return;
    }
    if (images.length === 0) {
      this.log(`no images in ${imagesDir()} (run: continuum images build)`);
      return;
    }
    for (const i of images) {
      this.log(
        `${i.key}\t${i.manifest.kind}${i.manifest.parent ? ` on ${i.manifest.parent}` : ''}\t${(i.sizeBytes / 2 ** 20).toFixed(0)} MiB\t${i.manifest.builtAt}`,
      );
    }
  }
}
