/** The upload policy: which signal stops uploads, and the live policy following the browser's changes. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HIDDEN_LIMIT_MS, USER_CHOICE_KEY, UploadPolicy, uploadState, type PolicyEnv, type UploadState } from '../../../page-bridge/upload-policy.js';

const open = { siteAllows: true, userAllows: true, saveData: false, metered: false, hiddenForMs: 0 };

describe('uploadState', () => {
  it('is on with nothing against it, and names the first reason against it', () => {
    expect(uploadState(open)).toEqual({ on: true });
    expect(uploadState({ ...open, siteAllows: false, userAllows: false })).toEqual({ on: false, reason: 'site' });
    expect(uploadState({ ...open, userAllows: false, saveData: true })).toEqual({ on: false, reason: 'user' });
    expect(uploadState({ ...open, saveData: true, metered: true })).toEqual({ on: false, reason: 'save-data' });
    expect(uploadState({ ...open, metered: true })).toEqual({ on: false, reason: 'metered' });
    expect(uploadState({ ...open, hiddenForMs: HIDDEN_LIMIT_MS - 1 })).toEqual({ on: true });
    expect(uploadState({ ...open, hiddenForMs: HIDDEN_LIMIT_MS })).toEqual({ on: false, reason: 'hidden' });
  });
});

class FakeTarget extends EventTarget {}

function fakeEnv(start: { saveData?: boolean; type?: string; hidden?: boolean; stored?: string } = {}) {
  const connection = Object.assign(new FakeTarget(), { saveData: start.saveData ?? false, type: start.type ?? 'wifi' });
  const document = Object.assign(new FakeTarget(), { visibilityState: (start.hidden ? 'hidden' : 'visible') as DocumentVisibilityState });
  const store = new Map<string, string>(start.stored ? [[USER_CHOICE_KEY, start.stored]] : []);
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
  const window = new FakeTarget();
  const env: PolicyEnv = { connection, document: document as unknown as PolicyEnv['document'], storage, window: window as unknown as PolicyEnv['window'], now: () => Date.now() };
  return { env, connection, document, store, window };
}

describe('UploadPolicy', () => {
  const policies: UploadPolicy[] = [];
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    for (const p of policies.splice(0)) p.close();
    jest.useRealTimers();
  });
  const make = (siteAllows: boolean, env: PolicyEnv): { policy: UploadPolicy; seen: UploadState[] } => {
    const policy = new UploadPolicy(siteAllows, env);
    policies.push(policy);
    const seen: UploadState[] = [];
    policy.onChange((s) => seen.push(s));
    return { policy, seen };
  };

  it('follows Save-Data and a cellular connection as they change', () => {
    const f = fakeEnv();
    const { policy, seen } = make(true, f.env);
    expect(policy.state).toEqual({ on: true });
    f.connection.saveData = true;
    f.connection.dispatchEvent(new Event('change'));
    f.connection.saveData = false;
    f.connection.type = 'cellular';
    f.connection.dispatchEvent(new Event('change'));
    f.connection.type = 'wifi';
    f.connection.dispatchEvent(new Event('change'));
    expect(seen).toEqual([{ on: false, reason: 'save-data' }, { on: false, reason: 'metered' }, { on: true }]);
  });

  it('stops after the tab has been hidden for HIDDEN_LIMIT_MS, and resumes when it is shown', () => {
    const f = fakeEnv();
    const { policy, seen } = make(true, f.env);
    f.document.visibilityState = 'hidden';
    f.document.dispatchEvent(new Event('visibilitychange'));
    jest.advanceTimersByTime(HIDDEN_LIMIT_MS - 1_000);
    expect(policy.state).toEqual({ on: true });
    jest.advanceTimersByTime(1_000);
    expect(policy.state).toEqual({ on: false, reason: 'hidden' });
    f.document.visibilityState = 'visible';
    f.document.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toEqual([{ on: false, reason: 'hidden' }, { on: true }]);
  });

  it('remembers the visitor\'s choice for the origin, and hears another tab change it', () => {
    const f = fakeEnv();
    const { policy } = make(true, f.env);
    policy.setUser(false);
    expect(policy.state).toEqual({ on: false, reason: 'user' });
    expect(f.store.get(USER_CHOICE_KEY)).toBe('off');
    // A later page of the origin starts with the choice.
    expect(make(true, f.env).policy.state).toEqual({ on: false, reason: 'user' });
    // Another tab turns it back on: the storage event carries it.
    f.store.delete(USER_CHOICE_KEY);
    f.window.dispatchEvent(Object.assign(new Event('storage'), { key: USER_CHOICE_KEY }));
    expect(policy.state).toEqual({ on: true });
  });

  it('the site\'s opt-out wins over everything', () => {
    const f = fakeEnv({ stored: 'off', saveData: true });
    const { policy } = make(false, f.env);
    expect(policy.state).toEqual({ on: false, reason: 'site' });
    policy.setUser(true);
    expect(policy.state).toEqual({ on: false, reason: 'site' });
  });
});
