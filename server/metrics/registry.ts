/**
 * The Prometheus metrics of one server: a prom-client Registry of its own (several servers run in
 * one test process, so never the global default registry), whose gauges and counters read the
 * state the server already keeps (connections, store counts, reported bytes, the manifest) and
 * the plain counters of counters.ts in collect() callbacks, at scrape time. Process metrics
 * (CPU, memory, event loop, GC) describe the process, not a server: they live in one registry per
 * process, started once, and are appended to every server's exposition.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../../protocol/errors.js';
import type { SwarmcdnContext } from '../context.js';
import type { ServerCounters } from './counters.js';

/** Every metric name starts with this. */
export const METRIC_PREFIX = 'swarmcdn_';

let processRegistry: Registry | undefined;

/** The process-wide registry of prom-client's default metrics, prefixed; its monitors start once per process. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX });
  }
  return processRegistry;
}

/** Sets a labelled counter to the values of a plain record or map (counters only grow, so this is their current total). */
function setTotals(counter: Counter<string>, label: string, values: Iterable<readonly [string, number]>): void {
  counter.reset();
  for (const [key, value] of values) counter.inc({ [label]: key }, value);
}

/** One server's metrics: a registry and its exposition text. */
export class ServerMetrics {
  readonly registry = new Registry();

  constructor(ctx: SwarmcdnContext, counters: ServerCounters) {
    const registers = [this.registry];
    const refusals = (map: Map<ErrorCode, number>) => map.entries();
    new Gauge({
      name: `${METRIC_PREFIX}peers`,
      help: 'Open connections: signalling sockets (one per page) and tracker sessions',
      labelNames: ['endpoint'],
      registers,
      collect() {
        this.set({ endpoint: 'signalling' }, ctx.connections.signalling);
        this.set({ endpoint: 'tracker' }, ctx.connections.tracker);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}tracked_peers`,
      help: 'Peers joined to a swarm, across all sites',
      registers,
      collect() {
        this.set(ctx.store.tracker.counts().peers);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}swarms`,
      help: 'Sites with at least one joined peer',
      registers,
      collect() {
        this.set(ctx.store.tracker.counts().swarms);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}content_entries`,
      help: 'Holdings the tracker keeps (one per peer and file held)',
      registers,
      collect() {
        this.set(ctx.store.tracker.counts().contentEntries);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}signalling_relayed_total`,
      help: 'Signalling frames accepted for relay (delivered, queued or expired), by type',
      labelNames: ['type'],
      registers,
      collect() {
        setTotals(this, 'type', Object.entries(counters.signalling.relayed));
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}signalling_refusals_total`,
      help: 'Signalling sockets, frames and id requests refused, by error code',
      labelNames: ['code'],
      registers,
      collect() {
        setTotals(this, 'code', refusals(counters.signalling.refusals));
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}tracker_answers_total`,
      help: 'Tracker frames sent to pages, by type',
      labelNames: ['type'],
      registers,
      collect() {
        setTotals(this, 'type', Object.entries(counters.tracker.answers));
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}tracker_refusals_total`,
      help: 'Tracker sessions closed with an error, by error code',
      labelNames: ['code'],
      registers,
      collect() {
        setTotals(this, 'code', refusals(counters.tracker.refusals));
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}manifest_version`,
      help: 'Version of the manifest being published (0: none)',
      registers,
      collect() {
        this.set(ctx.currentManifest?.version ?? 0);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}manifest_published_total`,
      help: 'Manifests published since start',
      registers,
      collect() {
        this.reset();
        this.inc(counters.manifest.published);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}manifest_refusals_total`,
      help: 'Manifest files refused after start-up (the last good one stayed), by error code',
      labelNames: ['code'],
      registers,
      collect() {
        setTotals(this, 'code', refusals(counters.manifest.refusals));
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}client_bytes_total`,
      help: 'Bytes pages reported, by where they came from (each client capped at what a page could move)',
      labelNames: ['source'],
      registers,
      collect() {
        setTotals(this, 'source', Object.entries(ctx.bytes));
      },
    });
  }

  /** The content type of the exposition (text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: this server's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own.trimEnd()}\n${proc.trimEnd()}\n`;
  }
}
