/**
 * Whether this visitor uploads now, and why not. Uploads stop while the browser asks to save data
 * (Save-Data) or says the connection is cellular (metered), while the tab has been hidden for long
 * (a background tab should not spend the visitor's uplink and battery on strangers), when the site
 * turns them off (`upload: false`, `data-upload="false"`) and when the visitor does
 * (`swarm.setUpload(false)`, remembered for the origin in localStorage, so every tab and later
 * visit keeps it). The leader tab enforces the answer (bridge-core.ts): chunk requests are answered
 * `absent`, and the tracker stops listing this visitor as a holder.
 */

import type { UPLOAD_BLOCKS, UploadView } from '../protocol/messages/tabs.js';

/** Why uploads are off; the first that applies, in this order. */
export type UploadBlock = (typeof UPLOAD_BLOCKS)[number];

/** Uploads now: on, or off with the reason. */
export type UploadState = UploadView;

/** What the decision reads. */
export interface UploadFacts {
  readonly siteAllows: boolean;
  readonly userAllows: boolean;
  readonly saveData: boolean;
  readonly metered: boolean;
  /** How long the tab has been hidden, ms (0 while visible). */
  readonly hiddenForMs: number;
}

/** 5 minutes hidden: a visitor who switched tabs for a moment still serves; a forgotten tab stops. */
export const HIDDEN_LIMIT_MS = 5 * 60_000;
/** Where the visitor's own choice is remembered (localStorage, per origin). */
export const USER_CHOICE_KEY = 'swarmcdn:upload';

/** The decision (pure). */
export function uploadState(facts: UploadFacts, hiddenLimitMs: number = HIDDEN_LIMIT_MS): UploadState {
  if (!facts.siteAllows) return { on: false, reason: 'site' };
  if (!facts.userAllows) return { on: false, reason: 'user' };
  if (facts.saveData) return { on: false, reason: 'save-data' };
  if (facts.metered) return { on: false, reason: 'metered' };
  if (facts.hiddenForMs >= hiddenLimitMs) return { on: false, reason: 'hidden' };
  return { on: true };
}

/** The Network Information API's slice we read (Chromium; absent elsewhere, which reads as neither). */
interface ConnectionLike extends EventTarget {
  readonly saveData?: boolean;
  readonly type?: string;
}

/** The browser around the policy (a page's globals, or fakes in tests). */
export interface PolicyEnv {
  readonly connection?: ConnectionLike;
  readonly document?: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  readonly storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  readonly window?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly now?: () => number;
}

/** The page's environment. */
export function pageEnv(): PolicyEnv {
  const nav = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { connection?: ConnectionLike });
  let storage: Storage | undefined;
  try {
    storage = typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    storage = undefined; // storage blocked (a sandboxed frame, cookies off): the choice lasts this page only
  }
  return {
    connection: nav?.connection,
    document: typeof document === 'undefined' ? undefined : document,
    storage,
    window: typeof window === 'undefined' ? undefined : window,
  };
}

/** The live policy: re-decides on every change it can see and tells its listeners. */
export class UploadPolicy {
  readonly #siteAllows: boolean;
  readonly #env: PolicyEnv;
  readonly #listeners = new Set<(state: UploadState) => void>();
  readonly #now: () => number;
  #userAllows: boolean;
  #hiddenSince: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #state: UploadState;

  constructor(siteAllows: boolean, env: PolicyEnv = pageEnv()) {
    this.#siteAllows = siteAllows;
    this.#env = env;
    this.#now = env.now ?? Date.now;
    this.#userAllows = this.#storedChoice();
    this.#hiddenSince = env.document?.visibilityState === 'hidden' ? this.#now() : undefined;
    this.#state = this.#decide();
    env.connection?.addEventListener('change', this.#update);
    env.document?.addEventListener('visibilitychange', this.#onVisibility);
    env.window?.addEventListener('storage', this.#onStorage);
    this.#arm();
  }

  /** Uploads now. */
  get state(): UploadState {
    return this.#state;
  }

  /** Calls `listener` with each new state. */
  onChange(listener: (state: UploadState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The visitor's own choice, remembered for the origin. */
  setUser(allow: boolean): void {
    try {
      if (allow) this.#env.storage?.removeItem(USER_CHOICE_KEY);
      else this.#env.storage?.setItem(USER_CHOICE_KEY, 'off');
    } catch {
      // Storage full or blocked: the choice holds for this page.
    }
    this.#userAllows = allow;
    this.#update();
  }

  /** Stops listening. */
  close(): void {
    clearTimeout(this.#timer);
    this.#env.connection?.removeEventListener('change', this.#update);
    this.#env.document?.removeEventListener('visibilitychange', this.#onVisibility);
    this.#env.window?.removeEventListener('storage', this.#onStorage);
    this.#listeners.clear();
  }

  #storedChoice(): boolean {
    try {
      return this.#env.storage?.getItem(USER_CHOICE_KEY) !== 'off';
    } catch {
      return true;
    }
  }

  #decide(): UploadState {
    const connection = this.#env.connection;
    return uploadState({
      siteAllows: this.#siteAllows,
      userAllows: this.#userAllows,
      saveData: connection?.saveData === true,
      metered: connection?.type === 'cellular',
      hiddenForMs: this.#hiddenSince === undefined ? 0 : this.#now() - this.#hiddenSince,
    });
  }

  /** While hidden and still uploading, re-decide when the hidden limit is reached. */
  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#hiddenSince === undefined || !this.#state.on) return;
    this.#timer = setTimeout(this.#update, Math.max(0, this.#hiddenSince + HIDDEN_LIMIT_MS - this.#now()));
  }

  readonly #onVisibility = (): void => {
    const hidden = this.#env.document?.visibilityState === 'hidden';
    this.#hiddenSince = hidden ? (this.#hiddenSince ?? this.#now()) : undefined;
    this.#update();
  };

  /** Another tab of the origin changed the visitor's choice. */
  readonly #onStorage = (event: Event): void => {
    const key = (event as StorageEvent).key;
    if (key !== USER_CHOICE_KEY && key !== null) return;
    this.#userAllows = this.#storedChoice();
    this.#update();
  };

  readonly #update = (): void => {
    const next = this.#decide();
    const changed = next.on !== this.#state.on || (!next.on && !this.#state.on && next.reason !== this.#state.reason);
    this.#state = next;
    this.#arm();
    if (changed) for (const listener of [...this.#listeners]) listener(next);
  };
}
