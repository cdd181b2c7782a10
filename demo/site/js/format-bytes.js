// `12.3 MB`: decimal units, like the browser's own download UI. Shared by the demo's scripts.
'use strict';
window.swarmcdnDemo = Object.assign(window.swarmcdnDemo || {}, {
  formatBytes(bytes) {
    if (!Number.isFinite(bytes)) return '–';
    if (bytes < 1000) return `${bytes} B`;
    const units = ['kB', 'MB', 'GB'];
    let value = bytes / 1000;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
  },
});
