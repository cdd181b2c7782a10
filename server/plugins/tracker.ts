/**
 * The tracker's life in the server: it has no route of its own (its messages ride the signalling
 * socket, see server/tracker/tracker-service.ts); this plugin pushes each new manifest to every
 * session, runs the availability timer, and stops both with the server.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ManifestUpdate } from '../context.js';
import type { TrackerService } from '../tracker/tracker-service.js';

/** The tracker plugin's options: the service the signalling hub feeds. */
export interface TrackerPluginOptions {
  readonly tracker: TrackerService;
}

/** Wires the tracker service to manifest events and the server's close. */
export const trackerPlugin: FastifyPluginAsync<TrackerPluginOptions> = async (app, { tracker }) => {
  const events = app.swarmcdn.events;
  const onManifest = (update: ManifestUpdate): void => tracker.pushManifest(update);
  events.on('manifest', onManifest);
  tracker.start();
  app.addHook('onClose', async () => {
    events.off('manifest', onManifest);
    tracker.stop();
  });
};
