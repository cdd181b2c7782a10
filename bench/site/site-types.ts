/** What a site assembler reports about the site it wrote (bench/site/sites.ts adds dir and cleanup). */

/** A site laid out in its directory. */
export interface SiteLayout {
  /** The npm packages it is made of, `name@version`. */
  readonly packages: readonly string[];
  /** URL path of the bench's landing page (outside the walk). */
  readonly landing: string;
  /** URL paths of the walk, in order; at least one. */
  readonly walk: readonly string[];
  /**
   * A JavaScript expression evaluated in each walk page after its load event, whose promise
   * resolves to `performance.now()` once the page is usable (an app that loads after `load`);
   * undefined when the load event is the end.
   */
  readonly ready: string | undefined;
  /** The URLs the bench rewrote in the site's HTML, each to a local file of the same npm package. */
  readonly rewrites: readonly { readonly from: string; readonly to: string }[];
  /** Anything else worth saying about how the site was assembled (left-over external URLs …). */
  readonly notes: readonly string[];
}
