/**
 * The bridge core's own line to its service worker for the manifest relay (protocol/messages/
 * sw-page.ts): it asks the SW for the envelope it routes by (at start and whenever another SW takes
 * control), hears the SW's pushes of every newer one, hands the SW envelopes peers relayed, and
 * hears which of those the SW refused. The core talks to the SW itself because it loads after the
 * page's SW link (sw-link.ts, in bridge.js) is up; both read the same 'message' events, each only
 * its own types (this link: parseSwRelayMessage). Without a service worker it does nothing.
 */
import type { ErrorCode } from '../protocol/errors.js';
import { parseSwRelayMessage, type PageToSwMessage } from '../protocol/messages/sw-page.js';

/** What the link tells the core. */
export interface EnvelopeLinkHooks {
  /** The SW routes by manifest `version` (0, no bytes: none). */
  envelope(version: number, bytes: Uint8Array | undefined): void;
  /** The SW refused an envelope `peerId` relayed, with `code`. */
  refused(peerId: string, code: ErrorCode): void;
}

/** The core's manifest-relay messages with its SW. */
export class EnvelopeLink {
  readonly #hooks: EnvelopeLinkHooks;
  #container: ServiceWorkerContainer | undefined;

  constructor(hooks: EnvelopeLinkHooks) {
    this.#hooks = hooks;
  }

  /** Listens to the SW and asks it for its envelope. */
  start(): void {
    if (typeof navigator === 'undefined' || !navigator.serviceWorker) return;
    const container = navigator.serviceWorker;
    this.#container = container;
    container.addEventListener('message', this.#onMessage);
    container.addEventListener('controllerchange', this.#ask);
    this.#ask();
  }

  /** Hands the SW an envelope `peerId` relayed (the bytes are transferred, not copied). */
  offer(peerId: string, bytes: Uint8Array): void {
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    this.#post({ type: 'swarmcdn/peer-envelope', peerId, bytes: buffer as ArrayBuffer }, [buffer as ArrayBuffer]);
  }

  /** Stops listening. */
  stop(): void {
    this.#container?.removeEventListener('message', this.#onMessage);
    this.#container?.removeEventListener('controllerchange', this.#ask);
    this.#container = undefined;
  }

  readonly #ask = (): void => this.#post({ type: 'swarmcdn/get-envelope' });

  readonly #onMessage = (event: MessageEvent): void => {
    const message = parseSwRelayMessage(event.data);
    if (message?.type === 'swarmcdn/envelope') this.#hooks.envelope(message.version, message.bytes && new Uint8Array(message.bytes));
    else if (message?.type === 'swarmcdn/peer-envelope-refused') this.#hooks.refused(message.peerId, message.code);
  };

  #post(message: PageToSwMessage, transfer: Transferable[] = []): void {
    const controller = this.#container?.controller;
    if (!controller) return;
    try {
      controller.postMessage(message, transfer);
    } catch {
      // A controller being replaced can refuse messages; the next controllerchange asks again.
    }
  }
}
