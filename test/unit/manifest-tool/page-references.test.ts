/**
 * The manifest's page references for a site with HTML, CSS `url()`/`@import` and module imports:
 * a fixture site on disk, walked like `manifest build` walks it, and the exact list per page.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { contentType } from 'mime-types';
import { cssUrls } from '../../../manifest-tool/css-references.js';
import { moduleSpecifiers, initModuleLexer } from '../../../manifest-tool/module-references.js';
import { pageReferences, type PageSourceFile } from '../../../manifest-tool/page-references.js';
import { parseSiteOrigin } from '../../../manifest-tool/resolve-reference.js';
import { srcsetUrls } from '../../../manifest-tool/srcset.js';
import { listSiteFiles } from '../../../manifest-tool/walk-site.js';
import { MAX_PAGE_REFERENCES } from '../../../protocol/index.js';
import { DOCS_REFERENCES, INDEX_REFERENCES, INDEX_REFERENCES_WITHOUT_ORIGIN as INDEX_WITHOUT_ORIGIN, PAGE_SITE, SITE_ORIGIN as ORIGIN } from '../../support/page-site.js';

async function writeSite(root: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  const entries = Object.entries(files);
  await Promise.all([...new Set(entries.map(([rel]) => dirname(join(root, rel))))].map((dir) => mkdir(dir, { recursive: true })));
  await Promise.all(entries.map(([rel, text]) => writeFile(join(root, rel), text)));
}

/** The site's files as `manifest build` hands them over. */
async function sourceFiles(root: string): Promise<PageSourceFile[]> {
  const { files } = await listSiteFiles(root);
  return files.map((f) => ({ urlPath: f.urlPath, absPath: f.absPath, size: f.size, contentType: contentType(basename(f.relPath)) || 'application/octet-stream' }));
}

let tmp: string;
let site: PageSourceFile[];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'swarmcdn-pages-'));
  await writeSite(join(tmp, 'site'), PAGE_SITE);
  site = await sourceFiles(join(tmp, 'site'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('pageReferences over a fixture site', () => {
  it('lists exactly what each page loads, through CSS @import chains (with a cycle) and module imports', async () => {
    const pages = await pageReferences(site, { origin: ORIGIN });
    expect(Object.keys(pages)).toEqual(['/docs/index.html', '/index.html']); // about.html and embed.html reference nothing
    expect(pages['/index.html']).toEqual(INDEX_REFERENCES);
    expect(pages['/docs/index.html']).toEqual(DOCS_REFERENCES);
  });

  it('without the site origin an absolute URL is another site, and nothing else changes', async () => {
    const pages = await pageReferences(site);
    expect(pages['/index.html']).toEqual(INDEX_WITHOUT_ORIGIN);
    expect(pages['/docs/index.html']).toEqual(DOCS_REFERENCES);
  });

  it('leaves out links, iframes, queries, commented-out CSS, classic-script imports, files outside the site and the page itself', async () => {
    const refs = (await pageReferences(site, { origin: ORIGIN }))['/index.html']!;
    for (const absent of ['/about.html', '/embed.html', '/favicon.ico', '/img/sprite.png', '/img/commented.png', '/js/never.js', '/img/never.png', '/index.html']) {
      expect(refs).not.toContain(absent);
    }
  });

  it('caps references per page and skips pages over the parse cap or with binary content', async () => {
    const capped = await pageReferences(site, { maxReferences: 3 });
    expect(capped['/index.html']).toHaveLength(3);
    expect(INDEX_WITHOUT_ORIGIN).toEqual(expect.arrayContaining(capped['/index.html']!));
    const small = await pageReferences(site, { maxParseBytes: 300 });
    expect(small['/index.html']).toBeUndefined(); // index.html is over 300 bytes: not parsed
    // docs/index.html is parsed, but site.css (over 300 bytes) is not: its @import chain is not followed.
    expect(small['/docs/index.html']).toEqual(['/assets/pic.png', '/css/site.css', '/img/logo.png', '/js/deep/third.js', '/js/util.js']);

    const root = join(tmp, 'binary');
    await writeSite(root, { 'page.html': Buffer.concat([Buffer.from('<img src="a.png">'), Buffer.from([0, 1, 2])]), 'a.png': 'x', 'ok.html': '<img src="a.png">' });
    expect(await pageReferences(await sourceFiles(root))).toEqual({ '/ok.html': ['/a.png'] });
  });

  it('never lists more than the format allows even when asked to', async () => {
    const root = join(tmp, 'many');
    const count = MAX_PAGE_REFERENCES + 5;
    await writeSite(root, { 'big.html': Array.from({ length: count }, (_, i) => `<img src="i/${i}.png">`).join('') });
    // The images are never read (only pages, stylesheets and modules are), so they need not exist on disk.
    const images = Array.from({ length: count }, (_, i) => ({ urlPath: `/i/${i}.png`, absPath: join(root, 'absent'), size: 1, contentType: 'image/png' }));
    const pages = await pageReferences([...(await sourceFiles(root)), ...images], { maxReferences: MAX_PAGE_REFERENCES * 2 });
    expect(pages['/big.html']).toHaveLength(MAX_PAGE_REFERENCES);
  });

  it('follows a file as a module only where it loads as one, reads every fetching element, skips comments, textarea and noscript', async () => {
    const root = join(tmp, 'kinds');
    await writeSite(root, {
      'page.html': `<link rel="preload" as="script" href="m.js"><script type="module" src="m.js"></script>
<link rel="modulepreload" href="p.js"><script src="c.js"></script><script nomodule src="legacy.js"></script>
<script type="application/json" src="data.json"></script><style>@import "s.css";</style>
<object data="o.svg"></object><embed src="e.swf"><track src="t.vtt"><input type="image" src="i.png"><input src="no.png">
<audio src="a.ogg"></audio><picture><source srcset="w1.webp 1x, w2.webp 2x"></picture>
<link rel="preload" as="image" imagesrcset="r1.png 1x, r2.png 2x"><img src="a&amp;b.png"><img src="my pic.png"><img src="my%20pic.png">
<img src='q"&#47;x.png'><!-- <img src="no.png"> --><textarea><img src="no.png"></textarea><noscript><img src="no.png"></noscript>`,
      'm.js': "import './n.js';", 'n.js': '', 'p.js': "export * from './q.js';", 'q.js': '', 'c.js': "import './d.js';", 'd.js': '',
      'legacy.js': '', 'data.json': '{}', 's.css': 'x { y: url(t.png) }', 't.png': '', 'o.svg': '', 'e.swf': '', 't.vtt': '',
      'i.png': '', 'no.png': '', 'q"/x.png': '', 'a.ogg': '', 'w1.webp': '', 'w2.webp': '', 'r1.png': '', 'r2.png': '', 'a&b.png': '', 'my pic.png': '',
    });
    expect(await pageReferences(await sourceFiles(root))).toEqual({
      '/page.html': [
        '/a&b.png', '/a.ogg', '/c.js', '/e.swf', '/i.png', '/m.js', '/my%20pic.png', '/n.js', '/o.svg', '/p.js', '/q%22/x.png', '/q.js',
        '/r1.png', '/r2.png', '/s.css', '/t.png', '/t.vtt', '/w1.webp', '/w2.webp',
      ],
    });
  });
});

describe('the parts', () => {
  it('srcset: every candidate, commas inside a URL kept, descriptors with parentheses skipped', () => {
    expect(srcsetUrls('a.png 1x, b.png 2x,c.png 3x')).toEqual(['a.png', 'b.png', 'c.png']);
    expect(srcsetUrls(' a.png, b.png 2x,')).toEqual(['a.png', 'b.png']);
    expect(srcsetUrls('a.png,b.png 2x')).toEqual(['a.png,b.png']); // one URL: only trailing commas end it
    expect(srcsetUrls('data:image/png;base64,AAA= 1x, d.png 480w')).toEqual(['data:image/png;base64,AAA=', 'd.png']);
    expect(srcsetUrls('e.png (x, y) 1x, f.png')).toEqual(['e.png', 'f.png']);
    expect(srcsetUrls('  ,  ')).toEqual([]);
  });

  it('CSS: url() quoted and unquoted with escapes, @import string and url(), image-set strings; comments ignored', () => {
    const css = '@import "a.css"; @IMPORT url(b.css) print; x { y: url( "c\\"d.png" ), URL(e\\)f.png), image-set("g.png" 1x, url(h.png) 2x); } /* url(no.png) */ q { content: "i.png" }';
    expect(cssUrls(css)).toEqual(['a.css', 'b.css', 'c"d.png', 'e)f.png', 'g.png', 'h.png']);
  });

  it('modules: static, re-export and literal dynamic imports; not bare names, globs, import.meta or comments', async () => {
    await initModuleLexer();
    const source = "import a from './a.js'; export * from '../b.js'; export { c } from '/c.js'; import('./d.js'); import(`./e/${x}.js`); import(y); import 'bare'; // import './no.js'\nconst u = import.meta.url;";
    expect(moduleSpecifiers(source)).toEqual(['./a.js', '../b.js', '/c.js', './d.js']);
    expect(moduleSpecifiers('import {')).toEqual([]); // does not lex: nothing, no throw
  });

  it('--origin takes an http(s) origin only', () => {
    expect(parseSiteOrigin('https://site.example')).toBe('https://site.example');
    expect(parseSiteOrigin('HTTP://Site.Example:8080/')).toBe('http://site.example:8080');
    for (const bad of ['site.example', 'ftp://site.example', 'https://site.example/path', 'https://site.example/?q', 'https://u@site.example']) {
      expect(parseSiteOrigin(bad)).toBeUndefined();
    }
  });
});
