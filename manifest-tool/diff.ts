/** `manifest diff`: which paths a new manifest adds, removes and changes. */
import type { Manifest } from '../protocol/index.js';

/** Paths sorted within each list. */
export interface ManifestDiff {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** A path is changed when its bytes (integrity), its chunking or its content type differ. */
export function diffManifests(older: Manifest, newer: Manifest): ManifestDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [path, entry] of Object.entries(newer.files)) {
    const before = Object.hasOwn(older.files, path) ? older.files[path] : undefined;
    if (!before) added.push(path);
    else if (
      before.integrity !== entry.integrity ||
      before.contentType !== entry.contentType ||
      older.chunkSize !== newer.chunkSize
    ) {
      changed.push(path);
    }
  }
  for (const path of Object.keys(older.files)) if (!Object.hasOwn(newer.files, path)) removed.push(path);
  return { fromVersion: older.version, toVersion: newer.version, added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}
