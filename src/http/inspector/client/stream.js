// The event stream, read with fetch so that it can carry a bearer token (EventSource cannot).
const TOKEN_KEY = 'amqp-relay.inspector.token';

/** A token in the URL fragment (#token=…, never sent to the server) is kept for this tab and removed from the address bar. */
function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function currentToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

/** Calls onData with every `data:` payload of a text/event-stream body. */
async function readEvents(body, onData) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (data) onData(data);
    }
  }
}

/**
 * Follows the stream for as long as the page is open: reconnects after a loss (1 s, then up to
 * 10 s), and after a 401 waits for a token from the form. onStatus gets 'connecting' | 'live' |
 * 'lost' | 'unauthorized'.
 */
function followStream(url, onMessage, onStatus) {
  let controller;
  let wakeUp = () => {};
  const tokenForm = document.getElementById('token-form');
  tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const field = document.getElementById('token');
    sessionStorage.setItem(TOKEN_KEY, field.value.trim());
    field.value = '';
    controller?.abort();
    wakeUp();
  });
  window.addEventListener('hashchange', () => {
    if (!/(?:^#|&)token=/.test(location.hash)) return;
    takeTokenFromFragment();
    controller?.abort();
    wakeUp();
  });
  const pause = (ms) => new Promise((resolve) => { const t = setTimeout(resolve, ms); wakeUp = () => { clearTimeout(t); resolve(); }; });
  (async () => {
    let delay = 1000;
    for (;;) {
      controller = new AbortController();
      onStatus('connecting');
      try {
        const token = currentToken();
        const response = await fetch(url, { headers: token ? { Authorization: 'Bearer ' + token } : {}, cache: 'no-store', signal: controller.signal });
        if (response.status === 401) {
          onStatus('unauthorized');
          tokenForm.hidden = false;
          await pause(3_600_000);
          continue;
        }
        if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
        tokenForm.hidden = !!token;
        delay = 1000;
        onStatus('live');
        await readEvents(response.body, (data) => onMessage(JSON.parse(data)));
      } catch {
        // lost or aborted: try again below
      }
      onStatus('lost');
      await pause(delay);
      delay = Math.min(10_000, delay * 2);
    }
  })();
}
