/**
 * Connections to holders open while a page loads. A page whose manifest entry lists a file another
 * visitor holds gets a data channel to that holder as soon as its bridge is handed over, before the
 * page asks for anything (the gallery page requests nothing until its script inserts the image),
 * and the later request then finds the channel open. A page in a tab that follows (another tab of
 * the visitor holds the one bridge) warms that bridge the same way.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PAGES, makePagesSite, type PagesSite } from './support/pages-site.js';
import { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

const e2e = useE2e<PagesSite>({ site: makePagesSite });
const IMAGE = '/img/c.png';

/** Runs in a page: sets `data` on the bridge's tag as the parser inserts it, before its script runs. */
function setTagData(data: Record<string, string>): void {
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLScriptElement && n.src.endsWith('/swarmcdn/bridge.js')) Object.assign(n.dataset, data);
  }).observe(document, { childList: true, subtree: true });
}

/** A visitor that lands (its SW installs), then loads page c and holds c.png (copied from the origin into its cache), as the tracker lists. */
async function holderOfImage(name: string): Promise<Visitor> {
  const { browser, server, site } = e2e();
  const v = await browser.visitor(name);
  for (const path of [PAGES.landing, '/c.html']) {
    await v.page.goto(`${server.url}${path}`, { waitUntil: 'load' });
    await v.ready();
  }
  const [id, hash] = [await v.peerId(), (await site.entry(IMAGE)).integrity];
  await waitFor(() => server.holders(hash), (holders) => holders.includes(id), { timeoutMs: 15_000, intervalMs: 100, what: `the tracker to list ${name} as a holder of c.png` });
  return v;
}

it('a page\'s bridge connects to a holder of what the page references before the page asks for it', async () => {
  await e2e().run(async () => {
    const { browser, server } = e2e();
    const a = await holderOfImage('a');

    // B opens the gallery, which requests nothing of the manifest: only the warm-up can connect it to A.
    // Prefetch off for B (set on the tag as the parser inserts it, before the script runs), so the image
    // is fetched when the page asks for it, not before; and a long first-byte hedge, so a busy CI
    // machine cannot hand the image to the origin before the open channel delivers.
    const b = await browser.visitor('b');
    await b.page.addInitScript(setTagData, { prefetchBytes: '0', hedgeMs: '5000' });
    await b.page.goto(`${server.url}${PAGES.gallery}`, { waitUntil: 'load' });
    await b.ready();
    const warmed = await b.waitForStats((s) => s.connections === 1, 'a connection to the holder of c.png', 10_000);
    expect({ routes: warmed.sw!.routes, prefetched: warmed.sw!.prefetch.files }).toEqual({ routes: { cache: 0, peers: 0, origin: 0 }, prefetched: 0 });
    await a.waitForStats((s) => s.connections === 1, 'a to see b\'s connection', 5_000);

    // The gallery shows its image: it comes from A over that channel, byte-identical, not from the origin.
    const mark = server.requests.mark();
    const shown = await b.page.evaluate(async () => {
      const template = document.getElementById('later') as HTMLTemplateElement;
      document.body.append(template.content.cloneNode(true));
      const img = document.querySelector('img')!;
      await img.decode();
      return img.naturalWidth;
    });
    expect(shown).toBe(400);
    const sw = await b.sw();
    expect({ peersRoute: sw.routes.peers, peerBytes: sw.bytes.peer, origin: server.requests.find({ visitor: 'b', path: [IMAGE], after: mark }) }).toEqual({
      peersRoute: 1,
      peerBytes: e2e().file(IMAGE).size,
      origin: [],
    });
    expect((await b.stats()).connections).toBe(1);
  });
}, 90_000);

it('a following tab\'s page warms the visitor\'s one bridge (the leading tab\'s) for what that page references', async () => {
  await e2e().run(async () => {
    const { browser, server, site } = e2e();
    // H holds c.png (as A did above; this test stands on its own).
    const h = await holderOfImage('h');
    const [hId, hash] = [await h.peerId(), (await site.entry(IMAGE)).integrity];

    // V's first tab leads, on the landing page; its second tab follows, on the gallery, which requests
    // nothing of the manifest: only a warm-up for the follower's page can connect the leader's bridge
    // to a holder of c.png. Prefetch off in both tabs, so nothing else fetches it.
    const v = await browser.visitor('v');
    await v.context.addInitScript(setTagData, { prefetchBytes: '0' });
    await v.page.goto(`${server.url}${PAGES.landing}`, { waitUntil: 'load' });
    await v.ready();
    const before = await v.stats();
    expect({ role: before.role, connections: before.connections }).toEqual({ role: 'leader', connections: 0 });

    const follower = new Visitor('v-2', v.context, await v.context.newPage());
    await follower.page.goto(`${server.url}${PAGES.gallery}`, { waitUntil: 'load' });
    await follower.ready();
    expect((await follower.stats()).role).toBe('follower');
    const warmed = await v.waitForStats((s) => typeof s.connections === 'number' && s.connections >= 1, 'the leader to connect to a holder of c.png', 10_000);
    // Connected to a holder of c.png, with nothing of the manifest asked for by either tab.
    expect(server.holders(hash)).toEqual(expect.arrayContaining([hId]));
    expect(warmed.sw!.routes).toEqual({ cache: 0, peers: 0, origin: 0 });
    expect(warmed.sw!.prefetch.files).toBe(0);
    await follower.close();
  });
}, 90_000);
