/** The default store: everything in this process's memory. */
import { MemorySignallingStore } from './memory-signalling-store.js';
import type { SwarmStore } from './store.js';
import { MemoryTrackerStore } from './memory-tracker-store.js';

/** A fresh in-memory store. */
export function createMemoryStore(): SwarmStore {
  return { tracker: new MemoryTrackerStore(), signalling: new MemorySignallingStore() };
}
