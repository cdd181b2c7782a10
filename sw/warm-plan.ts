/**
 * Which files a page's bridge should find holders for while the page loads (page-bridge/warm-up.ts
 * connects to them): the files the signed manifest lists for that page, in the page's order, that
 * peers hold, the cache lacks, and that are big enough to be fetched from peers at all (smaller ones
 * go to the origin: route-decision.ts); then, while fewer than WARM_PLAN_FILES, the site's most-held
 * such files. A page whose own references name nothing for peers (a page that inserts its assets
 * from a script, or whose files are all small) still meets the swarm before its later requests and
 * its prefetch need it; a visitor whose site no peer holds anything of gets an empty plan, and so
 * no connection. The SW computes it when the page hands over its bridge.
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
  /** Files with holders, most held first (the availability view). */
  readonly mostHeld: () => readonly Sha256Sri[];
}

/** The first few files worth a connection now: `pagePath`'s own, then the site's most held. */
export function warmPlan(manifest: Manifest, pagePath: string, facts: WarmFacts): Sha256Sri[] {
  const planned: Sha256Sri[] = [];
  const consider = (file: ManifestFile | undefined): void => {
    if (!file || planned.includes(file.integrity) || file.size < facts.minPeerBytes || !((facts.holders(file.integrity) ?? 0) > 0) || facts.skip(file)) return;
    planned.push(file.integrity);
  };
  const key = pageKey(manifest, pagePath);
  for (const path of key ? manifest.pages![key]! : []) {
    if (planned.length >= WARM_PLAN_FILES) return planned;
    consider(manifest.files[path]);
  }
  const mostHeld = facts.mostHeld();
  if (planned.length >= WARM_PLAN_FILES || mostHeld.length === 0) return planned;
  const byHash = new Map<Sha256Sri, ManifestFile>();
  for (const file of Object.values(manifest.files)) byHash.set(file.integrity, file);
  for (const hash of mostHeld) {
    if (planned.length >= WARM_PLAN_FILES) break;
    consider(byHash.get(hash));
  }
  return planned;
}
