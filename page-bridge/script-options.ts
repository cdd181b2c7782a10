/**
 * The options a plain `<script src="/swarmcdn/bridge.js">` tag carries: `data-manual` (do not
 * start; the site calls swarmcdn.startSwarm itself), `data-server`, `data-ice-servers` (JSON),
 * `data-region`, and the numbers `data-prefetch-bytes`, `data-upload-bytes-per-second`,
 * `data-min-peer-bytes`, `data-hedge-ms`, `data-min-peers`, `data-rate-hedge` and `data-upload`
 * (`"false"`: this visitor never serves others). Only these
 * are read; startSwarm validates the values.
 */
import { SwarmError } from '../protocol/errors.js';
import type { SwarmOptions } from './options.js';

/** What the script tag asks for. */
export interface ScriptSettings {
  readonly manual: boolean;
  readonly options: SwarmOptions;
}

/** Reads a script element's dataset (a DOMStringMap, or a plain record in tests). */
export function scriptSettings(dataset: Readonly<Record<string, string | undefined>>): ScriptSettings {
  const options: SwarmOptions = {};
  if (dataset.server !== undefined) options.server = dataset.server;
  if (dataset.region !== undefined) options.region = dataset.region;
  if (dataset.iceServers !== undefined) {
    try {
      options.iceServers = JSON.parse(dataset.iceServers) as RTCIceServer[];
    } catch {
      throw new SwarmError('CONFIG_INVALID', 'data-ice-servers is not JSON', { option: 'iceServers' });
    }
  }
  // Numbers stay strings when they are not numbers, so startSwarm names the option in its error.
  const number = (text: string): number | string => (/^\d+$/.test(text.trim()) ? Number(text) : text);
  if (dataset.prefetchBytes !== undefined) options.prefetchBytes = number(dataset.prefetchBytes) as number;
  if (dataset.uploadBytesPerSecond !== undefined) options.uploadBytesPerSecond = number(dataset.uploadBytesPerSecond) as number;
  if (dataset.minPeerBytes !== undefined) options.minPeerBytes = number(dataset.minPeerBytes) as number;
  if (dataset.hedgeMs !== undefined) options.hedgeMs = number(dataset.hedgeMs) as number;
  if (dataset.minPeers !== undefined) options.minPeers = number(dataset.minPeers) as number;
  // `data-rate-hedge="false"` turns it off; any other value is left for startSwarm to refuse by name.
  if (dataset.rateHedge !== undefined) options.rateHedge = (dataset.rateHedge === 'false' ? false : dataset.rateHedge === 'true' ? true : dataset.rateHedge) as boolean;
  // `data-upload="false"`: the site's opt-out (this visitor never serves others).
  if (dataset.upload !== undefined) options.upload = (dataset.upload === 'false' ? false : dataset.upload === 'true' ? true : dataset.upload) as boolean;
  return { manual: dataset.manual !== undefined, options };
}
