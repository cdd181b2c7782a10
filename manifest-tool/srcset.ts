/**
 * The URLs of a `srcset` / `imagesrcset` attribute, split the way HTML's "parse a srcset attribute"
 * does: a candidate's URL runs to the next whitespace (so a comma inside a data: URL stays in it),
 * trailing commas end it, and a descriptor list runs to a comma outside parentheses.
 */

const SPACE = /[\t\n\f\r ]/;

/** Every candidate URL of a srcset value, in order (duplicates kept; the caller de-duplicates). */
export function srcsetUrls(value: string): string[] {
  const urls: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (SPACE.test(value[i]!) || value[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !SPACE.test(value[i]!)) i++;
    let url = value.slice(start, i);
    if (url.endsWith(',')) {
      // "a.png,b.png 2x": the commas end this candidate, which has no descriptors.
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      while (i < n && (depth > 0 || value[i] !== ',')) {
        if (value[i] === '(') depth++;
        else if (value[i] === ')' && depth > 0) depth--;
        i++;
      }
    }
    if (url !== '') urls.push(url);
  }
  return urls;
}
