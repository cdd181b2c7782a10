/**
 * The operator dashboard's wire contract: its routes and the JSON body `GET DASHBOARD_DATA_PATH`
 * answers (polled every second by dashboard/, the browser script). The body is untrusted to the
 * page like any other: `parseDashboardData` checks every field and bound, and never throws.
 */

import { SWARMCDN_PATH } from '../wire.js';

/** The dashboard page (routes of a server with the `dashboard` option; see protocol/wire.ts for the rest). */
export const DASHBOARD_PATH = `${SWARMCDN_PATH}/dashboard`;
/** Its script and stylesheet (an esbuild bundle, uPlot inside). */
export const DASHBOARD_SCRIPT_PATH = `${DASHBOARD_PATH}/dashboard.js`;
export const DASHBOARD_STYLE_PATH = `${DASHBOARD_PATH}/dashboard.css`;
/** What the page polls; `?since=<ms>` returns only samples taken after that time. */
export const DASHBOARD_DATA_PATH = `${DASHBOARD_PATH}/data`;
/** The Prometheus exposition (a server with the `metrics` option). */
export const METRICS_PATH = `${SWARMCDN_PATH}/metrics`;

/** Files listed by holders: the ten most held. */
export const DASHBOARD_TOP_FILES = 10;
/** Samples the server keeps (one a second: ten minutes), and so at most in one answer. */
export const DASHBOARD_MAX_SAMPLES = 600;
/** A manifest path is at most 4,096 characters (MAX_PATH_LENGTH in manifest/); the page shows it. */
const MAX_PATH_CHARS = 4096;

/** Bytes clients reported, by where they came from (cumulative since the server started). */
export interface DashboardBytes {
  readonly peer: number;
  readonly cache: number;
  readonly origin: number;
}

/** One sample of the history: its time (ms since the epoch), peers online, and the cumulative bytes then. */
export interface DashboardSample extends DashboardBytes {
  readonly t: number;
  readonly peers: number;
}

/** A file of the current manifest and how many peers of the site hold it. */
export interface DashboardFile {
  readonly path: string;
  readonly holders: number;
}

/** What the dashboard page receives every second. */
export interface DashboardData {
  /** The server's clock when it answered (ms since the epoch): the next `since`. */
  readonly now: number;
  /** Open signalling sockets (a page each) and tracker sessions. */
  readonly peers: { readonly signalling: number; readonly tracker: number };
  readonly swarms: number;
  readonly bytes: DashboardBytes;
  /** The manifest version published, or null before there is one. */
  readonly manifestVersion: number | null;
  /** At most DASHBOARD_TOP_FILES, most held first. */
  readonly topFiles: readonly DashboardFile[];
  /** Samples after `since`, oldest first, at most DASHBOARD_MAX_SAMPLES. */
  readonly samples: readonly DashboardSample[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readBytes(value: unknown): DashboardBytes | undefined {
  if (!isRecord(value) || !isCount(value.peer) || !isCount(value.cache) || !isCount(value.origin)) return undefined;
  return { peer: value.peer, cache: value.cache, origin: value.origin };
}

function readSample(value: unknown): DashboardSample | undefined {
  if (!isRecord(value) || !isCount(value.t) || !isCount(value.peers)) return undefined;
  const bytes = readBytes(value);
  return bytes && { t: value.t, peers: value.peers, ...bytes };
}

function readFile(value: unknown): DashboardFile | undefined {
  if (!isRecord(value) || typeof value.path !== 'string' || value.path.length > MAX_PATH_CHARS || !isCount(value.holders)) return undefined;
  return { path: value.path, holders: value.holders };
}

function readList<T>(value: unknown, max: number, read: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  const out: T[] = [];
  for (const item of value) {
    const parsed = read(item);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

/** Reads an untrusted dashboard body; undefined when it is not one (never throws). */
export function parseDashboardData(value: unknown): DashboardData | undefined {
  try {
    if (!isRecord(value) || !isCount(value.now) || !isCount(value.swarms)) return undefined;
    const { peers, manifestVersion } = value;
    if (!isRecord(peers) || !isCount(peers.signalling) || !isCount(peers.tracker)) return undefined;
    if (manifestVersion !== null && !isCount(manifestVersion)) return undefined;
    const bytes = readBytes(value.bytes);
    const topFiles = readList(value.topFiles, DASHBOARD_TOP_FILES, readFile);
    const samples = readList(value.samples, DASHBOARD_MAX_SAMPLES, readSample);
    if (!bytes || !topFiles || !samples) return undefined;
    return {
      now: value.now,
      peers: { signalling: peers.signalling, tracker: peers.tracker },
      swarms: value.swarms,
      bytes,
      manifestVersion,
      topFiles,
      samples,
    };
  } catch {
    // Only a caller's own object (never JSON) could throw from a getter; it is still "not a body".
    return undefined;
  }
}
