import type { Socket } from 'node:net';

/**
 * Declares a link dead when nothing at all has arrived on it for 1.5 heartbeat timeouts. An idle
 * broker sends a heartbeat frame every half timeout, so that is three missed frames, and a
 * black-holed connection is given up within two heartbeat timeouts. (amqplib's own check needs
 * two to three timeouts.) Reads `socket.bytesRead` only: it never touches the stream amqplib reads.
 */
export function watchLink(socket: Socket, heartbeatSeconds: number, onDead: (silentMs: number) => void): () => void {
  const limitMs = 1.5 * heartbeatSeconds * 1_000;
  const tickMs = Math.min(250, limitMs / 6);
  let lastBytes = socket.bytesRead;
  let lastSeen = Date.now();
  let lastTick = lastSeen;
  const timer = setInterval(() => {
    const now = Date.now();
    // After an event-loop stall, bytes may be waiting unread in the kernel: start counting again.
    if (now - lastTick > 4 * tickMs) lastSeen = now;
    lastTick = now;
    if (socket.bytesRead !== lastBytes) {
      lastBytes = socket.bytesRead;
      lastSeen = now;
    } else if (now - lastSeen > limitMs) {
      clearInterval(timer);
      onDead(now - lastSeen);
    }
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
