import { describe, expect, it } from '@jest/globals';
import { canonicalUrlPath, isCanonicalUrlPath, urlPathFromSegments } from '../../../protocol/index.js';

describe('manifest URL paths', () => {
  it('encodes file names the way a browser requests them', () => {
    expect(urlPathFromSegments(['img', 'hero.jpg'])).toBe('/img/hero.jpg');
    expect(urlPathFromSegments(['a b', 'ünï.txt'])).toBe('/a%20b/%C3%BCn%C3%AF.txt');
    // sub-delims and ':' '@' stay literal in a URL path; '#', '?', '%' must be escaped
    expect(urlPathFromSegments(["a+b,c;d=e:f@g$h&i!'()*~"])).toBe("/a+b,c;d=e:f@g$h&i!'()*~");
    expect(urlPathFromSegments(['50%#?.txt'])).toBe('/50%25%23%3F.txt');
  });

  it('agrees with the WHATWG URL parser for names a browser leaves alone', () => {
    for (const name of ['a b.png', 'ünï cødé.txt', 'x+y=z.css', 'emoji-😀.svg', 'a"b<c>.txt']) {
      const fromBrowser = new URL('/' + name, 'http://127.0.0.1').pathname;
      expect(canonicalUrlPath(fromBrowser)).toBe(urlPathFromSegments([name]));
    }
  });

  it('normalizes equivalent spellings to one key', () => {
    expect(canonicalUrlPath('/%7euser/a%2bb')).toBe('/~user/a+b');
    expect(canonicalUrlPath('/a|b^c')).toBe('/a%7Cb%5Ec');
    expect(canonicalUrlPath('/%c3%bc')).toBe('/%C3%BC');
  });

  it.each([
    ['relative', 'img/a.png'],
    ['empty', ''],
    ['root only', '/'],
    ['trailing slash', '/img/'],
    ['double slash', '/img//a.png'],
    ['dot segment', '/img/./a.png'],
    ['dot-dot', '/img/../secret'],
    ['encoded dot-dot', '/img/%2e%2e/secret'],
    ['encoded slash', '/img%2Fa.png'],
    ['encoded backslash', '/img%5C..%5Csecret'],
    ['NUL', '/a%00.png'],
    ['malformed escape', '/a%zz.png'],
    ['truncated escape', '/a%C3'],
  ])('refuses a %s path', (_, path) => {
    expect(canonicalUrlPath(path)).toBeUndefined();
    expect(isCanonicalUrlPath(path)).toBe(false);
  });
});
