/** The pages a bridge asks the SW to prefetch for, and the Save-Data switch. */
import { describe, expect, it } from '@jest/globals';
import { pageLinks, saveDataOn } from '../../../page-bridge/prefetch-trigger.js';

function doc(hrefs: readonly (string | null)[]): Pick<Document, 'querySelectorAll'> {
  const elements = hrefs.map((href) => ({ getAttribute: () => href }));
  return { querySelectorAll: () => elements as unknown as NodeListOf<Element> };
}

describe('pageLinks', () => {
  const here = new URL('https://site.example/docs/intro.html');

  it('lists the page itself, then same-origin links without a query, resolved and de-duplicated', () => {
    const links = pageLinks(doc(['next.html', '/', '../about/', 'https://site.example/docs/next.html#part', 'https://other.example/x.html', '/search?q=1', 'mailto:a@b', null, 'http://[bad']), here);
    expect(links).toEqual(['/docs/intro.html', '/docs/next.html', '/', '/about/']);
  });

  it('is bounded', () => {
    const many = Array.from({ length: 1_000 }, (_, i) => `/p${i}.html`);
    expect(pageLinks(doc(many), here, 10)).toHaveLength(10);
  });
});

describe('saveDataOn', () => {
  it('reads navigator.connection.saveData', () => {
    expect(saveDataOn({ connection: { saveData: true } } as unknown as Navigator)).toBe(true);
    expect(saveDataOn({ connection: { saveData: false } } as unknown as Navigator)).toBe(false);
    expect(saveDataOn({} as Navigator)).toBe(false);
    expect(saveDataOn(undefined)).toBe(false);
  });
});
