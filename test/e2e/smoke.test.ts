/**
 * Smoke: in real Chromium, the bridge registers /swarmcdn/sw.js at scope '/', the SW takes control
 * of the page that registered it, and the key ids baked into the SW are the server's signing key.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';


const e2e = useE2e();

it('registers sw.js at scope /, controls the page, and trusts exactly the site key', async () => {
  const { browser, server, site } = e2e();
  await e2e().run(async () => {
    const a = await browser.visitor('smoke');
    await a.open(server.url);
    const { scope, scriptURL, keyids } = await a.swKeyids();
    expect(scope).toBe(`${server.url}/`);
    expect(scriptURL).toBe(`${server.url}/swarmcdn/sw.js`);
    expect(keyids).toEqual([site.keys.keyid]);
    // The SW script and the page came from this server, as this visitor.
    expect(server.requests.count({ visitor: 'smoke', path: '/' })).toBe(1);
  });
}, 60_000);
