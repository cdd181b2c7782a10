/**
 * The manifest the server publishes. An envelope becomes current only after `verifyManifest`
 * accepts it with the trusted keys and with the current version as the floor, so a rolled-back,
 * expired or forged file on disk is refused and the last good envelope keeps being served.
 */
import { createHash } from 'node:crypto';
import { verifyManifest, type TrustedKey } from '../../protocol/index.js';
import type { ManifestUpdate } from '../context.js';

/** Verified envelopes, one current at a time, never going back in version. */
export class PublishedManifest {
  private currentUpdate: ManifestUpdate | undefined;
  private currentDigest = '';
  /** Offers run one at a time, so two file events never race each other's version floor. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly keys: readonly TrustedKey[]) {}

  /** The envelope being served, if any. */
  get current(): ManifestUpdate | undefined {
    return this.currentUpdate;
  }

  /**
   * Verifies envelope text and makes it current. Resolves to the new update, or undefined when the
   * text is the one already served; rejects with the SwarmError of the failed check otherwise.
   */
  offer(envelopeJson: string): Promise<ManifestUpdate | undefined> {
    const run = this.queue.then(() => this.verifyAndSwap(envelopeJson));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async verifyAndSwap(envelopeJson: string): Promise<ManifestUpdate | undefined> {
    const digest = createHash('sha256').update(envelopeJson).digest('hex');
    const previous = this.currentUpdate;
    // The file watch fires for our own writes and for touches: the same bytes are no news.
    if (digest === this.currentDigest) return undefined;
    // The same version again is allowed: `manifest sign` adds a co-signature without a new version.
    const { manifest } = await verifyManifest(envelopeJson, { keys: this.keys, minVersion: previous?.version ?? 0 });
    const update: ManifestUpdate = Object.freeze({
      envelopeJson,
      version: manifest.version,
      etag: `"v${manifest.version}-${digest.slice(0, 32)}"`,
    });
    this.currentUpdate = update;
    this.currentDigest = digest;
    return update;
  }
}
