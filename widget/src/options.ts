// The widget's settings, read from the <coze-chat> element's attributes.

export interface Options {
  gateway: string;
  app: string;
  lang: string | null;
  title: string | null;
  avatar: string | null;
  brand: string | null;
  /** What the empty panel says. */
  welcome: string | null;
  identified: boolean;
  token: string | null;
  startOpen: boolean;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/** The gateway that served widget.js: its script's URL without the file name. */
export function baseOfScript(src: string | undefined): string | null {
  if (!src) return null;
  try {
    return trimSlash(new URL('.', src).href);
  } catch {
    return null;
  }
}

export function readOptions(el: HTMLElement, scriptBase: string | null): Options {
  const a = (name: string) => el.getAttribute(name);
  const token = a('token');
  return {
    gateway: trimSlash(a('gateway') ?? scriptBase ?? location.origin),
    app: a('app') || 'default',
    lang: a('lang'),
    title: a('chat-title'),
    avatar: a('avatar'),
    brand: a('brand-color'),
    welcome: a('welcome'),
    identified: a('identity') === 'user' || !!token,
    token,
    startOpen: el.hasAttribute('open') && a('open') !== 'false',
  };
}
