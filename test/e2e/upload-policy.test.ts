/**
 * Upload policy, in real Chromium: a visitor whose site turned uploads off (`upload: false`), whose
 * browser asks to save data, or who said `swarm.setUpload(false)` (remembered across pages) is not
 * listed by the tracker as a holder and serves nobody; a visitor with nothing against it, beside
 * them, does serve (the control that shows the leecher would have taken peers' bytes).
 */
import { expect, it } from '@jest/globals';
import { checkBody, useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import { waitFor } from './support/wait.js';
import type { Visitor } from './support/visitor.js';

const e2e = useE2e();

type SwarmWindow = { swarmcdn: { swarm: { setUpload(allow: boolean): void } } };

async function fetchAll(v: Visitor, paths: readonly string[]): Promise<void> {
  for (const path of paths) checkBody(await v.fetch(path), e2e().file(path), `${v.name} fetching ${path}`);
}

async function holders(path: string): Promise<readonly string[]> {
  return e2e().server.holders((await e2e().site.entry(path)).integrity);
}

it('the site\'s opt-out, Save-Data and the visitor\'s own choice: not listed, nothing uploaded; an open visitor serves', async () => {
  await e2e().run(async () => {
    const [siteOffFile, saveDataFile, userOffFile, controlFile] = PATHS.images;

    const siteOff = await e2e().visitor('site-off', { upload: false });
    await fetchAll(siteOff, [siteOffFile]);
    expect((await siteOff.stats()).upload).toEqual({ on: false, reason: 'site' });

    const saveData = await e2e().browser.visitor('save-data');
    // What Chromium exposes when the visitor turns on its data saver (the Network Information API).
    await saveData.page.addInitScript(() => {
      const connection = Object.assign(new EventTarget(), { saveData: true, type: 'wifi', effectiveType: '4g' });
      Object.defineProperty(Navigator.prototype, 'connection', { get: () => connection, configurable: true });
    });
    await saveData.open(e2e().server.url);
    await saveData.ready();
    await fetchAll(saveData, [saveDataFile]);
    expect((await saveData.stats()).upload).toEqual({ on: false, reason: 'save-data' });

    // The visitor's own choice: listed while it uploads, withdrawn when it says no, and still no on its next page.
    const userOff = await e2e().visitor('user-off');
    await e2e().seed(userOff, [userOffFile]);
    const userOffId = await userOff.peerId();
    await userOff.page.evaluate(() => (window as unknown as SwarmWindow).swarmcdn.swarm.setUpload(false));
    await waitFor(() => holders(userOffFile), (list) => !list.includes(userOffId), { timeoutMs: 10_000, intervalMs: 100, what: 'the tracker to drop user-off as a holder' });
    await userOff.reload();
    expect((await userOff.stats()).upload).toEqual({ on: false, reason: 'user' });

    // The control: an open visitor, seeded last, is listed; by then the others' announcements would have been too.
    const control = await e2e().visitor('control');
    await e2e().seed(control, [controlFile]);
    expect((await control.stats()).upload).toEqual({ on: true });
    const ids = { siteOff: await siteOff.peerId(), saveData: await saveData.peerId(), userOff: await userOff.peerId() };
    expect(await holders(siteOffFile)).not.toContain(ids.siteOff);
    expect(await holders(saveDataFile)).not.toContain(ids.saveData);
    expect(await holders(userOffFile)).not.toContain(ids.userOff);

    const leecher = await e2e().visitor('leecher');
    await fetchAll(leecher, PATHS.images);
    const sw = await leecher.sw();
    expect(sw.bytes.peer).toBe(e2e().file(controlFile).size);
    for (const v of [siteOff, saveData, userOff]) expect({ name: v.name, uploadBytes: (await v.stats()).uploadBytes }).toEqual({ name: v.name, uploadBytes: 0 });
    expect((await control.stats()).uploadBytes).toBe(e2e().file(controlFile).size);
  });
}, 120_000);
