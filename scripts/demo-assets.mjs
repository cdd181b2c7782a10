// Generates the demo's large and numerous assets into demo/site/generated/ (gitignored): a gallery
// of fractal PNGs, a multi-MB CSV dataset and a ~20 MB panorama PNG. Everything comes from a seeded
// PRNG and fixed parameters, so every run writes the same files, and nothing is fetched from
// elsewhere or committed. scripts/demo.mjs calls ensureDemoAssets() before the server starts, so
// the manifest it signs lists them. `node scripts/demo-assets.mjs [--force]` runs it alone.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from './lib/png.mjs';
import { seededRandom } from './lib/seeded-random.mjs';

/** Bump when the output changes: a stale generated/ with another stamp is rebuilt. */
const GENERATOR_VERSION = 2;
const STAMP = '.stamp';
const SEED = 0x5a4d;

/** Inigo Quilez's cosine palette: t in [0, 1] → a colour channel in [0, 255]. */
function palette(t, phase) {
  return [0, 1, 2].map((i) => 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + phase[i]))));
}

/** A Julia set z² + c, smooth-coloured, with grain so each file weighs a few hundred KB. */
function juliaImage(width, height, c, phase, random) {
  const rgb = Buffer.alloc(width * height * 3);
  const maxIter = 96;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let zr = ((x - width / 2) / height) * 3;
      let zi = ((y - height / 2) / height) * 3;
      let i = 0;
      while (i < maxIter && zr * zr + zi * zi < 16) {
        const t = zr * zr - zi * zi + c[0];
        zi = 2 * zr * zi + c[1];
        zr = t;
        i++;
      }
      const smooth = i < maxIter ? i + 1 - Math.log2(Math.log2(zr * zr + zi * zi) / 2) : 0;
      const colour = palette(smooth / 24, phase);
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) rgb[o + k] = Math.max(0, Math.min(255, colour[k] + (random() - 0.5) * 10));
    }
  }
  return rgb;
}

/** Value noise on a lattice of `cell` pixels, smoothstep-interpolated, from a fixed random grid. */
function valueNoise(grid, size, x, y) {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = x - xi;
  const fy = y - yi;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const at = (i, j) => grid[((j & (size - 1)) * size + (i & (size - 1)))];
  const top = at(xi, yi) + (at(xi + 1, yi) - at(xi, yi)) * sx;
  const bottom = at(xi, yi + 1) + (at(xi + 1, yi + 1) - at(xi, yi + 1)) * sx;
  return top + (bottom - top) * sy;
}

/** A hill-shaded fractal landscape: sea, beach, forest, rock, snow; grain keeps it ~20 MB. */
function panoramaImage(width, height, random) {
  const size = 256;
  const grid = Float32Array.from({ length: size * size }, () => random());
  const heights = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let h = 0;
      let amplitude = 0.5;
      let frequency = 1 / 512;
      for (let octave = 0; octave < 7; octave++) {
        h += amplitude * valueNoise(grid, size, x * frequency + octave * 17.3, y * frequency + octave * 31.7);
        amplitude *= 0.5;
        frequency *= 2;
      }
      heights[y * width + x] = h;
    }
  }
  const SEA = 0.42;
  const bands = [
    [0.45, [214, 196, 140]],
    [0.6, [58, 118, 52]],
    [0.7, [112, 100, 86]],
    [1.1, [240, 240, 246]],
  ];
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const h = heights[i];
      let colour;
      if (h < SEA) {
        // Deeper water is darker.
        const depth = Math.min(1, (SEA - h) / 0.15);
        colour = [40 - 24 * depth, 96 - 56 * depth, 168 - 70 * depth];
      } else {
        // Light from the north-west: brighter where the ground rises towards it, darker where it falls away.
        const slope = h - heights[Math.max(0, i - 3 * width - 3)];
        const shade = Math.max(0.35, Math.min(1.6, 1 + slope * 90));
        colour = bands.find(([limit]) => h < limit)[1].map((c) => c * shade);
      }
      const o = i * 3;
      for (let k = 0; k < 3; k++) rgb[o + k] = Math.max(0, Math.min(255, colour[k] + (random() - 0.5) * 24));
    }
  }
  return rgb;
}

/** A year of hourly readings from twelve weather stations, as CSV (about 5 MB). */
function weatherCsv(random) {
  const stations = ['Aberdeen', 'Bergen', 'Cadiz', 'Dresden', 'Evora', 'Fargo', 'Galway', 'Hilo', 'Ibiza', 'Juneau', 'Kyoto', 'Lima'];
  const lines = ['time,station,temp_c,humidity_pct,wind_kph,rain_mm'];
  const start = Date.UTC(2024, 0, 1);
  stations.forEach((station, s) => {
    const mean = 4 + s * 1.7;
    const swing = 14 - s * 0.6;
    for (let hour = 0; hour < 366 * 24; hour++) {
      const day = hour / 24;
      const seasonal = -Math.cos((2 * Math.PI * day) / 366) * swing;
      const daily = -Math.cos((2 * Math.PI * (hour % 24)) / 24) * 3;
      const temp = mean + seasonal + daily + (random() - 0.5) * 4;
      const humidity = Math.max(10, Math.min(100, 70 - daily * 4 + (random() - 0.5) * 30));
      const wind = Math.abs(12 + (random() - 0.5) * 20);
      const rain = random() < 0.08 ? random() * 6 : 0;
      const time = new Date(start + hour * 3_600_000).toISOString().slice(0, 13);
      lines.push(`${time},${station},${temp.toFixed(1)},${humidity.toFixed(0)},${wind.toFixed(1)},${rain.toFixed(1)}`);
    }
  });
  return { text: lines.join('\n') + '\n', rows: lines.length - 1, stations: stations.length };
}

const GALLERY = [
  ['Dendrite', [0, 1], [0.0, 0.1, 0.2]],
  ['Douady rabbit', [-0.123, 0.745], [0.5, 0.6, 0.7]],
  ['San Marco', [-0.75, 0.05], [0.3, 0.2, 0.2]],
  ['Siegel disk', [-0.391, -0.587], [0.0, 0.33, 0.67]],
  ['Spiral', [0.285, 0.01], [0.8, 0.9, 0.3]],
  ['Seahorse', [-0.8, 0.156], [0.1, 0.4, 0.6]],
  ['Lightning', [-0.7269, 0.1889], [0.6, 0.1, 0.9]],
  ['Galaxies', [0.355, 0.355], [0.2, 0.5, 0.5]],
  ['Coral', [-0.4, 0.6], [0.9, 0.6, 0.2]],
  ['Snowflake', [0.37, 0.1], [0.55, 0.6, 0.65]],
  ['Fern', [-0.54, 0.54], [0.25, 0.45, 0.05]],
  ['Embers', [-0.835, -0.2321], [0.0, 0.15, 0.3]],
];

/** Writes every asset into `dir` and returns the catalog the page reads. */
function generate(dir) {
  const random = seededRandom(SEED);
  mkdirSync(join(dir, 'gallery'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const gallery = GALLERY.map(([title, c, phase], i) => {
    const [width, height] = [640, 400];
    const png = encodePng(width, height, juliaImage(width, height, c, phase, random));
    const src = `/generated/gallery/julia-${String(i + 1).padStart(2, '0')}.png`;
    writeFileSync(join(dir, 'gallery', src.split('/').pop()), png);
    return { src, title, width, height, bytes: png.length };
  });
  const csv = weatherCsv(random);
  writeFileSync(join(dir, 'data/weather.csv'), csv.text);
  const [width, height] = [4096, 2304];
  const panoramaPng = encodePng(width, height, panoramaImage(width, height, random));
  writeFileSync(join(dir, 'panorama.png'), panoramaPng);
  const catalog = {
    gallery,
    dataset: { src: '/generated/data/weather.csv', bytes: Buffer.byteLength(csv.text), rows: csv.rows, stations: csv.stations },
    panorama: { src: '/generated/panorama.png', width, height, bytes: panoramaPng.length },
  };
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog, null, 2) + '\n');
  return catalog;
}

/**
 * Makes sure `<siteDir>/generated` holds this generator version's assets; builds them (in a dotted
 * temp dir the manifest ignores, then renamed into place) when missing or stale.
 */
export function ensureDemoAssets(siteDir, { force = false, log = () => {} } = {}) {
  const dir = join(siteDir, 'generated');
  const stamp = `swarmcdn demo assets v${GENERATOR_VERSION} seed ${SEED}\n`;
  const current = existsSync(join(dir, STAMP)) && readFileSync(join(dir, STAMP), 'utf8') === stamp;
  if (current && !force) return { dir, generated: false };
  const started = performance.now();
  log(`generating demo assets into ${dir} (a few seconds, once)…`);
  const tmp = join(siteDir, `.generated-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const catalog = generate(tmp);
    writeFileSync(join(tmp, STAMP), stamp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    const total = catalog.gallery.reduce((sum, g) => sum + g.bytes, 0) + catalog.dataset.bytes + catalog.panorama.bytes;
    log(`demo assets: ${catalog.gallery.length + 2} files, ${(total / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, generated: true };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const siteDir = fileURLToPath(new URL('../demo/site', import.meta.url));
  ensureDemoAssets(siteDir, { force: process.argv.includes('--force'), log: (line) => console.log(line) });
}
