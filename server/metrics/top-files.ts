/**
 * The dashboard's "top files by holders": the DASHBOARD_TOP_FILES files of the current manifest
 * most held in one site's swarm, named by their paths. Counts come from the availability hub's
 * view (bounded by the manifest); each manifest is unpacked once into integrity → path.
 */
import { fromBase64, parseEnvelope, parseManifest } from '../../protocol/index.js';
import { DASHBOARD_TOP_FILES, type DashboardFile } from '../../protocol/messages/dashboard.js';

/** The published manifest, as the context holds it. */
interface Published {
  readonly envelopeJson: string;
}

/** Integrity → the first path (in manifest order) with those bytes; empty for an envelope that does not unpack. */
function pathsOf(envelopeJson: string): ReadonlyMap<string, string> {
  const paths = new Map<string, string>();
  try {
    const payload = fromBase64(parseEnvelope(envelopeJson).payload);
    if (!payload) return paths;
    for (const [path, file] of Object.entries(parseManifest(payload).files)) if (!paths.has(file.integrity)) paths.set(file.integrity, path);
  } catch {
    // A published envelope was verified; only a stand-in (tests, a host's own) fails here: no names.
  }
  return paths;
}

/** Names the most held files of the current manifest. */
export class TopFiles {
  #seen: Published | undefined;
  #paths: ReadonlyMap<string, string> = new Map();

  /** The most held files, most first (ties by path), at most `limit`; files the manifest does not name are left out. */
  top(manifest: Published | undefined, counts: Readonly<Record<string, number>>, limit = DASHBOARD_TOP_FILES): DashboardFile[] {
    if (manifest !== this.#seen) {
      this.#seen = manifest;
      this.#paths = manifest ? pathsOf(manifest.envelopeJson) : new Map();
    }
    const files: DashboardFile[] = [];
    for (const integrity in counts) {
      const path = this.#paths.get(integrity);
      if (path !== undefined) files.push({ path, holders: counts[integrity]! });
    }
    files.sort((a, b) => b.holders - a.holders || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return files.slice(0, limit);
  }
}
