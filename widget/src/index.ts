// widget.js: defines <coze-chat> and, when loaded by a plain script tag on a page that has no
// <coze-chat> of its own, adds one to the page with the tag's data-* attributes
// (data-app="x" becomes app="x", data-chat-title becomes chat-title, ...).
import { CozeChatElement } from './element.js';
import { baseOfScript } from './options.js';

const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : null;
CozeChatElement.scriptBase = baseOfScript(
  script?.src ?? document.querySelector<HTMLScriptElement>('script[src*="widget.js"]')?.src,
);

if (!customElements.get('coze-chat')) customElements.define('coze-chat', CozeChatElement);

function autoMount(): void {
  if (!script || script.dataset.mount === 'false' || document.querySelector('coze-chat')) return;
  const el = document.createElement('coze-chat');
  for (const [key, value] of Object.entries(script.dataset)) {
    el.setAttribute(
      key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      value ?? '',
    );
  }
  document.body.append(el);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoMount);
else autoMount();
