/**
 * Which files a page's bridge should find holders for while the page loads (page-bridge/warm-up.ts
 * connects to them): the files the signed manifest lists for that page, in the page's order, that
 * peers hold, the cache lacks, and that are big enough to be fetched from peers at all (smaller ones
 * go to the origin: route-decision.ts). The SW computes it when the page hands over its bridge.
 */
import type { Manifest, ManifestFile, Sha256Sri } from '../protocol/index.js';
import { pageKey } from './prefetcher.js';

/** Files named per warm-up; the bridge looks up at most this many. */
export const WARM_PLAN_FILES = 4;

/** What the plan reads. */
export interface WarmFacts {
  readonly holders: (file: Sha256Sri) => number | undefined;
  /** True when the file is wholly cached or must not be cached (tainted). */
  readonly skip: (file: ManifestFile) => boolean;
  readonly minPeerBytes: number;
}

/** The first few files of `pagePath` worth a connection now (none when the manifest lists no such page). */
export function warmPlan(manifest: Manifest, pagePath: string, facts: WarmFacts): Sha256Sri[] {
  const key = pageKey(manifest, pagePath);
  const planned: Sha256Sri[] = [];
  for (const path of key ? manifest.pages![key]! : []) {
    const file = manifest.files[path];
    if (!file || planned.includes(file.integrity) || file.size < facts.minPeerBytes || !((facts.holders(file.integrity) ?? 0) > 0) || facts.skip(file)) continue;
    planned.push(file.integrity);
    if (planned.length >= WARM_PLAN_FILES) break;
  }
  return planned;
}
