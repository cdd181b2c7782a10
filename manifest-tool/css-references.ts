/**
 * The URLs a stylesheet (or a `style="…"` attribute) loads: `url(…)` in either form, `@import`
 * with a string, `src("…")`, and the bare strings of `image-set()`. css-tree's tokenizer rather
 * than its parser: references need tokens only (comments and strings handled right), and
 * tokenizing is several times faster than building an AST of a large stylesheet.
 */
import { string as cssString, tokenTypes, tokenize, url as cssUrl } from 'css-tree';

// Functions whose first argument, when a string, is a URL (`src()` is CSS Values 4's url()).
const URL_FUNCTIONS: ReadonlySet<string> = new Set(['url(', 'src(']);
// Functions whose string arguments are image URLs: `image-set("a.png" 1x, "b.png" 2x)`.
const IMAGE_SET_FUNCTIONS: ReadonlySet<string> = new Set(['image-set(', '-webkit-image-set(']);

/** Every URL the CSS text references, in order, as written (decoded, not resolved). */
export function cssUrls(text: string): string[] {
  const urls: string[] = [];
  // Open functions and parentheses, innermost last: image-set() strings are URLs only directly inside it.
  const open: string[] = [];
  // Set after `url(`, `src(` or `@import`: a string as the next significant token is a URL.
  let stringIsUrl = false;
  tokenize(text, (type, start, end) => {
    if (type === tokenTypes.WhiteSpace || type === tokenTypes.Comment) return;
    const expectingUrl = stringIsUrl;
    stringIsUrl = false;
    switch (type) {
      case tokenTypes.Url:
        urls.push(cssUrl.decode(text.slice(start, end)));
        break;
      case tokenTypes.String:
        if (expectingUrl || IMAGE_SET_FUNCTIONS.has(open[open.length - 1] ?? '')) urls.push(cssString.decode(text.slice(start, end)));
        break;
      case tokenTypes.Function: {
        const name = text.slice(start, end).toLowerCase();
        open.push(name);
        stringIsUrl = URL_FUNCTIONS.has(name);
        break;
      }
      case tokenTypes.LeftParenthesis:
        open.push('(');
        break;
      case tokenTypes.RightParenthesis:
        open.pop();
        break;
      case tokenTypes.AtKeyword:
        stringIsUrl = text.slice(start, end).toLowerCase() === '@import';
        break;
      default:
        break;
    }
  });
  return urls;
}
