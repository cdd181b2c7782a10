/**
 * fs.watch with a trailing debounce: a deploy or an editor's save arrives as a burst of events and
 * should cause one reload or rebuild, not dozens.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, sep } from 'node:path';

/** Stops a watch. */
export type StopWatching = () => void;

/** What a watch reports besides changes. */
export interface WatchHandlers {
  readonly onChange: () => void;
  readonly onError: (error: Error) => void;
}

function debounced(ms: number, fn: () => void): { fire: () => void; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    fire: () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    },
    cancel: () => clearTimeout(timer),
  };
}

function start(target: string, recursive: boolean, relevant: (name: string | null) => boolean, debounceMs: number, h: WatchHandlers): StopWatching {
  const { fire, cancel } = debounced(debounceMs, h.onChange);
  let watcher: FSWatcher;
  try {
    watcher = watch(target, { recursive, persistent: false }, (_event, name) => {
      if (relevant(name === null ? null : String(name))) fire();
    });
  } catch (error) {
    h.onError(error as Error);
    return cancel;
  }
  watcher.on('error', h.onError);
  return () => {
    cancel();
    watcher.close();
  };
}

/**
 * Watches one file by watching its directory: an atomic write (temp file + rename, as the CLI
 * does) replaces the inode, which a watch on the file itself would lose.
 */
export function watchFile(file: string, debounceMs: number, h: WatchHandlers): StopWatching {
  const name = basename(file);
  // Some platforms report no name; then any event in the directory may be ours.
  return start(dirname(file), false, (changed) => changed === null || changed === name, debounceMs, h);
}

/** Watches a tree recursively, ignoring paths (relative, '/'-separated) the filter rejects. */
export function watchTree(dir: string, ignore: (relPath: string) => boolean, debounceMs: number, h: WatchHandlers): StopWatching {
  return start(dir, true, (changed) => changed === null || !ignore(changed.split(sep).join('/')), debounceMs, h);
}
