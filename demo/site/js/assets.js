// Inserts the gallery, the dataset and the panorama once the swarm is ready (or after the fallback
// wait), so that on a first visit they already go through the service worker, and so to peers.
'use strict';
(() => {
  const { formatBytes, whenSwarmReady } = window.swarmcdnDemo;
  const $ = (id) => document.getElementById(id);
  const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

  /** The body as bytes, reporting progress; `expected` comes from the catalog (a 206 or gzip may hide the length). */
  async function download(url, expected, progress) {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.byteLength;
      progress.value = Math.min(1, received / expected);
    }
    progress.value = 1;
    return new Blob(parts, { type: response.headers.get('content-type') || '' });
  }

  function showGallery(items) {
    const gallery = $('gallery');
    const started = performance.now();
    let pending = items.length;
    const done = () => {
      pending -= 1;
      if (pending === 0) $('gallery-note').textContent = `Twelve Julia sets, ${formatBytes(items.reduce((s, i) => s + i.bytes, 0))} in all, loaded in ${seconds(performance.now() - started)}.`;
    };
    for (const item of items) {
      const figure = document.createElement('figure');
      const img = document.createElement('img');
      img.alt = `Julia set: ${item.title}`;
      img.width = item.width;
      img.height = item.height;
      img.decoding = 'async';
      img.addEventListener('load', done, { once: true });
      img.addEventListener('error', done, { once: true });
      img.src = item.src;
      const caption = document.createElement('figcaption');
      caption.textContent = `${item.title} · ${formatBytes(item.bytes)}`;
      figure.append(img, caption);
      gallery.append(figure);
    }
  }

  /** Per-station summaries and the daily mean temperature of each station. */
  function summarise(text) {
    const stations = new Map();
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const cells = lines[i].split(',');
      if (cells.length !== 6) continue;
      const [time, name, temp, , , rain] = cells;
      let s = stations.get(name);
      if (!s) stations.set(name, (s = { name, sum: 0, n: 0, min: Infinity, max: -Infinity, rain: 0, days: new Map() }));
      const t = Number(temp);
      s.sum += t;
      s.n += 1;
      s.min = Math.min(s.min, t);
      s.max = Math.max(s.max, t);
      s.rain += Number(rain);
      const day = time.slice(0, 10);
      const d = s.days.get(day) || { sum: 0, n: 0 };
      d.sum += t;
      d.n += 1;
      s.days.set(day, d);
    }
    return { rows: lines.length - 2, stations: [...stations.values()] };
  }

  function drawChart(canvas, stations) {
    const ctx = canvas.getContext('2d');
    const series = stations.map((s) => [...s.days.values()].map((d) => d.sum / d.n));
    const all = series.flat();
    const [lo, hi] = [Math.min(...all), Math.max(...all)];
    const pad = 24;
    const x = (i, n) => pad + ((canvas.width - 2 * pad) * i) / (n - 1);
    const y = (v) => canvas.height - pad - ((canvas.height - 2 * pad) * (v - lo)) / (hi - lo);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#666';
    ctx.font = '12px system-ui';
    ctx.fillText(`${hi.toFixed(0)} °C`, 2, pad - 8);
    ctx.fillText(`${lo.toFixed(0)} °C`, 2, canvas.height - 6);
    series.forEach((values, k) => {
      ctx.strokeStyle = `hsl(${(k * 360) / series.length} 65% 45%)`;
      ctx.beginPath();
      values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i, values.length), y(v)) : ctx.lineTo(x(i, values.length), y(v))));
      ctx.stroke();
    });
    canvas.hidden = false;
  }

  async function showDataset(dataset) {
    const started = performance.now();
    const blob = await download(dataset.src, dataset.bytes, $('dataset-progress'));
    const loadedMs = performance.now() - started;
    const summary = summarise(await blob.text());
    drawChart($('dataset-chart'), summary.stations);
    const body = $('dataset-table').tBodies[0];
    for (const s of summary.stations) {
      const row = body.insertRow();
      for (const cell of [s.name, (s.sum / s.n).toFixed(1), s.min.toFixed(1), s.max.toFixed(1), s.rain.toFixed(0)]) row.insertCell().textContent = cell;
    }
    $('dataset-table').hidden = false;
    $('dataset-note').textContent = `${summary.rows.toLocaleString()} hourly readings from ${summary.stations.length} stations, ${formatBytes(blob.size)} of CSV loaded in ${seconds(loadedMs)}; daily mean temperatures:`;
  }

  async function showPanorama(panorama) {
    const started = performance.now();
    const blob = await download(panorama.src, panorama.bytes, $('panorama-progress'));
    const loadedMs = performance.now() - started;
    const bitmap = await createImageBitmap(blob);
    const canvas = $('panorama');
    let actualSize = false;
    const draw = () => {
      const ctx = canvas.getContext('2d');
      // 1:1 shows the centre of the image at full resolution; otherwise the whole image, scaled.
      if (actualSize) ctx.drawImage(bitmap, (bitmap.width - canvas.width) / 2, (bitmap.height - canvas.height) / 2, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
      else ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.classList.toggle('actual-size', actualSize);
    };
    canvas.addEventListener('click', () => {
      actualSize = !actualSize;
      draw();
    });
    draw();
    canvas.hidden = false;
    $('panorama-note').textContent = `${bitmap.width} × ${bitmap.height} pixels, ${formatBytes(blob.size)} loaded in ${seconds(loadedMs)}; click it to toggle 1:1.`;
  }

  const fail = (id) => (error) => {
    $(id).textContent = `Could not load: ${error && error.message ? error.message : error}`;
    console.warn('swarmcdn demo:', error);
  };

  whenSwarmReady.then(async () => {
    const response = await fetch('/generated/catalog.json');
    if (!response.ok) throw new Error(`the demo assets are missing (HTTP ${response.status}): run npm start`);
    const catalog = await response.json();
    showGallery(catalog.gallery);
    // One after the other: each large download gets the peers' full throughput, and the page
    // shows each one's own time.
    await showDataset(catalog.dataset).catch(fail('dataset-note'));
    await showPanorama(catalog.panorama).catch(fail('panorama-note'));
    document.body.dataset.demoLoaded = 'true';
  }).catch(fail('gallery-note'));
})();
