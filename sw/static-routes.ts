/**
 * Requests that can never be swarm requests skip the SW's fetch handler entirely where the browser
 * supports static routing (Chromium's `InstallEvent.addRoutes`): navigations (the SW never answers a
 * document: it would lose the origin's CSP and other policy headers), anything that is not a GET,
 * and swarmcdn's own routes (the manifest, the bridge, signalling). Such a request then costs no SW
 * start and no hop through the SW's thread. Where `addRoutes` is missing the fetch handler leaves
 * them to the network itself (route-match.ts), so the behaviour is the same, only slower.
 */
import { SWARMCDN_PREFIX } from '../protocol/wire.js';

/** A static routing rule, as Chromium takes it. */
export interface StaticRouteRule {
  readonly condition: Record<string, unknown>;
  readonly source: 'network';
}

/** The rules: every request they match goes to the network without starting the fetch handler. */
export function staticRouteRules(): StaticRouteRule[] {
  return [
    { condition: { requestMode: 'navigate' }, source: 'network' },
    { condition: { not: { requestMethod: 'GET' } }, source: 'network' },
    { condition: { urlPattern: `${SWARMCDN_PREFIX}*` }, source: 'network' },
  ];
}

type RoutingInstallEvent = ExtendableEvent & { addRoutes?: (rules: StaticRouteRule | StaticRouteRule[]) => Promise<void> };

/**
 * Registers the rules on an install event when the browser has `addRoutes`; resolves to whether it
 * did. A browser that refuses a rule (an older condition set) keeps the fetch handler for everything.
 */
export async function addStaticRoutes(event: ExtendableEvent): Promise<boolean> {
  const install = event as RoutingInstallEvent;
  if (typeof install.addRoutes !== 'function') return false;
  try {
    await install.addRoutes(staticRouteRules());
    return true;
  } catch {
    return false;
  }
}
