/**
 * The page's side of live manifest versions: the server pushes a new version to the tracker's
 * clients, and peers pass the newest signed envelope they hold on to their peers, so a visitor
 * several versions behind catches up in one step even when it missed the push. This holds the
 * envelope the SW routes by (the SW hands it over: envelope-link.ts), gives every peer session a
 * SessionRelay (session-relay.ts), tells each of them when the SW moves to a newer version, and
 * hands the SW what a peer relayed when it is newer than what the SW has. Duplicates and older
 * ones stop here; the SW verifies the rest and drops them too.
 */
import type { SessionExtension, SessionIo } from './session-extensions.js';
import { SessionRelay, type OwnEnvelope } from './session-relay.js';

/** What the relay needs from the page. */
export interface EnvelopeRelayDeps {
  /** Hands the SW an envelope `peerId` relayed (unverified). */
  toSw(peerId: string, bytes: Uint8Array): void;
  readonly now?: () => number;
}

/** The manifest relay of one page's bridge. */
export class EnvelopeRelay {
  readonly #deps: EnvelopeRelayDeps;
  readonly #sessions = new Set<SessionRelay>();
  #own: OwnEnvelope | undefined;

  constructor(deps: EnvelopeRelayDeps) {
    this.#deps = deps;
  }

  /** The version the SW routes by; undefined until it said. */
  get version(): number | undefined {
    return this.#own?.version;
  }

  /** The SW's envelope (version 0, no bytes: none). A version no newer than the one held is ignored. */
  setEnvelope(version: number, bytes: Uint8Array | undefined): void {
    if (this.#own !== undefined && version <= this.#own.version) return;
    if (version > 0 && !bytes) return;
    this.#own = version > 0 ? { version, bytes } : { version: 0 };
    for (const session of this.#sessions) session.update();
  }

  /** The relay of a new session (a SessionExtensionFactory: the pool gives every session it makes). */
  attach(io: SessionIo): SessionExtension {
    const relay = new SessionRelay(
      io,
      {
        own: () => this.#own,
        received: (peerId, version, bytes) => {
          // Two peers may relay the same version at once; the SW drops the second as a duplicate.
          if (this.#own === undefined || version > this.#own.version) this.#deps.toSw(peerId, bytes);
        },
        closed: (closed) => this.#sessions.delete(closed),
      },
      this.#deps.now,
    );
    this.#sessions.add(relay);
    return relay;
  }
}
