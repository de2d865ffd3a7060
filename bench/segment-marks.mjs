// Preloaded (node --import) into a gateway under bench/segments.ts: timestamps of each request's
// way through the process, one client at a time. A request starts at the HTTP server's 'request'
// event; its publish is the first write to a socket the server does not own (the broker's); its
// reply is the last 'data' from such a socket before the response; the response is written when
// ServerResponse#end returns. SIGUSR2 forgets what was recorded (the warm-up); medians go to
// SEGMENT_MARKS_OUT (JSON) at exit.
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

let cycles = [];
let current;

const emitRequest = http.Server.prototype.emit;
http.Server.prototype.emit = function (type, ...args) {
  if (type === 'request') {
    const now = performance.now();
    if (current) cycles.push({ ...current, next: now });
    current = { request: now };
  }
  return emitRequest.call(this, type, ...args);
};

const emitSocket = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (type, ...args) {
  if (type === 'data' && !this.server && current && current.responded === undefined) current.reply = performance.now();
  return emitSocket.call(this, type, ...args);
};

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (...args) {
  if (!this.server && current && current.published === undefined) current.published = performance.now();
  return write.apply(this, args);
};

const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) {
  const result = end.apply(this, args);
  if (current && current.responded === undefined) current.responded = performance.now();
  return result;
};

function median(values) {
  const sorted = values.sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)];
}

process.on('exit', () => {
  const measured = cycles.filter((c) => c.published && c.reply && c.responded);
  const us = (f) => Math.round(1000 * median(measured.map(f)) * 10) / 10;
  const result = {
    requests: measured.length,
    requestToPublish: us((c) => c.published - c.request),
    publishToReply: us((c) => c.reply - c.published),
    replyToResponse: us((c) => c.responded - c.reply),
    responseToNextRequest: us((c) => c.next - c.responded),
    cycle: us((c) => c.next - c.request),
  };
  if (process.env.SEGMENT_MARKS_OUT) writeFileSync(process.env.SEGMENT_MARKS_OUT, JSON.stringify(result));
});
process.on('SIGUSR2', () => {
  cycles = [];
  current = undefined;
});
// The measurement ends with SIGTERM: exit at once (with the 'exit' hook above), not after a graceful drain.
process.on('SIGTERM', () => process.exit(0));
