// The demo page (/): says whether answers come from the simulator or from Coze, and writes the
// embedding snippet with this gateway's address.
const mode = document.getElementById('mode');
fetch('/v1/meta')
  .then((r) => r.json())
  .then((meta) => {
    if (meta.upstream.mode === 'simulator') {
      mode.textContent = 'Simulator mode';
      mode.title = 'Answers come from the built-in Coze simulator';
      document.getElementById('hint').textContent =
        'Answers come from the built-in Coze simulator, not from a real bot. ' +
        'Set COZE_PAT (or an OAuth JWT app) and COZE_BOT_ID to talk to your Coze bot.';
      // What the empty chat panel says (on the widget if it is there, else on its script tag).
      const welcome = 'Simulator mode: try “my name is Zhang San”, “#markdown” or “where is my order 42?”';
      document.querySelector('script[src="/widget.js"]').dataset.welcome = welcome;
      document.querySelector('coze-chat')?.setAttribute('welcome', welcome);
    } else {
      mode.textContent = 'Connected to Coze';
      mode.classList.add('live');
    }
  })
  .catch(() => {
    mode.textContent = 'gateway not reachable';
  });
document.getElementById('snippet').textContent =
  `<script src="${location.origin}/widget.js" data-app="default" async></script>`;
