/**
 * Files whose origin bytes did not match the manifest (a stale manifest, or an origin serving
 * other bytes): nothing of them is cached or announced until a new manifest version gives the
 * origin a fresh chance. In memory only: a restarted SW re-checks, which costs one origin answer.
 */
import type { Sha256Sri } from '../protocol/index.js';

/** The files tainted under the current manifest. */
export class TaintSet {
  private readonly files = new Set<Sha256Sri>();

  /** Marks the file tainted. */
  add(file: Sha256Sri): void {
    this.files.add(file);
  }

  /** True when the file was tainted under the current manifest. */
  has(file: Sha256Sri): boolean {
    return this.files.has(file);
  }

  /** A new manifest version: every file gets a fresh chance. */
  clear(): void {
    this.files.clear();
  }
}
