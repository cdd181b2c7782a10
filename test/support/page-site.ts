/**
 * A small site for the page-references tests: two HTML pages sharing a stylesheet, CSS `url()`
 * (quoted and not) and an `@import` chain with a cycle, a module script importing a module that
 * imports a third, srcset, `<base href>`, `?query`, `#fragment`, `../`, an absolute same-origin
 * URL, a CDN URL, a file not in the site, `<a href>` and `<iframe src>`; and what each page must list.
 */

/** The origin the fixture's one absolute same-origin URL names (`--origin`). */
export const SITE_ORIGIN = 'https://site.example';

/** The fixture site: relative path → text. Every file a test expects to be skipped exists, so skipping is the code's choice. */
export const PAGE_SITE: Readonly<Record<string, string>> = {
  'index.html': `<!doctype html><html><head>
<link rel="stylesheet" href="css/site.css">
<link rel="canonical" href="/about.html">
<link rel="alternate" hreflang="de" href="/embed.html">
<link rel="icon" href="/favicon.ico?v=2">
<link rel="preload" as="font" href="fonts/a.woff2#x" crossorigin>
<link rel="prefetch" href="#top">
<script type="module" src="/js/app.js"></script>
<script src="js/classic.js"></script>
<script type="application/ld+json">{"logo": "img/commented.png"}</script>
<style>.hero { background-image: url(img/hero.jpg) }</style>
</head><body style="background: url('img/bg.png')">
<img src="img/logo.png" srcset="img/logo-1x.png 1x, img/logo-2x.png 2x,img/logo-3x.png 3x">
<img src="https://cdn.example.net/lib.png">
<img src="https://site.example/img/abs.png">
<img src="img/missing.png">
<a href="about.html">About</a>
<iframe src="embed.html"></iframe>
<video src="media/clip.mp4" poster="./img/poster.jpg"></video>
</body></html>`,
  'docs/index.html': `<!doctype html><base href="/assets/">
<link rel="stylesheet" href="../css/site.css">
<img src="pic.png"><img src="../img/logo.png#frag">
<script type="module">import '../js/util.js'; import 'bare-package'; import x from "https://cdn.example.net/x.js";</script>
<a href="/index.html">home</a>`,
  'about.html': '<!doctype html><p>No assets here. <a href="/index.html">home</a>',
  'embed.html': '<!doctype html><p>embedded</p>',
  'css/site.css': `@import "base.css";
@import url(theme.css) screen;
@font-face { font-family: A; src: url("../fonts/a.woff2") format("woff2"), url(../fonts/a.woff) format("woff"); }
.icon { background: url( '../img/icon.svg' ); }
.sprite { background: url(../img/sprite.png?v=3); }
/* .old { background: url(../img/commented.png) } */`,
  'css/base.css': "@import 'theme.css'; body { background: url(/img/base-bg.png) }",
  'css/theme.css': '@import url("site.css"); .t { cursor: url(../img/cursor.cur), auto }',
  'js/app.js': "import { util } from './util.js';\nexport * from '../js/more.js';\nconst lazy = () => import('./lazy.js');\nimport 'lodash';\n",
  'js/util.js': "import { deep } from './deep/third.js';\nexport const util = 1;\n",
  'js/deep/third.js': "import { util } from '../util.js';\nexport const deep = 2;\nnew URL('../../img/never.png', import.meta.url);\n",
  'js/more.js': 'export const more = 3;\n',
  'js/lazy.js': 'export default 4;\n',
  'js/classic.js': "import('/js/never.js');\n",
  'js/never.js': 'export {};\n',
  'fonts/a.woff2': 'font2',
  'fonts/a.woff': 'font1',
  'favicon.ico': 'ico',
  'img/hero.jpg': 'x', 'img/bg.png': 'x', 'img/logo.png': 'x', 'img/logo-1x.png': 'x', 'img/logo-2x.png': 'x',
  'img/logo-3x.png': 'x', 'img/abs.png': 'x', 'img/poster.jpg': 'x', 'img/icon.svg': 'x', 'img/sprite.png': 'x',
  'img/base-bg.png': 'x', 'img/cursor.cur': 'x', 'img/commented.png': 'x', 'img/never.png': 'x',
  'assets/pic.png': 'x',
  'media/clip.mp4': 'x',
};

/** The stylesheet closure both pages share: site.css → base.css → theme.css → site.css (a cycle). */
const SHARED_CSS = [
  '/css/base.css', '/css/site.css', '/css/theme.css', '/fonts/a.woff', '/fonts/a.woff2',
  '/img/base-bg.png', '/img/cursor.cur', '/img/icon.svg',
];
/** What /index.html references when the site's origin is not given. */
export const INDEX_REFERENCES_WITHOUT_ORIGIN: readonly string[] = [
  ...SHARED_CSS,
  '/img/bg.png', '/img/hero.jpg', '/img/logo-1x.png', '/img/logo-2x.png', '/img/logo-3x.png', '/img/logo.png', '/img/poster.jpg',
  '/js/app.js', '/js/classic.js', '/js/deep/third.js', '/js/lazy.js', '/js/more.js', '/js/util.js',
  '/media/clip.mp4',
].sort();
/** What /index.html references with `--origin https://site.example`: one more, its absolute URL. */
export const INDEX_REFERENCES: readonly string[] = [...INDEX_REFERENCES_WITHOUT_ORIGIN, '/img/abs.png'].sort();
/** What /docs/index.html references (its <base href> is /assets/). */
export const DOCS_REFERENCES: readonly string[] = [...SHARED_CSS, '/assets/pic.png', '/img/logo.png', '/js/deep/third.js', '/js/util.js'].sort();
