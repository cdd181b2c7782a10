/** Sends one raw frame (the malformed-frame check) and records what comes back. */
import WebSocket from 'ws';
import { groupOf } from './peers.js';
import type { GeneratorCommand, GeneratorResults } from './protocol.js';

/** Sends `text` from the group's first open peer; reports the replies and the close code within `waitMs`. */
export function frame(command: Extract<GeneratorCommand, { op: 'frame' }>): Promise<GeneratorResults['frame']> {
  const peer = groupOf(command.group).peers.find((p) => p.ws.readyState === WebSocket.OPEN);
  if (peer === undefined) throw new Error(`group ${command.group} has no open peer`);
  const replies: string[] = [];
  let closeCode: number | null = null;
  peer.onRelay = (message) => {
    const code = (message.payload as { code?: unknown } | undefined)?.code;
    if (replies.length < 5) replies.push(typeof code === 'string' ? `${String(message.type)} ${code}` : String(message.type));
  };
  peer.ws.once('close', (code) => (closeCode = code));
  peer.ws.send(command.text);
  return new Promise((resolve) => setTimeout(() => resolve({ replies, closeCode }), command.waitMs));
}
