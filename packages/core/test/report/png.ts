import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

/** Minimal PNG reader (8-bit RGB/RGBA, non-interlaced: what Chromium writes) for screenshot checks. */
export function readPng(file: string): {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number];
} {
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error(`${file} is not a PNG`);
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = data[9] ?? 0;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (bpp === 0) throw new Error(`PNG color type ${colorType} not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= bpp ? (out[y * stride + x - bpp] ?? 0) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= bpp && y > 0 ? (out[(y - 1) * stride + x - bpp] ?? 0) : 0;
      let r = v;
      if (filter === 1) r = v + a;
      else if (filter === 2) r = v + b;
      else if (filter === 3) r = v + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        r = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      out[y * stride + x] = r & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => [
      out[y * stride + x * bpp] ?? 0,
      out[y * stride + x * bpp + 1] ?? 0,
      out[y * stride + x * bpp + 2] ?? 0,
    ],
  };
}

/** Fraction of pixels that are not (near) the page background, and how many distinct colours. */
export function pngStats(file: string): {
  width: number;
  height: number;
  inkFraction: number;
  colours: number;
} {
  const png = readPng(file);
  let ink = 0;
  const colours = new Set<number>();
  for (let y = 0; y < png.height; y += 2)
    for (let x = 0; x < png.width; x += 2) {
      const [r, g, b] = png.pixel(x, y);
      if (r + g + b < 740) ink++;
      colours.add((r >> 4) * 256 + (g >> 4) * 16 + (b >> 4));
    }
  return {
    width: png.width,
    height: png.height,
    inkFraction: ink / (Math.ceil(png.height / 2) * Math.ceil(png.width / 2)),
    colours: colours.size,
  };
}
