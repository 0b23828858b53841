import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major. */
  readonly pixels: Uint8Array;
}

/**
 * Renders an HTML file as a person sees it: Debian's headless Chromium takes a screenshot of the given size, decoded
 * into RGBA pixels (one device pixel per CSS pixel).
 */
export function screenshot(htmlPath: string, size: { readonly width: number; readonly height: number }): Image {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-screenshot-'));
  const png = join(dir, 'screenshot.png');
  try {
    execFileSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--screenshot=${png}`,
        `--window-size=${size.width},${size.height}`,
        `file://${htmlPath}`,
      ],
      { stdio: 'ignore', timeout: 120_000 },
    );
    return readPng(png);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG file (what headless Chromium writes). */
export function readPng(path: string): Image {
  return decodePng(readFileSync(path), path);
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG. */
export function decodePng(bytes: Buffer, source = 'PNG'): Image {
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error(`${source}: not a PNG`);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6)) {
        throw new Error(`${source}: unsupported PNG (depth ${depth}, color type ${color}, interlace ${interlace})`);
      }
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (current[x - channels] as number) : 0;
      const b = previous[x] as number;
      const c = x >= channels ? (previous[x - channels] as number) : 0;
      const predictor =
        filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      current[x] = ((line[x] as number) + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = current[x * channels + k] as number;
      out[(y * width + x) * 4 + 3] = channels === 4 ? (current[x * channels + 3] as number) : 255;
    }
    previous = current;
  }
  return { width, height, pixels: out };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Pixels within `tolerance` (per channel) of an RGB colour. */
export function countColour(image: Image, rgb: readonly [number, number, number], tolerance = 24): number {
  let n = 0;
  for (let i = 0; i < image.pixels.length; i += 4) {
    if (
      Math.abs((image.pixels[i] as number) - rgb[0]) <= tolerance &&
      Math.abs((image.pixels[i + 1] as number) - rgb[1]) <= tolerance &&
      Math.abs((image.pixels[i + 2] as number) - rgb[2]) <= tolerance
    ) {
      n++;
    }
  }
  return n;
}
