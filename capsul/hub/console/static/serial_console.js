// The serial console page (templates/serial_console.html): xterm.js attached to the websocket
// at data-ws. Binary frames are console bytes both ways; text frames from the hub say
// "attached" (live output follows) or "end" (why it closed). Frames: capsul/serial_console.py.
(function () {
  "use strict";
  const box = document.getElementById("terminal");
  if (!box || !window.Terminal) return;
  const status = document.getElementById("console-status");
  const again = document.getElementById("console-reconnect");
  const term = new window.Terminal({cols: 100, rows: 30, scrollback: 5000});
  term.open(box);
  window.capsulConsole = {term: term};  // the browser tests and the benchmark read the terminal through it
  const encoder = new TextEncoder();
  const CHUNK = 4096;  // bytes per frame: the hub refuses frames over 16 KiB
  let ws = null;

  function show(text, state, reason) {
    status.textContent = text;
    status.dataset.consoleState = state;
    status.dataset.reason = reason || "";
    again.hidden = state !== "ended";
  }

  function connect() {
    let ended = false;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + box.dataset.ws);
    ws.binaryType = "arraybuffer";
    show("Connecting…", "connecting");
    ws.onmessage = function (event) {
      if (typeof event.data !== "string") {
        term.write(new Uint8Array(event.data));
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "attached") {
        show("Connected: what you type goes to the capsul.", "attached");
        term.focus();
      } else if (message.type === "end") {
        ended = true;
        show("Console closed: " + message.message, "ended", message.reason);
      }
    };
    ws.onclose = function () {
      if (!ended) show("Console closed: the connection was lost.", "ended", "connection_lost");
    };
  }

  term.onData(function (data) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const bytes = encoder.encode(data);
    for (let i = 0; i < bytes.length; i += CHUNK) ws.send(bytes.subarray(i, i + CHUNK));
  });
  again.addEventListener("click", function () { term.reset(); connect(); });
  connect();
})();
