/**
 * The manifest the server publishes. An envelope becomes current only after `verifyManifest`
 * accepts it with the trusted keys, and only if its version is not below the highest this server
 * has ever published for the site (kept in a PublishState, so a restart does not reset it): a
 * rolled-back, expired or forged file on disk is refused and the last good envelope stays.
 */
import { SwarmError, isSwarmError, verifyManifest, type TrustedKey } from '../../protocol/index.js';
import type { ManifestUpdate } from '../context.js';
import { sha256Hex, type PublishMark } from './publish-state.js';

/** The high-water mark PublishedManifest keeps: read at start-up, recorded before each higher version is published. */
export interface HighWaterMark {
  /** Where it is kept, for messages (undefined: in memory only). */
  readonly file: string | undefined;
  readonly highest: PublishMark | undefined;
  record(mark: PublishMark): Promise<void>;
}

function where(mark: HighWaterMark): string {
  return mark.file === undefined ? 'kept in memory since start-up' : `recorded in ${mark.file}`;
}

/** Verified envelopes, one current at a time, never going back in version, across restarts too. */
export class PublishedManifest {
  private currentUpdate: ManifestUpdate | undefined;
  private currentDigest = '';
  /** Offers run one at a time, so two file events never race each other's version floor. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly keys: readonly TrustedKey[],
    private readonly mark: HighWaterMark,
  ) {}

  /** The envelope being served, if any. */
  get current(): ManifestUpdate | undefined {
    return this.currentUpdate;
  }

  /** The highest version ever published for the site (0 for none): a signer must sign above it. */
  get highestVersion(): number {
    return Math.max(this.mark.highest?.version ?? 0, this.currentUpdate?.version ?? 0);
  }

  /**
   * Verifies envelope text and makes it current. Resolves to the new update, or undefined when the
   * text is the one already served; rejects with the SwarmError of the failed check otherwise:
   * MANIFEST_ROLLBACK below the high-water mark, MANIFEST_VERSION_CONFLICT for its version with
   * other content, OUTPUT_FAILED when a higher version cannot be recorded (it is not published).
   */
  offer(envelopeJson: string): Promise<ManifestUpdate | undefined> {
    const run = this.queue.then(() => this.verifyAndSwap(envelopeJson));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async verifyAndSwap(envelopeJson: string): Promise<ManifestUpdate | undefined> {
    const digest = sha256Hex(envelopeJson);
    // The file watch fires for our own writes and for touches: the same bytes are no news.
    if (digest === this.currentDigest) return undefined;
    const floor = this.highestVersion;
    let verified;
    try {
      verified = await verifyManifest(envelopeJson, { keys: this.keys, minVersion: floor });
    } catch (error) {
      if (isSwarmError(error) && error.code === 'MANIFEST_ROLLBACK') {
        throw new SwarmError('MANIFEST_ROLLBACK', `${error.message}: v${floor} is the highest version this server has published for the site (${where(this.mark)}); publish a version above it`, {
          ...error.details,
        });
      }
      throw error;
    }
    const { manifest, payload } = verified;
    const mark: PublishMark = { version: manifest.version, payloadSha256: sha256Hex(payload) };
    const high = this.mark.highest;
    if (high && mark.version === high.version && mark.payloadSha256 !== high.payloadSha256) {
      // The same version again is allowed only for the same payload: `manifest sign` adds a
      // co-signature without a new version. Other content under a version visitors already hold
      // would be two different sites under one number.
      throw new SwarmError('MANIFEST_VERSION_CONFLICT', `version ${mark.version} was already published with other content (${where(this.mark)}); publish it as version ${mark.version + 1} or above`, {
        version: mark.version,
      });
    }
    // Recorded before it is served: a version visitors may have seen is never forgotten.
    if (!high || mark.version > high.version) await this.mark.record(mark);
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
