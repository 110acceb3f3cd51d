import { Command, Flags } from '@oclif/core';

export default class ImagesBuild extends Command {
  static override description =
    'Build the QEMU guest base image (Debian via debootstrap; only the distribution mirror is needed), cached by content hash';
  static override examples = ['<%= config.bin %> images build', '<%= config.bin %> images build --force'];
  static override flags = {
    force: Flags.boolean({ description: 'rebuild even if an image with the same recipe hash is cached' }),
    json: Flags.boolean({ description: 'print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesBuild);
    const { buildBaseImage } = await import('../../images/build.js');
    const { imagePackages } = await import('../../images/build.js');
    const log = {
      debug: () => undefined,
      info: (m: string) => this.logToStderr(m),
      warn: (m: string) => this.warn(m),
      error: (m: string) => this.logToStderr(m),
      progress: (m: string) => this.logToStderr(m),
      child: () => log,
    };
    try {
      const res = await buildBaseImage({ force: flags.force, log });
      const node = imagePackages(res.image).get('nodejs');
      if (flags.json) {
        this.log(
          JSON.stringify({
            key: res.image.key,
            dir: res.image.dir,
            cached: res.cached,
            seconds: res.seconds,
            steps: res.steps,
            guestNodejs: node ?? null,
          }),
        );
        return;
      }
      this.log(res.cached ? `cached: ${res.image.key}` : `built ${res.image.key} in ${res.seconds} s`);
      this.log(`  ${res.image.dir} (${(res.image.sizeBytes / 2 ** 20).toFixed(0)} MiB)`);
      if (node !== undefined) this.log(`  guest nodejs ${node}`);
    } catch (error) {
      const e = error as { code?: string; message: string; hint?: string };
      this.error(`${e.message}${e.hint ? `\n${e.hint}` : ''}`, {
        code: e.code ?? 'QEMU_IMAGE_BUILD_FAILED',
        exit: 1,
      });
    }
  }
}
