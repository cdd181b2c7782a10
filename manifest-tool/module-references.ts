/**
 * The URLs an ES module imports: static `import … from`, `export … from`, side-effect imports and
 * dynamic `import('literal')`, through es-module-lexer (a WebAssembly lexer: no AST, megabytes per
 * millisecond). Bare specifiers (`'lodash'`) are skipped: only an import map could say what they
 * load. A module that does not lex yields nothing rather than failing the build.
 */
import { init, parse } from 'es-module-lexer';

/** Compiles the lexer once; call before `moduleSpecifiers` (later calls share the same promise). */
export function initModuleLexer(): Promise<void> {
  return init();
}

/** A URL-like specifier: relative, root-relative, or absolute with a scheme; not a bare name. */
function isUrlSpecifier(specifier: string): boolean {
  return /^(\.{0,2}\/|[a-z][a-z\d+.-]*:)/i.test(specifier);
}

/** The URL specifiers a module's source imports, in order, as written (not resolved). */
export function moduleSpecifiers(source: string): string[] {
  let imports;
  try {
    [imports] = parse(source);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of imports) {
    let specifier: string | undefined;
    if (entry.type === 'dynamic') {
      // A template with ${…} comes back as a glob ('./locales/*.js'): not one file.
      if (!entry.glob) specifier = entry.specifier;
    } else if (entry.type === 'static' || entry.type === 'reexport-star') {
      // TypeScript `import type` is erased, never fetched.
      if (!entry.typeOnly) specifier = entry.specifier;
    }
    if (specifier !== undefined && isUrlSpecifier(specifier)) out.push(specifier);
  }
  return out;
}
