// The widget's fixed skeleton in its shadow root: launcher, panel, header, log, chips, composer.
import { h, ICONS, icon } from './dom.js';
import type { Texts } from './i18n.js';
import { CSS } from './styles.js';

export interface Looks {
  title: string;
  avatar: string | null;
  brand: string | null;
  welcome: string;
}

export interface View {
  root: HTMLDivElement;
  launcher: HTMLButtonElement;
  badge: HTMLSpanElement;
  panel: HTMLElement;
  newButton: HTMLButtonElement;
  closeButton: HTMLButtonElement;
  banner: HTMLDivElement;
  log: HTMLDivElement;
  chips: HTMLDivElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
}

function avatarOf(looks: Looks): HTMLSpanElement {
  const box = h('span', { class: 'avatar', 'aria-hidden': 'true' });
  if (looks.avatar) box.append(h('img', { src: looks.avatar, alt: '' }));
  else box.textContent = Array.from(looks.title.trim())[0]?.toUpperCase() ?? '';
  return box;
}

export function buildView(shadow: ShadowRoot, t: Texts, looks: Looks): View {
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h(
    'button',
    { class: 'launcher', type: 'button', 'aria-label': t.open, 'aria-expanded': 'false' },
    icon(ICONS.chat),
    badge,
  );
  const newButton = h('button', { class: 'icon', type: 'button', 'aria-label': t.newChat }, icon(ICONS.plus));
  const closeButton = h(
    'button',
    { class: 'icon', type: 'button', 'aria-label': t.close },
    icon(ICONS.close),
  );
  const banner = h('div', { class: 'banner', role: 'status', hidden: true }, t.offline);
  const log = h('div', {
    class: 'log',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': looks.title,
    'data-hi': looks.welcome,
  });
  const chips = h('div', { class: 'chips', hidden: true });
  const input = h('textarea', { rows: '1', 'aria-label': t.message, placeholder: `${t.message}…` });
  const send = h('button', { class: 'send', type: 'submit', 'aria-label': t.send }, icon(ICONS.send));
  const form = h('form', {}, input, send);
  const panel = h(
    'section',
    { class: 'panel', role: 'dialog', 'aria-label': looks.title, hidden: true },
    h('header', {}, avatarOf(looks), h('h2', {}, looks.title), newButton, closeButton),
    banner,
    log,
    chips,
    form,
  );
  const root = h('div', { class: 'root' }, panel, launcher);
  if (looks.brand) root.style.setProperty('--coze-chat-brand', looks.brand);
  // A constructed stylesheet: a page's strict Content-Security-Policy (no 'unsafe-inline' styles)
  // does not block it, as it would a <style> element (kept for browsers without one).
  if (shadow.adoptedStyleSheets) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
    shadow.replaceChildren(root);
  } else shadow.replaceChildren(h('style', {}, CSS), root);
  return { root, launcher, badge, panel, newButton, closeButton, banner, log, chips, form, input, send };
}
