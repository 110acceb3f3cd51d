import { Args, Command } from '@oclif/core';

export default class ImagesRm extends Command {
  static override description = 'Remove a cached QEMU guest image by key (see `images list`)';
  static override args = { key: Args.string({ required: true, description: 'image key' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ImagesRm);
    const { removeImage } = await import('../../images/cache.js');
    try {
      removeImage(args.key);
      this.log(`removed ${args.key}`);
    } catch (error) {
      const e = error as { code?: string; message: string; hint?: string };
      this.error(`${e.message}${e.hint ? `\n${e.hint}` : ''}`, {
        code: e.code ?? 'QEMU_IMAGE_RM_FAILED',
        exit: 1,
      });
    }
  }
}
