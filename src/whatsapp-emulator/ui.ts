// GET /_emulator/: a page for the sandbox. It lists what was "sent to WhatsApp", and it can play the person:
// reply, tap STOP, or opt out of marketing (each a signed webhook to the app). Plain HTML; the data comes from
// the JSON control routes. Everything shown is escaped.
export const UI_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WhatsApp emulator</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
.failed{color:#b00}.read{color:#070}form{display:flex;gap:.5rem;margin:.5rem 0}input{padding:.3rem}code{font-size:12px}
</style></head><body>
<h1>WhatsApp Cloud API emulator</h1>
<p>Messages Leadbridge sent (newest first). Reply as the person: the app receives a signed webhook, as it would from Meta.</p>
<form id="reply"><input name="from" placeholder="+79161234567" required><input name="text" placeholder="reply text" size="40">
<button>Reply</button><button type="button" id="stop">Tap STOP</button><button type="button" id="optout">Opt out of marketing</button></form>
<p id="out"></p>
<table><thead><tr><th>When</th><th>To</th><th>Type</th><th>Content</th><th>Status</th><th>Step</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const post = (path, body) => fetch(path, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}).then((r) => r.json());
const form = document.getElementById('reply');
const from = () => form.elements.from.value;
async function load() {
  const {messages} = await (await fetch('messages')).json();
  document.getElementById('rows').innerHTML = messages.reverse().map((m) =>
    '<tr><td>' + esc(new Date(m.at).toLocaleString()) + '</td><td>' + esc(m.to) + '</td><td>' + esc(m.type === 'template' ? 'template ' + m.template.name + ' (' + m.template.language + ')' : 'text') +
    '</td><td>' + esc(m.text) + '</td><td class="' + esc(m.status) + '">' + esc(m.status) + (m.errorCode ? ' ' + esc(m.errorCode) : '') + '</td><td><code>' + esc(m.callbackData) + '</code></td></tr>').join('');
}
form.addEventListener('submit', async (e) => { e.preventDefault(); const r = await post('inbound', {from: from(), text: form.elements.text.value}); document.getElementById('out').textContent = JSON.stringify(r); });
document.getElementById('stop').addEventListener('click', async () => { const r = await post('inbound', {from: from(), button: {payload: 'STOP_FOLLOWUPS', text: 'Stop'}}); document.getElementById('out').textContent = JSON.stringify(r); });
document.getElementById('optout').addEventListener('click', async () => { const r = await post('preferences', {phone: from(), value: 'stop'}); document.getElementById('out').textContent = JSON.stringify(r); });
load(); setInterval(load, 2000);
</script></body></html>`;
