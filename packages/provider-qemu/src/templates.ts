import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's templates/ directory (shipped next to dist/). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

type Env = { renderString(src: string, ctx: object): string };
let env: Env | undefined;

/** Renders templates/<name> with nunjucks (autoescape on: values land in XML/YAML). nunjucks loads lazily. */
export async function render(name: string, context: object): Promise<string> {
  if (env === undefined) {
    const nunjucks = (await import('nunjucks')).default;
    env = new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: true, trimBlocks: false });
  }
  const source = readFileSync(`${TEMPLATE_DIR}${name}`, 'utf8');
  return env.renderString(source, context);
}
